"""Training inputs: the official splits cut into fit / validation / test parts, and their encodings."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, TypedDict

import numpy as np
import pandas as pd

from cinepipe.imdb.columns import COPIES, LABEL, REVIEW_ID, SPLIT, TEXT
from cinepipe.imdb.vocab import (
    TOKENIZER_VERSION,
    Vocabulary,
    build_vocabulary,
    encode,
    pack,
    tokenize,
)
from cinepipe.io.hashing import content_dir

if TYPE_CHECKING:
    from cinepipe.imdb.baselines import TfidfConfig
    from cinepipe.imdb.checks import Validated

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


# ---- the steps, as the tasks call them: Parquet in, arrays and matrices under staging/ out ---------------
QUICK_REVIEWS_PER_SPLIT = 1_000


class Prepared(TypedDict):
    """``parts.parquet``, ``vocab.json`` and ``sequences.npz`` in ``dir``."""

    dir: str
    key: str
    counts: dict[str, int]  # reviews per part
    vocabulary_size: int


class Features(TypedDict):
    """``<part>_x.npz``, ``<part>_y.npy`` and ``vectorizer.joblib`` in ``dir``."""

    dir: str
    key: str
    features: int
    config: dict  # the TfidfConfig as a dict


def prepare_reviews(validated: Validated, key: str, seed: int, max_per_split: int | None,
                    staging_dir: Path) -> Prepared:
    """Fit/val/test parts of the checked reviews, the train-only vocabulary and the encoded reviews."""
    out = content_dir(staging_dir / "imdb" / "prepared", key)
    parts = split_parts(pd.read_parquet(Path(validated["dir"]) / "good.parquet"), seed, max_per_split)
    vocab, arrays = encode_parts(parts)
    parts.to_parquet(out / "parts.parquet", index=False)
    (out / "vocab.json").write_text(json.dumps({"tokenizer_version": TOKENIZER_VERSION, "words": vocab.words}))
    np.savez(out / "sequences.npz", **arrays)
    counts = {p: len(arrays[f"{p}_labels"]) for p in PARTS}
    return Prepared(dir=str(out), key=key, counts=counts, vocabulary_size=len(vocab.words))


def tfidf_features(prepared: Prepared, key: str, config: TfidfConfig, staging_dir: Path) -> Features:
    """TF-IDF matrices of every part, from a vectorizer fitted on the training reviews only."""
    import joblib
    from scipy import sparse

    from cinepipe.imdb.baselines import fit_vectorizer

    out = content_dir(staging_dir / "imdb" / "tfidf", key)
    parts = pd.read_parquet(Path(prepared["dir"]) / "parts.parquet")
    is_train = parts[PART].isin(["fit", "val"])
    vectorizer = fit_vectorizer(parts.loc[is_train, "text"].tolist(), config)
    for part in PARTS:
        rows = parts[parts[PART] == part]
        x = vectorizer.transform(rows["text"].tolist()).tocsr()
        sparse.save_npz(out / f"{part}_x.npz", x, compressed=False)  # zlib on ~1 GB costs a minute
        np.save(out / f"{part}_y.npy", rows["label"].to_numpy(dtype=np.int64))
    # scikit-learn before 1.8 keeps every pruned n-gram (millions) here: introspection only, huge on disk
    vars(vectorizer).pop("stop_words_", None)
    joblib.dump(vectorizer, out / "vectorizer.joblib")
    return Features(dir=str(out), key=key, features=len(vectorizer.vocabulary_), config=asdict(config))
