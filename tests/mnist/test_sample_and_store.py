import numpy as np

from cinepipe.mnist import sample, store, validate
from cinepipe.mnist.idx import read_idx
from cinepipe.mnist.sources import FILES, find_local


def test_sample_is_real_gzipped_idx_with_every_class(tmp_path):
    sample.write_sample(tmp_path)
    found = find_local(tmp_path)
    assert all(f.location.endswith(".gz") for f in found.values())
    for split in ("train", "test"):
        images = read_idx(tmp_path / f"{FILES[(split, 'images')]}.gz", "images")
        labels = read_idx(tmp_path / f"{FILES[(split, 'labels')]}.gz", "labels")
        validate.check_split(images, labels, split=split, source="sample")
        assert images.max() == 255 and images[:, :4].max() == 0  # a 4-pixel empty frame, like MNIST
    assert sum(len(read_idx(tmp_path / f"{FILES[(s, 'labels')]}.gz")) for s in ("train", "test")) == 1797


def test_sample_bytes_are_reproducible(tmp_path):
    a = sample.write_sample(tmp_path / "a")
    b = sample.write_sample(tmp_path / "b")
    for stem in FILES.values():
        assert (a / f"{stem}.gz").read_bytes() == (b / f"{stem}.gz").read_bytes()


def test_table_round_trip():
    rng = np.random.default_rng(1)
    images = rng.integers(0, 256, (30, 28, 28), dtype=np.uint8)
    labels = np.arange(30) % 10
    table = store.images_table("mnist", "test", images, labels)
    assert table.column_names == list(store.COLUMNS)
    assert {len(v) for v in table["pixels"].to_pylist()} == {784}
    back_images, back_labels = store.split_arrays(table, "test")
    np.testing.assert_array_equal(back_images, images)
    np.testing.assert_array_equal(back_labels, labels)
    assert store.split_arrays(table, "train")[0].shape == (0, 28, 28)
