"""Content keys: stable hashes that name what a step produced."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any


def content_key(*parts: Any) -> str:
    """A short stable hash of JSON-able parts (checksums, settings that shape the output)."""
    blob = json.dumps(parts, sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()[:16]


def content_dir(root: Path, *parts: Any) -> Path:
    """A directory under ``root`` named by the content key of ``parts``."""
    path = root / content_key(*parts)
    path.mkdir(parents=True, exist_ok=True)
    return path


def fingerprint_path(path: Path) -> str:
    """sha256 over a file, or over every file under a directory (names and contents)."""
    digest = hashlib.sha256()
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
    for f in files:
        digest.update(str(f.relative_to(path) if f != path else f.name).encode())
        with f.open("rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                digest.update(chunk)
    return digest.hexdigest()
