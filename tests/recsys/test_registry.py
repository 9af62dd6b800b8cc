"""Which models the branch can fit at a release's size."""

from __future__ import annotations

from cinepipe.recsys.registry import (
    RANKING_MODELS,
    RATING_MODELS,
    export_model_for,
    too_large,
)


def test_every_model_fits_ml_latest_small():
    assert all(too_large(m, 610, 9_742) is None for m in (*RATING_MODELS, *RANKING_MODELS))


def test_dense_models_are_left_out_at_ml_25m_size_with_the_reason():
    users, movies = 162_541, 59_047
    left_out = {m: too_large(m, users, movies) for m in (*RATING_MODELS, *RANKING_MODELS)}
    assert {m for m, why in left_out.items() if why} == {"item_knn", "user_knn", "i_autorec", "blend", "ease", "rp3beta", "rank_blend"}
    assert "59,047 movies exceed EASE's limit" in left_out["ease"]
    assert "EASE and RP3beta" in left_out["rank_blend"]
    assert "item kNN" in left_out["blend"] and "AutoRec" in left_out["blend"]
    assert export_model_for(movies) == "als"  # the lists come from a ranking model that still fits
    assert too_large("als", users, movies) is None
