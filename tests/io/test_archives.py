"""Archives and source directories within limits: bombs, links and special files are refused,
nothing is left behind, nothing outside the source is read, and memory stays bounded."""

from __future__ import annotations

import gzip
import io
import os
import stat
import tarfile
import tracemalloc
import zipfile
from pathlib import Path

import numpy as np
import pytest

from cinepipe.errors import CinepipeError
from cinepipe.imdb.sample import generate_reviews, write_tarball
from cinepipe.imdb.sources import ReadLimits, read_reviews
from cinepipe.io.archives import ArchiveLimits, ArchiveRefused, extract_zip
from cinepipe.mnist import idx
from cinepipe.mnist.sources import FILES, find_local
from cinepipe.movielens.source import resolve

MiB = 1 << 20
SECRET = "outside-the-source: do not load"


def _zeros_member(zf: zipfile.ZipFile, name: str, n_bytes: int) -> None:
    """A member of ``n_bytes`` zeros written in chunks (the test never holds it whole)."""
    info = zipfile.ZipInfo(name)
    info.compress_type = zipfile.ZIP_DEFLATED
    with zf.open(info, "w", force_zip64=True) as out:
        block = bytes(MiB)
        for _ in range(n_bytes // MiB):
            out.write(block)


def _release_zip(path: Path, src: Path, extra: dict[str, bytes] | None = None) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for f in sorted(src.iterdir()):
            zf.write(f, f"{src.name}/{f.name}")
        for name, data in (extra or {}).items():
            zf.writestr(name, data)
    return path


def _files_under(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def _extract_root(settings) -> Path:
    return settings.staging_dir / "movielens-release-files"


def _peak_bytes(fn) -> int:
    tracemalloc.start()
    try:
        fn()
    except CinepipeError:
        pass
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak


# ---- zip ---------------------------------------------------------------------------------------

def test_zip_bomb_is_refused_before_a_byte_is_written(home, tmp_path):
    bomb = tmp_path / "ml-latest-small.zip"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("ml-latest-small/movies.csv", "movieId,title,genres\n1,Toy Story (1995),Comedy\n")
        _zeros_member(zf, "ml-latest-small/ratings.csv", 64 * MiB)
    assert bomb.stat().st_size < MiB
    with pytest.raises(ArchiveRefused, match=r"ratings.csv expands \d+x .*CINEPIPE_ARCHIVE_MAX_RATIO") as info:
        resolve(str(bomb), home)
    assert "\n" not in str(info.value) and "Nothing was extracted" in str(info.value)
    assert _files_under(_extract_root(home)) == []
    peak = _peak_bytes(lambda: resolve(str(bomb), home))
    assert peak < 8 * MiB, f"refusing a 64 MiB bomb held {peak / MiB:.1f} MiB"


def test_member_and_total_caps_refuse_and_leave_nothing(home, small_csv_dir, tmp_path):
    release = _release_zip(tmp_path / "ml-latest-small.zip", small_csv_dir)
    with pytest.raises(ArchiveRefused, match="member cap .*CINEPIPE_ARCHIVE_MAX_MEMBER_BYTES"):
        resolve(str(release), home, limits=ArchiveLimits(max_member_bytes=1000))
    with pytest.raises(ArchiveRefused, match="total cap"):
        resolve(str(release), home, limits=ArchiveLimits(max_total_bytes=20_000))
    assert _files_under(_extract_root(home)) == []
    assert resolve(str(release), home).dataset == "ml-latest-small"  # the defaults fit a real release


def test_a_member_larger_than_its_header_says_is_cut_off_at_the_cap(tmp_path):
    path = tmp_path / "lying.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("x/ratings.csv", b"1,1,4.0,1\n" * 10_000)
    dest = tmp_path / "out"
    with pytest.raises(ArchiveRefused, match="member cap"):
        extract_zip(path, dest, lambda name: True, ArchiveLimits(max_member_bytes=50_000), "test")
    assert not dest.exists() and [p.name for p in tmp_path.iterdir()] == ["lying.zip"]


def test_zip_links_and_special_members_are_refused(home, small_csv_dir, tmp_path):
    for kind, mode in (("symbolic link", stat.S_IFLNK | 0o777), ("special file", stat.S_IFIFO | 0o644)):
        path = tmp_path / f"ml-latest-small-{mode}.zip"
        _release_zip(path, small_csv_dir)
        with zipfile.ZipFile(path, "a") as zf:
            info = zipfile.ZipInfo("ml-latest-small/tags.csv.lnk")
            info.external_attr = mode << 16
            zf.writestr(info, "/etc/passwd")
        with pytest.raises(ArchiveRefused, match=f"tags.csv.lnk is a {kind}"):
            resolve(str(path), home)
    assert _files_under(_extract_root(home)) == []


def test_only_release_files_are_extracted(home, small_csv_dir, tmp_path):
    path = _release_zip(tmp_path / "ml-latest-small.zip", small_csv_dir,
                        {"ml-latest-small/genome-scores.csv": "a,b\n" * 10, "ml-latest-small/run-me.sh": "rm -rf /",
                         "__MACOSX/ml-latest-small/._ratings.csv": "junk"})
    release = resolve(str(path), home)
    names = sorted(p.name for p in _files_under(_extract_root(home)))
    assert names == sorted(p.name for p in small_csv_dir.iterdir() if p.suffix == ".csv")
    assert release.root.parent.parent == _extract_root(home)


def test_movielens_directory_with_a_linked_release_file_is_refused(home, small_csv_dir, tmp_path):
    outside = tmp_path / "elsewhere.csv"
    outside.write_bytes((small_csv_dir / "tags.csv").read_bytes())
    (small_csv_dir / "tags.csv").unlink()
    (small_csv_dir / "tags.csv").symlink_to(outside)
    with pytest.raises(ArchiveRefused, match="tags.csv is a symbolic link"):
        resolve(str(small_csv_dir), home)


def test_movielens_linked_directory_is_not_searched(home, small_csv_dir, tmp_path):
    holder = tmp_path / "holder"
    holder.mkdir()
    (holder / "ml-latest-small").symlink_to(small_csv_dir, target_is_directory=True)
    with pytest.raises(CinepipeError, match="no known MovieLens layout"):
        resolve(str(holder), home)


# ---- tar (IMDB) --------------------------------------------------------------------------------

def _reviews() -> dict[str, bytes]:
    return {k: v.encode() for k, v in generate_reviews(3, seed=5).items()}


def _tar_with(path: Path, members: dict[str, bytes], extra: list[tarfile.TarInfo]) -> Path:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        for name in sorted(members):
            info = tarfile.TarInfo(name)
            info.size = len(members[name])
            archive.addfile(info, io.BytesIO(members[name]))
        for info in extra:
            archive.addfile(info)
    path.write_bytes(gzip.compress(buffer.getvalue()))
    return path


def test_tar_bomb_is_refused_with_bounded_memory(tmp_path):
    path = tmp_path / "aclImdb_v1.tar.gz"
    with path.open("wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=1) as gz, \
            tarfile.open(fileobj=gz, mode="w|") as archive:
        for name, data in _reviews().items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
        info = tarfile.TarInfo("aclImdb/train/pos/99999_10.txt")
        info.size = 256 * MiB

        class Zeros(io.RawIOBase):
            left = info.size

            def read(self, n=-1):
                n = min(self.left, MiB if n < 0 else n)
                self.left -= n
                return bytes(n)

        archive.addfile(info, Zeros())
    assert path.stat().st_size < 2 * MiB
    with pytest.raises(ArchiveRefused, match=r"expands \d+x .*99999_10.txt"):
        read_reviews(path)
    peak = _peak_bytes(lambda: read_reviews(path))
    assert peak < 8 * MiB, f"refusing a 256 MiB review held {peak / MiB:.1f} MiB"


def test_an_oversized_review_is_quarantined_alone_without_being_read_whole(tmp_path):
    members = _reviews()
    members["aclImdb/test/neg/77_2.txt"] = os.urandom(300_000)  # incompressible: no bomb, just long
    path = write_tarball(tmp_path / "aclImdb_v1.tar.gz", members)
    result = read_reviews(path, ReadLimits(max_review_bytes=100_000))
    assert len(result.reviews) == len(members) - 1
    assert result.bad.to_dict("records") == [
        {"raw": "aclImdb/test/neg/77_2.txt",
         "reason": "review is longer than 100000 bytes (CINEPIPE_IMDB_MAX_REVIEW_BYTES); not read"}]


@pytest.mark.parametrize("kind, linkname, match", [
    (tarfile.SYMTYPE, "/etc/passwd", "is a symbolic link"),
    (tarfile.LNKTYPE, "aclImdb/train/pos/0_7.txt", "is a hard link"),
    (tarfile.FIFOTYPE, "", "is a special file"),
    (tarfile.CHRTYPE, "", "is a special file"),
])
def test_tar_links_and_special_members_refuse_the_archive(tmp_path, kind, linkname, match):
    info = tarfile.TarInfo("aclImdb/test/pos/5_9.txt")
    info.type, info.linkname = kind, linkname
    path = _tar_with(tmp_path / "aclImdb_v1.tar.gz", _reviews(), [info])
    with pytest.raises(ArchiveRefused, match=f"aclImdb/test/pos/5_9.txt {match}"):
        read_reviews(path)


def test_tar_member_escaping_the_archive_is_refused(tmp_path):
    members = {**_reviews(), "../aclImdb/train/pos/8_8.txt": b"escapes"}
    with pytest.raises(ArchiveRefused, match="escapes the archive"):
        read_reviews(write_tarball(tmp_path / "a.tar.gz", members))


def _review_dir(root: Path) -> Path:
    for name, data in _reviews().items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)
    return root


def test_imdb_directory_link_to_an_outside_file_is_refused_and_never_read(tmp_path):
    root = _review_dir(tmp_path / "src")
    outside = tmp_path / "secret.txt"
    outside.write_text(SECRET)
    (root / "aclImdb/train/pos/4242_9.txt").symlink_to(outside)
    with pytest.raises(ArchiveRefused, match="4242_9.txt is a symbolic link") as info:
        read_reviews(root)
    assert SECRET not in str(info.value)


def test_imdb_directory_linked_subdirectory_is_refused_and_other_linked_files_ignored(tmp_path):
    root = _review_dir(tmp_path / "src")
    (tmp_path / "notes.txt").write_text(SECRET)
    (root / "aclImdb/notes.txt").symlink_to(tmp_path / "notes.txt")  # not a review: ignored, not followed
    assert len(read_reviews(root).reviews) == len(_reviews())
    elsewhere = _review_dir(tmp_path / "elsewhere")
    (root / "aclImdb/train/neg").rename(root / "gone")
    (root / "aclImdb/train/neg").symlink_to(elsewhere / "aclImdb/train/neg", target_is_directory=True)
    with pytest.raises(ArchiveRefused, match="train/neg is a symbolic link"):
        read_reviews(root)


def test_imdb_directory_fifo_is_refused_instead_of_hanging(tmp_path):
    root = _review_dir(tmp_path / "src")
    os.mkfifo(root / "aclImdb/test/pos/31_8.txt")
    with pytest.raises(ArchiveRefused, match="31_8.txt is a special file"):
        read_reviews(root)


# ---- MNIST -------------------------------------------------------------------------------------

def test_mnist_directory_with_a_linked_file_is_refused(tmp_path):
    for (_, kind), stem in FILES.items():
        shape = (2, 28, 28) if kind == "images" else (2,)
        idx.write_idx(tmp_path / f"{stem}.gz", np.zeros(shape, dtype=np.uint8))
    assert len(find_local(tmp_path)) == 4
    target = tmp_path / "t10k-labels-idx1-ubyte.gz"
    target.rename(tmp_path / "real.gz")
    target.symlink_to(tmp_path / "real.gz")
    with pytest.raises(ArchiveRefused, match="t10k-labels-idx1-ubyte.gz is a symbolic link"):
        find_local(tmp_path)


def test_mnist_gzip_bomb_is_refused_with_bounded_memory(tmp_path):
    header = bytes([0, 0, 8, 3]) + (1_000_000).to_bytes(4, "big") + (28).to_bytes(4, "big") * 2
    path = tmp_path / "train-images-idx3-ubyte.gz"
    with path.open("wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=9) as gz:
        gz.write(header)
        for _ in range(128):
            gz.write(bytes(MiB))
    with pytest.raises(ArchiveRefused, match="expands"):
        idx.read_idx(path, "images")
    # an IDX file is parsed in memory, so what is held is bounded by the ratio cap times the file
    bound = ArchiveLimits().max_ratio * path.stat().st_size + 4 * MiB
    peak = _peak_bytes(lambda: idx.read_idx(path, "images"))
    assert peak < bound < 32 * MiB, f"refusing a 128 MiB gzip held {peak / MiB:.1f} MiB"


def test_a_corrupt_release_member_names_the_zip_to_delete_and_leaves_nothing(home, small_csv_dir, tmp_path):
    path = _release_zip(tmp_path / "ml-latest-small.zip", small_csv_dir)
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo("ml-latest-small/ratings.csv")
    data = bytearray(path.read_bytes())
    start = info.header_offset + 30 + len(info.filename) + len(info.extra) + 100
    data[start:start + 8] = bytes(8)  # flip bytes inside the compressed ratings.csv
    path.write_bytes(bytes(data))
    with pytest.raises(CinepipeError, match="truncated or corrupt") as info_:
        resolve(str(path), home)
    assert str(path) in info_.value.action
    assert _files_under(_extract_root(home)) == []


class _RunsCode:
    def __reduce__(self):
        return (os.system, (f"touch {_RunsCode.marker}",))


def _npz(path: Path, arrays: dict) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, array in arrays.items():
            with zf.open(f"{name}.npy", "w", force_zip64=True) as out:
                np.lib.format.write_array(out, array, allow_pickle=True)
    (path.parent / "imdb_word_index.json").write_text('{"good": 1, "bad": 2}')
    return path


def test_a_keras_npz_whose_pickle_would_run_code_is_refused(tmp_path):
    _RunsCode.marker = tmp_path / "ran"
    evil = np.empty(1, dtype=object)
    evil[0] = _RunsCode()
    ys = np.zeros(1, dtype=np.int64)
    path = _npz(tmp_path / "imdb.npz", {"x_train": evil, "y_train": ys, "x_test": evil, "y_test": ys})
    with pytest.raises(CinepipeError, match="posix.system|os.system") as info:
        read_reviews(path)
    assert "not part of an array" in str(info.value)
    assert not _RunsCode.marker.exists()


def test_a_keras_npz_bomb_is_refused_before_expansion(tmp_path):
    xs = np.empty(2, dtype=object)
    xs[0], xs[1] = [1, 2], [2, 1]
    big = np.zeros(16 * MiB, dtype=np.int64)  # 128 MiB of zeros, a few hundred KB deflated
    path = _npz(tmp_path / "imdb.npz", {"x_train": xs, "y_train": big, "x_test": xs, "y_test": big})
    assert path.stat().st_size < 2 * MiB
    with pytest.raises(ArchiveRefused, match="y_train.npy expands"):
        read_reviews(path)
