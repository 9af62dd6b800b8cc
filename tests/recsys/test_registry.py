"""Which models the branch can fit at a release's size."""

from __future__ import annotations

import pytest

from cinepipe.errors import ModelError
from cinepipe.recsys.registry import (
    LECTURE_MODELS,
    MODELS,
    RANKING_MODELS,
    RATING_MODELS,
    build,
    export_model_for,
    too_large,
)
from cinepipe.recsys.synthetic import planted_ratings


def test_every_model_fits_ml_latest_small():
    assert all(too_large(m, 610, 9_742) is None for m in (*RATING_MODELS, *RANKING_MODELS))


def test_dense_models_are_left_out_at_ml_25m_size_with_the_reason():
    users, movies = 162_541, 59_047
    left_out = {m: too_large(m, users, movies) for m in (*RATING_MODELS, *RANKING_MODELS)}
    assert {m for m, why in left_out.items() if why} == {
        "item_knn", "user_knn", "i_autorec", "blend", "ease", "rp3beta", "rank_blend", "time_ease"}
    assert "59,047 movies exceed EASE's limit" in left_out["ease"]
    assert "EASE and RP3beta" in left_out["rank_blend"]
    assert "item kNN" in left_out["blend"] and "AutoRec" in left_out["blend"]
    assert export_model_for(movies) == "als"  # the lists come from a ranking model that still fits
    assert too_large("als", users, movies) is None


def test_each_model_has_one_name_its_registry_name():
    assert all(build(name).name == name for name in MODELS)
    assert set(RATING_MODELS + RANKING_MODELS + LECTURE_MODELS) <= set(MODELS)


def test_fit_refuses_what_too_large_names_before_building_matrices():
    ratings = planted_ratings(n_users=40, n_items=30, n_ratings=600, seed=5)
    model = build("ease")
    model.params.max_items = 20
    assert too_large("ease", 40, 30) is None and model.too_large(40, 30) == "30 movies exceed EASE's limit of 20"
    with pytest.raises(ModelError, match="30 movies exceed EASE's limit of 20"):
        model.fit(ratings)
    user_knn = build("user_knn")
    user_knn.params.max_items = 35  # the transposed model: its limit counts users
    with pytest.raises(ModelError, match="40 users exceed user kNN's limit of 35"):
        user_knn.fit(ratings)


def test_params_or_overrides_not_both():
    assert build("rbm_item").params.hidden == 100
    with pytest.raises(TypeError, match="not both"):
        type(build("rbm_user"))(build("rbm_user").params, hidden=3)
