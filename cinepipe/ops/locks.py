"""One run at a time for anything that writes the warehouse."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout

from cinepipe.errors import CinepipeError
from cinepipe.settings import Settings


class RunInProgress(CinepipeError):
    """Another run of the same flow holds its lock."""


@contextmanager
def run_lock(settings: Settings, name: str, wait_s: float = 0.0) -> Iterator[None]:
    """Hold ``CINEPIPE_HOME/<name>.lock``; refuse at once (or after ``wait_s``) when it is held."""
    path = settings.home_dir / f"{name}.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(path))
    holder = settings.home_dir / f"{name}.pid"
    try:
        try:
            lock.acquire(timeout=0)
        except Timeout:
            if wait_s <= 0:
                raise
            _say(f"another {name} run holds {settings.home_dir} (pid {_read(holder)}): "
                 f"waiting up to {wait_s:.0f}s for it to finish")
            lock.acquire(timeout=wait_s)
    except Timeout as exc:
        who = _read(holder)
        raise RunInProgress(
            f"{name} run", f"another {name} run is in progress (pid {who}) on {settings.home_dir}",
            "Wait for it to finish (see `cinepipe status`) and run again; nothing was changed.",
        ) from exc
    try:
        (settings.home_dir / f"{name}.pid").write_text(str(os.getpid()))
        yield
    finally:
        lock.release()


def _read(holder: Path) -> str:
    try:
        return holder.read_text().strip() or "unknown"
    except OSError:
        return "unknown"


def _say(message: str) -> None:
    """A warning in the run's log (and so on the terminal and in the UI), or the module's log."""
    try:
        from prefect import get_run_logger

        get_run_logger().warning(message)
    except Exception:  # noqa: BLE001 - no run context: a plain call
        logging.getLogger(__name__).warning(message)
