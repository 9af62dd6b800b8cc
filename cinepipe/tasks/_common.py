"""Shared task decorations: the cache policy and the retry policy for network steps."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from prefect.cache_policies import INPUTS, TASK_SOURCE
from prefect.tasks import exponential_backoff

from cinepipe.errors import TransientHTTPError

# A step reruns when its inputs or its code change. Inputs are paths whose names carry the content
# hash of what they hold (see ``content_dir``), so "same input path" means "same content".
CACHED = INPUTS + TASK_SOURCE

NETWORK_RETRIES = 3
NETWORK_RETRY_DELAYS = exponential_backoff(backoff_factor=2)
NETWORK_JITTER = 0.5


def retry_transient(task: Any, task_run: Any, state: Any) -> bool:
    """Retry only errors worth retrying: dropped connections, timeouts, 5xx and 429."""
    import requests

    try:
        state.result()
    except (TransientHTTPError, requests.ConnectionError, requests.Timeout):
        return True
    except Exception:
        return False
    return False


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
