"""Read the warehouse's ratings of one dataset into a content-keyed Parquet snapshot.

Training and evaluation read the snapshot, never the live table, and their cache keys are the
snapshot's key, so new ratings (a reload or the inbox) retrain and re-evaluate, and nothing else does.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import NotRequired, TypedDict

import numpy as np
import pandas as pd

from cinepipe.errors import CinepipeError
from cinepipe.io.files import atomic_path
from cinepipe.io.hashing import content_key
from cinepipe.movielens.stage import STAGE_DB, stage_exists
from cinepipe.settings import Settings
from cinepipe.storage import duck, warehouse
from cinepipe.storage.retention import prune_dirs

POPULARITY = "popularity.parquet"  # partial snapshots: every movie's rating count (movie_id, n)


class Snapshot(TypedDict):
    """``ratings.parquet`` and ``movies.parquet`` (and ``u1.parquet`` where the release has the
    split) of one dataset in ``dir``; ``key`` names the ratings it holds; the counts are the whole
    dataset's, also in a partial snapshot (only some users' ratings, for an incremental refresh)."""

    dir: str
    key: str
    dataset: str
    n_ratings: int
    n_users: int
    n_movies: int
    has_u1: bool
    partial: NotRequired[bool]


def _root(settings: Settings, dataset: str) -> Path:
    return settings.cache_dir / "snapshots" / "movielens" / dataset


def prune_snapshots(settings: Settings, dataset: str) -> list[Path]:
    """Remove ``dataset``'s snapshots beyond the newest ``keep_snapshots`` by last use, except any
    used within the hour (``retention.prune_dirs``). A removed one that is needed again is
    rewritten from the warehouse."""
    return prune_dirs(_root(settings, dataset), settings.keep_snapshots)


def _used(settings: Settings, dataset: str, out: Path) -> None:
    """Mark ``out`` as just used (a reused snapshot is as new as a written one) and prune."""
    os.utime(out)
    prune_snapshots(settings, dataset)


def _state(con, dataset: str) -> tuple[str, int, int, int]:
    """The dataset's content key (it changes with any rating or movie) and its counts."""
    n, fingerprint, n_users, n_movies = con.execute(
        "select count(*), coalesce(sum(hash(user_id, movie_id, rating, rated_at)), 0)::varchar,"
        " count(distinct user_id), count(distinct movie_id)"
        " from movielens_ratings where dataset = ?", [dataset]).fetchone()
    movies_fp = con.execute(
        "select coalesce(sum(hash(movie_id, title, year)), 0)::varchar from movielens_movies where dataset = ?",
        [dataset]).fetchone()[0]
    if n == 0:
        raise CinepipeError(f"movielens[{dataset}]", "the warehouse holds no ratings for this dataset",
                            "Ingest it first: `cinepipe ingest movielens --source ...`.")
    return content_key(dataset, n, fingerprint, movies_fp), int(n), int(n_users), int(n_movies)


def _copy_movies(con, dataset: str, out: Path) -> None:
    con.execute(f"copy (select movie_id, title, year, genres from movielens_movies where dataset = ?) "
                f"to {duck.quote(out / 'movies.parquet')} (format parquet)", [dataset])


def snapshot_ratings(settings: Settings, dataset: str) -> Snapshot:
    """Write ``cache/snapshots/movielens/<dataset>/<key>/`` (ratings, movies, u1 split when present),
    or reuse it when it is there; then prune the dataset's old snapshots (``prune_snapshots``).

    Returns:
        The snapshot (not partial).
    """
    with warehouse.connect(settings, read_only=True) as con:
        key, n, n_users, n_movies = _state(con, dataset)
        out = _root(settings, dataset) / key
        if not (out / "ratings.parquet").exists():
            # ratings.parquet appears last, by one rename: its presence says the snapshot is whole
            with atomic_path(out / "ratings.parquet") as tmp:
                con.execute(
                    f"copy (select user_id, movie_id, rating, epoch(rated_at)::bigint as rated_at_epoch_s "
                    f"from movielens_ratings where dataset = ? order by user_id, movie_id) to {duck.quote(tmp)} "
                    "(format parquet)", [dataset])
                _copy_movies(con, dataset, out)
    _used(settings, dataset, out)
    has_u1 = (out / "u1.parquet").exists()
    return {"dir": str(out), "key": key, "dataset": dataset, "n_ratings": n, "n_users": n_users,
            "n_movies": n_movies, "has_u1": has_u1}


def snapshot_for_users(settings: Settings, dataset: str, users: list[int]) -> Snapshot:
    """A partial snapshot for an incremental refresh: only ``users``' ratings, plus every movie's
    rating count, in ``<key>-users-<hash of users>/``; the key is the one a full snapshot of the
    same ratings has. At ml-25m size, 10k users' ratings are 6% of the table, and the sorted copy
    of all 25M that a full snapshot writes is left to the next full run.

    Returns:
        A snapshot with ``partial`` True (``n_ratings`` etc. count the whole dataset).
    """
    with warehouse.connect(settings, read_only=True) as con:
        key, n, n_users, n_movies = _state(con, dataset)
        wanted = sorted({int(u) for u in users})
        out = _root(settings, dataset) / f"{key}-users-{content_key(*wanted)}"
        if not (out / "ratings.parquet").exists():
            with atomic_path(out / "ratings.parquet") as tmp:
                con.execute("create temp table wanted_users as select unnest(?::bigint[]) as user_id", [wanted])
                con.execute(
                    f"copy (select r.user_id, r.movie_id, r.rating, epoch(r.rated_at)::bigint as rated_at_epoch_s "
                    f"from movielens_ratings as r semi join wanted_users as w on r.user_id = w.user_id "
                    f"where r.dataset = ? order by r.user_id, r.movie_id) to {duck.quote(tmp)} (format parquet)",
                    [dataset])
                con.execute(f"copy (select movie_id, count(*) as n from movielens_ratings where dataset = ? "
                            f"group by movie_id) to {duck.quote(out / POPULARITY)} (format parquet)", [dataset])
                _copy_movies(con, dataset, out)
    _used(settings, dataset, out)
    return {"dir": str(out), "key": key, "dataset": dataset, "n_ratings": n, "n_users": n_users,
            "n_movies": n_movies, "has_u1": False, "partial": True}


def attach_u1(snapshot: Snapshot, stage_dir: Path) -> Snapshot:
    """Copy ml-100k's official u1 split from the staging database into the snapshot, if it has one."""
    out = Path(snapshot["dir"]) / "u1.parquet"
    if not out.exists() and stage_exists(stage_dir):
        with duck.connect(stage_dir / STAGE_DB, read_only=True) as con:
            if con.execute("select count(*) from duckdb_tables() "
                           "where database_name = current_database() and table_name = 'split_u1'").fetchone()[0]:
                con.execute(f"copy split_u1 to {duck.quote(out)} (format parquet)")
    return {**snapshot, "has_u1": out.exists()}


def read_ratings(snapshot: Snapshot) -> pd.DataFrame:
    """user_id, movie_id, rating, rated_at_epoch_s (the time-aware ranking models order each user's
    ratings by it); ids and times as int32 where they fit (half the memory of int64 at 25M rows)."""
    ratings = pd.read_parquet(Path(snapshot["dir"]) / "ratings.parquet",
                              columns=["user_id", "movie_id", "rating", "rated_at_epoch_s"])
    return _compact_ids(ratings)


def _compact_ids(ratings: pd.DataFrame) -> pd.DataFrame:
    limits = np.iinfo(np.int32)
    narrow = {c: np.int32 for c in ("user_id", "movie_id", "rated_at_epoch_s")
              if c in ratings and len(ratings) and limits.min <= ratings[c].min() and ratings[c].max() <= limits.max}
    return ratings.astype(narrow) if narrow else ratings


def read_u1(snapshot: Snapshot) -> tuple[pd.DataFrame, pd.DataFrame]:
    split = pd.read_parquet(Path(snapshot["dir"]) / "u1.parquet")
    cols = ["user_id", "movie_id", "rating"]
    return split[split["part"] == "train"][cols].reset_index(drop=True), split[split["part"] == "test"][cols].reset_index(drop=True)
