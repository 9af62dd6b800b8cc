"""Rich progress bars for downloads and long steps, shown only on an interactive terminal.

Bars and the step lines of ``cinepipe.reporting.terminal`` share one stderr console, so a bar never tears a
line, and stdout carries only the summary (or the ``--json`` document).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

steps_console = Console(stderr=True)


@contextmanager
def download_bar(description: str) -> Iterator[Callable[[int, int | None], None] | None]:
    """A callback ``(bytes_done, bytes_total)`` that draws a bar; None when not on a terminal.

    The bar appears on the first call that knows the total size: a local folder or a server that
    sends no length shows none (no "0/? bytes" bar).
    """
    if not steps_console.is_terminal:
        yield None
        return
    progress = Progress(
        "[progress.description]{task.description}", BarColumn(), DownloadColumn(),
        TransferSpeedColumn(), TimeRemainingColumn(), console=steps_console, transient=True,
    )
    task_id = None

    def update(done: int, total: int | None) -> None:
        nonlocal task_id
        if task_id is None:
            if not total:
                return
            progress.start()
            task_id = progress.add_task(description, total=total)
        progress.update(task_id, completed=done, total=total)

    try:
        yield update
    finally:
        if task_id is not None:
            progress.stop()


@contextmanager
def count_bar(description: str, total: int) -> Iterator[Callable[[int], None]]:
    """A callback ``(steps_done)`` for a long step of known length (epochs, pages); a no-op off a
    terminal or when the step is too short to need one."""
    if not steps_console.is_terminal or total < 2:
        yield lambda done: None
        return
    progress = Progress("[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
                        TimeRemainingColumn(), console=steps_console, transient=True)
    with progress:
        task_id = progress.add_task(description, total=total)
        yield lambda done: progress.update(task_id, completed=done)
