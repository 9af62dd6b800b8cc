"""Resolving sources: directories, zips, file:// and http URLs, and bad input."""

from __future__ import annotations

import hashlib
import shutil
import zipfile

import pytest

from cinepipe.errors import DownloadError, LayoutError
from cinepipe.movielens.source import resolve


def _zip_dir(src, dest):
    with zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as zf:
        for f in sorted(src.iterdir()):
            zf.write(f, f"{src.name}/{f.name}")
    return dest


def test_directory_layouts_are_detected(home, ml100k_dir, small_csv_dir):
    r100k = resolve(str(ml100k_dir), home)
    rcsv = resolve(str(small_csv_dir), home)
    assert (r100k.dataset, r100k.layout.kind) == ("ml-100k", "ml-100k")
    assert (rcsv.dataset, rcsv.layout.kind) == ("ml-latest-small", "csv")


def test_zip_and_file_url_give_the_same_content_key(home, small_csv_dir, tmp_path):
    z = _zip_dir(small_csv_dir, tmp_path / "ml-latest-small.zip")
    from_dir = resolve(str(small_csv_dir), home)
    from_zip = resolve(f"file://{z}", home)
    assert from_zip.dataset == "ml-latest-small"
    assert from_zip.content_key == from_dir.content_key


def test_http_zip_is_verified_against_the_published_md5(home, small_csv_dir, tmp_path, httpserver):
    data = _zip_dir(small_csv_dir, tmp_path / "ml-latest-small.zip").read_bytes()
    md5 = hashlib.md5(data).hexdigest()
    httpserver.expect_request("/datasets/movielens/ml-latest-small.zip").respond_with_data(data)
    httpserver.expect_request("/datasets/movielens/ml-latest-small.zip.md5").respond_with_data(f"{md5}  ml-latest-small.zip\n")
    release = resolve(httpserver.url_for("/datasets/movielens/ml-latest-small.zip"), home)
    assert release.dataset == "ml-latest-small" and (release.root / "ratings.csv").exists()


def test_http_zip_with_a_wrong_published_md5_is_rejected(home, small_csv_dir, tmp_path, httpserver):
    data = _zip_dir(small_csv_dir, tmp_path / "ml-latest-small.zip").read_bytes()
    httpserver.expect_request("/ml-latest-small.zip").respond_with_data(data)
    httpserver.expect_request("/ml-latest-small.zip.md5").respond_with_data("0" * 32)
    with pytest.raises(DownloadError, match="checksum mismatch"):
        resolve(httpserver.url_for("/ml-latest-small.zip"), home)


def test_truncated_zip_is_a_clear_error(home, small_csv_dir, tmp_path):
    z = _zip_dir(small_csv_dir, tmp_path / "ml-latest-small.zip")
    z.write_bytes(z.read_bytes()[: z.stat().st_size // 2])
    with pytest.raises((DownloadError, LayoutError)) as info:
        resolve(str(z), home)
    assert "ml-latest-small.zip" in str(info.value)


def test_unknown_layout_says_what_was_found_and_what_to_do(home, tmp_path):
    d = tmp_path / "mystery"
    d.mkdir()
    (d / "data.txt").write_text("hello")
    with pytest.raises(LayoutError, match="no known MovieLens layout.*data.txt") as info:
        resolve(str(d), home)
    assert "u.data" in info.value.action


def test_changed_csv_header_is_rejected(home, small_csv_dir):
    text = (small_csv_dir / "ratings.csv").read_text().replace("userId,movieId", "user,movie", 1)
    (small_csv_dir / "ratings.csv").write_text(text)
    with pytest.raises(LayoutError, match="GroupLens header"):
        resolve(str(small_csv_dir), home)


def test_missing_path(home, tmp_path):
    with pytest.raises(LayoutError, match="no such file"):
        resolve(str(tmp_path / "nope"), home)


def test_release_inside_a_parent_directory_is_found(home, small_csv_dir, tmp_path):
    parent = tmp_path / "downloads"
    shutil.copytree(small_csv_dir, parent / "ml-latest-small")
    assert resolve(str(parent), home).root == parent / "ml-latest-small"
