"""The lecture's data filter: MovieLens 100k as recommenderlab's ``MovieLense`` holds it.

recommenderlab builds ``MovieLense`` (943 users, 1,664 movies, 99,392 ratings) from ml-100k's
``u.data`` and ``u.item`` in ``Work/data/MovieLense/prepare_data.R``: it labels each rated movie with
its ``u.item`` title, in ascending movie id order, and drops every movie whose title already
belongs to a lower id (R's ``duplicated``: exact string match, the first id is kept), together with
all ratings of the dropped ids. Ratings are not merged: a user's rating of the dropped twin is
simply lost. ml-100k lists 18 titles under two ids, so 1,682 - 18 = 1,664 movies remain. The one
movie titled "unknown" (id 267) has a unique title and stays in ``MovieLense``; pass
``drop_missing_titles=True`` to drop it too (and any empty title), which gives 1,663 movies.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from cinepipe.storage.columns import ITEM, TITLE

MISSING_TITLES = frozenset({"", "unknown"})


@dataclass(frozen=True)
class LectureFilterCounts:
    """What the filter kept and dropped, for the run's log and the docs."""

    movies_rated: int  # distinct movies in the ratings before filtering
    movies_kept: int
    ratings_in: int
    ratings_kept: int
    duplicate_ids: tuple[int, ...]  # later ids of a repeated title, dropped
    missing_title_ids: tuple[int, ...]  # ids dropped for an empty or "unknown" title (option)


def lecture_subset(
    ratings: pd.DataFrame, movies: pd.DataFrame, drop_missing_titles: bool = False
) -> tuple[pd.DataFrame, LectureFilterCounts]:
    """Ratings restricted as recommenderlab restricts ml-100k for ``MovieLense``.

    Args:
        ratings: one row per rating with at least ``movie_id``.
        movies: one row per movie with ``movie_id`` and ``title`` (u.item's titles as read).
        drop_missing_titles: also drop movies titled "unknown" or with no title.

    Returns:
        (the kept ratings, input columns and order, fresh index; the counts).
    """
    rated = pd.Index(ratings[ITEM].unique())
    titles = movies.drop_duplicates(ITEM).set_index(ITEM)[TITLE].reindex(rated.sort_values())
    # A rated movie absent from ``movies`` has no title (NA); like R's duplicated(), a second NA is a repeat.
    duplicate = titles.duplicated(keep="first")
    missing = titles.isna() | titles.fillna("").str.strip().str.lower().isin(MISSING_TITLES)
    drop = duplicate | (missing & drop_missing_titles)
    kept = ratings[~ratings[ITEM].isin(titles.index[drop])].reset_index(drop=True)
    counts = LectureFilterCounts(
        movies_rated=len(titles),
        movies_kept=int((~drop).sum()),
        ratings_in=len(ratings),
        ratings_kept=len(kept),
        duplicate_ids=tuple(int(x) for x in titles.index[duplicate]),
        missing_title_ids=tuple(int(x) for x in titles.index[missing & drop_missing_titles & ~duplicate]),
    )
    return kept, counts
