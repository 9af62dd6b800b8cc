"""The model whose lists are out: its pointer file, its pruning, and when a refresh gives way to a retrain."""

from __future__ import annotations

import json

import pandas as pd

from cinepipe.movielens.serving import (
    TrainedRecommender,
    latest_model,
    prune_models,
    refresh_lists,
    remember_model,
)
from cinepipe.recsys.registry import build


def _trained(home, name: str, key: str) -> TrainedRecommender:
    out = home.artifacts_dir / "movielens" / "ml-test" / name / key
    out.mkdir(parents=True)
    return TrainedRecommender(str(out), name, key, "ml-test")


def test_the_pointer_names_the_model_whose_lists_are_out(home):
    assert latest_model(home, "ml-test") is None
    trained = _trained(home, "ease", "k1")
    remember_model(home, trained)
    assert latest_model(home, "ml-test") == trained
    pointer = home.artifacts_dir / "movielens" / "ml-test" / "latest.json"
    assert list(json.loads(pointer.read_text())) == ["dir", "model", "key", "dataset"]


def test_pruning_never_removes_the_model_in_service(home):
    import os

    settings = home.model_copy(update={"keep_models": 1})
    models = [_trained(home, "ease", key) for key in ("k-old", "k-mid", "k-new")]
    for age, trained in zip((9000, 8000, 7000), models):  # older than the pruning's minimum age
        os.utime(trained.dir, (os.path.getmtime(trained.dir) - age,) * 2)
    remember_model(settings, models[0])
    removed = prune_models(settings, home.artifacts_dir / "movielens" / "ml-test" / "ease", "ml-test")
    assert [p.name for p in removed] == ["k-mid"]
    assert latest_model(settings, "ml-test") == models[0]


def test_a_model_without_a_warm_refresh_asks_for_a_full_retrain_and_changes_nothing(home):
    ratings = pd.DataFrame({"user_id": [1, 1, 2], "movie_id": [10, 20, 10], "rating": [4.0, 3.0, 5.0]})
    current = _trained(home, "global_mean", "k1")
    build("global_mean").fit(ratings).save(current.dir)
    remember_model(home, current)
    assert refresh_lists(home, current, [1], {"dir": "nowhere"}, 10, 5, "k2") == {"mode": "full-retrain"}
    assert latest_model(home, "ml-test") == current
    assert not (home.artifacts_dir / "movielens" / "ml-test" / "global_mean" / "k2").exists()
