import numpy as np
import pandas as pd
import pytest

from cinepipe.errors import ModelError
from cinepipe.naver.study import (
    cross_validate,
    make_figures,
    round_half_star,
    score_stats,
    study_rows,
)


def _scores(n=120, seed=0):
    rng = np.random.default_rng(seed)
    netizen = rng.normal(7.5, 1.0, n).clip(1, 10)
    critic = (netizen * 0.6 + rng.normal(1.5, 0.8, n)).clip(0, 10)
    my = np.clip(np.round((3 + 0.6 * (netizen - 7.5) + rng.normal(0, 0.5, n)) * 2) / 2, 0.5, 5)
    frame = pd.DataFrame({"my_score": my, "netizen_score": netizen, "critic_score": critic})
    frame.loc[:4, "critic_score"] = None
    return frame.astype({"netizen_score": "Float64", "critic_score": "Float64"})


def test_study_rows_drop_missing_and_stats_are_symmetric():
    frame = study_rows(_scores())
    assert len(frame) == 115
    stats = score_stats(frame)
    corr = stats["correlation"]
    assert corr.loc["my_score", "netizen_score"] == pytest.approx(corr.loc["netizen_score", "my_score"])
    assert corr.loc["my_score", "netizen_score"] > 0.5
    assert set(make_figures(frame)) == {
        "scatter_my_score_vs_netizen_score", "scatter_my_score_vs_critic_score",
        "scatter_critic_score_vs_netizen_score", "hist_my_score", "hist_netizen_score", "hist_critic_score",
    }


def test_round_half_star_clips_to_the_scale():
    assert round_half_star(np.array([0.1, 2.24, 2.26, 7.0])).tolist() == [0.5, 2.0, 2.5, 5.0]


def test_cross_validation_is_seeded_and_beats_the_mean():
    frame = study_rows(_scores())
    sk = ["mean", "linear", "logistic-balanced", "ordinal-logistic"]
    rows, preds = cross_validate(frame, seed=42, only=sk)
    again, _ = cross_validate(frame, seed=42, only=sk)
    assert rows == again
    value = {(r["model"], r["metric"]): r["value"] for r in rows}
    assert {r["metric"] for r in rows} == {"rmse", "mae", "accuracy"}
    assert value[("linear", "rmse")] < value[("mean", "rmse")]
    assert value[("ordinal-logistic", "mae")] < value[("mean", "mae")]
    assert all(r["n_test"] == 115 and r["n_train"] == 92 for r in rows)
    assert list(preds.columns) == ["my_score", *sk]


def test_keras_model_runs_quick():
    rows, _ = cross_validate(study_rows(_scores(60)), seed=1, quick=True, only=["keras-mlp"])
    assert {r["model"] for r in rows} == {"keras-mlp"} and len(rows) == 3


def test_too_few_rows_is_a_model_error():
    with pytest.raises(ModelError, match="at least 20"):
        cross_validate(study_rows(_scores(15)))
