"""End to end with a real Prefect server on 127.0.0.1: deploy prefect.yaml, run the nightly
deployment, add ratings, see the event-triggered incremental run, check the warehouse."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

pytestmark = pytest.mark.slow


def _query(db: Path, sql: str, params=None, timeout_s: float = 120):
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            with duckdb.connect(str(db), read_only=True) as con:
                return con.execute(sql, params or []).fetchall()
        except duckdb.IOException:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def test_nightly_then_event_triggered_incremental(tmp_path, monkeypatch):
    from cinepipe.ops import serve, server
    from cinepipe.settings import get_settings, reset_settings

    home = tmp_path / "home"
    monkeypatch.setenv("CINEPIPE_HOME", str(home))
    monkeypatch.setenv("PREFECT_HOME", str(tmp_path / "prefect"))
    monkeypatch.setenv("CINEPIPE_QUICK", "true")
    reset_settings()
    settings = get_settings()
    settings.ensure_dirs()
    port = server.ensure_server(settings)["port"]  # the home's server, as `cinepipe serve` uses it
    worker = None
    try:
        serve.deploy(settings, port, names=("nightly-sample", "incremental"))
        worker = serve.start_worker(settings, port, log_path=tmp_path / "worker.log")
        env = serve.server_env(settings, port)
        run = subprocess.run(
            [str(Path(sys.executable).with_name("prefect")), "deployment", "run", "nightly/nightly-sample",
             "--watch", "--watch-timeout", "1500"],
            env=env, capture_output=True, text=True, timeout=1600)
        assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:] + (tmp_path / "worker.log").read_text()[-3000:]
        db = settings.warehouse_path
        # the same unchanged night typed at the CLI: it shares the deployment run's keys, so every
        # branch with a fingerprint is skipped (the worker's environment differs: an empty lake
        # URL, the schedule, the project directory)
        cli = subprocess.run([str(Path(sys.executable).with_name("cinepipe")), "nightly", "--sample", "--json"],
                             env={k: v for k, v in os.environ.items() if not k.startswith("PREFECT_API")},
                             capture_output=True, text=True, timeout=900)
        assert cli.returncode == 0, cli.stdout[-3000:] + cli.stderr[-3000:]
        summary = json.loads(_query(db, "select summary from pipeline_runs where flow_name = 'nightly' "
                                        "order by started_at desc limit 1")[0][0])
        for branch in ("movielens", "imdb", "mnist"):
            assert "skipped" in summary["branches"][branch], (branch, summary["branches"][branch])
        dataset = "ml-sample"
        before = dict(_query(db, "select user_id, max(created_at) from recommendations where dataset = ? group by 1", [dataset]))
        n_before = _query(db, "select count(*) from movielens_ratings where dataset = ?", [dataset])[0][0]
        movies = [r[0] for r in _query(db, "select movie_id from movielens_movies where dataset = ? order by 1 limit 3", [dataset])]
        users = sorted(before)[:2]
        already_rated = _query(db, "select count(*) from movielens_ratings where dataset = ? and user_id in (?, ?) "
                                   "and movie_id in (?, ?, ?)", [dataset, *users, *movies])[0][0]
        new = tmp_path / "new.csv"
        new.write_text("user_id,movie_id,rating,timestamp\n" + "".join(
            f"{u},{m},4.5,{int(time.time()) - 60}\n" for u in users for m in movies))
        add = subprocess.run([str(Path(sys.executable).with_name("cinepipe")), "ratings", "add", str(new)],
                             env=env, capture_output=True, text=True, timeout=300)
        assert add.returncode == 0, add.stderr
        deadline = time.monotonic() + 900
        while time.monotonic() < deadline:
            done = _query(db, "select count(*) from inbox_files where processed_at is not null")[0][0]
            if done:
                break
            time.sleep(3)
        else:
            pytest.fail("the incremental run did not process the inbox:\n" + (tmp_path / "worker.log").read_text()[-3000:])
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:  # the lists are re-exported right after the apply
            after = dict(_query(db, "select user_id, max(created_at) from recommendations where dataset = ? group by 1", [dataset]))
            if all(after[u] > before[u] for u in users):
                break
            time.sleep(2)
        n_after = _query(db, "select count(*) from movielens_ratings where dataset = ?", [dataset])[0][0]
        assert n_after == n_before + len(users) * len(movies) - already_rated
        inbox_rows = _query(db, "select count(*) from movielens_ratings where dataset = ? and origin like 'inbox:%'", [dataset])[0][0]
        assert inbox_rows == len(users) * len(movies)
        assert all(after[u] > before[u] for u in users), "touched users' lists were not refreshed"
        untouched = [u for u in before if u not in users]
        assert all(after[u] == before[u] for u in untouched), "lists of users without new ratings changed"
    finally:
        if worker is not None and worker.poll() is None:
            worker.terminate()
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                worker.kill()
        server.stop_server(settings)
