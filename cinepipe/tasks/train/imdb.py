"""Train tasks of the IMDB branch: the Keras models of the notes and the linear baselines
(``imdb/train.py`` does the work)."""

from __future__ import annotations

from prefect import task

from cinepipe.imdb import train
from cinepipe.imdb.prepare import Features, Prepared
from cinepipe.imdb.train import TrainedModel
from cinepipe.tasks._common import CACHED_ACROSS_RUNS


@task(name="train-imdb-keras", task_run_name="train-imdb[{model}]", cache_policy=CACHED_ACROSS_RUNS)
def train_imdb_keras(prepared: Prepared, model: str, quick: bool, seed: int, run_id: str) -> TrainedModel:
    """Fit one Keras model on the fit part, validating on the val part."""
    return train.train_keras(model, prepared["dir"], prepared["key"], quick, seed, run_id)


@task(name="train-imdb-linear", task_run_name="train-imdb[{model}]", cache_policy=CACHED_ACROSS_RUNS)
def train_imdb_linear(features: Features, model: str, seed: int, run_id: str) -> TrainedModel:
    """Choose C on the val part, refit on fit + val, save the classifier."""
    return train.train_linear(model, features["dir"], features["key"], features["config"], seed, run_id)
