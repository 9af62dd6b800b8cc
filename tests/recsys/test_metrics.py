"""Metric functions against values computed by hand."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from cinepipe.recsys.metrics import (
    mae,
    map_at_k,
    ndcg_at_k,
    precision_at_k,
    recall_at_k,
    rmse,
)


def test_rmse_and_mae_by_hand():
    truth, pred = np.array([4.0, 3.0, 5.0, 1.0]), np.array([3.0, 3.0, 4.0, 3.0])
    # errors 1, 0, 1, -2: squares 1, 0, 1, 4
    assert rmse(truth, pred) == pytest.approx(math.sqrt(6 / 4))
    assert mae(truth, pred) == pytest.approx(4 / 4)


@pytest.fixture
def lists():
    """User 1: hits at ranks 1 and 3 of 3 relevant; user 2: hit at rank 2 of 1 relevant; user 3: no list."""
    truth = pd.DataFrame({"user_id": [1, 1, 1, 2, 3], "movie_id": [10, 30, 99, 21, 5]})
    recs = pd.DataFrame(
        {
            "user_id": [1, 1, 1, 2, 2],
            "movie_id": [10, 20, 30, 20, 21],
            "rank": [1, 2, 3, 1, 2],
        }
    )
    return truth, recs


def test_precision_and_recall_at_k(lists):
    truth, recs = lists
    assert precision_at_k(truth, recs, k=3) == pytest.approx((2 / 3 + 1 / 3 + 0) / 3)
    assert recall_at_k(truth, recs, k=3) == pytest.approx((2 / 3 + 1 / 1 + 0) / 3)
    # k cuts the list: user 1 keeps rank 1 only, user 2 nothing
    assert precision_at_k(truth, recs, k=1) == pytest.approx((1 + 0 + 0) / 3)


def test_ndcg_at_k(lists):
    truth, recs = lists
    user1 = (1 + 1 / math.log2(4)) / (1 + 1 / math.log2(3) + 1 / math.log2(4))
    user2 = (1 / math.log2(3)) / 1.0
    assert ndcg_at_k(truth, recs, k=3) == pytest.approx((user1 + user2 + 0) / 3)


def test_map_at_k_normalised_by_min_k_and_relevant(lists):
    truth, recs = lists
    user1 = (1 / 1 + 2 / 3) / min(3, 3)
    user2 = (1 / 2) / min(3, 1)
    assert map_at_k(truth, recs, k=3) == pytest.approx((user1 + user2 + 0) / 3)
    # with k=2 user 1 has 3 relevant items but only min(2, 3) = 2 slots
    assert map_at_k(truth, recs, k=2) == pytest.approx((1 / 2 + 1 / 2 + 0) / 3)


def test_perfect_list_scores_one():
    truth = pd.DataFrame({"user_id": [1, 1], "movie_id": [1, 2]})
    recs = truth.assign(rank=[1, 2])
    for metric in (recall_at_k, ndcg_at_k, map_at_k):
        assert metric(truth, recs, k=10) == pytest.approx(1.0)
    assert precision_at_k(truth, recs, k=10) == pytest.approx(0.2)
