import gzip

import numpy as np
import pytest

from cinepipe.errors import LayoutError
from cinepipe.mnist.idx import encode_idx, parse_idx, read_idx, write_idx


@pytest.fixture
def images():
    return np.random.default_rng(0).integers(0, 256, size=(17, 28, 28), dtype=np.uint8)


@pytest.mark.parametrize("name", ["train-images-idx3-ubyte", "train-images-idx3-ubyte.gz"])
def test_round_trip_is_identical(tmp_path, images, name):
    path = write_idx(tmp_path / name, images)
    back = read_idx(path, "images")
    assert back.dtype == np.uint8 and back.shape == images.shape
    np.testing.assert_array_equal(back, images)


def test_gz_and_plain_read_the_same(tmp_path, images):
    plain = write_idx(tmp_path / "x-idx3-ubyte", images)
    gz = write_idx(tmp_path / "x-idx3-ubyte.gz", images)
    assert gz.read_bytes()[:2] == b"\x1f\x8b"
    assert gzip.decompress(gz.read_bytes()) == plain.read_bytes()
    np.testing.assert_array_equal(read_idx(plain), read_idx(gz))


def test_header_is_big_endian_with_the_published_magic(images):
    blob = encode_idx(images)
    assert blob[:4] == b"\x00\x00\x08\x03"
    assert int.from_bytes(blob[4:8], "big") == 17
    assert encode_idx(np.arange(10, dtype=np.uint8))[:4] == b"\x00\x00\x08\x01"


@pytest.mark.parametrize("cut", [3, 10, 16 + 784 * 5 + 1])
def test_truncated_file_is_rejected(tmp_path, images, cut):
    path = tmp_path / "t10k-images-idx3-ubyte"
    path.write_bytes(encode_idx(images)[:cut])
    with pytest.raises(LayoutError, match="truncated|too short|ends first") as err:
        read_idx(path, "images")
    assert str(path) in str(err.value)


def test_truncated_gzip_is_rejected(tmp_path, images):
    blob = gzip.compress(encode_idx(images))
    path = tmp_path / "t10k-images-idx3-ubyte.gz"
    path.write_bytes(blob[: len(blob) // 2])
    with pytest.raises(LayoutError, match="gzip stream is truncated"):
        read_idx(path, "images")


def test_wrong_magic_is_rejected(tmp_path, images):
    labels = write_idx(tmp_path / "train-labels-idx1-ubyte", np.arange(10, dtype=np.uint8))
    with pytest.raises(LayoutError, match=r"magic number 0x00000801 where 0x00000803 \(images\)"):
        read_idx(labels, "images")
    junk = tmp_path / "junk"
    junk.write_bytes(b"PK\x03\x04" + bytes(100))
    with pytest.raises(LayoutError, match="magic number"):
        read_idx(junk)


def test_extra_bytes_are_rejected(images):
    with pytest.raises(LayoutError, match="longer than its header"):
        parse_idx(encode_idx(images) + b"\x00", "x", "images")
