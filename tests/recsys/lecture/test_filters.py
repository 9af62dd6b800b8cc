import numpy as np
import pandas as pd

from cinepipe.recsys.lecture.filters import lecture_subset
from cinepipe.storage.columns import ITEM, RATING, TITLE, USER


def _ml100k_like_movies(n_movies: int = 1682, duplicates: int = 18, unknown_id: int = 267) -> pd.DataFrame:
    """u.item's shape: ids 1..n, ``duplicates`` later ids repeating an earlier title, one "unknown"."""
    titles = [f"Movie {i} (1995)" for i in range(1, n_movies + 1)]
    rng = np.random.default_rng(0)
    later = rng.choice(np.arange(300, n_movies), duplicates, replace=False)
    for target in later:
        titles[target] = titles[int(rng.integers(0, 299))]
    titles[unknown_id - 1] = "unknown"
    return pd.DataFrame({ITEM: np.arange(1, n_movies + 1), TITLE: titles})


def test_keeps_the_first_id_of_each_title_like_recommenderlab():
    movies = _ml100k_like_movies()
    rng = np.random.default_rng(1)
    ratings = pd.DataFrame({USER: rng.integers(1, 944, 100_000), ITEM: np.tile(np.arange(1, 1683), 60)[:100_000], RATING: 3.0})
    kept, counts = lecture_subset(ratings, movies)
    assert counts.movies_rated == 1682 and counts.movies_kept == 1664
    assert len(counts.duplicate_ids) == 18
    first_of_title = movies.drop_duplicates(TITLE)[ITEM]
    assert set(kept[ITEM]) == set(first_of_title)
    assert counts.ratings_kept == len(kept) == (~ratings[ITEM].isin(counts.duplicate_ids)).sum()
    assert 267 in set(kept[ITEM])  # "unknown" is a single title: recommenderlab keeps it


def test_optionally_drops_missing_titles():
    movies = _ml100k_like_movies()
    ratings = pd.DataFrame({USER: 1, ITEM: np.arange(1, 1683), RATING: 4.0})
    kept, counts = lecture_subset(ratings, movies, drop_missing_titles=True)
    assert counts.movies_kept == 1663 and counts.missing_title_ids == (267,)
    assert 267 not in set(kept[ITEM])


def test_only_rated_movies_count_and_columns_survive():
    movies = pd.DataFrame({ITEM: [1, 2, 3, 4], TITLE: ["A", "B", "A", "C"]})
    ratings = pd.DataFrame({USER: [1, 1, 2], ITEM: [3, 2, 1], RATING: [5.0, 4.0, 3.0], "rated_at": [1, 2, 3]})
    kept, counts = lecture_subset(ratings, movies)
    assert counts.movies_rated == 3 and counts.movies_kept == 2 and counts.duplicate_ids == (3,)
    assert list(kept.columns) == list(ratings.columns) and list(kept[ITEM]) == [2, 1]
