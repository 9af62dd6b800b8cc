"""The CLI: help lists every command of INTERFACE.md; errors are one clear line, no traceback."""

from __future__ import annotations

import subprocess
import sys

import pytest

COMMANDS = ("run", "ingest", "nightly", "recommend", "ratings", "update", "backfill", "status")


def _cinepipe(*args, env=None):
    return subprocess.run([sys.executable, "-m", "cinepipe.cli", *args], capture_output=True, text=True, env=env, timeout=300)


def test_help_lists_every_interface_command():
    out = _cinepipe("--help")
    assert out.returncode == 0
    for command in COMMANDS:
        assert command in out.stdout
    run_help = _cinepipe("run", "--help").stdout
    for branch in ("movielens", "imdb", "mnist", "naver"):
        assert branch in run_help


@pytest.fixture
def cli_env(home, monkeypatch):
    import os

    env = dict(os.environ)
    env["CINEPIPE_HOME"] = str(home.home_dir)
    env.pop("PREFECT_API_URL", None)
    return env


def test_unknown_layout_is_one_line_with_source_and_action(cli_env, tmp_path):
    bad = tmp_path / "not-a-release"
    bad.mkdir()
    (bad / "notes.txt").write_text("x")
    out = _cinepipe("ingest", "movielens", "--source", str(bad), env=cli_env)
    assert out.returncode != 0
    assert "Traceback" not in out.stderr
    assert str(bad) in out.stderr and "no known MovieLens layout" in out.stderr
    assert "Point --source at a GroupLens release" in out.stderr


def test_debug_shows_the_traceback(cli_env, tmp_path):
    out = _cinepipe("--debug", "ingest", "movielens", "--source", str(tmp_path / "missing"), env=cli_env)
    assert out.returncode != 0 and "Traceback" in out.stderr


def test_status_before_any_run(cli_env):
    out = _cinepipe("status", env=cli_env)
    assert out.returncode == 0 and "no warehouse yet" in out.stdout
