"""The bundled sample: scikit-learn's 8x8 ``load_digits`` upscaled to MNIST's 28x28, as real IDX.

Like MNIST, each digit is scaled to 20x20 and centred in a 28x28 frame, ink 0-255. The 1,797
digits split stratified (seed-fixed) into train and test, so every class is in both.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from cinepipe.mnist.idx import write_idx
from cinepipe.mnist.sources import FILES

SAMPLE_TEST_FRACTION = 0.2
DIGIT_SIDE = 20
FRAME_SIDE = 28


def _resize_bilinear(images: np.ndarray, side: int) -> np.ndarray:
    """Resize ``(n, h, w)`` floats to ``(n, side, side)`` by separable linear interpolation."""
    _, h, w = images.shape
    rows = np.linspace(0, h - 1, side)
    cols = np.linspace(0, w - 1, side)
    r0 = np.floor(rows).astype(int)
    c0 = np.floor(cols).astype(int)
    r1, c1 = np.minimum(r0 + 1, h - 1), np.minimum(c0 + 1, w - 1)
    fr, fc = (rows - r0)[None, :, None], (cols - c0)[None, None, :]
    top = images[:, r0][:, :, c0] * (1 - fc) + images[:, r0][:, :, c1] * fc
    bottom = images[:, r1][:, :, c0] * (1 - fc) + images[:, r1][:, :, c1] * fc
    return top * (1 - fr) + bottom * fr


def upscale_digits(images_8x8: np.ndarray) -> np.ndarray:
    """8x8 digits with ink 0-16 to uint8 28x28 frames with ink 0-255, the digit centred in 20x20."""
    scaled = _resize_bilinear(images_8x8.astype(np.float64) / 16.0, DIGIT_SIDE)
    pad = (FRAME_SIDE - DIGIT_SIDE) // 2
    framed = np.zeros((len(images_8x8), FRAME_SIDE, FRAME_SIDE))
    framed[:, pad:pad + DIGIT_SIDE, pad:pad + DIGIT_SIDE] = scaled
    return np.clip(np.rint(framed * 255), 0, 255).astype(np.uint8)


def digits_sample(seed: int = 42) -> dict[tuple[str, str], np.ndarray]:
    """``{(split, kind): array}`` for train/test images and labels from ``load_digits``."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    images = upscale_digits(digits.images)
    labels = digits.target.astype(np.uint8)
    x_train, x_test, y_train, y_test = train_test_split(
        images, labels, test_size=SAMPLE_TEST_FRACTION, stratify=labels, random_state=seed
    )
    return {("train", "images"): x_train, ("train", "labels"): y_train,
            ("test", "images"): x_test, ("test", "labels"): y_test}


def write_sample(directory: Path, seed: int = 42) -> Path:
    """Write the four gzipped IDX files of the sample into ``directory``; returns it."""
    directory = Path(directory)
    for key, array in digits_sample(seed).items():
        write_idx(directory / f"{FILES[key]}.gz", array)
    return directory
