"""Readers of the aclImdb and Keras forms, on generated files."""

from __future__ import annotations

import gzip
import json
import tarfile

import numpy as np
import pytest

from cinepipe.errors import LayoutError
from cinepipe.imdb.columns import ACL_IMDB, KERAS_IMDB
from cinepipe.imdb.sample import (
    generate_reviews,
    write_keras_sample,
    write_sample,
    write_tarball,
)
from cinepipe.imdb.sources import (
    INDEX_FROM,
    START,
    decode_sequence,
    detect_layout,
    keras_offset_form,
    parse_member,
    read_reviews,
)


def test_sample_tarball_reads_every_review_with_label_rating_and_id(tmp_path):
    path = write_sample(tmp_path, n_per_class=5, seed=1)
    result = read_reviews(path)
    reviews = result.reviews
    assert result.dataset == ACL_IMDB and result.bad.empty
    assert len(reviews) == 20
    assert reviews.groupby(["split", "label"]).size().tolist() == [5, 5, 5, 5]
    pos = reviews[reviews["label"] == 1]
    assert pos["rating"].between(7, 10).all() and reviews[reviews["label"] == 0]["rating"].between(1, 4).all()
    assert reviews["review_id"].str.match(r"^(pos|neg)_\d+$").all()
    first = reviews[reviews["member"].str.contains("train/pos/0_")].iloc[0]
    assert first["review_id"] == "pos_0" and first["split"] == "train"


def test_sample_is_reproducible(tmp_path):
    a = write_sample(tmp_path / "a", n_per_class=3, seed=7).read_bytes()
    b = write_sample(tmp_path / "b", n_per_class=3, seed=7).read_bytes()
    assert a == b


def test_directory_with_per_split_tarballs_and_loose_files(tmp_path):
    members = {k: v.encode() for k, v in generate_reviews(3, seed=2).items()}
    write_tarball(tmp_path / "aclImdb_train_labelled.tar.gz", {k: v for k, v in members.items() if "/train/" in k})
    for name, data in members.items():
        if "/test/" in name:
            (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
            (tmp_path / name).write_bytes(data)
    (tmp_path / "aclImdb" / "README").write_text("not a review")
    result = read_reviews(tmp_path)
    assert detect_layout(tmp_path) == "acl-dir"
    assert result.reviews.groupby("split").size().to_dict() == {"test": 6, "train": 6}


def test_bad_members_are_returned_for_quarantine(tmp_path):
    extra = {
        "aclImdb/train/pos/notes.txt": b"wrong name",
        "aclImdb/train/neg/12_3.txt": b"\xff\xfe not utf-8 \xc3",
        "aclImdb/train/unsup/5_0.txt": b"unlabelled: ignored",
        "aclImdb/train/urls_pos.txt": b"ignored",
    }
    result = read_reviews(write_sample(tmp_path, n_per_class=2, extra_members=extra))
    reasons = dict(zip(result.bad["raw"], result.bad["reason"], strict=True))
    assert set(reasons) == {"aclImdb/train/pos/notes.txt", "aclImdb/train/neg/12_3.txt"}
    assert "does not match" in reasons["aclImdb/train/pos/notes.txt"]
    assert "UTF-8" in reasons["aclImdb/train/neg/12_3.txt"]
    assert len(result.reviews) == 8


def test_truncated_tarball_is_a_clear_layout_error(tmp_path):
    path = write_sample(tmp_path, n_per_class=20)
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(LayoutError, match="truncated or corrupt"):
        read_reviews(path)


def test_not_a_tarball_is_a_clear_layout_error(tmp_path):
    path = tmp_path / "aclImdb_v1.tar.gz"
    path.write_bytes(gzip.compress(b"this is no tar archive" * 50))
    with pytest.raises(LayoutError):
        read_reviews(path)


def test_tarball_without_test_split_is_a_layout_error(tmp_path):
    members = {k: v.encode() for k, v in generate_reviews(2, seed=3).items() if "/train/" in k}
    path = write_tarball(tmp_path / "train_only.tar.gz", members)
    with pytest.raises(LayoutError, match="no test reviews"):
        read_reviews(path)


def test_wrong_layout_directory_is_a_layout_error(tmp_path):
    (tmp_path / "reviews").mkdir()
    (tmp_path / "reviews" / "1.txt").write_text("a review in no known layout")
    with pytest.raises(LayoutError, match="no train/test reviews"):
        read_reviews(tmp_path)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("aclImdb/train/pos/0_9.txt", ("train", 1, "pos_0", 9)),
        ("x/aclImdb/test/neg/12499_1.txt", ("test", 0, "neg_12499", 1)),
        ("aclImdb/train/unsup/0_0.txt", None),
        ("aclImdb/README", None),
    ],
)
def test_parse_member(name, expected):
    assert parse_member(name) == expected


def test_keras_npz_decodes_back_to_the_review_words(tmp_path):
    npz = write_keras_sample(tmp_path, n_per_class=4, seed=5)
    result = read_reviews(npz)
    assert result.dataset == KERAS_IMDB
    assert result.reviews.groupby(["split", "label"]).size().tolist() == [4, 4, 4, 4]
    assert result.reviews["rating"].isna().all()
    word_index = json.loads((tmp_path / "imdb_word_index.json").read_text())
    with np.load(npz, allow_pickle=True) as arrays:
        first = arrays["x_train"][0]
    assert result.reviews.iloc[0]["text"].split() == [
        w for r in first for w, i in word_index.items() if i == r
    ]
    assert read_reviews(tmp_path).reviews.equals(result.reviews)  # the directory form


def test_keras_offset_form_is_detected_and_decoded():
    words = {1: "the", 2: "and", 3: "a", 4: "film"}
    raw = [np.array([1, 4, 3]), np.array([3, 2])]
    shifted = [np.array([START] + [r + INDEX_FROM for r in s] + [2]) for s in raw]  # 2: OOV marker
    assert not keras_offset_form(raw) and keras_offset_form(shifted)
    assert decode_sequence(shifted[0], words, True) == decode_sequence(raw[0], words, False) == "the film a"


def test_keras_npz_without_word_index_is_a_layout_error(tmp_path):
    npz = write_keras_sample(tmp_path, n_per_class=2)
    (tmp_path / "imdb_word_index.json").unlink()
    with pytest.raises(LayoutError, match="imdb_word_index.json"):
        read_reviews(npz)


def test_tar_members_are_not_extracted(tmp_path, monkeypatch):
    path = write_sample(tmp_path, n_per_class=2)
    monkeypatch.setattr(tarfile.TarFile, "extractall", lambda *a, **k: pytest.fail("extracted to disk"))
    monkeypatch.setattr(tarfile.TarFile, "extract", lambda *a, **k: pytest.fail("extracted to disk"))
    read_reviews(path)
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]
