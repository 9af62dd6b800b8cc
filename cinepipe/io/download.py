"""Fetch a remote file once: streamed, resumable, conditional, verified.

``fetch`` streams to ``<name>.part`` and renames atomically when the content verifies. A dropped
connection resumes with a ``Range`` request; an unchanged remote file (ETag / Last-Modified) is not
fetched again. ``file://`` URLs and local paths never touch the network.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlparse

import requests

from cinepipe.errors import DownloadError
from cinepipe.io.files import write_atomic
from cinepipe.io.http import (
    USER_AGENT,
    HttpClient,
    RetriesExhausted,
    Retry,
    RetryPolicy,
    conditional_headers,
)

__all__ = ["USER_AGENT", "Fetched", "check_zip", "fetch", "is_remote", "local_path", "md5_file", "sha256_file"]

CHUNK_BYTES = 1 << 16  # small enough that a dropped connection loses little

ProgressFn = Callable[[int, int | None], None]


@dataclass(frozen=True)
class Fetched:
    """A local file and how it got there."""

    path: Path
    sha256: str
    from_network: bool
    not_modified: bool = False


def is_remote(source: str) -> bool:
    return urlparse(str(source)).scheme in ("http", "https")


def local_path(source: str | Path) -> Path:
    """The local path behind a path or ``file://`` URL."""
    text = str(source)
    parsed = urlparse(text)
    if parsed.scheme == "file":
        return Path(unquote(parsed.path))
    return Path(text).expanduser()


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(CHUNK_BYTES), b""):
            digest.update(chunk)
    return digest.hexdigest()


def md5_file(path: Path) -> str:
    digest = hashlib.md5()  # noqa: S324 - publishers still state md5 checksums
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(CHUNK_BYTES), b""):
            digest.update(chunk)
    return digest.hexdigest()


def check_zip(path: Path, source: str) -> None:
    """Raise unless ``path`` is a complete zip whose members all pass their CRC."""
    try:
        with zipfile.ZipFile(path) as zf:
            bad = zf.testzip()
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise DownloadError(
            source, f"the archive {path.name} is truncated or corrupt ({exc})",
            f"Delete {path} and download again, or check the source.",
        ) from exc
    if bad is not None:
        raise DownloadError(
            source, f"member {bad} of {path.name} fails its CRC check",
            f"Delete {path} and download again.",
        )


def _meta_path(dest: Path) -> Path:
    return dest.with_name(dest.name + ".meta.json")


def _verify(path: Path, source: str, sha256: str | None, md5: str | None) -> str:
    actual = sha256_file(path)
    if sha256 and actual != sha256.lower():
        raise DownloadError(
            source,
            f"checksum mismatch: expected sha256 {sha256}, got {actual}; the download was not kept",
            "The download is corrupt or the release changed: run again to download it anew, "
            "or pass the new checksum if the change is expected.",
        )
    if md5 and md5_file(path) != md5.lower():
        raise DownloadError(
            source, f"checksum mismatch: expected md5 {md5}; the download was not kept",
            "The download is corrupt or the release changed: run again to download it anew.",
        )
    return actual


def fetch(
    url: str,
    dest: Path,
    *,
    sha256: str | None = None,
    md5: str | None = None,
    retries: int = 4,
    timeout_s: float = 60.0,
    backoff_base_s: float = 0.5,
    retry_after_max_s: float = 120.0,
    session: requests.Session | None = None,
    progress: ProgressFn | None = None,
) -> Fetched:
    """Download ``url`` to ``dest`` (or reuse it when the server says it is unchanged).

    Args:
        url: http(s) URL.
        dest: final path; ``dest.part`` holds a partial download and ``dest.meta.json`` the
            validators (ETag, Last-Modified) and the recorded sha256.
        sha256 / md5: published checksums to verify against, when known.
        retries, backoff_base_s, retry_after_max_s: the retry policy (see ``cinepipe.io.http``).
    Returns:
        ``Fetched`` with the verified path and its sha256.
    Raises:
        DownloadError: bad status, checksum mismatch, or retries exhausted.
    """
    dest.parent.mkdir(parents=True, exist_ok=True)
    client = HttpClient(RetryPolicy(retries=retries, backoff_base_s=backoff_base_s,
                                    retry_after_max_s=retry_after_max_s), timeout_s=timeout_s, session=session)
    meta_file = _meta_path(dest)
    meta = json.loads(meta_file.read_text()) if meta_file.exists() and dest.exists() else {}
    part = dest.with_name(dest.name + ".part")

    def headers() -> dict[str, str]:
        sent = {} if part.exists() else conditional_headers(meta.get("etag"), meta.get("last_modified"))
        offset = part.stat().st_size if part.exists() else 0
        if offset:
            sent["Range"] = f"bytes={offset}-"
            if meta.get("etag"):
                sent["If-Range"] = meta["etag"]
        return sent

    def receive(resp: requests.Response) -> dict | None:
        """Stream the body into ``part``; None when the server says ``dest`` is unchanged."""
        if resp.status_code == 304 and dest.exists():
            return None
        if resp.status_code == 416:  # our partial file is stale: start over
            part.unlink(missing_ok=True)
            raise Retry(url, "HTTP 416 for a resumed range")
        if resp.status_code not in (200, 206):
            raise DownloadError(
                url, f"HTTP {resp.status_code} {resp.reason}",
                "Check the URL; the file may have moved or need credentials.",
            )
        offset = part.stat().st_size if part.exists() else 0
        mode = "ab" if resp.status_code == 206 and offset else "wb"
        written = offset if mode == "ab" else 0
        length = resp.headers.get("Content-Length")
        total = written + int(length) if length is not None else None
        with part.open(mode) as fh:
            for chunk in resp.iter_content(CHUNK_BYTES):
                fh.write(chunk)
                written += len(chunk)
                if progress:
                    progress(written, total)
        if total is not None and written < total:
            raise Retry(url, f"connection dropped after {written} of {total} bytes")
        return {"url": url, "etag": resp.headers.get("ETag"), "last_modified": resp.headers.get("Last-Modified")}

    def action() -> str:
        if part.exists():
            return (f"Check the network or try again later; the {part.stat().st_size} bytes received are kept "
                    f"in {part} and the next run resumes from there.")
        return "Check the network or try again later."

    try:
        new_meta = client.get(url, receive, headers=headers)
    except RetriesExhausted as exc:
        raise DownloadError(
            url, f"download failed after {exc.attempts} attempts over {exc.elapsed_s:.1f} s (last: {exc.last})",
            action(),
        ) from exc
    if new_meta is None:
        return Fetched(dest, meta.get("sha256") or sha256_file(dest), True, True)
    try:
        digest = _verify(part, url, sha256, md5)
    except DownloadError:
        part.unlink(missing_ok=True)
        raise
    part.replace(dest)  # the rename that makes the verified download visible
    write_atomic(meta_file, json.dumps({**new_meta, "sha256": digest}, indent=2))
    return Fetched(dest, digest, True)
