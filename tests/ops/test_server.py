"""The home's Prefect server: one per home, reused by commands, replaced when stale, stopped when idle."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import pytest

from cinepipe.ops.server import server_processes

CINEPIPE = str(Path(sys.executable).with_name("cinepipe"))
# what a command that runs a flow does first, in a process of its own that then ends
ENSURE = ("import json; from cinepipe.settings import get_settings; from cinepipe.ops.server import ensure_server\n"
          "print(json.dumps(ensure_server(get_settings())))\n")


def _env(home: Path, **extra: str) -> dict[str, str]:
    """A command's environment for ``home``; the session's PREFECT_HOME stays, so the servers of these
    tests share one Prefect database and only the first one creates it (half a minute on busy cores)."""
    env = {**os.environ, "CINEPIPE_HOME": str(home), **extra}
    env.pop("PREFECT_API_URL", None)
    return env


def _ensure(home: Path, **extra: str) -> tuple[dict, str]:
    done = subprocess.run([sys.executable, "-c", ENSURE], env=_env(home, **extra), capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout), done.stderr


def _cli(home: Path, *args: str, **extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([CINEPIPE, *args], env=_env(home, **extra), capture_output=True, text=True, timeout=600)


def _servers_of(home: Path) -> list[int]:
    return sorted(pid for pid, h in server_processes().items() if h == str(home))


def _wait_until(predicate, timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        assert time.monotonic() < deadline, what
        time.sleep(0.2)


def test_status_and_stop(tmp_path):
    home = tmp_path / "home"
    before = json.loads(_cli(home, "server", "status", "--json").stdout)
    assert before["running"] is False
    state, _ = _ensure(home)
    status = json.loads(_cli(home, "server", "status", "--json").stdout)
    assert status["running"] and status["healthy"] and status["pid"] == state["pid"]
    assert status["home"] == str(home) and status["api_url"] == f"http://127.0.0.1:{state['port']}/api"
    with urllib.request.urlopen(f"{state['api_url']}/health", timeout=10) as answer:
        assert json.loads(answer.read()) is True
    assert _servers_of(home) == [state["pid"]]
    stopped = _cli(home, "server", "stop")
    assert stopped.returncode == 0 and f"pid {state['pid']}" in stopped.stdout
    assert _servers_of(home) == []
    assert not (home / "prefect" / "server.json").exists()
    assert "no Prefect server was running" in _cli(home, "server", "stop").stdout


def test_two_commands_share_one_server_and_two_homes_have_two(tmp_path):
    at_once = [subprocess.Popen([sys.executable, "-c", ENSURE], env=_env(tmp_path / "a"), stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True) for _ in range(2)]
    started = [json.loads(proc.communicate(timeout=600)[0]) for proc in at_once]
    assert started[0]["pid"] == started[1]["pid"], "two commands starting at once started two servers"
    first = started[0]
    again, notes = _ensure(tmp_path / "a")
    assert again["pid"] == first["pid"] and "replacing" not in notes
    other, _ = _ensure(tmp_path / "b")
    assert other["pid"] != first["pid"] and other["port"] != first["port"]
    assert _servers_of(tmp_path / "a") == [first["pid"]] and _servers_of(tmp_path / "b") == [other["pid"]]
    # a state file copied from another home names a server that answers for that home: not ours
    (tmp_path / "b" / "prefect" / "server.json").write_text((tmp_path / "a" / "prefect" / "server.json").read_text())
    _cli(tmp_path / "b", "server", "stop")
    (tmp_path / "b" / "prefect" / "server.json").write_text((tmp_path / "a" / "prefect" / "server.json").read_text())
    replaced, notes = _ensure(tmp_path / "b")
    assert "replacing the home's Prefect server" in notes and str(tmp_path / "a") in notes
    assert replaced["pid"] not in (first["pid"], other["pid"])
    assert _servers_of(tmp_path / "a") == [first["pid"]], "another home's server was touched"
    for home in ("a", "b"):
        _cli(tmp_path / home, "server", "stop")


def test_a_stale_server_is_replaced_with_a_notice(tmp_path):
    home = tmp_path / "home"
    old, _ = _ensure(home)
    state_file = home / "prefect" / "server.json"
    state_file.write_text(json.dumps({**old, "prefect_version": "2.0.0"}))  # as after an upgrade of Prefect
    new, notes = _ensure(home)
    assert new["pid"] != old["pid"]
    assert [line for line in notes.splitlines() if line.strip()] == [
        (f"note: replacing the home's Prefect server (pid {old['pid']}): it runs Prefect 2.0.0, "
         f"this install has {new['prefect_version']}")]
    assert _servers_of(home) == [new["pid"]]
    os.kill(new["pid"], signal.SIGKILL)  # a server that died: its state file is left behind
    _wait_until(lambda: not _servers_of(home), 30, "the killed server is still listed")
    newer, notes = _ensure(home)
    assert newer["pid"] != new["pid"] and "not running for this home" in notes
    assert _servers_of(home) == [newer["pid"]]
    _cli(home, "server", "stop")


def test_it_stops_when_idle_but_not_while_a_command_uses_it(tmp_path):
    home = tmp_path / "home"
    hold = subprocess.Popen([sys.executable, "-c", ENSURE + "import time; time.sleep(6)\n"],
                            env=_env(home, CINEPIPE_SERVER_IDLE_S="1"), stdout=subprocess.PIPE, text=True)
    pid = json.loads(hold.stdout.readline())["pid"]
    time.sleep(4)
    assert _servers_of(home) == [pid], "the server stopped while a command held it"
    hold.wait(timeout=60)
    _wait_until(lambda: not _servers_of(home), 60, "the idle server did not stop")
    assert not (home / "prefect" / "server.json").exists()
    state, _ = _ensure(home)  # and the next command starts it again
    assert _servers_of(home) == [state["pid"]]
    _cli(home, "server", "stop")


def test_ratings_add_announces_to_the_home_server_only_when_it_runs(tmp_path):
    home = tmp_path / "home"
    digest = uuid.uuid4().hex * 2
    emit = ("import json, sys; from cinepipe.settings import get_settings; from cinepipe.ops.inbox import _emit\n"
            f"print(json.dumps([_emit(get_settings(), {digest!r}, 'ml-x', 3), 'prefect' in sys.modules]))\n")
    alone = subprocess.run([sys.executable, "-c", emit], env=_env(home), capture_output=True, text=True, timeout=300)
    assert json.loads(alone.stdout) == [None, False], alone.stderr  # no server: none started, Prefect not loaded
    state, _ = _ensure(home)
    sent = subprocess.run([sys.executable, "-c", emit], env=_env(home), capture_output=True, text=True, timeout=300)
    assert json.loads(sent.stdout) == ["cinepipe.ratings.added", False], sent.stderr  # one POST, no Prefect
    query = json.dumps({"filter": {"event": {"name": ["cinepipe.ratings.added"]},
                                   "resource": {"id": [f"cinepipe.inbox.{digest[:16]}"]}}, "limit": 5}).encode()

    def recorded() -> bool:
        request = urllib.request.Request(f"{state['api_url']}/events/filter", data=query,
                                         headers={"content-type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as answer:
            return len(json.loads(answer.read())["events"]) == 1

    _wait_until(recorded, 60, "the event did not reach the home's server")
    _cli(home, "server", "stop")


@pytest.mark.slow
def test_sigkill_of_running_nightlies_leaves_one_server_and_nothing_else(tmp_path):
    home = tmp_path / "home"
    env = _env(home)
    for delay_s in (3, 12, 25):  # during start-up, early in the flow, later in the flow
        proc = subprocess.Popen([CINEPIPE, "nightly", "--sample"], env=env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        if delay_s > 3:
            _wait_until(lambda proc=proc: (home / "prefect" / "server.json").exists() or proc.poll() is not None,
                        600, "the nightly never reached its server")
        time.sleep(delay_s)
        assert proc.poll() is None, "the nightly ended before it was killed"
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    _wait_until(lambda: len(_servers_of(home)) <= 1, 60, f"several servers for one home: {_servers_of(home)}")
    servers = _servers_of(home)
    assert len(servers) <= 1
    left = [pid for pid in _processes_with_home(home) if pid not in servers]
    assert left == [], f"processes outlived their killed command: {left}"
    _cli(home, "server", "stop")
    assert _processes_with_home(home) == []


def _processes_with_home(home: Path) -> list[int]:
    """Our processes whose environment names ``home`` as CINEPIPE_HOME."""
    needle = f"CINEPIPE_HOME={home}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != os.getpid():
            try:
                if needle in (entry / "environ").read_bytes().split(b"\0"):
                    found.append(int(entry.name))
            except OSError:
                continue
    return found
