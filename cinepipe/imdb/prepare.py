"""Training inputs: the official splits cut into fit / validation / test parts, and their encodings."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cinepipe.imdb.columns import COPIES, LABEL, REVIEW_ID, SPLIT, TEXT
from cinepipe.imdb.vocab import Vocabulary, build_vocabulary, encode, pack, tokenize

PART = "part"
PARTS = ("fit", "val", "test")
VAL_FRACTION = 0.2  # of train, for early stopping and choosing hyperparameters; test stays unseen


def split_parts(reviews: pd.DataFrame, seed: int, max_per_split: int | None = None) -> pd.DataFrame:
    """One row per review used (review_id, part, label, text); ``max_per_split`` subsamples (quick)."""
    rng = np.random.default_rng(seed)
    frames = []
    for split in ("train", "test"):
        rows = reviews[reviews[SPLIT] == split].sort_values(REVIEW_ID, kind="stable")
        order = rng.permutation(len(rows))
        if max_per_split is not None:
            order = order[:max_per_split]
        rows = rows.iloc[order]
        part = np.full(len(rows), "test", dtype=object)
        if split == "train":
            n_val = round(len(rows) * VAL_FRACTION)
            part[:] = "fit"
            part[:n_val] = "val"
        copies = rows[COPIES].to_numpy() if COPIES in rows else np.ones(len(rows), dtype=np.int64)
        frames.append(pd.DataFrame({REVIEW_ID: rows[REVIEW_ID].to_numpy(), PART: part,
                                    LABEL: rows[LABEL].to_numpy(), TEXT: rows[TEXT].to_numpy(),
                                    COPIES: copies}))
    return pd.concat(frames, ignore_index=True)


def encode_parts(parts: pd.DataFrame) -> tuple[Vocabulary, dict[str, np.ndarray]]:
    """Vocabulary from the training reviews (fit + val) only; every part encoded with it.

    Returns the vocabulary and arrays ``<part>_flat``, ``<part>_offsets``, ``<part>_labels`` and
    ``<part>_copies`` (how many official reviews each row stands for: the weights of a test score).
    """
    tokens = [tokenize(t) for t in parts[TEXT]]
    is_train = parts[PART].isin(["fit", "val"]).to_numpy()
    vocab = build_vocabulary(t for t, train in zip(tokens, is_train, strict=True) if train)
    index = vocab.word_index
    arrays: dict[str, np.ndarray] = {}
    for part in PARTS:
        mask = (parts[PART] == part).to_numpy()
        flat, offsets = pack([encode(t, index) for t, m in zip(tokens, mask, strict=True) if m])
        arrays[f"{part}_flat"], arrays[f"{part}_offsets"] = flat, offsets
        arrays[f"{part}_labels"] = parts.loc[mask, LABEL].to_numpy(dtype=np.int64)
        arrays[f"{part}_copies"] = parts.loc[mask, COPIES].to_numpy(dtype=np.int64)
    return vocab, arrays
