"""Train task of the MovieLens branch: the model whose lists users get, fitted on all ratings."""

from __future__ import annotations

import json

from prefect import task

from cinepipe.movielens.snapshot import read_ratings
from cinepipe.recsys.registry import build, export_model_for
from cinepipe.settings import get_settings
from cinepipe.tasks._common import TRAINED, step_key


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
    return {"dir": str(out), "model": name, "key": key, "dataset": snapshot["dataset"]}
