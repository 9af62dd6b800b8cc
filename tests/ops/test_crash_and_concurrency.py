"""A load killed with SIGKILL leaves the warehouse as it was; concurrent runs do not interleave."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from cinepipe.movielens import load
from cinepipe.ops.locks import RunInProgress, run_lock
from cinepipe.storage import warehouse

KILLED_LOAD = textwrap.dedent("""
    import os, sys, time
    from pathlib import Path
    from cinepipe.storage import warehouse
    from cinepipe.movielens import load
    from cinepipe.settings import get_settings

    real_log_load = warehouse.log_load

    def slow_log_load(*args, **kwargs):  # rows are inserted, the transaction is still open
        real_log_load(*args, **kwargs)
        Path(sys.argv[2]).touch()
        time.sleep(600)

    warehouse.log_load = slow_log_load
    load.load_release(Path(sys.argv[1]), dataset="ml-latest-small", content_key="k2", source="t",
                      run_id="killed", settings=get_settings())
""")


def _snapshot(settings):
    with warehouse.connect(settings, read_only=True) as con:
        return {t: con.execute(f"select count(*), coalesce(sum(hash(columns(*))), 0) from {t}").fetchone()
                for t in ("movielens_ratings", "movielens_movies", "quarantine", "load_log")}


def test_sigkill_during_load_leaves_the_warehouse_and_the_next_run_completes(home, ml100k_dir, small_csv_dir, tmp_path,
                                                                          stage_release):
    first, fsd = stage_release(home, ml100k_dir)
    load.load_release(fsd, dataset=first.dataset, content_key="k1", source="t", run_id="r1", settings=home)
    before = _snapshot(home)
    _, sd = stage_release(home, small_csv_dir)
    ready = tmp_path / "inside-transaction"
    proc = subprocess.Popen([sys.executable, "-c", KILLED_LOAD, str(sd), str(ready)],
                            env={**os.environ, "CINEPIPE_HOME": str(home.home_dir)})
    deadline = time.monotonic() + 120
    while not ready.exists():
        assert proc.poll() is None, "the load process ended before reaching the load"
        assert time.monotonic() < deadline
        time.sleep(0.1)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert _snapshot(home) == before
    result = load.load_release(sd, dataset="ml-latest-small", content_key="k2", source="t", run_id="r2", settings=home)
    assert result["rows"]["movielens_ratings"] == 2_000 and not result["skipped"]


def test_run_lock_refuses_a_second_holder_clearly(home):
    code = ("import sys; from cinepipe.settings import get_settings; from cinepipe.ops.locks import run_lock\n"
            "with run_lock(get_settings(), 'pipeline'): sys.exit(0)\n")
    with run_lock(home, "pipeline"):
        with pytest.raises(RunInProgress, match=f"pid {os.getpid()}"):
            with run_lock(home, "pipeline"):
                pass
        other = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                               env={**os.environ, "CINEPIPE_HOME": str(home.home_dir)})
        assert other.returncode != 0 and "another pipeline run is in progress" in other.stderr
    again = subprocess.run([sys.executable, "-c", code], env={**os.environ, "CINEPIPE_HOME": str(home.home_dir)})
    assert again.returncode == 0


@pytest.mark.slow
def test_two_nightly_sample_runs_in_parallel(home):
    env = {**os.environ, "CINEPIPE_HOME": str(home.home_dir)}
    env.pop("PREFECT_API_URL", None)
    cmd = [os.path.join(os.path.dirname(sys.executable), "cinepipe"), "nightly", "--sample"]
    first = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(20)  # the first run is starting (or has taken the pipeline lock) by now
    second = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=1800)
    _, first_err = first.communicate(timeout=3600)
    outcomes = sorted([(first.returncode == 0, first_err), (second.returncode == 0, second.stderr)])
    (refused, refused_err), (completed, completed_err) = outcomes
    assert completed, completed_err[-3000:]
    assert not refused, "both runs completed: they were not serialised"
    assert "another pipeline run is in progress" in refused_err and "Traceback" not in refused_err
    with warehouse.connect(home, read_only=True) as con:
        runs = con.execute("select state, count(*) from pipeline_runs group by 1").fetchall()
        dupes = con.execute("select count(*) from (select dataset, user_id, movie_id from movielens_ratings"
                            " group by all having count(*) > 1)").fetchone()[0]
    assert runs == [("completed", 1)] and dupes == 0
    # a night with nothing new: every branch is skipped (Naver's sample list, decisions and fallback
    # files are unchanged too), the tables stay as they were
    data_tables = ("movielens_ratings", "movielens_movies", "recommendations", "imdb_reviews", "mnist_images")
    before = {t: n for t, n in warehouse.table_counts(home).items() if t in data_tables}
    third = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=1800)
    assert third.returncode == 0, third.stderr[-3000:]
    assert {t: n for t, n in warehouse.table_counts(home).items() if t in data_tables} == before
    with warehouse.connect(home, read_only=True) as con:
        summary = json.loads(con.execute(
            "select summary from pipeline_runs order by started_at desc limit 1").fetchone()[0])
    skipped = {b for b, r in summary["branches"].items() if str(r.get("skipped", "")).startswith("unchanged")}
    assert skipped == {"movielens", "imdb", "mnist", "naver"}
