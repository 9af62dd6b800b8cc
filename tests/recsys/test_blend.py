"""The rating blend: members and weights come from train alone; user kNN and ALS scores as members."""

from __future__ import annotations

import numpy as np
import pytest

from cinepipe.errors import ModelError
from cinepipe.recsys.blend import Blend, BlendParams
from cinepipe.recsys.evaluate import rating_metrics
from cinepipe.recsys.registry import build
from cinepipe.recsys.splits import random_split
from cinepipe.recsys.synthetic import planted_ratings


@pytest.fixture(scope="module")
def planted():
    ratings = planted_ratings(n_users=300, n_items=120, n_ratings=12_000, rank=3, noise=0.3, seed=1)
    return random_split(ratings, 0.2, seed=42)


def _pairs(frame) -> set[tuple[int, int]]:
    return set(zip(frame.user_id, frame.movie_id, strict=True))


@pytest.mark.parametrize("refit", [False, True])
def test_blend_members_see_train_rows_only(planted, refit):
    train, test = planted
    seen = []

    def recording_build(name, seed, quick):
        member = build(name, seed=seed, quick=quick)
        real_fit = member.fit
        member.fit = lambda frame: (seen.append(frame), real_fit(frame))[1]
        return member

    params = BlendParams(members=("biases", "item_knn", "user_knn", "als"), refit=refit, quick=True)
    blend = Blend(params, build_member=recording_build).fit(train)
    assert len(seen) == (8 if refit else 4)
    for frame in seen:
        assert _pairs(frame) <= _pairs(train) and not _pairs(frame) & _pairs(test)
    biases = rating_metrics(build("biases").fit(train), test, ["rmse"])["rmse"]
    assert rating_metrics(blend, test, ["rmse"])["rmse"] < biases - 0.03


def test_blend_without_a_member_builder_says_how_to_make_one(planted):
    with pytest.raises(ModelError, match="registry.build"):
        Blend(BlendParams(members=("biases",))).fit(planted[0])


def test_user_knn_predicts_from_similar_raters(planted):
    train, test = planted
    model = build("user_knn").fit(train)
    assert model.index.users.max() <= train.movie_id.max()  # transposed: its "users" are movies
    rmse = rating_metrics(model, test, ["rmse"])["rmse"]
    assert rmse < 0.9 * rating_metrics(build("biases").fit(train), test, ["rmse"])["rmse"]
    predicted = model.predict(np.array([10_000, 1]), np.array([1, 10_000]))
    assert np.isfinite(predicted).all()
    with pytest.raises(ModelError, match="rating model only"):
        model.score_users(np.arange(3))
