"""Tokenising, the vocabulary (from train reviews only) and Keras-style integer encodings.

Encoding follows ``keras.datasets.imdb``: 0 pads, 1 starts a review, 2 is out-of-vocabulary, 3 is
unused, and the word of frequency rank r (1 = most frequent in train) is r + 3. A model that keeps
``num_words`` indices maps every index >= num_words to 2, as ``load_data(num_words=...)`` does.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from cinepipe.imdb.sources import INDEX_FROM, OOV, PAD, START

TOKENIZER_VERSION = 1  # bump when tokenize() changes, so cached vocabularies are rebuilt
_MARKUP = re.compile(r"<br\s*/?>|<[^>]{1,20}>")
_TOKEN = re.compile(r"[\w']+")


def clean_text(text: str) -> str:
    """Lowercase, with the reviews' HTML line breaks turned into spaces."""
    return _MARKUP.sub(" ", text).lower()


def tokenize(text: str) -> list[str]:
    """Words of a review: runs of letters, digits and apostrophes, trimmed of quote marks."""
    tokens = (t.strip("'") for t in _TOKEN.findall(clean_text(text)))
    return [t for t in tokens if t]


@dataclass(frozen=True)
class Vocabulary:
    """Words by descending train frequency (ties alphabetical): ``words[r - 1]`` has rank r."""

    words: tuple[str, ...]

    @property
    def word_index(self) -> dict[str, int]:
        """word -> rank, the shape of Keras' ``imdb_word_index.json``."""
        return {w: i + 1 for i, w in enumerate(self.words)}


def build_vocabulary(train_tokens: Iterable[Sequence[str]], min_count: int = 1) -> Vocabulary:
    """Rank every word seen at least ``min_count`` times in the training reviews."""
    counts = Counter(t for tokens in train_tokens for t in tokens)
    ranked = sorted((w for w, n in counts.items() if n >= min_count), key=lambda w: (-counts[w], w))
    return Vocabulary(tuple(ranked))


def encode(tokens: Sequence[str], word_index: dict[str, int]) -> np.ndarray:
    """Full-vocabulary Keras indices of one review, start token first (unknown words -> OOV)."""
    ids = [START] + [word_index[t] + INDEX_FROM if t in word_index else OOV for t in tokens]
    return np.asarray(ids, dtype=np.int32)


def pack(sequences: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Ragged sequences as one flat array and offsets (``flat[offsets[i]:offsets[i+1]]``)."""
    offsets = np.zeros(len(sequences) + 1, dtype=np.int64)
    offsets[1:] = np.cumsum([len(s) for s in sequences])
    flat = np.concatenate(sequences) if len(sequences) else np.zeros(0, dtype=np.int32)
    return flat.astype(np.int32), offsets


def unpack(flat: np.ndarray, offsets: np.ndarray) -> list[np.ndarray]:
    return [flat[offsets[i] : offsets[i + 1]] for i in range(len(offsets) - 1)]


def limit_vocab(flat: np.ndarray, num_words: int) -> np.ndarray:
    """Indices >= ``num_words`` become OOV (Keras' ``num_words``)."""
    return np.where(flat >= num_words, OOV, flat).astype(np.int32)


def pad_sequences(flat: np.ndarray, offsets: np.ndarray, maxlen: int) -> np.ndarray:
    """[n, maxlen] int32, padded and truncated at the front (Keras' default: keeps the ending)."""
    n = len(offsets) - 1
    out = np.full((n, maxlen), PAD, dtype=np.int32)
    for i in range(n):
        seq = flat[offsets[i] : offsets[i + 1]][-maxlen:]
        if len(seq):
            out[i, -len(seq) :] = seq
    return out


def multi_hot(flat: np.ndarray, offsets: np.ndarray, num_words: int) -> np.ndarray:
    """[n, num_words] float32 with 1 where the review uses the word (markers included, as in Keras)."""
    n = len(offsets) - 1
    out = np.zeros((n, num_words), dtype=np.float32)
    rows = np.repeat(np.arange(n), np.diff(offsets))
    keep = flat < num_words
    out[rows[keep], flat[keep]] = 1.0
    return out
