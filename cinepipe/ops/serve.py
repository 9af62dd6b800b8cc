"""Everything a user needs on one machine: Prefect server, deployments from prefect.yaml, a worker."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import requests

from cinepipe.errors import CinepipeError
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


def start_server(settings: Settings, port: int, log_path: Path | None = None, timeout_s: float = 120) -> subprocess.Popen:
    """Start ``prefect server start`` on 127.0.0.1:port and wait until it answers."""
    env = server_env(settings, port)
    log = open(log_path or settings.home_dir / "prefect-server.log", "ab")
    proc = subprocess.Popen(_prefect("server", "start", "--host", "127.0.0.1", "--port", str(port)),
                            env=env, stdout=log, stderr=subprocess.STDOUT, cwd=project_dir())
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise CinepipeError("prefect server", f"exited with status {proc.returncode}",
                                f"See {log.name}; is port {port} in use?")
        try:
            if requests.get(f"http://127.0.0.1:{port}/api/health", timeout=2).ok:
                return proc
        except requests.RequestException:
            pass
        time.sleep(0.5)
    proc.terminate()
    raise CinepipeError("prefect server", f"did not answer on port {port} within {timeout_s:.0f}s", f"See {log.name}.")


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


def start_worker(settings: Settings, port: int, log_path: Path | None = None) -> subprocess.Popen:
    env = server_env(settings, port)
    log = open(log_path or settings.home_dir / "prefect-worker.log", "ab")
    return subprocess.Popen(_prefect("worker", "start", "--pool", LOCAL_POOL, "--type", "process"),
                            env=env, stdout=log, stderr=subprocess.STDOUT, cwd=project_dir())


def serve_all(settings: Settings, port: int = 4200) -> None:
    """Server, deployments and a worker, in the foreground until Ctrl-C."""
    print(f"starting the Prefect server on http://127.0.0.1:{port} ...", flush=True)
    server = start_server(settings, port)
    worker = None
    try:
        deploy(settings, port)
        worker = start_worker(settings, port)
        print(f"Prefect UI: http://127.0.0.1:{port}  (deployments: {', '.join(LOCAL_DEPLOYMENTS)})")
        print(f"nightly schedule: {settings.nightly_cron} {settings.nightly_timezone}; Ctrl-C stops everything")
        worker.wait()
    except KeyboardInterrupt:
        pass
    finally:
        for proc in (worker, server):
            if proc is not None and proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    proc.kill()
