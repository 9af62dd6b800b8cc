"""Structural checks of an MNIST-style data set: shapes, counts, label range, class coverage.

Magic numbers and truncation are checked where the bytes are parsed (``idx.parse_idx``); these
checks run on the parsed arrays; the suite's row checks (``schemas/mnist_images.json``) on the
staged rows.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from cinepipe.errors import LayoutError, ValidationFailed
from cinepipe.reporting.artifacts import suite_results
from cinepipe.storage.validation import check_frame, load_suite, publish_validation

SUITE = "mnist_images"
IMAGE_SHAPE = (28, 28)
N_CLASSES = 10


def check_split(images: np.ndarray, labels: np.ndarray, *, split: str, source: str) -> None:
    """Raise ``LayoutError`` unless the split is n images of 28x28 with n labels in 0-9 covering
    all ten classes."""
    where = f"{source} ({split})"
    if images.ndim != 3 or images.shape[1:] != IMAGE_SHAPE:
        raise LayoutError(where, f"images have shape {images.shape[1:]}, not 28x28",
                          "Use MNIST-format images of 28x28 pixels.")
    if labels.ndim != 1:
        raise LayoutError(where, f"labels have {labels.ndim} dimensions, not 1",
                          "Check that the labels file is an idx1 file.")
    if len(images) != len(labels):
        raise LayoutError(where, f"{len(images)} images but {len(labels)} labels",
                          "The images and labels files must come from the same release.")
    if len(labels) == 0:
        raise LayoutError(where, "the split is empty", "Use files that hold images.")
    if labels.max() >= N_CLASSES:
        bad = int((labels >= N_CLASSES).sum())
        raise LayoutError(where, f"{bad} labels outside 0-9 (max {int(labels.max())})",
                          "The labels file is corrupt or not a 10-class data set.")
    missing = sorted(set(range(N_CLASSES)) - set(np.unique(labels).tolist()))
    if missing:
        raise LayoutError(where, f"no example of class {', '.join(map(str, missing))}",
                          "Every class 0-9 must be present in each split.")


def duplicate_count(images: np.ndarray) -> int:
    """How many images repeat an earlier one, byte for byte, within the array."""
    if len(images) == 0:
        return 0
    rows = np.ascontiguousarray(images.reshape(len(images), -1))
    unique = np.unique(rows.view(np.dtype((np.void, rows.shape[1]))))
    return int(len(rows) - len(unique))


def class_counts(labels: np.ndarray) -> dict[int, int]:
    return {int(k): int(v) for k, v in zip(*np.unique(labels, return_counts=True), strict=True)}


def check_rows(table: pa.Table, source: str) -> None:
    """The suite's row checks over the staged rows; a failing row means a corrupt file, so it stops the run."""
    frame = table.select(["dataset", "split", "idx", "label"]).to_pandas()
    frame["pixel_bytes"] = pc.binary_length(table["pixels"]).to_numpy()
    result = check_frame(frame, SUITE)
    if len(result.bad):
        raise ValidationFailed(source, f"{len(result.bad)} images fail {SUITE}: {result.failures}",
                               "The files are corrupt or not an MNIST-style release.")


def publish_report(dataset: str, checksums: dict[str, str], counts: dict[str, int], duplicates: dict[str, int]) -> None:
    """The checks the images passed (a failing one stops the run before this), as a UI report."""
    facts = [
        "images: " + ", ".join(f"{split} {n:,}" for split, n in counts.items()),
        "duplicate images (same pixels): " + ", ".join(f"{split} {n:,}" for split, n in duplicates.items()),
        "IDX files: magic numbers, sizes (28x28), label range and class coverage checked on the bytes",
        "checksums against the published ones: " + ", ".join(f"{stem} {status}" for stem, status in checksums.items()),
    ]
    publish_validation(f"mnist[{dataset}]", f"validation-mnist-{dataset}", facts, {},
                       {SUITE: suite_results(load_suite(SUITE), {})})
