"""Rich progress bars for downloads and long steps, shown only on an interactive terminal."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TimeRemainingColumn,
    TransferSpeedColumn,
)


@contextmanager
def download_bar(description: str) -> Iterator[Callable[[int, int | None], None] | None]:
    """A callback ``(bytes_done, bytes_total)`` that draws a bar; None when not on a terminal."""
    if not sys.stderr.isatty():
        yield None
        return
    with Progress(
        "[progress.description]{task.description}", BarColumn(), DownloadColumn(),
        TransferSpeedColumn(), TimeRemainingColumn(), transient=True,
    ) as progress:
        task_id = progress.add_task(description, total=None)

        def update(done: int, total: int | None) -> None:
            progress.update(task_id, completed=done, total=total)

        yield update
