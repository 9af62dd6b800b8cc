"""Incremental tasks of the MovieLens branch: apply the inbox, refresh the model and touched lists
(``movielens/incremental.py`` and ``movielens/serving.py`` do the work)."""

from __future__ import annotations

from datetime import date

from prefect import get_run_logger, task

from cinepipe.movielens import incremental, serving
from cinepipe.movielens.refresh import needs_full_retrain
from cinepipe.movielens.serving import Refreshed
from cinepipe.movielens.snapshot import Snapshot
from cinepipe.settings import get_settings
from cinepipe.storage import warehouse
from cinepipe.tasks._common import step_key


def _inbox_run_name() -> str:
    """``apply-inbox[<dataset or all>]``, with ``:<day>`` when a backfill day bounds it."""
    from prefect.runtime import task_run

    params = task_run.parameters
    day = f":{params['day']}" if params.get("day") else ""
    return f"apply-inbox[{params.get('dataset') or 'all'}{day}]"


@task(name="apply-inbox", task_run_name=_inbox_run_name)
def apply_inbox(dataset: str | None = None, day: str | None = None) -> incremental.Applied:
    """Load the inbox's new ratings into the warehouse, exactly once."""
    applied = incremental.apply_inbox(get_settings(), run_id=warehouse.new_run_id(), dataset=dataset,
                                      until_day=date.fromisoformat(day) if day else None)
    counts = applied.get("applied", {})
    get_run_logger().info("%s ratings applied%s", f"{sum(counts.values()):,}",
                          "".join(f"; {name}: {n:,}" for name, n in counts.items()) or " (inbox empty)")
    return applied


@task(name="refresh-recommendations", task_run_name="refresh-recommendations[{dataset}]")
def refresh_recommendations(dataset: str, touched_users: list[int], n_new: int, snapshot: Snapshot, top_n: int,
                            cold_start_min_ratings: int, retrain_fraction: float) -> Refreshed:
    """Warm-refresh the latest model and re-export the touched users' lists; when the new ratings
    are a large share (or there is no model yet, or it has no warm refresh), say so: the caller
    retrains in full."""
    settings = get_settings()
    logger = get_run_logger()
    current = serving.latest_model(settings, dataset)
    if current is None or needs_full_retrain(n_new, snapshot["n_ratings"], retrain_fraction):
        logger.info("full retrain for %s: %s new of %s ratings", dataset, n_new, snapshot["n_ratings"])
        return {"mode": "full-retrain"}
    key = step_key(refresh_recommendations, current.key, snapshot["key"])
    refreshed = serving.refresh_lists(settings, current, touched_users, snapshot, top_n, cold_start_min_ratings, key)
    if refreshed["mode"] == "warm-refresh":
        logger.info("warm refresh for %s: %s users' lists re-exported", dataset, len(touched_users))
    return refreshed
