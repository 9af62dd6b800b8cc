"""The promotion gate's decision, as a plain function."""

from __future__ import annotations

import numpy as np
import pytest

from cinepipe.promotion import (
    KEPT,
    MOVIELENS_LISTS,
    NAVER,
    PROMOTED,
    Serving,
    decide,
    majority_class_accuracy,
)


def test_the_first_run_promotes_its_best_candidate_that_beats_the_baseline():
    d = decide(MOVIELENS_LISTS, "ml", {"popularity": 0.40, "ease": 0.45, "rp3beta": 0.47}, None, 0.01)
    assert (d.decision, d.model, d.value, d.serves) == (PROMOTED, "rp3beta", 0.47, "rp3beta")
    assert (d.baseline_model, d.baseline_value, d.serving_model) == ("popularity", 0.40, None)
    assert d.reason.startswith("first run")


def test_a_first_run_without_a_candidate_above_the_baseline_serves_the_baseline():
    d = decide(MOVIELENS_LISTS, "ml", {"popularity": 0.4345, "ease": 0.420}, None, 0.01)
    assert (d.decision, d.model, d.serves) == (PROMOTED, "popularity", "popularity")
    assert "does not beat popularity" in d.reason and "baseline serves" in d.reason


def test_a_candidate_below_the_baseline_is_not_promoted():
    d = decide(MOVIELENS_LISTS, "ml", {"popularity": 0.4345, "ease": 0.420}, Serving("ease", 0.41), 0.5)
    assert (d.decision, d.model, d.serves) == (KEPT, "ease", "ease")
    assert "does not beat popularity" in d.reason and "ease keeps serving" in d.reason


def test_a_tie_with_the_baseline_does_not_beat_it():
    d = decide(MOVIELENS_LISTS, "ml", {"popularity": 0.40, "ease": 0.40}, Serving("als", 0.41), 0.5)
    assert d.decision == KEPT and d.serves == "als"


def test_a_regression_beyond_the_tolerance_is_not_promoted():
    d = decide(MOVIELENS_LISTS, "ml", {"popularity": 0.40, "ease": 0.45}, Serving("ease", 0.48), 0.01)
    assert (d.decision, d.serves, d.serving_value) == (KEPT, "ease", 0.48)
    assert "falls behind the serving ease" in d.reason


def test_a_shortfall_within_the_tolerance_is_promoted():
    d = decide(MOVIELENS_LISTS, "ml", {"popularity": 0.40, "ease": 0.476}, Serving("blend", 0.48), 0.01)
    assert (d.decision, d.serves) == (PROMOTED, "ease")
    assert decide(MOVIELENS_LISTS, "ml", {"popularity": 0.40, "ease": 0.476}, Serving("blend", 0.48), 0.0).decision == KEPT


def test_a_serving_figure_on_another_measure_is_not_compared():
    d = decide(MOVIELENS_LISTS, "ml", {"popularity": 0.40, "ease": 0.41}, Serving("blend", None), 0.0)
    assert d.decision == PROMOTED and d.serving_model == "blend"


def test_no_candidate_keeps_the_serving_model():
    d = decide(MOVIELENS_LISTS, "ml", {"popularity": 0.40}, Serving("ease", 0.45), 0.01)
    assert d.decision == KEPT and d.serves == "ease"


def test_lower_is_better_for_an_error_metric():
    values = {"mean": 0.80, "linear": 0.70, "keras-mlp": 0.72}
    assert decide(NAVER, "naver", values, None, 0.01).model == "linear"
    assert decide(NAVER, "naver", values, Serving("linear", 0.60), 0.01).decision == KEPT
    assert decide(NAVER, "naver", values, Serving("linear", 0.6950), 0.01).decision == PROMOTED
    assert decide(NAVER, "naver", {"mean": 0.70, "linear": 0.75}, None, 0.01).serves == "mean"


def test_nan_figures_are_ignored_and_the_baseline_is_required():
    d = decide(MOVIELENS_LISTS, "ml", {"popularity": 0.40, "ease": float("nan"), "als": 0.42}, None, 0.01)
    assert d.model == "als"
    with pytest.raises(KeyError):
        decide(MOVIELENS_LISTS, "ml", {"ease": 0.42}, None, 0.01)


def test_majority_class_accuracy():
    assert majority_class_accuracy(np.array([1, 1, 0]), np.array([1, 0, 0, 0])) == 0.25
    assert majority_class_accuracy(np.array([1, 1, 0]), np.array([1, 0]), np.array([3, 1])) == 0.75
