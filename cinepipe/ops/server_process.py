"""The home's Prefect server process: Prefect's API, UI and services in one process, stopped when idle.

Started by :mod:`cinepipe.ops.server` as ``python -m cinepipe.ops.server_process`` in its own
session, so a command killed by a signal does not take it down and it takes no one else down. It
holds ``--instance-lock`` for its whole life (so a starter can tell a live server from a leftover
file), writes ``--state`` once it answers, and stops itself once no command has held
``--clients-lock`` and no request has reached it for ``--idle-s`` seconds.
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import socket
import threading
import time
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

IDENTITY_PATH = "/cinepipe/server"
STATE_FORMAT = 1


class Activity:
    """When the server was last used: a request, or a command holding the clients lock."""

    def __init__(self) -> None:
        self.last = time.monotonic()

    def touch(self) -> None:
        self.last = time.monotonic()

    def idle_for_s(self) -> float:
        return time.monotonic() - self.last


def with_identity(app: Any, identity: dict, activity: Activity) -> Any:
    """``app`` behind an ASGI wrapper that notes every request and answers ``IDENTITY_PATH``.

    The identity (home, pid, versions) lets a command check that the port it was told about is
    this home's server and not a process that took the port since.
    """

    async def wrapped(scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] in ("http", "websocket"):
            activity.touch()
            if scope["type"] == "http" and scope["path"] == IDENTITY_PATH:
                body = json.dumps({**identity, "idle_for_s": round(activity.idle_for_s(), 1)}).encode()
                await send({"type": "http.response.start", "status": 200,
                            "headers": [(b"content-type", b"application/json")]})
                await send({"type": "http.response.body", "body": body})
                return
        await app(scope, receive, send)

    return wrapped


def write_json_atomically(path: Path, data: dict) -> None:
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, indent=2))
    tmp.replace(path)


def _clients_present(fd: int) -> bool:
    """Whether any command holds the clients lock (shared); if none does, we now hold it exclusively."""
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    return False


def watch(server: Any, state_path: Path, state: dict, clients_lock: Path, activity: Activity, idle_s: float) -> None:
    """Write the state file once the server answers; then stop it after ``idle_s`` unused seconds.

    Stopping keeps the clients lock held exclusively until the process ends, so a command arriving
    meanwhile waits, then finds no state file and starts a fresh server instead of using this one.
    """
    while not server.started:
        if server.should_exit:
            return
        time.sleep(0.05)
    write_json_atomically(state_path, state)
    fd = os.open(clients_lock, os.O_RDWR | os.O_CREAT, 0o600)
    poll_s = min(5.0, max(0.2, idle_s / 5))
    while not server.should_exit:
        time.sleep(poll_s)
        if _clients_present(fd):
            activity.touch()
            continue
        if activity.idle_for_s() >= idle_s:
            forget_state(state_path, os.getpid())
            server.should_exit = True
            return
        fcntl.flock(fd, fcntl.LOCK_UN)


def forget_state(state_path: Path, pid: int) -> None:
    """Remove the state file if it still names ``pid`` (a replacement may have written its own)."""
    try:
        if json.loads(state_path.read_text()).get("pid") == pid:
            state_path.unlink()
    except (OSError, ValueError):
        pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", required=True, help="CINEPIPE_HOME this server belongs to.")
    parser.add_argument("--state", required=True, type=Path)
    parser.add_argument("--clients-lock", required=True, type=Path)
    parser.add_argument("--instance-lock", required=True, type=Path)
    parser.add_argument("--port", type=int, default=0, help="0: any free port.")
    parser.add_argument("--idle-s", type=float, required=True)
    args = parser.parse_args()

    instance = os.open(args.instance_lock, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(instance, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        raise SystemExit(f"another Prefect server already runs for {args.home}") from None
    os.ftruncate(instance, 0)
    os.write(instance, str(os.getpid()).encode())

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", args.port))
    port = sock.getsockname()[1]
    api_url = f"http://127.0.0.1:{port}/api"
    # Prefect reads these when it is imported: the UI must call this port, not the default 4200
    os.environ.update({"PREFECT_SERVER_API_HOST": "127.0.0.1", "PREFECT_SERVER_API_PORT": str(port),
                       "PREFECT_UI_API_URL": api_url})
    os.environ.pop("PREFECT_API_URL", None)

    import uvicorn
    from prefect.server.api.server import create_app

    state = {
        "format": STATE_FORMAT,
        "pid": os.getpid(),
        "port": port,
        "api_url": api_url,
        "ui_url": f"http://127.0.0.1:{port}",
        "home": args.home,
        "prefect_home": os.environ.get("PREFECT_HOME", ""),
        "prefect_version": version("prefect"),
        "cinepipe_version": version("cinepipe"),
        "idle_s": args.idle_s,
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    activity = Activity()
    app = with_identity(create_app(final=True), state, activity)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", timeout_graceful_shutdown=5, lifespan="on"))
    watcher = threading.Thread(target=watch, daemon=True, name="idle-watch",
                               args=(server, args.state, state, args.clients_lock, activity, args.idle_s))
    watcher.start()
    try:
        server.run(sockets=[sock])
    finally:
        forget_state(args.state, os.getpid())


if __name__ == "__main__":
    main()
