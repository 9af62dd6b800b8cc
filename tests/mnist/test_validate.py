import numpy as np
import pytest

from cinepipe.errors import LayoutError
from cinepipe.mnist.validate import check_split, class_counts, duplicate_count


def _split(n=50, seed=0):
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (n, 28, 28), dtype=np.uint8), np.arange(n, dtype=np.uint8) % 10


def test_a_good_split_passes():
    check_split(*_split(), split="train", source="s")


def test_counts_must_agree():
    images, labels = _split()
    with pytest.raises(LayoutError, match="50 images but 49 labels"):
        check_split(images, labels[:-1], split="test", source="s")


def test_images_must_be_28x28():
    with pytest.raises(LayoutError, match="not 28x28"):
        check_split(np.zeros((10, 32, 32), np.uint8), np.arange(10, dtype=np.uint8), split="train", source="s")


def test_labels_must_be_0_to_9():
    images, labels = _split()
    labels[3] = 12
    with pytest.raises(LayoutError, match="outside 0-9"):
        check_split(images, labels, split="train", source="s")


def test_every_class_must_be_present():
    images, labels = _split()
    labels[labels == 7] = 1
    with pytest.raises(LayoutError, match="no example of class 7"):
        check_split(images, labels, split="train", source="s")


def test_duplicates_are_counted():
    images, labels = _split(20)
    images[5] = images[2]
    images[9] = images[2]
    assert duplicate_count(images) == 2
    assert class_counts(labels) == {d: 2 for d in range(10)}
