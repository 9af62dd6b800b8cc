"""Images as Arrow tables: one row per image (dataset, split, idx, label, 784 pixel bytes).

The pixel column is a 784-byte binary value (row-major 28x28), which DuckDB stores as a BLOB.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import TYPE_CHECKING, TypedDict

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from cinepipe.io.archives import ArchiveLimits
from cinepipe.io.hashing import content_dir
from cinepipe.mnist import idx

if TYPE_CHECKING:
    from cinepipe.mnist.sources import Fetched

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


class Staged(TypedDict):
    """A data set's images staged as ``images.parquet`` in ``dir``, with what the checks counted."""

    dir: str
    key: str
    dataset: str
    counts: dict[str, int]      # images per split
    duplicates: dict[str, int]  # images repeating an earlier one, per split


def stage_images(fetched: Fetched, key: str, staging_dir: Path) -> Staged:
    """Parse and check the IDX files (within the caps the fetch checked them within); write one row
    per image to Parquet under ``staging_dir``; publish the validation report."""
    # the suite checks load pandas and DuckDB: readers of staged images (training) do without
    from cinepipe.mnist import validate

    dataset = fetched["dataset"]
    out = content_dir(staging_dir / "mnist", key)
    tables, counts, duplicates = [], {}, {}
    for split in ("train", "test"):
        limits = ArchiveLimits(*fetched["limits"])
        images = idx.read_idx(Path(fetched["files"][f"{split}_images"]), "images", limits)
        labels = idx.read_idx(Path(fetched["files"][f"{split}_labels"]), "labels", limits)
        validate.check_split(images, labels, split=split, source=fetched["source"])
        tables.append(images_table(dataset, split, images, labels))
        counts[split] = len(labels)
        duplicates[split] = validate.duplicate_count(images)
    table = pa.concat_tables(tables)
    validate.check_rows(table, fetched["source"])
    pq.write_table(table, out / STAGED_FILE)
    validate.publish_report(dataset, fetched.get("checksums", {}), counts, duplicates)
    return Staged(dir=str(out), key=key, dataset=dataset, counts=counts, duplicates=duplicates)
