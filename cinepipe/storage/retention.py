"""Disk retention for what every new rating state writes again: snapshots and trained models.

A nightly run on changed ratings writes a new snapshot (~250 MB at 25M ratings) and a new model
(ALS at 25M ~55 MB; EASE at ml-latest-small ~360 MB), and each incremental update a refreshed
model, so without pruning the home grows by that much a night.
"""

from __future__ import annotations

import logging
import shutil
import time
from collections.abc import Collection
from pathlib import Path

# something used this recently may be open in a running flow (a 25M-row run takes ~12 min)
MIN_AGE_S = 3600.0

log = logging.getLogger(__name__)


def prune_dirs(root: Path, keep: int, protect: Collection[Path] = (), min_age_s: float = MIN_AGE_S) -> list[Path]:
    """Remove ``root``'s subdirectories beyond the newest ``keep`` (by modification time), except
    those in ``protect`` and any modified within ``min_age_s``.

    Returns:
        The directories removed.
    """
    if not root.is_dir():
        return []
    keep_paths = {Path(p).resolve() for p in protect}
    used: dict[Path, float] = {}
    for d in root.iterdir():
        try:
            if d.is_dir():
                used[d] = d.stat().st_mtime
        except FileNotFoundError:  # removed meanwhile by another run's pruning
            continue
    newest_first = sorted(used, key=used.__getitem__, reverse=True)
    cutoff = time.time() - min_age_s
    removed = [d for d in newest_first[keep:] if d.resolve() not in keep_paths and used[d] < cutoff]
    for d in removed:
        shutil.rmtree(d, ignore_errors=True)
    if removed:
        log.info("%s: removed %d old entr%s beyond the newest %d", root, len(removed),
                 "y" if len(removed) == 1 else "ies", keep)
    return removed
