"""Structural checks of an MNIST-style data set: shapes, counts, label range, class coverage.

Magic numbers and truncation are checked where the bytes are parsed (``idx.parse_idx``); these
checks run on the parsed arrays.
"""

from __future__ import annotations

import numpy as np

from cinepipe.errors import LayoutError

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
