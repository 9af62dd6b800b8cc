"""One run at a time for anything that writes the warehouse."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

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
    try:
        lock.acquire(timeout=wait_s)
    except Timeout as exc:
        holder = (settings.home_dir / f"{name}.pid")
        who = holder.read_text().strip() if holder.exists() else "another process"
        raise RunInProgress(
            f"{name} run", f"another {name} run is in progress (pid {who}) on {settings.home_dir}",
            "Wait for it to finish (see `cinepipe status`) and run again; nothing was changed.",
        ) from exc
    try:
        (settings.home_dir / f"{name}.pid").write_text(str(os.getpid()))
        yield
    finally:
        lock.release()
