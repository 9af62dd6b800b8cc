import numpy as np
import pandas as pd
import pytest
from scipy import sparse

from cinepipe.errors import ModelError
from cinepipe.recsys.lecture.knn import UserKNN, user_similarity
from cinepipe.storage.columns import ITEM, RATING, USER


def _matrices(dense: np.ndarray) -> tuple[sparse.csr_matrix, sparse.csr_matrix]:
    """(values, mask) from a dense matrix where 0 means unrated."""
    values = sparse.csr_matrix(dense)
    return values, sparse.csr_matrix((dense != 0).astype(float))


def test_cosine_runs_over_co_rated_items_only():
    # u0 rates items 0,1,2; u1 rates items 0,1 only: cosine over {0,1} = (5*4 + 3*2) / (sqrt(34) * sqrt(20)).
    dense = np.array([[5.0, 3.0, 1.0], [4.0, 2.0, 0.0], [0.0, 0.0, 4.0]])
    sim = user_similarity(*_matrices(dense))
    assert sim[0, 1] == pytest.approx(26 / np.sqrt(34 * 20))
    assert sim[1, 0] == pytest.approx(sim[0, 1])
    assert sim[0, 2] == pytest.approx(1.0)  # one co-rated item: identical direction
    assert sim[1, 2] == 0.0  # nothing in common
    assert np.all(np.diag(sim) == 0.0)


def test_pearson_is_cosine_of_mean_centred_ratings_with_shrinkage():
    dense = np.array([[5.0, 3.0, 1.0], [4.0, 3.0, 2.0]])
    centred = dense - dense.mean(axis=1, keepdims=True)  # [2, 0, -2] and [1, 0, -1]
    values = sparse.csr_matrix(centred)
    mask = sparse.csr_matrix(np.ones_like(dense))
    assert user_similarity(values, mask)[0, 1] == pytest.approx(1.0)
    # three co-rated items, shrinkage 3: 1.0 * 3 / (3 + 3)
    assert user_similarity(values, mask, shrinkage=3.0)[0, 1] == pytest.approx(0.5)


def test_prediction_is_the_similarity_weighted_mean_of_the_top_k_raters():
    # Users 1 and 2 share items 0-1 with user 0 and rated item 2; user 3 rated item 2 but shares nothing.
    train = pd.DataFrame(
        {
            USER: [0, 0, 1, 1, 1, 2, 2, 2, 3, 3],
            ITEM: [0, 1, 0, 1, 2, 0, 1, 2, 3, 2],
            RATING: [5.0, 1.0, 5.0, 1.0, 4.0, 4.0, 2.0, 2.0, 1.0, 5.0],
        }
    )
    model = UserKNN(k=2, similarity="cosine", shrinkage=0.0).fit(train)
    s1 = 1.0  # (5,1) vs (5,1)
    s2 = (5 * 4 + 1 * 2) / (np.sqrt(26) * np.sqrt(20))
    expected = (s1 * 4.0 + s2 * 2.0) / (s1 + s2)
    assert model.predict(np.array([0]), np.array([2]))[0] == pytest.approx(expected, rel=1e-5)
    # k=1 keeps only the most similar rater
    assert UserKNN(k=1, similarity="cosine", shrinkage=0.0).fit(train).predict(np.array([0]), np.array([2]))[
        0
    ] == pytest.approx(4.0)


def test_unknown_ids_fall_back_and_predictions_stay_on_the_scale(planted):
    model = UserKNN(centred=True).fit(planted.train)
    out = model.predict(np.array([-5, 1, 1]), np.array([1, -7, 2]))
    assert np.all(np.isfinite(out)) and out.min() >= 1.0 and out.max() <= 5.0
    assert out[0] == pytest.approx(
        np.clip(model._baseline(np.array([-1]), model.index.item_idx(np.array([1])))[0], 1, 5), rel=1e-5
    )


@pytest.mark.parametrize("centred", [False, True])
def test_learns_a_planted_pattern(planted, centred):
    model = UserKNN(centred=centred).fit(planted.train)
    assert planted.rmse_of(model) < 0.92 * planted.global_mean_rmse


def test_centring_helps_on_planted_biases(planted):
    raw = planted.rmse_of(UserKNN().fit(planted.train))
    assert planted.rmse_of(UserKNN(centred=True).fit(planted.train)) < raw


def test_one_user_cannot_train():
    with pytest.raises(ModelError):
        UserKNN().fit(pd.DataFrame({USER: [1, 1], ITEM: [1, 2], RATING: [3.0, 4.0]}))
