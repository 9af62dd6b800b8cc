"""Archives and source directories read within limits.

Every archive member is checked before a byte of it is read: its type (regular files and
directories only: symlinks, hard links, devices, FIFOs and sparse files are refused), its declared
size (``archive_max_member_bytes``), the running total (``archive_max_total_bytes``) and the
expansion ratio (``archive_max_ratio``, once more than ``RATIO_FLOOR_BYTES`` have been expanded, so
small archives of tiny files are never judged by it). Members are read in chunks, and the count
of bytes actually read is held to the same caps (a header may lie). Source directories are walked
without following links. A refused input raises :class:`ArchiveRefused`, one line naming the
member and the cap, and leaves nothing behind.
"""

from __future__ import annotations

import os
import shutil
import stat
import tarfile
import uuid
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from cinepipe.errors import LayoutError

GiB = 1 << 30
MiB = 1 << 20
CHUNK_BYTES = 1 << 20
# below this many expanded bytes the ratio is not judged: a small archive of tiny, repetitive
# files (tar headers are mostly zeros) can reach any ratio and still costs nothing
RATIO_FLOOR_BYTES = 8 * MiB


class ArchiveRefused(LayoutError):
    """An archive or source directory that cinepipe will not read (a bomb, a link, a device)."""


@dataclass(frozen=True)
class ArchiveLimits:
    """The caps an archive must stay within (``Settings.archive_*`` give them)."""

    max_member_bytes: int = 2 * GiB
    max_total_bytes: int = 8 * GiB
    max_ratio: float = 100.0


def _size(n: int) -> str:
    return f"{n / GiB:.1f} GiB" if n >= GiB else f"{n / MiB:.1f} MiB" if n >= MiB else f"{n} bytes"


class Budget:
    """The running account of one archive's expansion against its limits."""

    def __init__(self, limits: ArchiveLimits, archive_bytes: int, source: str) -> None:
        self.limits = limits
        self.archive_bytes = max(archive_bytes, 1)
        self.source = source
        self.expanded = 0

    def refuse(self, problem: str) -> ArchiveRefused:
        return ArchiveRefused(
            self.source, problem,
            "Nothing was extracted or loaded. Use the genuine release, or raise the CINEPIPE_ARCHIVE_* "
            "limit if this archive is one you trust.",
        )

    def admit(self, name: str, size: int, packed: int | None = None) -> None:
        """Account for a member of declared ``size`` (``packed`` bytes compressed, for zip)."""
        lim = self.limits
        if size > lim.max_member_bytes:
            raise self.refuse(f"member {name} is {_size(size)}, over the {_size(lim.max_member_bytes)} "
                              "member cap (CINEPIPE_ARCHIVE_MAX_MEMBER_BYTES)")
        if packed is not None and size > RATIO_FLOOR_BYTES and size / max(packed, 1) > lim.max_ratio:
            raise self.refuse(f"member {name} expands {size / max(packed, 1):.0f}x ({_size(packed)} to "
                              f"{_size(size)}), over the {lim.max_ratio:.0f}x cap (CINEPIPE_ARCHIVE_MAX_RATIO)")
        self.add(name, size)

    def add(self, name: str, n: int) -> None:
        """Count ``n`` more expanded bytes (declared or actually read)."""
        self.expanded += n
        lim = self.limits
        if self.expanded > lim.max_total_bytes:
            raise self.refuse(f"it expands beyond {_size(lim.max_total_bytes)} by member {name}, over the "
                              "total cap (CINEPIPE_ARCHIVE_MAX_TOTAL_BYTES)")
        ratio = self.expanded / self.archive_bytes
        if self.expanded > RATIO_FLOOR_BYTES and ratio > lim.max_ratio:
            raise self.refuse(f"it expands {ratio:.0f}x ({_size(self.archive_bytes)} to at least "
                              f"{_size(self.expanded)} by member {name}), over the {lim.max_ratio:.0f}x cap "
                              "(CINEPIPE_ARCHIVE_MAX_RATIO)")


# ---- member types ------------------------------------------------------------------------------

def _zip_kind(info: zipfile.ZipInfo) -> str | None:
    """None for a regular file or directory; else what the member is."""
    mode = info.external_attr >> 16
    kind = stat.S_IFMT(mode)
    if kind in (0, stat.S_IFREG, stat.S_IFDIR):  # 0: written without Unix mode bits
        return None
    return "a symbolic link" if kind == stat.S_IFLNK else "a special file"


def tar_member_kind(member: tarfile.TarInfo) -> str | None:
    """None for a regular file or directory; else what the member is."""
    if member.issym():
        return "a symbolic link"
    if member.islnk():
        return "a hard link"
    if member.issparse():
        return "a sparse file"
    if member.isfile() or member.isdir():
        return None
    return "a special file (device or FIFO)"


def _safe_name(name: str) -> bool:
    path = PurePosixPath(name.replace("\\", "/"))
    return not path.is_absolute() and ".." not in path.parts and not (path.parts and ":" in path.parts[0])


# ---- zip ---------------------------------------------------------------------------------------

def extract_zip(zip_path: Path, dest: Path, wanted: Callable[[str], bool], limits: ArchiveLimits,
                source: str) -> Path:
    """Extract the members whose base name ``wanted`` accepts into ``dest``, within ``limits``.

    Every member is checked first (type, name, declared sizes); then the wanted ones are streamed
    into a scratch directory beside ``dest`` that is renamed to ``dest`` once complete. A refusal
    leaves no file behind.
    """
    with zipfile.ZipFile(zip_path) as zf:
        budget = Budget(limits, zip_path.stat().st_size, source)
        chosen = []
        for info in zf.infolist():
            kind = _zip_kind(info)
            if kind:
                raise budget.refuse(f"zip member {info.filename} is {kind}")
            if not _safe_name(info.filename):
                raise budget.refuse(f"zip member {info.filename} escapes the archive")
            if info.is_dir() or not wanted(PurePosixPath(info.filename).name):
                continue
            budget.admit(info.filename, info.file_size, info.compress_size)
            chosen.append(info)
        scratch = dest.with_name(f".{dest.name}.{uuid.uuid4().hex[:8]}.part")
        try:
            read = Budget(limits, budget.archive_bytes, source)
            for info in chosen:
                target = scratch / info.filename
                target.parent.mkdir(parents=True, exist_ok=True)
                with zf.open(info) as src, target.open("wb") as out:
                    _copy(src, out, info.filename, read)
            scratch.mkdir(parents=True, exist_ok=True)
            os.replace(scratch, dest)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
    return dest


def checked_chunks(src, name: str, budget: Budget) -> Iterator[bytes]:
    """The chunks of a member's stream, each counted against the budget before it is used."""
    n = 0
    while chunk := src.read(CHUNK_BYTES):
        n += len(chunk)
        if n > budget.limits.max_member_bytes:
            raise budget.refuse(f"member {name} expands past the {_size(budget.limits.max_member_bytes)} "
                                "member cap (CINEPIPE_ARCHIVE_MAX_MEMBER_BYTES)")
        budget.add(name, len(chunk))
        yield chunk


def _copy(src, out, name: str, budget: Budget) -> None:
    for chunk in checked_chunks(src, name, budget):
        out.write(chunk)


# ---- tar ---------------------------------------------------------------------------------------

def tar_members(archive: tarfile.TarFile, budget: Budget) -> Iterator[tarfile.TarInfo]:
    """The archive's members in order, each checked (type, name, declared size, the running
    totals) before the caller reads it."""
    for member in archive:
        kind = tar_member_kind(member)
        if kind:
            raise budget.refuse(f"tar member {member.name} is {kind}")
        if not _safe_name(member.name):
            raise budget.refuse(f"tar member {member.name} escapes the archive")
        if member.isfile():
            budget.admit(member.name, member.size)
        yield member


def read_capped(handle, cap_bytes: int) -> tuple[bytes, bool]:
    """At most ``cap_bytes`` of a stream, read in chunks, and whether it held more."""
    parts, n = [], 0
    while n <= cap_bytes and (chunk := handle.read(min(CHUNK_BYTES, cap_bytes + 1 - n))):
        parts.append(chunk)
        n += len(chunk)
    data = b"".join(parts)
    return data[:cap_bytes], len(data) > cap_bytes


# ---- directories -------------------------------------------------------------------------------

def check_plain_file(path: Path, source: str) -> None:
    """Raise unless ``path`` is a regular file itself (not a link to one, not a device or FIFO)."""
    try:
        mode = path.lstat().st_mode
    except FileNotFoundError:
        return
    if stat.S_ISLNK(mode):
        raise ArchiveRefused(source, f"{path} is a symbolic link; links inside a source directory are not followed",
                             "Copy the file itself into the directory.")
    if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
        raise ArchiveRefused(source, f"{path} is a special file (device, FIFO or socket)",
                             "Put regular files in the source directory.")


def plain_files(root: Path, source: str, relevant: Callable[[str], bool]) -> list[Path]:
    """The regular files under ``root``, sorted, walked without following links. A linked
    directory (it could hold anything), or a link or special file whose relative path ``relevant``
    accepts (one the reader would read), is refused; any other is left alone, never followed."""
    out = []
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        here = Path(dirpath)
        for name in dirnames:
            check_plain_file(here / name, source)
        for name in filenames:
            path = here / name
            if stat.S_ISREG(path.lstat().st_mode):
                out.append(path)
            elif relevant(path.relative_to(root).as_posix()):
                check_plain_file(path, source)
    return sorted(out)
