"""Transform tasks of the IMDB branch: training parts, vocabulary and encodings, TF-IDF features."""

from __future__ import annotations

from dataclasses import asdict

from prefect import task

from cinepipe.imdb.baselines import TfidfConfig
from cinepipe.imdb.checks import Validated
from cinepipe.imdb.prepare import (
    QUICK_REVIEWS_PER_SPLIT,
    Features,
    Prepared,
    prepare_reviews,
    tfidf_features,
)
from cinepipe.imdb.vocab import TOKENIZER_VERSION
from cinepipe.settings import get_settings
from cinepipe.tasks._common import STAGED, step_key


@task(name="prepare-imdb", task_run_name="prepare-imdb", cache_policy=STAGED)
def prepare_imdb(validated: Validated, quick: bool, seed: int) -> Prepared:
    """Fit/val/test parts, the train-only vocabulary and the encoded reviews, cached by content."""
    max_per_split = QUICK_REVIEWS_PER_SPLIT if quick else None
    key = step_key(prepare_imdb, validated["key"], max_per_split, seed, TOKENIZER_VERSION)
    return prepare_reviews(validated, key, seed, max_per_split, get_settings().staging_dir)


@task(name="tfidf-imdb", task_run_name="tfidf-imdb", cache_policy=STAGED)
def tfidf_imdb(prepared: Prepared) -> Features:
    """TF-IDF matrices of every part, from a vectorizer fitted on the training reviews only."""
    config = TfidfConfig()
    key = step_key(tfidf_imdb, prepared["key"], asdict(config))
    return tfidf_features(prepared, key, config, get_settings().staging_dir)
