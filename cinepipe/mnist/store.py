"""Images as Arrow tables: one row per image (dataset, split, idx, label, 784 pixel bytes).

The pixel column is a 784-byte binary value (row-major 28x28), which DuckDB stores as a BLOB.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

PIXELS = 28 * 28
COLUMNS = ("dataset", "split", "idx", "label", "pixels", "pixels_sha1")


def _binary_rows(images: np.ndarray) -> pa.Array:
    flat = np.ascontiguousarray(images.reshape(len(images), PIXELS))
    offsets = np.arange(0, (len(flat) + 1) * PIXELS, PIXELS, dtype=np.int32)
    return pa.Array.from_buffers(pa.binary(), len(flat),
                                 [None, pa.py_buffer(offsets), pa.py_buffer(flat.tobytes())])


def images_table(dataset: str, split: str, images: np.ndarray, labels: np.ndarray) -> pa.Table:
    """The rows of one split, ``idx`` being the position in the source file."""
    flat = np.ascontiguousarray(images.reshape(len(images), PIXELS))
    hashes = [hashlib.sha1(row.tobytes(), usedforsecurity=False).hexdigest() for row in flat]
    n = len(flat)
    return pa.table({
        "dataset": pa.array([dataset] * n, pa.string()),
        "split": pa.array([split] * n, pa.string()),
        "idx": pa.array(np.arange(n, dtype=np.int32)),
        "label": pa.array(labels.astype(np.uint8)),
        "pixels": _binary_rows(flat),
        "pixels_sha1": pa.array(hashes, pa.string()),
    })


def split_arrays(table: pa.Table, split: str) -> tuple[np.ndarray, np.ndarray]:
    """uint8 images ``(n, 28, 28)`` and labels ``(n,)`` of one split, in ``idx`` order."""
    import pyarrow.compute as pc

    rows = table.filter(pc.equal(table["split"], split)).sort_by("idx")
    pixels = rows["pixels"].combine_chunks()
    data = np.frombuffer(pixels.buffers()[2], dtype=np.uint8)
    offsets = np.frombuffer(pixels.buffers()[1], dtype=np.int32)[pixels.offset:][: len(pixels) + 1]
    images = data[offsets[0]: offsets[-1]].reshape(len(pixels), 28, 28)
    labels = rows["label"].to_numpy().astype(np.int64)
    return images.copy(), labels


STAGED_FILE = "images.parquet"  # the staged images of one data set, both splits


def load_split(staged_dir: str | Path, split: str) -> tuple[np.ndarray, np.ndarray]:
    """The images and labels of ``split`` from a staged data set's directory."""
    return split_arrays(pq.read_table(Path(staged_dir) / STAGED_FILE), split)
