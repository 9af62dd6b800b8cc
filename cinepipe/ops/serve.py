"""Everything a user needs on one machine: the home's Prefect server, deployments from prefect.yaml, a worker.

The server is the home's one server (:mod:`cinepipe.ops.server`), the one every command uses, so runs
from the CLI, the schedule and events all land in the same database and UI. It stays up after serve
ends until it has been idle for ``server_idle_s``; the worker ends with serve, even when serve is killed.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from cinepipe.errors import CinepipeError
from cinepipe.ops import server
from cinepipe.settings import Settings

LOCAL_POOL = "cinepipe-local"
LOCAL_DEPLOYMENTS = ("nightly", "nightly-sample", "movielens", "imdb", "mnist", "naver", "incremental")


def project_dir() -> Path:
    root = Path(__file__).resolve().parents[2]
    if not (root / "prefect.yaml").is_file():
        raise CinepipeError("serve", f"prefect.yaml not found in {root}", "Run from a cinepipe checkout.")
    return root


def server_env(settings: Settings, port: int) -> dict[str, str]:
    """The environment the server, `prefect deploy` and the worker share."""
    env = dict(os.environ)
    env.update({
        "PREFECT_API_URL": f"http://127.0.0.1:{port}/api",
        "PREFECT_HOME": env.get("PREFECT_HOME", str(settings.prefect_home)),
        "PREFECT_SERVER_API_HOST": "127.0.0.1",
        "PREFECT_SERVER_API_PORT": str(port),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_UI_API_URL": f"http://127.0.0.1:{port}/api",
        "CINEPIPE_HOME": str(settings.home_dir),
        "CINEPIPE_PROJECT_DIR": str(project_dir()),
        "CINEPIPE_NIGHTLY_CRON": settings.nightly_cron,
        "CINEPIPE_NIGHTLY_TIMEZONE": settings.nightly_timezone,
        "CINEPIPE_IMAGE": env.get("CINEPIPE_IMAGE", "cinepipe:latest"),
        "CINEPIPE_LAKE_URL": settings.lake_url or "",
    })
    return env


def _prefect(*args: str) -> list[str]:
    return [str(Path(sys.executable).with_name("prefect")), *args]


def deploy(settings: Settings, port: int, names: tuple[str, ...] = LOCAL_DEPLOYMENTS) -> None:
    """Create the process work pool and deploy ``names`` from prefect.yaml."""
    env = server_env(settings, port)
    subprocess.run(_prefect("work-pool", "create", LOCAL_POOL, "--type", "process", "--overwrite"),
                   env=env, check=True, capture_output=True, cwd=project_dir())
    args = ["--no-prompt", "deploy"]
    for name in names:
        args += ["--name", name]
    done = subprocess.run(_prefect(*args), env=env, capture_output=True, text=True, cwd=project_dir())
    if done.returncode != 0:
        raise CinepipeError("prefect deploy", done.stdout[-2000:] + done.stderr[-2000:], "Check prefect.yaml.")


def _die_with_parent() -> None:
    """In the child before exec (Linux): SIGTERM it when its parent dies, even by SIGKILL."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # 1: PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def start_worker(settings: Settings, port: int, log_path: Path | None = None) -> subprocess.Popen:
    env = server_env(settings, port)
    with open(log_path or settings.home_dir / "prefect-worker.log", "ab") as log:
        return subprocess.Popen(_prefect("worker", "start", "--pool", LOCAL_POOL, "--type", "process"),
                                env=env, stdout=log, stderr=subprocess.STDOUT, cwd=project_dir(),
                                preexec_fn=_die_with_parent)


def _stop_on_sigterm() -> None:
    """SIGTERM (``kill``, systemd, ``docker stop``) ends serve as Ctrl-C does, so the worker stops
    with it instead of running on unattended."""

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)


def serve_all(settings: Settings, port: int = 4200) -> None:
    """The home's server (started on ``port`` unless it runs already), deployments and a worker,
    in the foreground until Ctrl-C or SIGTERM."""
    _stop_on_sigterm()
    running = server.find_server(settings)
    if running is None:
        print(f"starting the home's Prefect server on http://127.0.0.1:{port} ...", flush=True)
    elif running["port"] != port:
        print(f"note: the home's Prefect server already runs on port {running['port']}; serving there "
              f"(`cinepipe server stop` first to move it to {port})", flush=True)
    port = server.ensure_server(settings, port=port)["port"]
    worker = None
    try:
        deploy(settings, port)
        worker = start_worker(settings, port)
        print(f"Prefect UI: http://127.0.0.1:{port}  (deployments: {', '.join(LOCAL_DEPLOYMENTS)})")
        print(f"nightly schedule: {settings.nightly_cron} {settings.nightly_timezone}; Ctrl-C stops the worker, "
              f"the server stops after {settings.server_idle_s:.0f}s unused (or `cinepipe server stop`)")
        worker.wait()
    except KeyboardInterrupt:
        pass
    finally:
        if worker is not None and worker.poll() is None:
            worker.terminate()
            try:
                worker.wait(timeout=20)
            except subprocess.TimeoutExpired:
                worker.kill()
