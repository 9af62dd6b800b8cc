"""Resolve a MovieLens source (URL, file:// URL, directory or .zip) to a local release directory."""

from __future__ import annotations

import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TypedDict
from urllib.parse import urlparse

import requests

from cinepipe.errors import DownloadError, LayoutError
from cinepipe.io.archives import ArchiveLimits, check_plain_file, extract_zip
from cinepipe.io.download import fetch, is_remote, local_path, sha256_file
from cinepipe.io.hashing import content_key, fingerprint_path
from cinepipe.io.http import HttpClient, RetriesExhausted, RetryPolicy
from cinepipe.movielens.releases import (
    CSV_LAYOUT,
    KNOWN_RELEASES,
    ML100K_LAYOUT,
    PINNED_MD5,
    Layout,
)
from cinepipe.reporting.progress import download_bar
from cinepipe.settings import Settings

CSV_HEADERS = {
    "ratings.csv": "userId,movieId,rating,timestamp",
    "movies.csv": "movieId,title,genres",
}


@dataclass(frozen=True)
class Release:
    """A release on local disk, ready to parse."""

    root: Path
    dataset: str
    layout: Layout
    content_key: str  # changes whenever any file of the release changes


def _published_md5(url: str, settings: Settings) -> str | None:
    """GroupLens publishes ``<zip>.md5`` beside each zip; None when there is none."""
    client = HttpClient(RetryPolicy(retries=settings.http_retries), timeout_s=settings.http_timeout_s)
    try:
        status, text = client.get(url + ".md5", lambda resp: (resp.status_code, resp.text))
    except (RetriesExhausted, requests.RequestException):
        return None
    if status != 200:
        return None
    token = text.strip().split()[0] if text.strip() else ""
    return token.lower() if len(token) == 32 else None


def download_release(url: str, settings: Settings, progress: Callable | None = None) -> Path:
    """Fetch a release zip, verified against its published (or pinned) md5 where known."""
    name = PurePosixPath(urlparse(url).path).name or "release.zip"
    stem = name.removesuffix(".zip")
    md5 = _published_md5(url, settings) or PINNED_MD5.get(stem)
    fetched = fetch(
        url,
        settings.downloads_dir / "movielens" / name,
        md5=md5,
        retries=settings.http_retries,
        timeout_s=settings.http_timeout_s,
        progress=progress,
    )
    return fetched.path  # a zip's members are CRC-checked as they are extracted (``_extract``)


# the files a release is read from; nothing else of an archive is extracted
RELEASE_FILES = ("u.data", "u.item", "u1.base", "u1.test", "ratings.csv", "movies.csv", "links.csv", "tags.csv")


def _extract(zip_path: Path, dest_root: Path, limits: ArchiveLimits, source: str) -> Path:
    """The release files of a zip, extracted within the archive limits (once per zip content and
    limits: tightened limits check the zip again) and CRC-checked as they are read: a bomb is
    refused from its headers, before any expansion."""
    dest = dest_root / content_key(sha256_file(zip_path), limits)
    if not dest.is_dir():  # made complete by one rename: a refused or killed extraction leaves none
        dest_root.mkdir(parents=True, exist_ok=True)
        try:
            extract_zip(zip_path, dest, lambda name: name in RELEASE_FILES, limits, source)
        except (zipfile.BadZipFile, EOFError, zlib.error) as exc:
            raise DownloadError(source, f"the archive {zip_path.name} is truncated or corrupt ({exc})",
                                f"Delete {zip_path} and download it again, or check the source.") from exc
        except OSError as exc:
            if not dest.is_dir():  # another run's extraction of the same zip won the rename: use it
                raise LayoutError(source, f"cannot extract {zip_path.name} ({exc})",
                                  f"Check the free space under {dest_root}.") from exc
    return dest


def find_root(path: Path, source: str) -> tuple[Path, Layout]:
    """The directory holding the release files, and its layout (searches two levels down)."""
    # links are not followed: a linked directory is not searched, a linked release file is refused
    candidates = [path, *sorted(p for p in path.glob("*") if p.is_dir() and not p.is_symlink()),
                  *sorted(p for p in path.glob("*/*") if p.is_dir() and not p.is_symlink() and not p.parent.is_symlink())]
    for cand in candidates:
        for name in RELEASE_FILES:
            check_plain_file(cand / name, source)
        if (cand / "u.data").is_file() and (cand / "u.item").is_file():
            return cand, ML100K_LAYOUT
        if (cand / "ratings.csv").is_file() and (cand / "movies.csv").is_file():
            for fname, header in CSV_HEADERS.items():
                with (cand / fname).open(encoding="utf-8", errors="replace") as fh:
                    first = fh.readline().strip().lstrip("\ufeff")
                if first != header:
                    raise LayoutError(
                        source,
                        f"{fname} starts with {first[:80]!r}, not the GroupLens header {header!r}",
                        "Pass an unmodified GroupLens release (ml-latest-small, ml-25m, ...).",
                    )
            return cand, CSV_LAYOUT
    files = sorted(p.name for p in path.rglob("*") if p.is_file())[:10]
    raise LayoutError(
        source,
        f"no known MovieLens layout (found {files or 'no files'})",
        "Point --source at a GroupLens release: ml-100k (u.data, u.item) or a CSV release "
        "(ratings.csv, movies.csv, links.csv, tags.csv), as a directory, .zip or URL.",
    )


def dataset_name(root: Path, layout: Layout, hint: str | None = None) -> str:
    """The release's name: from the directory or archive name, else from its layout."""
    for name in (root.name, hint or ""):
        name = name.removesuffix(".zip")
        if name in KNOWN_RELEASES or name.startswith("ml-"):
            return name
    return "ml-100k" if layout.is_100k else (root.name or "movielens")


def resolve(source: str, settings: Settings, progress: Callable | None = None,
            limits: ArchiveLimits = ArchiveLimits()) -> Release:
    """Turn ``source`` into a local release directory (downloading and extracting as needed, a zip
    within ``limits``)."""
    hint = None
    if is_remote(source):
        path = download_release(source, settings, progress)
        hint = path.name
    else:
        path = local_path(source)
        if not path.exists():
            raise LayoutError(source, "no such file or directory", "Check the path passed to --source.")
        hint = path.name
    if path.is_file():
        if not zipfile.is_zipfile(path):
            raise LayoutError(
                source, f"{path.name} is neither a directory nor a zip archive",
                "Pass a release directory, a .zip, or its URL.",
            )
        path = _extract(path, settings.staging_dir / "movielens-release-files", limits, source)
    root, layout = find_root(path, source)
    files = ["u.data", "u.item", "u1.base", "u1.test"] if layout.is_100k else [
        "ratings.csv", "movies.csv", "links.csv", "tags.csv"]
    key = content_key(
        layout.kind, {f: fingerprint_path(root / f) for f in files if (root / f).is_file()}
    )
    return Release(root=root, dataset=dataset_name(root, layout, hint), layout=layout, content_key=key)


class Fetched(TypedDict):
    """A release located on disk: the source given, its root directory, data set, layout kind and content key."""

    source: str
    root: str
    dataset: str
    layout: str
    content_key: str


def fetch_release(source: str, settings: Settings, limits: ArchiveLimits) -> Fetched:
    """Download (conditionally, with a progress bar) or locate a release, a zip extracted within ``limits``."""
    with download_bar(f"download {source}") as progress:
        release = resolve(source, settings, progress, limits)
    return Fetched(source=source, root=str(release.root), dataset=release.dataset, layout=release.layout.kind,
                   content_key=release.content_key)

