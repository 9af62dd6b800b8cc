"""Recommendation lists: scored in blocks, titled, written to the warehouse and to exports/."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from cinepipe.io.files import atomic_path
from cinepipe.movielens.snapshot import POPULARITY
from cinepipe.recsys.base import RatingModel
from cinepipe.recsys.topn import top_n
from cinepipe.settings import Settings
from cinepipe.storage import duck, warehouse

LIST_COLUMNS = ["run_id", "dataset", "user_id", "rank", "movie_id", "title", "score", "created_at", "model", "cold_start"]


def titled_lists(model: RatingModel, ratings: pd.DataFrame, movies: pd.DataFrame, *, n: int,
                 cold_start_min_ratings: int, users: Sequence[int] | None = None,
                 popularity: np.ndarray | None = None) -> pd.DataFrame:
    """Top-``n`` per user (rank 1 first) with titles; the user's rated movies are never listed."""
    lists = top_n(model, ratings, n, users=None if users is None else pd.unique(pd.Series(users)),
                  cold_start_min_ratings=cold_start_min_ratings, popularity=popularity)
    titles = movies.set_index("movie_id")["title"]
    lists["title"] = lists["movie_id"].map(titles)
    return lists


def user_parts(users: np.ndarray, users_per_part: int) -> list[tuple[int, int]]:
    """Contiguous (first, last) raw user id ranges of at most ``users_per_part`` users each.

    ``users`` is sorted (a model's index); ranges keep a part's ratings together in the snapshot,
    which is ordered by user, so a part reads only its own row groups.
    """
    if len(users) == 0:
        return []
    n_parts = -(-len(users) // max(users_per_part, 1))
    return [(int(chunk[0]), int(chunk[-1])) for chunk in np.array_split(users, n_parts) if len(chunk)]


def _snapshot_ratings(snapshot_dir: str | Path, filters: list[tuple]) -> pd.DataFrame:
    """user_id, movie_id, rating of the snapshot rows that pass ``filters`` (pyarrow skips row groups)."""
    return pd.read_parquet(Path(snapshot_dir) / "ratings.parquet", columns=["user_id", "movie_id", "rating"],
                           filters=filters)


def read_part_ratings(snapshot_dir: str | Path, first: int, last: int) -> pd.DataFrame:
    """The snapshot's ratings of users ``first``..``last`` (row groups outside are skipped)."""
    return _snapshot_ratings(snapshot_dir, [("user_id", ">=", first), ("user_id", "<=", last)])


def read_users_ratings(snapshot_dir: str | Path, users: Sequence[int]) -> pd.DataFrame:
    """The snapshot's ratings of ``users`` only."""
    wanted = sorted({int(u) for u in users})
    if not wanted:
        return pd.DataFrame({"user_id": pd.Series(dtype=np.int64), "movie_id": pd.Series(dtype=np.int64),
                             "rating": pd.Series(dtype=np.float64)})
    return _snapshot_ratings(snapshot_dir, [("user_id", ">=", wanted[0]), ("user_id", "<=", wanted[-1]),
                                            ("user_id", "in", wanted)])


def snapshot_users(snapshot_dir: str | Path) -> np.ndarray:
    """Every user id of the snapshot, sorted."""
    import duckdb

    path = duck.quote(Path(snapshot_dir) / "ratings.parquet")
    with duckdb.connect() as con:
        return con.execute(f"select distinct user_id from read_parquet({path}) order by 1").fetchnumpy()["user_id"]


def movie_popularity(snapshot_dir: str | Path, items: np.ndarray) -> np.ndarray:
    """Ratings per movie of the whole dataset, in the order of ``items`` (0 for a movie no one
    rated): counted from a full snapshot's ratings, or read from a partial snapshot's counts."""
    import duckdb

    if (Path(snapshot_dir) / POPULARITY).exists():
        counts = pd.read_parquet(Path(snapshot_dir) / POPULARITY)
        return pd.Series(counts["n"].to_numpy(), index=counts["movie_id"].to_numpy()).reindex(
            items, fill_value=0).to_numpy(dtype=np.float64)
    path = duck.quote(Path(snapshot_dir) / "ratings.parquet")
    with duckdb.connect() as con:
        counts = con.execute(f"select movie_id, count(*) as n from read_parquet({path}) group by movie_id").fetchnumpy()
    lookup = pd.Series(counts["n"], index=counts["movie_id"])
    return lookup.reindex(items, fill_value=0).to_numpy(dtype=np.float64)


def write_lists(settings: Settings, lists: pd.DataFrame, *, dataset: str, run_id: str, model_key: str,
                only_users: Sequence[int] | None = None) -> dict:
    """Replace the dataset's lists (or only ``only_users``' lists) in one transaction, then rewrite
    ``exports/recommendations/<dataset>/recommendations.{parquet,csv}`` from the table."""
    frame = lists.assign(run_id=run_id, dataset=dataset, created_at=datetime.now(UTC))[LIST_COLUMNS]
    with warehouse.transaction(settings) as con:
        if only_users is None:
            con.execute("delete from recommendations where dataset = ?", [dataset])
            # every list is rewritten from the ratings as they are now: none is behind any more
            con.execute("delete from list_refresh_pending where dataset = ?", [dataset])
        else:
            # a semi-join, not list_contains per row: 10k touched users x 1.6M listed rows at ml-25m size
            con.execute("delete from recommendations where dataset = ? and user_id in (select unnest(?))",
                        [dataset, [int(u) for u in only_users]])
        warehouse.append_df(con, "recommendations", frame)
        warehouse.log_load(con, run_id=run_id, table_name="recommendations", partition_key=dataset,
                           content_key=model_key, rows_loaded=len(frame))
    return export_files(settings, dataset)


EXPORT_STAMP = ".stamp"


def export_files(settings: Settings, dataset: str, *, only_if_stale: bool = False) -> dict:
    """Rewrite the dataset's export files from the table (DuckDB's COPY: at ml-25m size, 1.6M rows,
    pandas' to_csv took about 45 s of an incremental update).

    The files' directory keeps the table stamp they were written from, written after them; with
    ``only_if_stale`` files whose stamp still matches the table are left alone (every run checks, so
    files a crash after the commit left stale are rewritten by the next run).
    """
    out = settings.exports_dir / "recommendations" / dataset
    out.mkdir(parents=True, exist_ok=True)
    query = "select * from recommendations where dataset = $dataset order by user_id, rank"
    paths = {fmt: str(out / f"recommendations.{fmt}") for fmt in ("parquet", "csv")}
    with warehouse.connect(settings, read_only=True) as con:
        rows, users = con.execute(
            "select count(*), count(distinct user_id) from recommendations where dataset = ?", [dataset]).fetchone()
        stamp = warehouse.table_stamp(con, "recommendations", ("dataset", dataset))
        stamp_file = out / EXPORT_STAMP
        current = stamp_file.read_text() if stamp_file.exists() else None
        if only_if_stale and current == stamp and all(Path(p).exists() for p in paths.values()):
            return {"rows": int(rows), "users": int(users), "rewritten": False, **paths}
        stamp_file.unlink(missing_ok=True)
        for fmt, options in (("parquet", "format parquet"), ("csv", "format csv, header true")):
            with atomic_path(Path(paths[fmt])) as tmp:
                con.execute(f"copy ({query}) to {duck.quote(tmp)} ({options})", {"dataset": dataset})
        stamp_file.write_text(stamp)
    return {"rows": int(rows), "users": int(users), "rewritten": True, **paths}


def example_markdown(lists: pd.DataFrame, dataset: str, n_users: int = 3, n_items: int = 5) -> str:
    lines = [f"## Recommendations for movielens[{dataset}]: a few users", ""]
    for user in sorted(lists["user_id"].unique())[:n_users]:
        rows = lists[lists["user_id"] == user].sort_values("rank").head(n_items)
        cold = " (cold start: popularity list)" if bool(rows["cold_start"].any()) else ""
        lines += [f"### user {user}{cold}", "", "| rank | movie | score |", "|---:|---|---:|"]
        lines += [f"| {r.rank} | {r.title} | {r.score:.3f} |" for r in rows.itertuples()]
        lines.append("")
    return "\n".join(lines)


def read_movies(snapshot_dir: str | Path) -> pd.DataFrame:
    return pd.read_parquet(Path(snapshot_dir) / "movies.parquet", columns=["movie_id", "title"])
