"""A real command killed with SIGKILL at each commit boundary of `ingest`, `run` and `update`:
the next run finds what is missing or stale and repairs it, so the warehouse, the lake, the lists
and the export files agree again."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pyarrow.dataset as ds
import pytest

from cinepipe.storage import warehouse

pytestmark = pytest.mark.slow

# runs the CLI with one function replaced by a SIGKILL of the process: the run dies exactly there
KILLED_AT = textwrap.dedent("""
    import importlib, os, signal, sys
    module, name = sys.argv[1].rsplit(".", 1)
    setattr(importlib.import_module(module), name, lambda *a, **k: os.kill(os.getpid(), signal.SIGKILL))
    from cinepipe.cli import main
    sys.argv = ["cinepipe", *sys.argv[2:]]
    main()
""")


def _env(home):
    return {**os.environ, "CINEPIPE_HOME": str(home.home_dir)}


def _run(home, argv):
    """Run a command with its output in a file: a pipe would be held open by any process the
    killed command left behind, and the wait would last until the timeout."""
    log = home.home_dir / f"command-{len(list(home.home_dir.glob('command-*')))}.log"
    with log.open("wb") as out:
        code = subprocess.run(argv, env=_env(home), stdout=out, stderr=subprocess.STDOUT, timeout=900).returncode
    return code, log.read_text(errors="replace")[-3000:]


def _cli(home, *args):
    code, output = _run(home, [sys.executable, "-m", "cinepipe.cli", *args])
    assert code == 0, output


def _killed(home, target, *args):
    code, output = _run(home, [sys.executable, "-c", KILLED_AT, target, *args])
    assert code == -9, f"expected a SIGKILL at {target}: {output}"


def _lake_rows(home, table):
    path = home.lake_dir / table
    return ds.dataset(str(path), format="parquet", partitioning="hive").count_rows() if path.exists() else None


def _assert_lake_matches(home):
    counts = warehouse.table_counts(home)
    for table in ("movielens_ratings", "movielens_movies", "quarantine"):
        assert _lake_rows(home, table) == counts[table], table


def _assert_exports_match(home, dataset):
    export = home.exports_dir / "recommendations" / dataset / "recommendations.parquet"
    with warehouse.connect(home, read_only=True) as con:
        table = con.execute("select user_id, rank, movie_id from recommendations where dataset = ? order by all",
                            [dataset]).fetchall()
        files = con.execute(f"select user_id, rank, movie_id from read_parquet('{export}') order by all").fetchall()
    assert table and files == table


def test_a_kill_between_the_load_commit_and_the_lake_copy_is_repaired(home, small_csv_dir):
    _killed(home, "cinepipe.storage.warehouse.export_to_lake", "ingest", "movielens", "--source", str(small_csv_dir))
    assert warehouse.table_counts(home)["movielens_ratings"] > 0  # the load committed
    assert _lake_rows(home, "movielens_ratings") is None  # the copy never happened
    _cli(home, "ingest", "movielens", "--source", str(small_csv_dir))
    _assert_lake_matches(home)


def test_kills_around_the_lists_and_the_inbox_are_repaired(home, small_csv_dir, tmp_path):
    dataset = "ml-latest-small"
    # the lists are committed, the export files never written
    _killed(home, "cinepipe.movielens.export.export_files", "run", "movielens", "--source", str(small_csv_dir), "--quick")
    assert not (home.exports_dir / "recommendations" / dataset / "recommendations.parquet").exists()
    _cli(home, "run", "movielens", "--source", str(small_csv_dir), "--quick")
    _assert_exports_match(home, dataset)
    _assert_lake_matches(home)

    # a user rates the two movies at the top of their list; the update dies after applying them
    with warehouse.connect(home, read_only=True) as con:
        user, first, second = con.execute(
            "select user_id, list(movie_id order by rank)[1], list(movie_id order by rank)[2] from recommendations"
            " where dataset = ? and not cold_start group by user_id order by user_id limit 1", [dataset]).fetchone()
    new = tmp_path / "new.csv"
    new.write_text(f"user_id,movie_id,rating,timestamp\n{user},{first},5.0,1700000000\n{user},{second},4.5,1700000100\n")
    _cli(home, "ratings", "add", str(new), "--dataset", dataset)
    _killed(home, "cinepipe.movielens.incremental.pending_list_users", "update")
    with warehouse.connect(home, read_only=True) as con:
        applied = con.execute("select count(*) from movielens_ratings where dataset = ? and user_id = ? "
                              "and movie_id in (?, ?) and origin like 'inbox:%'", [dataset, user, first, second]).fetchone()[0]
    assert applied == 2  # the ratings are in; the list still shows the two movies

    _cli(home, "update")  # nothing new in the inbox, but the user's list is behind: refreshed now
    with warehouse.connect(home, read_only=True) as con:
        listed = {r[0] for r in con.execute("select movie_id from recommendations where dataset = ? and user_id = ?",
                                            [dataset, user]).fetchall()}
        pending = con.execute("select count(*) from list_refresh_pending").fetchone()[0]
    assert listed and first not in listed and second not in listed
    assert pending == 0
    _assert_exports_match(home, dataset)
