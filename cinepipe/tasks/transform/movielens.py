"""Transform and load tasks of the MovieLens branch: dedupe, filter, load, lake copy."""

from __future__ import annotations

from pathlib import Path

from prefect import get_run_logger, task

from cinepipe.movielens import load, stage
from cinepipe.settings import get_settings
from cinepipe.storage import warehouse
from cinepipe.tasks._common import STAGED, step_key


@task(name="dedupe-movielens", task_run_name="dedupe-movielens[{dataset}]", cache_policy=STAGED)
def dedupe_movielens(validated: stage.Validated, dataset: str, min_ratings_per_user: int,
                     min_ratings_per_movie: int) -> stage.Deduped:
    """Exact duplicates out, latest rating per (user, movie), activity filters (SQL in DuckDB)."""
    key = step_key(dedupe_movielens, validated["key"], min_ratings_per_user, min_ratings_per_movie)
    deduped = stage.dedupe_checked(validated, key, min_ratings_per_user, min_ratings_per_movie, get_settings())
    counts = deduped["counts"]
    get_run_logger().info("%s ratings in, %s out (%s exact duplicates, %s superseded, %s filtered out)",
                          *(f"{counts.get(k, 0):,}" for k in ("rows_in", "rows_out", "exact_duplicates_dropped",
                                                               "superseded_ratings_dropped", "filtered_out")))
    return deduped


@task(name="load-movielens", task_run_name="load-movielens[{dataset}]")
def load_movielens(deduped: stage.Deduped, dataset: str, source: str) -> load.Loaded:
    """Replace the dataset's rows in the warehouse in one transaction (a no-op when unchanged), and
    bring the lake copies up to date (skipped or not: a copy a crash left stale is repaired)."""
    result = load.load_release(Path(deduped["stage_dir"]), dataset=dataset, content_key=deduped["key"],
                               source=source, run_id=warehouse.new_run_id(), settings=get_settings())
    loaded = ", ".join(f"{table} {n:,}" for table, n in result.get("rows", {}).items())
    get_run_logger().info("%s%s", "unchanged, kept: " if result.get("skipped") else "loaded: ", loaded)
    return result
