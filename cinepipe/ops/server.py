"""The home's Prefect server: one per ``CINEPIPE_HOME``, started on first use, shared by every command.

A command that runs a flow calls :func:`use_home_server` before Prefect is imported: it reuses the
server recorded in ``prefect/server.json`` when that server answers as this home's, with this
install's Prefect, and otherwise starts one (a stale one is stopped first, with a one-line notice).
Prefect's throwaway per-command server is never started, so a killed command leaves nothing behind.

Files under ``<home>/prefect/`` (``fcntl.flock`` locks, which the kernel drops when a process dies):
- ``server.json``: pid, port, URLs, versions and home of the server, written once it answers;
- ``server.lock``: held by whoever starts, replaces or stops the server, so two commands starting at
  once start one server;
- ``server.instance.lock``: held by the server process for its whole life (its pid inside);
- ``clients.lock``: held shared by each command while it uses the server; the server stops itself
  after ``server_idle_s`` seconds without such a command and without a request;
- ``server.log``: the server's output.

This module imports neither Prefect nor an HTTP library: commands that only look (``--help``,
``status``) stay quick, and ``server status`` answers in a blink.
"""

from __future__ import annotations

import fcntl
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from importlib.metadata import version
from pathlib import Path

from cinepipe.errors import CinepipeError
from cinepipe.ops.server_process import IDENTITY_PATH, STATE_FORMAT
from cinepipe.settings import Settings

_held: dict[str, int] = {}  # lock files this process holds for its lifetime, by path


class ServerError(CinepipeError):
    """The home's Prefect server could not be started or stopped."""


def state_path(settings: Settings) -> Path:
    return settings.prefect_home / "server.json"


def log_path(settings: Settings) -> Path:
    return settings.prefect_home / "server.log"


def _lock_path(settings: Settings, name: str) -> Path:
    return settings.prefect_home / f"{name}.lock"


def read_state(settings: Settings) -> dict | None:
    try:
        return json.loads(state_path(settings).read_text())
    except (OSError, ValueError):
        return None


def _get_json(url: str, timeout_s: float) -> object | None:
    try:
        with urllib.request.urlopen(url, timeout=timeout_s) as response:
            return json.loads(response.read())
    except (OSError, ValueError, urllib.error.URLError):
        return None


def stale_reason(settings: Settings, state: dict, timeout_s: float = 5.0) -> str | None:
    """Why the recorded server cannot serve this home and install, or None when it can."""
    if state.get("format") != STATE_FORMAT or state.get("prefect_version") != version("prefect"):
        return f"it runs Prefect {state.get('prefect_version')}, this install has {version('prefect')}"
    if state.get("home") != str(settings.home_dir):
        return f"it was recorded for {state.get('home')}"
    identity = _get_json(f"http://127.0.0.1:{state['port']}{IDENTITY_PATH}", timeout_s)
    if not isinstance(identity, dict):
        return f"nothing answers as it on port {state['port']}"
    if identity.get("home") != str(settings.home_dir) or identity.get("pid") != state.get("pid"):
        return f"port {state['port']} answers for {identity.get('home')} (pid {identity.get('pid')})"
    if _get_json(f"{state['api_url']}/health", timeout_s) is not True:
        return f"its API on port {state['port']} is not healthy"
    return None


def _flock(path: Path, mode: int, timeout_s: float, what: str) -> int:
    """Open ``path`` and take ``mode`` (LOCK_SH or LOCK_EX) within ``timeout_s``; returns the fd."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            fcntl.flock(fd, mode | fcntl.LOCK_NB)
            return fd
        except BlockingIOError:
            if time.monotonic() > deadline:
                os.close(fd)
                raise ServerError("prefect server", f"{what} for {timeout_s:.0f}s ({path} is held)",
                                  "Try again; if it persists, run `cinepipe server stop`.") from None
            time.sleep(0.05)


def _hold_client_lease(settings: Settings) -> None:
    """Hold ``clients.lock`` shared until this process ends: the server stays up while we run."""
    path = str(_lock_path(settings, "clients"))
    if path not in _held:
        # a server that is stopping holds it exclusively until it is gone: wait for that
        _held[path] = _flock(Path(path), fcntl.LOCK_SH, settings.server_start_timeout_s,
                             "waited for the idle server to stop")


def instance_pid(settings: Settings) -> int | None:
    """The pid of the live server process of this home (starting or serving), or None."""
    path = _lock_path(settings, "server.instance")
    if not path.exists():
        return None
    fd = os.open(path, os.O_RDWR)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            text = path.read_text().strip()
            return int(text) if text.isdigit() else None
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)


def find_server(settings: Settings) -> dict | None:
    """The home's server if it runs and answers as this home's; never starts one."""
    state = read_state(settings)
    if state is None or stale_reason(settings, state, timeout_s=2.0) is not None:
        return None
    return state


def ensure_server(settings: Settings, port: int | None = None) -> dict:
    """The home's server state, starting it (on ``port``, else a free one) when none serves this home.

    The caller holds a client lease from here on, so the server does not stop while it runs.
    """
    _hold_client_lease(settings)
    state = read_state(settings)
    if state is not None and stale_reason(settings, state) is None:
        return state
    lock = _flock(_lock_path(settings, "server"), fcntl.LOCK_EX, settings.server_start_timeout_s + 60,
                  "waited for another command to start the server")
    try:
        state = _wait_for_starting_server(settings)
        # a server busy with a flow run may answer slowly: give it time before calling it stale
        reason = None if state is None else stale_reason(settings, state, timeout_s=15.0)
        if state is not None and reason is None:
            return state
        pid = instance_pid(settings)
        if state is not None or pid is not None:
            what = f"pid {pid}" if pid else f"pid {state['pid']}, not running for this home"
            print(f"note: replacing the home's Prefect server ({what}): "
                  f"{reason or 'it never answered'}", file=sys.stderr, flush=True)
        if pid is not None:
            _terminate(settings, pid)
        state_path(settings).unlink(missing_ok=True)
        return _start(settings, port)
    finally:
        os.close(lock)


def _wait_for_starting_server(settings: Settings) -> dict | None:
    """The state file; if a server process lives but has not written it yet, wait for it to."""
    deadline = time.monotonic() + settings.server_start_timeout_s
    while True:
        state = read_state(settings)
        pid = instance_pid(settings)
        if state is not None or pid is None or time.monotonic() > deadline:
            return state
        time.sleep(0.2)


def server_env(settings: Settings) -> dict[str, str]:
    """The server process's environment: Prefect's home and quiet, no client-side API URL."""
    env = dict(os.environ)
    env.pop("PREFECT_API_URL", None)
    env.setdefault("PREFECT_HOME", str(settings.prefect_home))
    env.update({"PREFECT_SERVER_ANALYTICS_ENABLED": "false", "DO_NOT_TRACK": "1",
                "PREFECT_SERVER_LOGGING_LEVEL": "WARNING", "PREFECT_LOGGING_LEVEL": "WARNING"})
    return env


def _start(settings: Settings, port: int | None) -> dict:
    settings.prefect_home.mkdir(parents=True, exist_ok=True)
    Path(server_env(settings)["PREFECT_HOME"]).mkdir(parents=True, exist_ok=True)
    log = log_path(settings)
    if log.exists() and log.stat().st_size > 5_000_000:
        log.replace(log.with_suffix(".log.1"))
    cmd = [sys.executable, "-m", "cinepipe.ops.server_process", "--home", str(settings.home_dir),
           "--state", str(state_path(settings)), "--clients-lock", str(_lock_path(settings, "clients")),
           "--instance-lock", str(_lock_path(settings, "server.instance")),
           "--port", str(port or 0), "--idle-s", str(settings.server_idle_s)]
    with open(log, "ab") as out:
        out.write(f"--- {time.strftime('%Y-%m-%d %H:%M:%S')} starting: {' '.join(cmd)}\n".encode())
        out.flush()
        proc = subprocess.Popen(cmd, env=server_env(settings), stdin=subprocess.DEVNULL, stdout=out,
                                stderr=subprocess.STDOUT, cwd=settings.home_dir, start_new_session=True)
    deadline = time.monotonic() + settings.server_start_timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            tail = log.read_text(errors="replace").strip().splitlines()[-1:]
            raise ServerError("prefect server", f"exited with status {proc.returncode} while starting"
                              + (f" ({tail[0][:200]})" if tail else ""),
                              f"See {log}" + (f"; is port {port} in use?" if port else "."))
        state = read_state(settings)
        if state is not None and state.get("pid") == proc.pid and stale_reason(settings, state) is None:
            return state
        time.sleep(0.1)
    _terminate(settings, proc.pid)
    raise ServerError("prefect server", f"did not answer within {settings.server_start_timeout_s:.0f}s",
                      f"See {log}; on a busy machine raise CINEPIPE_SERVER_START_TIMEOUT_S.")


def _terminate(settings: Settings, pid: int, grace_s: float = 15.0) -> None:
    """SIGTERM the home's server process ``pid``, SIGKILL it after ``grace_s``; wait until it is gone."""
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + grace_s
    while instance_pid(settings) == pid and time.monotonic() < deadline:
        time.sleep(0.1)
    if instance_pid(settings) == pid:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            return
        while instance_pid(settings) == pid:
            time.sleep(0.05)


def stop_server(settings: Settings) -> dict | None:
    """Stop the home's server; returns the state it had, or None when none was running."""
    lock = _flock(_lock_path(settings, "server"), fcntl.LOCK_EX, settings.server_start_timeout_s + 60,
                  "waited for another command to start the server")
    try:
        state = read_state(settings)
        pid = instance_pid(settings)
        if pid is not None:
            _terminate(settings, pid)
        state_path(settings).unlink(missing_ok=True)
        if pid is None:
            return None
        return state or {"pid": pid}
    finally:
        os.close(lock)


def server_status(settings: Settings) -> dict:
    """What runs for this home: ``running`` and, when it does, the state plus its idle time."""
    state = read_state(settings)
    pid = instance_pid(settings)
    if pid is None:
        return {"running": False, "home": str(settings.home_dir), "log": str(log_path(settings))}
    if state is None:
        return {"running": True, "pid": pid, "starting": True, "home": str(settings.home_dir),
                "log": str(log_path(settings))}
    identity = _get_json(f"http://127.0.0.1:{state['port']}{IDENTITY_PATH}", 2.0)
    reason = stale_reason(settings, state, timeout_s=2.0)
    idle_for = identity.get("idle_for_s") if isinstance(identity, dict) else None
    return {"running": True, **state, "healthy": reason is None, "stale_reason": reason,
            "idle_for_s": idle_for, "log": str(log_path(settings))}


def use_home_server(settings: Settings) -> str:
    """Point Prefect at the home's server before Prefect is imported; returns the API URL.

    A ``PREFECT_API_URL`` the user set wins (their own server, which we neither start nor stop).
    """
    url = os.environ.get("PREFECT_API_URL")
    if not url:
        url = ensure_server(settings)["api_url"]
        os.environ["PREFECT_API_URL"] = url
    # never Prefect's throwaway server: it would outlive a killed command
    os.environ["PREFECT_SERVER_ALLOW_EPHEMERAL_MODE"] = "false"
    return url


def running_api_url(settings: Settings) -> str | None:
    """The API URL of a server this command may talk to without starting one, or None."""
    url = os.environ.get("PREFECT_API_URL")
    if url:
        return url
    state = find_server(settings)
    return None if state is None else state["api_url"]


def server_processes() -> dict[int, str]:
    """Every cinepipe server process on this machine, pid -> home (Linux ``/proc``; for checks and tests)."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = [a.decode(errors="replace") for a in (entry / "cmdline").read_bytes().split(b"\0")]
        except OSError:
            continue
        if "cinepipe.ops.server_process" in argv and "--home" in argv[:-1]:
            found[int(entry.name)] = argv[argv.index("--home") + 1]
    return found
