"""Transform tasks of the IMDB branch: training parts, vocabulary and encodings, TF-IDF features."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
from prefect import task
from scipy import sparse

from cinepipe.imdb.baselines import TfidfConfig, fit_vectorizer
from cinepipe.imdb.prepare import PART, PARTS, encode_parts, split_parts
from cinepipe.imdb.vocab import TOKENIZER_VERSION
from cinepipe.settings import get_settings
from cinepipe.tasks._common import STAGED, content_dir, step_key

QUICK_REVIEWS_PER_SPLIT = 1_000


@task(name="prepare-imdb", task_run_name="prepare-imdb", cache_policy=STAGED)
def prepare_imdb(validated: dict, quick: bool, seed: int) -> dict:
    """Fit/val/test parts, the train-only vocabulary and the encoded reviews, cached by content."""
    max_per_split = QUICK_REVIEWS_PER_SPLIT if quick else None
    key = step_key(prepare_imdb, validated["key"], max_per_split, seed, TOKENIZER_VERSION)
    out = content_dir(get_settings().staging_dir / "imdb" / "prepared", key)
    parts = split_parts(pd.read_parquet(Path(validated["dir"]) / "good.parquet"), seed, max_per_split)
    vocab, arrays = encode_parts(parts)
    parts.to_parquet(out / "parts.parquet", index=False)
    (out / "vocab.json").write_text(json.dumps({"tokenizer_version": TOKENIZER_VERSION, "words": vocab.words}))
    np.savez(out / "sequences.npz", **arrays)
    counts = {p: len(arrays[f"{p}_labels"]) for p in PARTS}
    return {"dir": str(out), "key": key, "counts": counts, "vocabulary_size": len(vocab.words)}


@task(name="tfidf-imdb", task_run_name="tfidf-imdb", cache_policy=STAGED)
def tfidf_imdb(prepared: dict) -> dict:
    """TF-IDF matrices of every part, from a vectorizer fitted on the training reviews only."""
    config = TfidfConfig()
    key = step_key(tfidf_imdb, prepared["key"], asdict(config))
    out = content_dir(get_settings().staging_dir / "imdb" / "tfidf", key)
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
    return {"dir": str(out), "key": key, "features": len(vectorizer.vocabulary_), "config": asdict(config)}
