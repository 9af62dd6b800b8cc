import itertools

import numpy as np
import pandas as pd
import pytest

from cinepipe.recsys.lecture.rbm import (
    RBMCF,
    cd_gradients,
    free_energy,
    hidden_probs,
    one_hot_cases,
    sample_levels,
    visible_probs,
)
from cinepipe.storage.columns import ITEM, RATING, USER


@pytest.fixture
def toy():
    """2 visible groups x K=2 levels x 2 hidden units, fixed random parameters."""
    rng = np.random.default_rng(0)
    return rng.normal(0, 1, (2, 2, 2)), rng.normal(0, 1, (2, 2)), rng.normal(0, 1, 2)


def _energy(v: np.ndarray, h: np.ndarray, w, b, c) -> float:
    """E(v, h) = -sum v_ik W_ikf h_f - sum v_ik b_ik - sum h_f c_f, v as (groups, K) one-hot."""
    return -np.einsum("ik,ikf,f->", v, w, h) - (v * b).sum() - h @ c


def _one_hot(levels: list[int], k: int = 2) -> np.ndarray:
    return np.eye(k)[levels]


def test_free_energy_matches_brute_force_over_hidden_states(toy):
    w, b, c = toy
    for levels in itertools.product(range(2), repeat=2):
        v = _one_hot(list(levels))
        brute = -np.log(sum(np.exp(-_energy(v, np.array(h, float), w, b, c)) for h in itertools.product([0, 1], repeat=2)))
        assert free_energy(v.reshape(1, -1), w, b, c)[0] == pytest.approx(brute, rel=1e-10)


def test_conditionals_match_brute_force(toy):
    w, b, c = toy
    v = _one_hot([1, 0])
    # p(h_f = 1 | v) by enumerating the four hidden states
    states = [np.array(h, float) for h in itertools.product([0, 1], repeat=2)]
    weights = np.array([np.exp(-_energy(v, h, w, b, c)) for h in states])
    brute_h = sum(wt * h for wt, h in zip(weights, states)) / weights.sum()
    np.testing.assert_allclose(hidden_probs(v.reshape(1, -1), w, c)[0], brute_h, rtol=1e-10)
    # p(v_0 = level | h) by enumerating group 0's two levels with group 1 fixed
    h = np.array([1.0, 0.0])
    scores = np.array([np.exp(-_energy(_one_hot([level, 0]), h, w, b, c)) for level in range(2)])
    np.testing.assert_allclose(visible_probs(h[None], w, b, np.array([0]))[0], scores / scores.sum(), rtol=1e-10)


def test_softmax_visible_probabilities_sum_to_one():
    rng = np.random.default_rng(1)
    w, b = rng.normal(0, 3, (7, 5, 4)), rng.normal(0, 3, (7, 5))
    probs = visible_probs(rng.random((20, 4)), w, b, rng.integers(0, 7, 20))
    assert probs.shape == (20, 5) and np.all(probs >= 0)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0)


def test_level_sampling_follows_the_probabilities_and_the_seed():
    probs = np.tile([0.1, 0.2, 0.7], (20000, 1))
    draws = sample_levels(probs, np.random.default_rng(5))
    np.testing.assert_allclose(np.bincount(draws, minlength=3) / len(draws), [0.1, 0.2, 0.7], atol=0.01)
    np.testing.assert_array_equal(draws, sample_levels(probs, np.random.default_rng(5)))


def test_cd_update_raises_the_observed_level_and_lowers_the_others():
    # One group, K=2, one hidden unit, all parameters 0; the data say level 1.
    w, b, c = np.zeros((1, 2, 1)), np.zeros((1, 2)), np.zeros(1)
    v = one_hot_cases(np.array([0]), np.array([0]), np.array([1]), 1, 1, 2)
    grad = cd_gradients(v, w, b, c, np.random.default_rng(0), steps=1, sample_visible=False)
    # data: v = (0, 1), h = 0.5; reconstruction: v = (0.5, 0.5), h = 0.5
    np.testing.assert_allclose(grad.visible_bias, [[-0.5, 0.5]])
    np.testing.assert_allclose(grad.weights[0, :, 0], [-0.25, 0.25])
    np.testing.assert_allclose(grad.hidden_bias, [0.0])


def test_half_stars_get_one_softmax_unit_each():
    train = pd.DataFrame({USER: [1, 1, 2, 2, 3], ITEM: [1, 2, 1, 2, 1], RATING: [0.5, 3.5, 5.0, 3.5, 4.5]})
    model = RBMCF(epochs=1).fit(train)
    np.testing.assert_array_equal(model.levels, [0.5, 3.5, 4.5, 5.0])
    assert model.weights.shape[1] == 4
    out = model.predict(np.array([1, 3]), np.array([2, 2]))
    assert np.all((out >= 0.5) & (out <= 5.0))


@pytest.mark.parametrize("kind", ["user", "item"])
def test_learns_a_planted_pattern(planted, kind):
    model = RBMCF(kind=kind, epochs=60, batch_size=10, learning_rate=0.05, hidden=20).fit(planted.train)
    assert planted.rmse_of(model) < 0.85 * planted.global_mean_rmse


def test_same_seed_same_model(planted):
    a = RBMCF(epochs=2, seed=3).fit(planted.train)
    b = RBMCF(epochs=2, seed=3).fit(planted.train)
    c = RBMCF(epochs=2, seed=4).fit(planted.train)
    np.testing.assert_array_equal(a.weights, b.weights)
    assert not np.array_equal(a.weights, c.weights)


def test_save_and_load_predict_the_same(planted, tmp_path):
    from cinepipe.recsys.persist import load_model

    model = RBMCF(kind="item", epochs=2).fit(planted.train)
    model.save(tmp_path / "rbm")
    again = load_model(tmp_path / "rbm")
    users, items = planted.test[USER].to_numpy(), planted.test[ITEM].to_numpy()
    np.testing.assert_allclose(again.predict(users, items), model.predict(users, items))
