"""Where the four IDX files come from, and whether they are the published releases.

A source is a directory, a ``file://`` URL or an http(s) base URL holding
``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte``, ``t10k-images-idx3-ubyte`` and
``t10k-labels-idx1-ubyte``, each gzipped (``.gz``) or plain.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import TypedDict

from cinepipe.errors import DownloadError, LayoutError
from cinepipe.io.archives import ArchiveLimits, check_plain_file
from cinepipe.io.download import fetch, is_remote, local_path, sha256_file
from cinepipe.io.hashing import content_key
from cinepipe.mnist.idx import decompress
from cinepipe.settings import Settings

# (split, kind) -> file stem; the split names are the warehouse's (train, test)
FILES = {
    ("train", "images"): "train-images-idx3-ubyte",
    ("train", "labels"): "train-labels-idx1-ubyte",
    ("test", "images"): "t10k-images-idx3-ubyte",
    ("test", "labels"): "t10k-labels-idx1-ubyte",
}
DATASETS = ("mnist", "fashion-mnist")

# md5 of the files as their publishers distribute them, gzipped (torchvision, Zalando's README).
PUBLISHED_GZ_MD5 = {
    "mnist": {
        "train-images-idx3-ubyte": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
        "train-labels-idx1-ubyte": "d53e105ee54ea40749a09fcbcd1e9432",
        "t10k-images-idx3-ubyte": "9fb629c4189551a2d022fa330f9573f3",
        "t10k-labels-idx1-ubyte": "ec29112dd5afa0611ce80d1b7f02629c",
    },
    "fashion-mnist": {
        "train-images-idx3-ubyte": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
        "train-labels-idx1-ubyte": "25c81989df183df01b3e8a0aad5dffbe",
        "t10k-images-idx3-ubyte": "bef4ecab320f06d8554ea6380940ec79",
        "t10k-labels-idx1-ubyte": "bb300cfdad3c16e7a12a480ee83cd310",
    },
}
# md5 of the same files gunzipped, so a re-compressed copy (Debian's dataset-fashion-mnist) or a
# plain one still verifies. Measured on the decompressed published files.
PUBLISHED_IDX_MD5 = {
    "fashion-mnist": {
        "train-images-idx3-ubyte": "f4a8712d7a061bf5bd6d2ca38dc4d50a",
        "train-labels-idx1-ubyte": "9018921c3c673c538a1fc5bad174d6f9",
        "t10k-images-idx3-ubyte": "8181f5470baa50b63fa0f6fddb340f0a",
        "t10k-labels-idx1-ubyte": "15d484375f8d13e6eb1aabb0c3f46965",
    },
}

VERIFIED = "verified"        # matches a published md5
MISMATCH = "mismatch"        # a published md5 exists for this file and it differs
UNKNOWN = "unknown"          # no published md5 to compare with (other data sets, plain MNIST)


@dataclass(frozen=True)
class IdxFile:
    split: str
    kind: str        # images or labels
    stem: str        # name without .gz
    location: str    # path or URL


def _md5(blob: bytes) -> str:
    return hashlib.md5(blob, usedforsecurity=False).hexdigest()  # the publishers state md5


def checksum_status(dataset: str, stem: str, blob: bytes, limits: ArchiveLimits = ArchiveLimits()) -> str:
    """Compare a file's bytes (gzipped or plain) with the published md5 of ``dataset``."""
    gz_md5 = PUBLISHED_GZ_MD5.get(dataset, {}).get(stem)
    idx_md5 = PUBLISHED_IDX_MD5.get(dataset, {}).get(stem)
    if gz_md5 and _md5(blob) == gz_md5:
        return VERIFIED
    if idx_md5:
        plain = decompress(blob, stem, limits)  # within the archive limits: a gzip bomb is refused
        return VERIFIED if _md5(plain) == idx_md5 else MISMATCH
    if gz_md5 and blob[:2] == b"\x1f\x8b":
        return MISMATCH
    return UNKNOWN


def require_published(dataset: str, stem: str, path: Path, source: str,
                      limits: ArchiveLimits = ArchiveLimits()) -> str:
    """Raise when a downloaded file contradicts the published md5 of ``dataset``."""
    status = checksum_status(dataset, stem, path.read_bytes(), limits)
    if status == MISMATCH:
        raise DownloadError(
            source,
            f"{path.name} does not match the published md5 of {dataset}",
            "The mirror serves a different or corrupt file (the download is not kept); "
            "point --source at the original release.",
        )
    return status


def find_local(directory: Path) -> dict[tuple[str, str], IdxFile]:
    """The four files in ``directory``, preferring ``.gz`` where both forms exist."""
    if not directory.is_dir():
        raise LayoutError(str(directory), "no such directory",
                          "Pass a directory or URL base holding the four IDX files.")
    found, missing = {}, []
    for (split, kind), stem in FILES.items():
        candidates = [directory / f"{stem}.gz", directory / stem]
        for candidate in candidates:  # links are not followed: a linked IDX file is refused
            check_plain_file(candidate, str(directory))
        path = next((p for p in candidates if p.is_file()), None)
        if path is None:
            missing.append(stem)
        else:
            found[(split, kind)] = IdxFile(split, kind, stem, str(path))
    if missing:
        raise LayoutError(
            str(directory), f"missing {', '.join(missing)} (gzipped or plain)",
            "The directory must hold all four MNIST-style IDX files.",
        )
    return found


def remote_candidates(base_url: str, stem: str) -> list[str]:
    """URLs to try for one file under an http(s) base, gzipped first."""
    base = base_url if base_url.endswith("/") else base_url + "/"
    return [f"{base}{stem}.gz", f"{base}{stem}"]


class Fetched(TypedDict):
    """The four files of a data set, located or downloaded, with their checksum status."""

    source: str
    dataset: str
    files: dict[str, str]      # "<split>_<kind>" -> path
    checksums: dict[str, str]  # stem -> verified, mismatch (a local file) or unknown
    key: str
    limits: list[float]        # the archive caps the files were checked within (ArchiveLimits' fields)


def download(base_url: str, stem: str, dest_dir: Path, settings: Settings) -> Path:
    """The gzipped file where the server has it, else the plain one."""
    last: DownloadError | None = None
    for url in remote_candidates(base_url, stem):
        try:
            return fetch(url, dest_dir / url.rsplit("/", 1)[-1], timeout_s=settings.http_timeout_s,
                         retries=settings.http_retries).path
        except DownloadError as exc:
            if not exc.problem.startswith("HTTP 404"):
                raise
            last = exc
    raise DownloadError(base_url, f"neither {stem}.gz nor {stem} is there ({last.problem})",
                        "Check the URL base: it must hold the four MNIST-style IDX files.")


def fetch_files(source: str, dataset: str, limits: ArchiveLimits, settings: Settings) -> Fetched:
    """Download (cached under downloads/) or locate the four files and compare them with the
    published md5 (a gzipped file expanded within ``limits``); a download that contradicts it is
    deleted and rejected."""
    paths: dict[str, str] = {}
    checksums: dict[str, str] = {}
    if is_remote(source):
        dest_dir = settings.downloads_dir / "mnist" / dataset / content_key(source)
        for (split, kind), stem in FILES.items():
            path = download(source, stem, dest_dir, settings)
            try:
                checksums[stem] = require_published(dataset, stem, path, source, limits)
            except DownloadError:
                path.unlink(missing_ok=True)
                raise
            paths[f"{split}_{kind}"] = str(path)
    else:
        for (split, kind), found in find_local(local_path(source).resolve()).items():
            path = Path(found.location)
            checksums[found.stem] = checksum_status(dataset, found.stem, path.read_bytes(), limits)
            paths[f"{split}_{kind}"] = str(path)
    key = content_key(dataset, *(sha256_file(Path(paths[k])) for k in sorted(paths)))
    return Fetched(source=source, dataset=dataset, files=paths, checksums=checksums, key=key,
                   limits=[limits.max_member_bytes, limits.max_total_bytes, limits.max_ratio])
