"""Train task of the MovieLens branch: the model whose lists users get, fitted on all ratings."""

from __future__ import annotations

import json
from pathlib import Path

from prefect import task

from cinepipe.movielens.snapshot import read_ratings
from cinepipe.recsys.registry import build, export_model_for
from cinepipe.settings import get_settings
from cinepipe.tasks._common import TRAINED, step_key
from cinepipe.tasks.train.movielens_refresh import prune_models


@task(name="train-movielens", task_run_name="train-movielens[{snapshot[dataset]}]", cache_policy=TRAINED)
def train_movielens(snapshot: dict, quick: bool, seed: int) -> dict:
    """Fit the export model on every rating of the snapshot; save it under artifacts/."""
    ratings = read_ratings(snapshot)
    name = export_model_for(ratings["movie_id"].nunique())
    model = build(name, seed=seed, quick=quick).fit(ratings)
    key = step_key(train_movielens, snapshot["key"], name, quick, seed)
    out = get_settings().artifacts_dir / "movielens" / snapshot["dataset"] / name / key
    model.save(out)
    (out / "trained_on.json").write_text(json.dumps({"snapshot": snapshot, "quick": quick, "seed": seed}, indent=2))
    prune_models(out.parent, snapshot["dataset"])
    return {"dir": str(out), "model": name, "key": key, "dataset": snapshot["dataset"]}


def trained_model(snapshot: dict, quick: bool, seed: int) -> dict:
    """``train_movielens`` inside a flow, run again when its cached result names a model directory
    that is gone (pruned, or artifacts/ cleared by hand)."""
    trained = train_movielens(snapshot, quick, seed)
    if not Path(trained["dir"]).is_dir():
        trained = train_movielens.with_options(refresh_cache=True)(snapshot, quick, seed)
    return trained
