"""Time-aware EASE: it finds what a user rated next to their other ratings, tunes on train only."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cinepipe.recsys import time_ease
from cinepipe.recsys.evaluate import ranking_metrics
from cinepipe.recsys.persist import load_model
from cinepipe.recsys.registry import RANKING_MODELS, build
from cinepipe.recsys.splits import stratified_split
from cinepipe.recsys.topn import top_n
from cinepipe.storage.columns import ITEM, RATED_AT_EPOCH_S, RATING, USER


def walked_ratings(n_users: int = 300, n_items: int = 120, n_windows: int = 6, width: int = 10,
                   rate_share: float = 0.7, seed: int = 0) -> pd.DataFrame:
    """Seeded ratings given in sessions: the movies stand in a hidden circular order, and each user
    rates, one session after another, about ``rate_share`` of ``n_windows`` windows of ``width``
    neighbours in that order, in order. Movies rated in one session are related; a user's sessions
    are not, so counting who rated both mixes the two, and only *when* two movies were rated tells
    them apart. Popularity is flat and tells nothing.

    Returns:
        user_id, movie_id, rating, rated_at_epoch_s; one row per (user, movie).
    """
    rng = np.random.default_rng(seed)
    order = rng.permutation(n_items)
    rows = []
    for user in range(n_users):
        clock, rated = 900_000_000 + int(rng.integers(0, 10_000_000)), set()
        for start in rng.choice(n_items, n_windows, replace=False):
            for step in range(width):
                movie = int(order[(start + step) % n_items])
                if movie in rated or rng.random() > rate_share:
                    continue
                rated.add(movie)
                clock += int(rng.integers(5, 120))
                rows.append((user + 1, movie + 1, float(rng.integers(1, 6)), clock))
            clock += int(rng.integers(3_600, 86_400))  # the next session
    return pd.DataFrame(rows, columns=[USER, ITEM, RATING, RATED_AT_EPOCH_S])


@pytest.fixture(scope="module")
def session_split():
    return stratified_split(walked_ratings(), 0.25, seed=42)


@pytest.fixture(scope="module")
def fitted(session_split):
    train, _ = session_split
    return build("time_ease", quick=True).fit(train)


def _pairs(frame: pd.DataFrame) -> set[tuple[int, int]]:
    return set(zip(frame[USER], frame[ITEM], strict=True))


def _ndcg(model, train, test) -> float:
    return ranking_metrics(model, train, test, ["ndcg_at_10"])["ndcg_at_10"]


def test_is_evaluated_each_run():
    assert "time_ease" in RANKING_MODELS


def test_finds_sessions_better_than_popularity_and_than_without_time(session_split, fitted):
    train, test = session_split
    popularity = build("popularity").fit(train)
    timeless = build("time_ease", quick=True).fit(train.drop(columns=RATED_AT_EPOCH_S))
    assert fitted.choice.order_scale is not None  # the time-weighted Gram won on the inner slice
    assert timeless.choice.order_scale is None  # without timestamps: the plain Gram
    ndcg = _ndcg(fitted, train, test)
    assert ndcg > _ndcg(popularity, train, test) + 0.2  # measured 0.47 against 0.11
    assert ndcg > _ndcg(timeless, train, test) + 0.015  # measured 0.47 against 0.44


def test_tunes_on_train_only(session_split, monkeypatch):
    """Every Gram the model builds, while choosing its hyperparameters and after, holds only train rows."""
    train, test = session_split
    frames = []
    real = time_ease.order_gram
    monkeypatch.setattr(time_ease, "order_gram", lambda ratings, *a: (frames.append(ratings), real(ratings, *a))[1])
    build("time_ease", quick=True).fit(train)
    train_pairs, test_pairs = _pairs(train), _pairs(test)
    assert frames
    for frame in frames:
        assert _pairs(frame) <= train_pairs and not _pairs(frame) & test_pairs
    assert any(len(f) < len(train) for f in frames)  # candidates judged on the inner slice
    assert len(frames[-1]) == len(train)  # the chosen one refitted on all of it


def test_saved_model_gives_the_same_lists(session_split, fitted, tmp_path):
    train, _ = session_split
    fitted.save(tmp_path / "time_ease")
    loaded = load_model(tmp_path / "time_ease")
    assert loaded.choice == fitted.choice
    pd.testing.assert_frame_equal(top_n(loaded, train, n=10), top_n(fitted, train, n=10))


def test_lists_leave_out_what_was_rated(session_split, fitted):
    train, _ = session_split
    lists = top_n(fitted, train, n=10, cold_start_min_ratings=0)
    assert lists.groupby(USER).size().eq(10).all()
    assert not _pairs(lists) & _pairs(train)


def test_same_second_ratings_share_their_place():
    users = np.array([0, 0, 0, 0, 1, 1])
    stamps = np.array([5, 5, 9, 12, 1, 2])
    np.testing.assert_allclose(time_ease._mean_places(users, stamps), [0.5, 0.5, 2, 3, 0, 1])


def test_gram_weights_pairs_by_closeness_in_time():
    ratings = pd.DataFrame({USER: [1, 1, 1], ITEM: [10, 20, 30], RATING: [4.0, 4.0, 4.0],
                            RATED_AT_EPOCH_S: [100, 200, 300]})
    index = time_ease.IdIndex.from_ratings(ratings)
    gram = time_ease.order_gram(ratings, index, order_scale=1.0, floor=0.1)
    near, far = 0.1 + 0.9 * np.exp(-1.0), 0.1 + 0.9 * np.exp(-2.0)
    np.testing.assert_allclose(gram, [[1, near, far], [near, 1, near], [far, near, 1]], rtol=1e-6)
    plain = time_ease.order_gram(ratings.drop(columns=RATED_AT_EPOCH_S), index, order_scale=1.0, floor=0.1)
    np.testing.assert_allclose(plain, np.ones((3, 3)))


def test_warm_refresh_takes_a_users_new_ratings_without_timestamps(session_split, fitted, tmp_path):
    """The refresh reads only (user, movie, rating): scoring needs no timestamps."""
    train, _ = session_split
    fitted.save(tmp_path / "time_ease")
    model = load_model(tmp_path / "time_ease")
    user = int(train[USER].iloc[0])
    before = top_n(model, train, n=10, users=[user], cold_start_min_ratings=0)
    picked = int(before[ITEM].iloc[0])
    history = train[train[USER] == user][[USER, ITEM, RATING]]
    history = pd.concat([history, pd.DataFrame({USER: [user], ITEM: [picked], RATING: [5.0]})], ignore_index=True)
    row = int(model.index.user_idx(np.array([user]))[0])
    scores_before = model.score_users(np.array([row]))
    model.fold_in(history)
    assert int(model.index.item_idx(np.array([picked]))[0]) in set(model.seen[row].indices)
    assert not np.allclose(model.score_users(np.array([row])), scores_before)  # the new rating counts
    np.testing.assert_array_equal(model.weights, fitted.weights)  # item weights wait for the next fit
