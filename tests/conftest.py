"""Fixtures shared by every test: an isolated CINEPIPE_HOME and the optional ../shared/data."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("CINEPIPE_SHARED_DATA", REPO.parent / "shared" / "data"))

# Prefect's home must be chosen before prefect is imported anywhere in the test process.
_SESSION_HOME = Path(os.environ.setdefault("CINEPIPE_TEST_ROOT", "/tmp/cinepipe-test-session"))
(_SESSION_HOME / "prefect").mkdir(parents=True, exist_ok=True)
os.environ.setdefault("PREFECT_HOME", str(_SESSION_HOME / "prefect"))
os.environ.setdefault("PREFECT_LOCAL_STORAGE_PATH", str(_SESSION_HOME / "prefect-results"))
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# a home server a test starts through the CLI stops soon after on its own; the session fixture below
# stops the rest
os.environ.setdefault("CINEPIPE_SERVER_IDLE_S", "120")
KEPT_ENV = ("CINEPIPE_HOME", "CINEPIPE_TEST_ROOT", "CINEPIPE_SHARED_DATA", "CINEPIPE_SERVER_IDLE_S")


@pytest.fixture(scope="session", autouse=True)
def no_server_left(tmp_path_factory):
    """`make test` leaves no Prefect server running: stop every home server started under this session's
    temporary directories."""
    yield
    import signal
    import time

    from cinepipe.ops.server import server_processes

    roots = (tmp_path_factory.getbasetemp().resolve(), _SESSION_HOME.resolve())
    ours = [pid for pid, home in server_processes().items() if Path(home).is_relative_to(roots[0])
            or Path(home).is_relative_to(roots[1])]
    for pid in ours:
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and any(pid in server_processes() for pid in ours):
        time.sleep(0.2)
    for pid in set(ours) & set(server_processes()):
        os.kill(pid, signal.SIGKILL)


@pytest.fixture
def home(tmp_path, monkeypatch):
    """A fresh CINEPIPE_HOME for one test, with settings re-read."""
    from cinepipe.settings import get_settings, reset_settings

    path = tmp_path / "home"
    monkeypatch.setenv("CINEPIPE_HOME", str(path))
    for name in list(os.environ):
        if name.startswith("CINEPIPE_") and name not in KEPT_ENV:
            monkeypatch.delenv(name)
    reset_settings()
    settings = get_settings()
    settings.ensure_dirs()
    yield settings
    reset_settings()


@pytest.fixture
def shared_data() -> Path:
    """``../shared/data``; tests that use it skip with a reason on a fresh clone without it."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real data not available: {SHARED_DATA} is absent (it ships beside the repo in CI)")
    return SHARED_DATA


@pytest.fixture(scope="session")
def prefect_harness():
    """A real, temporary Prefect API (SQLite) for flow-run tests in this process."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


@pytest.fixture(scope="session")
def ml100k_dir(tmp_path_factory):
    """A generated release in the exact ml-100k layout (100,000 ratings, 943 users, 1,682 items)."""
    from cinepipe.movielens.synthetic import write_100k_release

    path = tmp_path_factory.mktemp("releases") / "ml-100k"
    write_100k_release(path)
    return path


@pytest.fixture
def small_csv_dir(tmp_path):
    """A small generated release in the ml-latest-small layout."""
    from cinepipe.movielens.synthetic import Shape, write_csv_release

    path = tmp_path / "ml-latest-small"
    write_csv_release(path, Shape(n_users=60, n_items=80, n_ratings=2_000), seed=3)
    return path


def _stage_release(settings, path):
    """Parse, check and dedupe a release in its staging database (no Prefect)."""
    from cinepipe.movielens import stage
    from cinepipe.movielens.source import resolve

    release = resolve(str(path), settings)
    stage_dir = stage.stage_dir_for(settings, release.content_key)
    stage.parse_release(release.root, release.layout, stage_dir, settings)
    stage.check_release(stage_dir, release.layout, settings, source="test",
                        max_bad_fraction=settings.max_bad_fraction, gx_max_rows=settings.gx_max_rows)
    stage.dedupe_and_filter(stage_dir, settings, 0, 0)
    return release, stage_dir


@pytest.fixture
def stage_release():
    """``stage_release(settings, path) -> (release, stage_dir)``."""
    return _stage_release


@pytest.fixture
def ingest_release():
    """``ingest_release(settings, path) -> load result``: the whole ingest without Prefect."""
    from cinepipe.movielens import load

    def ingest(settings, path):
        release, stage_dir = _stage_release(settings, path)
        return load.load_release(stage_dir, dataset=release.dataset, content_key=release.content_key,
                                 source="test", run_id="test-run", settings=settings)

    return ingest
