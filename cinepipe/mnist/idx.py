"""The IDX file format (LeCun's MNIST layout), read and written with numpy alone.

Header: two zero bytes, a type byte (0x08: unsigned byte), the number of dimensions, then one
big-endian uint32 per dimension; the data follows in C order. Image files are 0x00000803
(n, rows, cols), label files 0x00000801 (n,). A file is gzipped when it starts with the gzip magic,
whatever its name says.
"""

from __future__ import annotations

import gzip
import io
import zlib
from pathlib import Path

import numpy as np

from cinepipe.errors import LayoutError
from cinepipe.io.archives import ArchiveLimits, Budget, checked_chunks

IMAGES_MAGIC = 0x00000803
LABELS_MAGIC = 0x00000801
UBYTE = 0x08
GZIP_MAGIC = b"\x1f\x8b"
KIND_MAGIC = {"images": IMAGES_MAGIC, "labels": LABELS_MAGIC}


def _replace_it(source: str) -> str:
    return (f"Replace {source} with a complete copy (if it is cinepipe's download under cache/downloads, "
            "delete it and run again).")


def decompress(blob: bytes, source: str, limits: ArchiveLimits = ArchiveLimits()) -> bytes:
    """The IDX bytes of ``blob``: gunzipped when it starts with the gzip magic, within the archive
    limits (a gzip bomb is refused after reading at most the member cap, never expanded whole)."""
    if not blob.startswith(GZIP_MAGIC):
        return blob
    budget = Budget(limits, len(blob), source)
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(blob)) as stream:
            return b"".join(checked_chunks(stream, Path(source).name, budget))
    except (EOFError, OSError, zlib.error) as exc:
        raise LayoutError(
            source, f"the gzip stream is truncated or corrupt ({exc})",
            _replace_it(source),
        ) from exc


def parse_idx(blob: bytes, source: str, expect: str | None = None,
              limits: ArchiveLimits = ArchiveLimits()) -> np.ndarray:
    """Decode IDX bytes (gzipped or not) into a uint8 array of the header's shape.

    Args:
        blob: the file's bytes.
        source: named in errors.
        expect: ``"images"`` or ``"labels"`` to insist on that magic number.
        limits: the caps a gzipped file must expand within.
    Raises:
        LayoutError: wrong magic, an unsupported type, or fewer bytes than the header promises.
    """
    data = decompress(blob, source, limits)
    if len(data) < 4:
        raise LayoutError(source, f"only {len(data)} bytes, too short for an IDX header",
                          _replace_it(source))
    magic = int.from_bytes(data[:4], "big")
    wanted = KIND_MAGIC[expect] if expect else None
    if data[:2] != b"\x00\x00" or data[2] != UBYTE or (wanted is not None and magic != wanted):
        expected = f"0x{wanted:08x} ({expect})" if wanted else "0x000008NN (unsigned-byte IDX)"
        raise LayoutError(
            source, f"magic number 0x{magic:08x} where {expected} was expected",
            "This is not an MNIST-style IDX file of that kind; check the file names and source.",
        )
    ndim = data[3]
    header_bytes = 4 + 4 * ndim
    if ndim == 0 or len(data) < header_bytes:
        raise LayoutError(source, f"the header promises {ndim} dimensions but the file ends first",
                          _replace_it(source))
    shape = tuple(int(d) for d in np.frombuffer(data, dtype=">u4", count=ndim, offset=4))
    expected_bytes = header_bytes + int(np.prod(shape, dtype=np.int64))
    if len(data) != expected_bytes:
        problem = "truncated" if len(data) < expected_bytes else "longer than its header says"
        raise LayoutError(
            source,
            f"the file is {problem}: {len(data)} bytes for shape {shape} ({expected_bytes} expected)",
            "Download the file again; a partial copy cannot be used.",
        )
    return np.frombuffer(data, dtype=np.uint8, offset=header_bytes).reshape(shape).copy()


def encode_idx(array: np.ndarray) -> bytes:
    """IDX bytes (not gzipped) for a uint8 array of 1 to 255 dimensions."""
    values = np.ascontiguousarray(array)
    if values.dtype != np.uint8:
        raise ValueError(f"IDX unsigned-byte files hold uint8, got {values.dtype}")
    header = bytes([0, 0, UBYTE, values.ndim]) + np.asarray(values.shape, dtype=">u4").tobytes()
    return header + values.tobytes()


def read_idx(path: Path, expect: str | None = None, limits: ArchiveLimits = ArchiveLimits()) -> np.ndarray:
    """Read an IDX file, gzipped (expanded within ``limits``) or plain."""
    return parse_idx(Path(path).read_bytes(), str(path), expect, limits)


def write_idx(path: Path, array: np.ndarray) -> Path:
    """Write ``array`` as IDX; gzipped (with a fixed mtime, so the bytes are reproducible) when
    ``path`` ends in ``.gz``."""
    path = Path(path)
    blob = encode_idx(array)
    if path.suffix == ".gz":
        blob = gzip.compress(blob, mtime=0)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(blob)
    return path
