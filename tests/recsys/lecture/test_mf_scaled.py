import numpy as np
import pytest
from scipy import sparse

from cinepipe.recsys.lecture.mf_scaled import ScaledMF, als_half_step
from cinepipe.storage.columns import ITEM, USER


def test_half_step_is_the_ridge_solution_per_row():
    rng = np.random.default_rng(0)
    q = rng.normal(size=(4, 2))
    targets = sparse.csr_matrix(np.array([[1.0, 0.0, 2.0, -1.0], [0.0, 0.0, 0.0, 0.0]]))
    p = als_half_step(targets, q, reg=0.5)
    rated = q[[0, 2, 3]]
    expected = np.linalg.solve(rated.T @ rated + 0.5 * 3 * np.eye(2), rated.T @ np.array([1.0, 2.0, -1.0]))
    np.testing.assert_allclose(p[0], expected)
    np.testing.assert_allclose(p[1], 0.0)  # no ratings: no factor


@pytest.mark.parametrize("scaled", [False, True])
def test_learns_a_planted_pattern(planted, scaled):
    model = ScaledMF(scaled=scaled, reg=0.15 if not scaled else 0.25).fit(planted.train)
    assert planted.rmse_of(model) < 0.8 * planted.global_mean_rmse


def test_same_seed_same_predictions(planted):
    users, items = planted.test[USER].to_numpy(), planted.test[ITEM].to_numpy()
    a = ScaledMF(scaled=True, seed=1).fit(planted.train).predict(users, items)
    b = ScaledMF(scaled=True, seed=1).fit(planted.train).predict(users, items)
    np.testing.assert_array_equal(a, b)


def test_unknown_pairs_fall_back_to_biases(planted):
    model = ScaledMF().fit(planted.train)
    out = model.predict(np.array([10_000, 1]), np.array([1, 10_000]))
    assert np.all((out >= 1.0) & (out <= 5.0))
    assert model.name == "mf_als" and ScaledMF(scaled=True).name == "mf_als_scaled"
