"""The terminal of flow commands: --json is one document, nothing ran is said and non-zero, a
refusal is one line, and --help shows examples and no <bool>."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from cinepipe.ops.locks import run_lock


def _cinepipe(*args, env):
    return subprocess.run([sys.executable, "-m", "cinepipe.cli", *args], capture_output=True, text=True,
                          env=env, timeout=600)


@pytest.fixture
def cli_env(home):
    env = {**os.environ, "CINEPIPE_HOME": str(home.home_dir), "COLUMNS": "120"}
    env.pop("PREFECT_API_URL", None)
    yield env
    subprocess.run([sys.executable, "-m", "cinepipe.cli", "server", "stop"], env=env, capture_output=True, timeout=120)


def test_help_has_an_example_per_command_and_no_bool_metavar(cli_env):
    for command in (["nightly"], ["run", "movielens"], ["recommend"], ["ratings", "add"], ["update"],
                    ["backfill"], ["status"], ["serve"], ["ingest"]):
        out = _cinepipe(*command, "--help", env=cli_env)
        assert out.returncode == 0, out.stderr
        assert "Example" in out.stdout, command
        assert "<bool>" not in out.stdout, command


def test_nightly_with_nothing_configured_says_so_and_json_is_one_document(cli_env):
    out = _cinepipe("nightly", "--json", env=cli_env)
    assert out.returncode != 0
    summary = json.loads(out.stdout)  # stdout holds exactly one JSON document
    assert summary["configured"] == [] and "inbox" in summary["branches"]
    assert "nothing ran: no branch is configured" in out.stderr and "Traceback" not in out.stderr
    assert "CINEPIPE_MOVIELENS_SOURCE" in out.stderr
    plain = _cinepipe("nightly", env=cli_env)
    assert plain.returncode != 0
    assert "nothing ran: no branch is configured" in plain.stdout and "branch" in plain.stdout
    assert "{" not in plain.stdout  # a table, not a JSON dump
    assert "▶ nightly-" in plain.stderr  # a line per step (an empty inbox runs no inbox step)


def test_a_refused_nightly_is_one_line_and_a_distinct_exit_status(home, cli_env):
    with run_lock(home, "pipeline"):
        out = _cinepipe("nightly", env=cli_env)
    assert out.returncode == 75, out.stderr
    refusal = [line for line in out.stderr.splitlines() if "another pipeline run is in progress" in line]
    assert len(refusal) == 1 and refusal[0].startswith("nightly not run")
    assert "Traceback" not in out.stderr
