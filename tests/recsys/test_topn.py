"""Blocked top-N: never a training item, same lists whatever the block size, cold start marked."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cinepipe.recsys.evaluate import run_protocol
from cinepipe.recsys.registry import build
from cinepipe.recsys.synthetic import planted_ratings
from cinepipe.recsys.topn import TOP_N_COLUMNS, top_n


@pytest.fixture(scope="module")
def train():
    ratings = planted_ratings(n_users=120, n_items=150, n_ratings=3_000, seed=4)
    few = pd.DataFrame({"user_id": [500, 500, 501], "movie_id": [1, 2, 3], "rating": [5.0, 4.0, 3.0]})
    return pd.concat([ratings, few], ignore_index=True)


@pytest.fixture(scope="module", params=["ease", "biases", "popularity"])
def model(request, train):
    return build(request.param, quick=True).fit(train)


def test_no_training_item_is_ever_recommended(model, train):
    lists = top_n(model, train, n=10)
    rated = set(zip(train.user_id, train.movie_id, strict=True))
    assert not [pair for pair in zip(lists.user_id, lists.movie_id, strict=True) if pair in rated]
    assert list(lists.columns) == TOP_N_COLUMNS
    assert (lists.groupby("user_id").size() == 10).all()


def test_lists_match_a_full_sort_whatever_the_block_size(model, train):
    one_block = top_n(model, train, n=5, cold_start_min_ratings=0)
    tiny_blocks = top_n(model, train, n=5, cold_start_min_ratings=0, max_block_cells=3 * model.index.n_items)
    pd.testing.assert_frame_equal(one_block, tiny_blocks)
    user = 7
    dense = model.index.user_idx(np.array([user]))
    scores = model.score_users(dense)[0].astype(np.float64)
    rated = train.loc[train.user_id == user, "movie_id"].to_numpy()
    scores[model.index.item_idx(rated)] = -np.inf
    best = model.index.items[np.argsort(-scores, kind="stable")[:5]]
    got = one_block[one_block.user_id == user].sort_values("rank")
    assert np.isclose(np.sort(scores)[::-1][:5], got.score.to_numpy(), rtol=1e-5).all()
    assert set(best) == set(got.movie_id) or len(set(np.sort(scores)[::-1][:6])) < 6  # ties may swap


def test_cold_start_users_get_marked_popularity_lists(model, train):
    lists = top_n(model, train, n=10, users=np.array([1, 500, 501, 99_999]), cold_start_min_ratings=5)
    cold = lists[lists.cold_start]
    assert set(cold.user_id) == {500, 501, 99_999} and (cold.model == "popularity").all()
    assert not lists[lists.user_id == 1].cold_start.any()
    assert not set(cold[cold.user_id == 500].movie_id) & {1, 2}
    assert (cold.groupby("user_id").size() == 10).all()
    assert (lists.groupby("user_id")["rank"].apply(lambda r: list(r) == list(range(1, 11)))).all()


def test_run_protocol_returns_tidy_rows(train):
    rows = run_protocol(["popularity", "ease"], "stratified-75-25", train, quick=True)
    assert set(rows.metric) == {"precision_at_10", "recall_at_10", "ndcg_at_10", "map_at_10"}
    assert rows.value.between(0, 1).all() and (rows.n_train + rows.n_test == len(train)).all()
    rating_rows = run_protocol(["global_mean", "biases"], "random-70-30", train)
    assert set(rating_rows.metric) == {"rmse", "mae"} and set(rating_rows.protocol) == {"random-70-30"}
    given = run_protocol(["biases"], "ml100k-u1", train=train.iloc[:2000], test=train.iloc[2000:])
    assert (given.n_train == 2000).all() and (given.n_test == len(train) - 2000).all()
