"""Train task of the MovieLens branch: the promoted model, whose lists users get, fitted on all ratings."""

from __future__ import annotations

from pathlib import Path

from prefect import task

from cinepipe import promotion
from cinepipe.movielens import serving
from cinepipe.movielens.serving import TrainedRecommender
from cinepipe.movielens.snapshot import Snapshot
from cinepipe.recsys.registry import export_model_for
from cinepipe.settings import get_settings
from cinepipe.storage import warehouse
from cinepipe.tasks._common import TRAINED, step_key


@task(name="train-movielens", task_run_name="train-movielens[{snapshot[dataset]}:{name}]", cache_policy=TRAINED)
def train_movielens(snapshot: Snapshot, name: str, quick: bool, seed: int) -> TrainedRecommender:
    """Fit the model ``name`` (the one the gate promoted) on every rating of the snapshot; save it
    under artifacts/."""
    key = step_key(train_movielens, snapshot["key"], name, quick, seed)
    return serving.train_model(get_settings(), snapshot, name, quick, seed, key)


def trained_model(snapshot: Snapshot, name: str, quick: bool, seed: int) -> TrainedRecommender:
    """``train_movielens`` inside a flow, run again when its cached result names a model directory
    that is gone (pruned, or artifacts/ cleared by hand)."""
    trained = train_movielens(snapshot, name, quick, seed)
    if not Path(trained.dir).is_dir():
        trained = train_movielens.with_options(refresh_cache=True)(snapshot, name, quick, seed)
    return trained


@task(name="serving-model-movielens", task_run_name="serving-model-movielens[{snapshot[dataset]}]")
def serving_list_model(snapshot: Snapshot) -> str:
    """The model in service for the dataset's lists (the gate's latest promotion); before any
    promotion, the default ranking model for the catalogue's size."""
    with warehouse.connect(get_settings()) as con:
        serving_now = promotion.serving_model(con, promotion.MOVIELENS_LISTS, snapshot["dataset"])
    return serving_now.model if serving_now else export_model_for(snapshot["n_movies"])
