"""The one planted-ratings generator."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cinepipe.recsys.baselines import Biases
from cinepipe.recsys.metrics import rmse
from cinepipe.recsys.splits import random_split
from cinepipe.recsys.synthetic import Planted, PlantedRatings, planted_ratings
from cinepipe.storage.columns import ITEM, RATING, USER


def test_planted_ratings_are_distinct_pairs_on_the_scale_and_repeat_by_seed():
    ratings = planted_ratings(n_users=80, n_items=60, n_ratings=1_500, seed=4)
    assert len(ratings) == 1_500 and not ratings.duplicated([USER, ITEM]).any()
    assert ratings[USER].min() >= 1 and ratings[ITEM].min() >= 1
    assert set(ratings[RATING]) <= {1.0, 2.0, 3.0, 4.0, 5.0}
    halves = planted_ratings(n_users=80, n_items=60, n_ratings=1_500, seed=4, half_stars=True)
    assert set(halves[RATING]) <= {k / 2 for k in range(1, 11)} and (halves[RATING] % 1 == 0.5).any()
    pd.testing.assert_frame_equal(ratings, planted_ratings(n_users=80, n_items=60, n_ratings=1_500, seed=4))
    assert not ratings.equals(planted_ratings(n_users=80, n_items=60, n_ratings=1_500, seed=5))


def test_the_planted_biases_are_there_to_learn():
    train, test = random_split(planted_ratings(n_users=150, n_items=100, n_ratings=5_000, seed=2), 0.2, 42)
    predicted = Biases().fit(train).predict(test[USER].to_numpy(), test[ITEM].to_numpy())
    assert rmse(test[RATING], predicted) < 0.9 * rmse(test[RATING], np.full(len(test), train[RATING].mean()))


def test_blocks_split_the_users_and_draw_about_all_the_ratings():
    planted = PlantedRatings(Planted(n_users=120, n_items=50, n_ratings=3_000), np.random.default_rng(1))
    blocks = list(planted.blocks(1_000))
    assert len(blocks) == 3
    highest = -1
    for users, items, ratings in blocks:
        assert users.min() > highest and len(set(zip(users, items))) == len(users)
        highest = users.max()
    assert abs(sum(len(b[0]) for b in blocks) - 3_000) <= 3
