"""Run models on an evaluation protocol and return tidy metric rows for ``eval_metrics``."""

from __future__ import annotations

import time
from collections.abc import Sequence

import pandas as pd

from cinepipe.errors import ModelError
from cinepipe.recsys.base import RatingModel
from cinepipe.recsys.metrics import RANKING_METRICS, RATING_METRICS
from cinepipe.recsys.registry import build
from cinepipe.recsys.splits import PROTOCOLS, split_for
from cinepipe.recsys.topn import top_n
from cinepipe.storage.columns import DEFAULT_K, ITEM, RATING, USER

RESULT_COLUMNS = ["model", "protocol", "metric", "value", "n_train", "n_test", "fit_seconds"]


def rating_metrics(model: RatingModel, test: pd.DataFrame, metrics: Sequence[str]) -> dict[str, float]:
    """Named rating metrics of a fitted model's predictions on ``test``."""
    predicted = model.predict(test[USER].to_numpy(), test[ITEM].to_numpy())
    return {name: RATING_METRICS[name](test[RATING].to_numpy(), predicted) for name in metrics}


def ranking_metrics(
    model: RatingModel,
    train: pd.DataFrame,
    test: pd.DataFrame,
    metrics: Sequence[str],
    k: int = DEFAULT_K,
    cold_start_min_ratings: int = 5,
) -> dict[str, float]:
    """Named ranking metrics of the model's top-``k`` lists (train items excluded) against ``test``."""
    lists = top_n(model, train, k, users=test[USER].unique(), cold_start_min_ratings=cold_start_min_ratings)
    return {name: RANKING_METRICS[name](test, lists, k) for name in metrics}


def run_protocol(
    models: Sequence[str],
    protocol: str,
    ratings: pd.DataFrame | None = None,
    train: pd.DataFrame | None = None,
    test: pd.DataFrame | None = None,
    seed: int = 42,
    quick: bool = False,
    cold_start_min_ratings: int = 5,
) -> pd.DataFrame:
    """Fit each named model on the protocol's train split and score it on the test split.

    Args:
        models: registry names (``cinepipe.recsys.registry.MODELS``).
        protocol: a name from ``splits.PROTOCOLS``.
        ratings: all ratings (user_id, movie_id, rating), split here; or pass ``train`` and ``test``
            (required for ``ml100k-u1``, from u1.base / u1.test).
        seed: split and model seed.
        quick: few-epoch models, for tests and the bundled sample.
        cold_start_min_ratings: ranking protocols give users with fewer train ratings the popularity list.

    Returns:
        One row per (model, metric): model, protocol, metric, value, n_train, n_test, fit_seconds.
    """
    spec = PROTOCOLS.get(protocol)
    if spec is None:
        raise ModelError(protocol, "is not an evaluation protocol", f"Use one of {sorted(PROTOCOLS)}.")
    if train is None or test is None:
        if ratings is None:
            raise ModelError(
                protocol, "got neither ratings nor a train/test pair", "Pass ratings, or train and test."
            )
        train, test = split_for(protocol, ratings, seed)
    rows = []
    for name in models:
        started = time.perf_counter()
        model = build(name, seed=seed, quick=quick).fit(train)
        fit_seconds = time.perf_counter() - started
        if spec.per_user:
            values = ranking_metrics(model, train, test, spec.metrics, DEFAULT_K, cold_start_min_ratings)
        else:
            values = rating_metrics(model, test, spec.metrics)
        rows += [
            (name, protocol, metric, value, len(train), len(test), fit_seconds)
            for metric, value in values.items()
        ]
    return pd.DataFrame(rows, columns=RESULT_COLUMNS)
