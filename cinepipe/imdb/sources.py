"""Readers for the Large Movie Review Dataset in its published forms.

- aclImdb: ``aclImdb/{train,test}/{pos,neg}/<id>_<rating>.txt``, in one tarball (the official
  ``aclImdb_v1.tar.gz``), several tarballs in a directory (one per split), or loose files.
  Tarballs are read member by member with ``tarfile``; nothing is extracted to disk.
- Keras: ``imdb.npz`` (``x_train``, ``y_train``, ``x_test``, ``y_test``) with
  ``imdb_word_index.json`` (word -> frequency rank, 1 = most frequent).

Every reader returns one row per review (``columns.REVIEW_COLUMNS``) and the members it could not
use as ``raw, reason`` rows for the quarantine.
"""

from __future__ import annotations

import json
import pickle
import re
import tarfile
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import TypedDict

import numpy as np
import pandas as pd

from cinepipe.errors import LayoutError
from cinepipe.imdb.columns import (
    ACL_IMDB,
    KERAS_IMDB,
    LABEL,
    MEMBER,
    RATING,
    REVIEW_COLUMNS,
    REVIEW_ID,
    SOURCE,
    SPLIT,
    SPLITS,
    TEXT,
)
from cinepipe.io.archives import (
    ArchiveLimits,
    Budget,
    plain_files,
    read_capped,
    tar_members,
)

# Keras' encoding of a review: 0 pads, 1 starts a review, 2 is out-of-vocabulary, 3 is unused,
# and word of frequency rank r (1-based) is r + INDEX_FROM.
PAD, START, OOV, UNUSED = 0, 1, 2, 3
INDEX_FROM = 3

TAR_SUFFIXES = (".tar.gz", ".tgz", ".tar", ".tar.bz2", ".tar.xz")
_REVIEW_DIR = re.compile(r"(?:^|/)(train|test)/(pos|neg)/([^/]+)$")
_REVIEW_FILE = re.compile(r"^(\d+)_(\d+)\.txt$")
_EXPECTED = "aclImdb/{train,test}/{pos,neg}/<id>_<rating>.txt"


@dataclass(frozen=True)
class ReadResult:
    """Reviews as read (one row per file or array entry) and the members that could not be used."""

    reviews: pd.DataFrame
    bad: pd.DataFrame  # raw, reason
    dataset: str  # aclImdb or keras-imdb


def detect_layout(path: Path) -> str:
    """``acl-tar``, ``acl-dir`` or ``keras``, from what the path holds."""
    if path.is_file():
        if path.suffix == ".npz":
            return "keras"
        if path.name.endswith(TAR_SUFFIXES) or tarfile.is_tarfile(path):
            return "acl-tar"
    elif path.is_dir():
        if (path / "imdb.npz").is_file():
            return "keras"
        return "acl-dir"
    raise LayoutError(
        str(path), f"not an IMDB review source (expected {_EXPECTED} in a directory or tarball, "
        "or imdb.npz with imdb_word_index.json)", "Check the path.",
    )


@dataclass(frozen=True)
class ReadLimits:
    """Caps on what a source may make cinepipe read (``Settings.archive_*``, ``imdb_max_review_bytes``)."""

    archive: ArchiveLimits = ArchiveLimits()
    max_review_bytes: int = 1 << 20  # the longest aclImdb review is 13.7 KB


def read_reviews(path: Path, limits: ReadLimits = ReadLimits()) -> ReadResult:
    """Read any supported form; raises ``LayoutError`` when no review of a split is found, and
    ``ArchiveRefused`` for an archive beyond the limits or holding links (nothing is read then)."""
    layout = detect_layout(path)
    if layout == "keras":
        npz = path if path.is_file() else path / "imdb.npz"
        return read_keras(npz, npz.with_name("imdb_word_index.json"), limits.archive)
    if layout == "acl-tar":
        rows, bad = _read_tar(path, limits)
    else:
        rows, bad = _read_dir(path, limits)
    return ReadResult(_finish(rows, str(path)), _bad_frame(bad), ACL_IMDB)


class Read(TypedDict):
    """Where the reviews as read are staged (``reviews.parquet``, ``unreadable.parquet``), under which key."""

    dir: str
    key: str
    dataset: str
    counts: dict[str, int]  # reviews, unreadable


def stage_reviews(path: Path, limits: ReadLimits, out: Path, key: str) -> Read:
    """Every review of the source as read, and the members that could not be used, as Parquet in ``out``."""
    result = read_reviews(path, limits)
    result.reviews.to_parquet(out / "reviews.parquet", index=False)
    result.bad.to_parquet(out / "unreadable.parquet", index=False)
    return Read(dir=str(out), key=key, dataset=result.dataset,
                counts={"reviews": len(result.reviews), "unreadable": len(result.bad)})


def parse_member(name: str) -> tuple[str, int, str, int] | str | None:
    """(split, label, review id, rating) for a review member; a reason when the name is wrong;
    None for files that are not reviews (README, urls_*.txt, train/unsup/...)."""
    match = _REVIEW_DIR.search(name)
    if not match:
        return None
    split, polarity, file_name = match.groups()
    parts = _REVIEW_FILE.match(file_name)
    if not parts:
        return f"file name does not match <id>_<rating>.txt in {split}/{polarity}"
    review_no, rating = parts.groups()
    return split, int(polarity == "pos"), f"{polarity}_{int(review_no)}", int(rating)


def _decode(name: str, data: bytes) -> tuple[str | None, str | None]:
    try:
        return data.decode("utf-8"), None
    except UnicodeDecodeError:
        return None, f"{name} is not UTF-8 text"


def _take(name: str, data: bytes | None, rows: list, bad: list) -> None:
    parsed = parse_member(name)
    if parsed is None:
        return
    if isinstance(parsed, str):
        bad.append((name, parsed))
        return
    if data is None:
        bad.append((name, "member is not a regular file"))
        return
    text, problem = _decode(name, data)
    if problem:
        bad.append((name, problem))
        return
    split, label, review_id, rating = parsed
    rows.append((review_id, split, label, rating, text, ACL_IMDB, name))


def _read_capped(name: str, handle, limits: ReadLimits, bad: list) -> bytes | None:
    """A review's bytes, or None (and a quarantine row) when it is longer than the cap: only the
    cap is ever held in memory."""
    data, longer = read_capped(handle, limits.max_review_bytes)
    if longer:
        bad.append((name, f"review is longer than {limits.max_review_bytes} bytes "
                          "(CINEPIPE_IMDB_MAX_REVIEW_BYTES); not read"))
        return None
    return data


def _read_tar(path: Path, limits: ReadLimits, rows: list | None = None, bad: list | None = None) -> tuple[list, list]:
    rows = [] if rows is None else rows
    bad = [] if bad is None else bad
    try:
        with tarfile.open(path, "r:*") as archive:
            for member in tar_members(archive, Budget(limits.archive, path.stat().st_size, str(path))):
                if member.isdir() or parse_member(member.name) is None:
                    continue  # not a review: never read
                handle = archive.extractfile(member)
                data = _read_capped(member.name, handle, limits, bad) if handle else None
                if handle and data is None:
                    continue
                _take(member.name, data, rows, bad)
    except (tarfile.TarError, EOFError, zlib.error, OSError) as exc:
        raise LayoutError(
            str(path), f"the archive is truncated or corrupt ({exc})",
            f"Download it again (delete {path} first if it is the cached copy), or check the file.",
        ) from exc
    return rows, bad


def _read_dir(root: Path, limits: ReadLimits) -> tuple[list, list]:
    rows: list = []
    bad: list = []
    # walked without following links: a linked review or tarball is refused, other links ignored
    files = plain_files(root, str(root), lambda rel: rel.endswith(TAR_SUFFIXES) or parse_member(rel) is not None)
    for archive in (p for p in files if p.parent == root and p.name.endswith(TAR_SUFFIXES)):
        _read_tar(archive, limits, rows, bad)
    for file in files:
        if not file.name.endswith(TAR_SUFFIXES):
            name = file.relative_to(root).as_posix()
            if parse_member(name) is not None:
                try:
                    with file.open("rb") as handle:
                        data = _read_capped(name, handle, limits, bad)
                except OSError as exc:
                    bad.append((name, f"unreadable ({exc.strerror})"))
                    continue
                if data is not None:
                    _take(name, data, rows, bad)
    return rows, bad


def _finish(rows: list, where: str) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=REVIEW_COLUMNS)
    found = set(frame[SPLIT]) if len(frame) else set()
    missing = [s for s in SPLITS if s not in found]
    if missing:
        raise LayoutError(
            where, f"no {'/'.join(missing)} reviews found (expected {_EXPECTED})",
            "Point --source at the aclImdb_v1.tar.gz archive, a directory holding aclImdb/ or "
            "per-split tarballs, or imdb.npz with imdb_word_index.json.",
        )
    return frame.astype(
        {REVIEW_ID: "string", SPLIT: "string", LABEL: "int64", RATING: "Int64", TEXT: "string",
         SOURCE: "string", MEMBER: "string"}
    )


def _bad_frame(bad: list) -> pd.DataFrame:
    return pd.DataFrame(bad, columns=["raw", "reason"]).astype("string")


def keras_offset_form(sequences: list[np.ndarray]) -> bool:
    """True when sequences already carry Keras' offsets (start token 1, index 3 never used).

    The published ``imdb.npz`` holds plain ranks, where 3 ("a") is everywhere; a file saved after
    ``keras.datasets.imdb.load_data`` starts every review with 1 and never uses 3.
    """
    nonempty = [s for s in sequences if len(s)]
    return bool(nonempty) and all(s[0] == START for s in nonempty) and not any(
        np.any(s == UNUSED) for s in nonempty
    )


def decode_sequence(seq: np.ndarray, words_by_rank: dict[int, str], offset_form: bool) -> str:
    """The review's words joined by spaces; markers (start, pad, out-of-vocabulary) are dropped."""
    if offset_form:
        ranks = [int(i) - INDEX_FROM for i in seq if i > UNUSED]
    else:
        ranks = [int(i) for i in seq]
    return " ".join(words_by_rank[r] for r in ranks if r in words_by_rank)


class _ArraysOnly(pickle.Unpickler):
    """Unpickles numpy arrays (Keras stores each review as a list in an object array) and nothing
    else: a pickle naming any other callable is refused instead of run."""

    ALLOWED = frozenset(
        (module, name) for module in ("numpy.core.multiarray", "numpy._core.multiarray")
        for name in ("_reconstruct", "scalar")
    ) | {("numpy", "ndarray"), ("numpy", "dtype")}

    def find_class(self, module: str, name: str) -> object:
        if (module, name) not in self.ALLOWED:
            raise pickle.UnpicklingError(f"the file asks to run {module}.{name}, which is not part of an array")
        return super().find_class(module, name)


def _read_npz(npz_path: Path, names: tuple[str, ...], limits: ArchiveLimits) -> dict[str, np.ndarray]:
    """The named arrays of an ``.npz`` (a zip), each checked against the archive limits before it
    is expanded; object arrays are unpickled by :class:`_ArraysOnly`."""
    budget = Budget(limits, npz_path.stat().st_size, str(npz_path))
    headers = {(1, 0): np.lib.format.read_array_header_1_0, (2, 0): np.lib.format.read_array_header_2_0}
    out = {}
    with zipfile.ZipFile(npz_path) as zf:
        for name in names:
            info = zf.getinfo(f"{name}.npy")
            budget.admit(info.filename, info.file_size, info.compress_size)
            with zf.open(info) as fh:
                version = np.lib.format.read_magic(fh)
                if version not in headers:
                    raise ValueError(f"{info.filename} is in .npy format {version}, not 1.0 or 2.0")
                _, _, dtype = headers[version](fh)
                if dtype.hasobject:
                    out[name] = _ArraysOnly(fh).load()
                    continue
            with zf.open(info) as fh:
                out[name] = np.lib.format.read_array(fh, allow_pickle=False)
    return out


def read_keras(npz_path: Path, word_index_path: Path, limits: ArchiveLimits = ArchiveLimits()) -> ReadResult:
    """Reviews from Keras' ``imdb.npz``, turned back into text with the word index."""
    where = str(npz_path)
    if not word_index_path.is_file():
        raise LayoutError(where, f"{word_index_path.name} is missing beside it",
                          "Put imdb_word_index.json next to imdb.npz.")
    try:
        word_index = json.loads(word_index_path.read_text())
        data = _read_npz(npz_path, ("x_train", "y_train", "x_test", "y_test"), limits)
    except (OSError, ValueError, KeyError, zlib.error, zipfile.BadZipFile, pickle.UnpicklingError, EOFError) as exc:
        raise LayoutError(where, f"not a readable Keras imdb.npz / word index ({exc})",
                          "Expected arrays x_train, y_train, x_test, y_test and a JSON word index.") from exc
    words_by_rank = {int(rank): word for word, rank in word_index.items()}
    rows = []
    for split in SPLITS:
        xs = [np.asarray(x, dtype=np.int64) for x in data[f"x_{split}"]]
        ys = data[f"y_{split}"]
        offset_form = keras_offset_form(xs)
        for i, (x, y) in enumerate(zip(xs, ys, strict=True)):
            rows.append((str(i), split, int(y), None, decode_sequence(x, words_by_rank, offset_form),
                         KERAS_IMDB, f"x_{split}[{i}]"))
    return ReadResult(_finish(rows, where), _bad_frame([]), KERAS_IMDB)
