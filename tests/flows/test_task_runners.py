"""The same branch on the thread runner and on a local Dask cluster gives the same tables."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import duckdb
import pytest

from cinepipe.movielens.synthetic import Shape, write_csv_release

pytestmark = pytest.mark.slow

RUN = textwrap.dedent("""
    import sys
    from cinepipe.settings import configure_prefect, get_settings
    configure_prefect(get_settings())
    from cinepipe.flows.movielens import movielens_flow
    movielens_flow(sys.argv[1], quick=True)
""")

TABLES = {
    "movielens_ratings": "select user_id, movie_id, rating, rated_at from movielens_ratings order by all",
    "movielens_movies": "select movie_id, title, year, genres from movielens_movies order by all",
    "recommendations": "select user_id, rank, movie_id, title from recommendations order by all",
    "eval_metrics": "select model, protocol, metric, round(value, 3) from eval_metrics "
                    "where model in ('global_mean', 'biases', 'popularity', 'ease') order by all",
}


def _run(home, release, runner):
    env = {**os.environ, "CINEPIPE_HOME": str(home), "CINEPIPE_TASK_RUNNER": runner}
    env.pop("PREFECT_API_URL", None)
    done = subprocess.run([sys.executable, "-c", RUN, str(release)], env=env, capture_output=True, text=True, timeout=1500)
    assert done.returncode == 0, done.stderr[-3000:]
    with duckdb.connect(str(home / "warehouse" / "cinepipe.duckdb"), read_only=True) as con:
        return {name: con.execute(sql).fetchall() for name, sql in TABLES.items()}


def test_dask_runner_gives_the_same_tables_as_threads(tmp_path):
    release = tmp_path / "ml-demo"
    write_csv_release(release, Shape(n_users=80, n_items=100, n_ratings=3_000), seed=5)
    threads = _run(tmp_path / "threads", release, "thread")
    dask = _run(tmp_path / "dask", release, "dask")
    for name in TABLES:
        assert dask[name] == threads[name], name
