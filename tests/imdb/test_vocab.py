"""Tokenising, the train-only vocabulary and the Keras-style encodings."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cinepipe.imdb.prepare import encode_parts, split_parts
from cinepipe.imdb.sources import OOV, START
from cinepipe.imdb.vocab import (
    build_vocabulary,
    encode,
    limit_vocab,
    multi_hot,
    pack,
    pad_sequences,
    tokenize,
    unpack,
)


def test_tokenize_drops_markup_and_case():
    assert tokenize("Great film!<br /><br />It's 'really' GOOD.") == ["great", "film", "it's", "really", "good"]


def test_vocabulary_ranks_by_frequency_then_alphabet():
    vocab = build_vocabulary([["b", "a", "c"], ["c", "a"], ["c"]])
    assert vocab.words == ("c", "a", "b")
    assert vocab.word_index == {"c": 1, "a": 2, "b": 3}


def test_encode_uses_keras_offsets():
    index = {"c": 1, "a": 2}
    assert encode(["a", "zzz", "c"], index).tolist() == [START, 2 + 3, OOV, 1 + 3]


def test_limit_pad_and_multi_hot():
    flat, offsets = pack([np.array([1, 4, 9, 5]), np.array([1, 6])])
    assert [s.tolist() for s in unpack(flat, offsets)] == [[1, 4, 9, 5], [1, 6]]
    limited = limit_vocab(flat, 6)
    assert limited.tolist() == [1, 4, OOV, 5, 1, OOV]
    assert pad_sequences(limited, offsets, 3).tolist() == [[4, OOV, 5], [0, 1, OOV]]  # front cut, front pad
    hot = multi_hot(limited, offsets, 6)
    assert hot.shape == (2, 6) and hot[0].tolist() == [0, 1, 1, 0, 1, 1] and hot[1].tolist() == [0, 1, 1, 0, 0, 0]


def _reviews():
    rows = [
        ("pos_0", "train", 1, "good good film"), ("neg_0", "train", 0, "bad film"),
        ("pos_1", "train", 1, "good plot"), ("neg_1", "train", 0, "bad bad plot"),
        ("pos_0", "test", 1, "testonlyword good"), ("neg_0", "test", 0, "bad testonlyword"),
    ]
    return pd.DataFrame(rows, columns=["review_id", "split", "label", "text"])


def test_vocabulary_comes_from_train_only():
    parts = split_parts(_reviews(), seed=0)
    assert parts.groupby("part").size().to_dict() == {"fit": 3, "test": 2, "val": 1}
    vocab, arrays = encode_parts(parts)
    assert "testonlyword" not in vocab.words
    assert set(vocab.words) == {"good", "film", "bad", "plot"}
    test_seqs = unpack(arrays["test_flat"], arrays["test_offsets"])
    assert all(OOV in s for s in test_seqs)
    assert arrays["test_labels"].tolist() == parts.loc[parts["part"] == "test", "label"].tolist()


def test_split_parts_is_seeded_and_can_subsample():
    reviews = pd.concat([_reviews()] * 3, ignore_index=True)
    reviews["review_id"] = [f"r{i}" for i in range(len(reviews))]
    a, b = split_parts(reviews, seed=1), split_parts(reviews, seed=1)
    assert a.equals(b)
    small = split_parts(reviews, seed=1, max_per_split=5)
    assert (small["part"] == "test").sum() == 5 and small["part"].isin(["fit", "val"]).sum() == 5
