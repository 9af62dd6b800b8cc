"""Writing files so that a reader never sees half of one.

Everything cinepipe writes for another step or another run to read (downloads, cached answers,
exports, pointers) goes through :func:`atomic_path` or :func:`write_atomic`: the content is
written beside the final name and renamed over it only once complete, so a run killed half-way
leaves either the old file or none, never a truncated one.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def atomic_path(final: Path) -> Iterator[Path]:
    """A temporary path beside ``final``; renamed to ``final`` when the block ends without error,
    removed when it raises. The name is unique, so concurrent writers never share one."""
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = final.with_name(f".{final.name}.{os.getpid()}-{uuid.uuid4().hex[:8]}.tmp")
    try:
        yield tmp
        os.replace(tmp, final)
    finally:
        tmp.unlink(missing_ok=True)


def write_atomic(path: Path, data: str | bytes, encoding: str = "utf-8") -> Path:
    """Write ``data`` to ``path`` all at once (see :func:`atomic_path`); returns ``path``."""
    with atomic_path(path) as tmp:
        if isinstance(data, bytes):
            tmp.write_bytes(data)
        else:
            tmp.write_text(data, encoding=encoding)
    return path
