"""The protocols' splits: seeded, order-independent, per-user stratified where asked."""

from __future__ import annotations

import pandas as pd
import pytest

from cinepipe.errors import ModelError
from cinepipe.recsys.splits import random_split, split_for, stratified_split
from cinepipe.recsys.synthetic import planted_ratings


@pytest.fixture
def ratings():
    frame = planted_ratings(n_users=60, n_items=40, n_ratings=900, seed=3)
    extra = pd.DataFrame({"user_id": [1000, 1001, 1001], "movie_id": [1, 1, 2], "rating": [4.0, 3.0, 5.0]})
    return pd.concat([frame, extra], ignore_index=True)


def _pairs(frame):
    return set(zip(frame.user_id, frame.movie_id, strict=True))


def test_stratified_split_puts_every_user_with_two_ratings_on_both_sides(ratings):
    train, test = stratified_split(ratings, 0.25, seed=42)
    assert _pairs(train) | _pairs(test) == _pairs(ratings)
    assert not _pairs(train) & _pairs(test)
    counts = ratings.groupby("user_id").size()
    both = counts[counts >= 2].index
    assert set(both) <= set(train.user_id) and set(both) <= set(test.user_id)
    assert 1000 in set(train.user_id) and 1000 not in set(test.user_id)  # one rating: train only
    per_user = test.groupby("user_id").size() / counts[test.user_id.unique()]
    assert per_user.between(0.1, 0.5).all()


@pytest.mark.parametrize("split", [stratified_split, random_split])
def test_splits_are_seeded_and_ignore_row_order(ratings, split):
    first = split(ratings, 0.3, seed=42)
    again = split(ratings.sample(frac=1.0, random_state=7), 0.3, seed=42)
    other = split(ratings, 0.3, seed=43)
    pd.testing.assert_frame_equal(first[1], again[1])
    assert _pairs(first[1]) != _pairs(other[1])


def test_random_split_sizes(ratings):
    train, test = random_split(ratings, 0.3, seed=42)
    assert len(test) == round(0.3 * len(ratings)) and len(train) + len(test) == len(ratings)


def test_protocol_without_generated_split_is_refused(ratings):
    with pytest.raises(ModelError):
        split_for("ml100k-u1", ratings)
