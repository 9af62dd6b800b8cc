"""Incremental tasks of the MovieLens branch: apply the inbox, refresh the model and touched lists."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from prefect import get_run_logger, task

from cinepipe.movielens import incremental
from cinepipe.movielens.export import (
    movie_popularity,
    read_movies,
    read_users_ratings,
    titled_lists,
    write_lists,
)
from cinepipe.movielens.refresh import (
    needs_all_ratings,
    needs_full_retrain,
    warm_refresh,
)
from cinepipe.movielens.serving import latest_model, prune_models, remember_model
from cinepipe.movielens.snapshot import read_ratings, snapshot_ratings
from cinepipe.recsys.persist import load_model
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
def apply_inbox(dataset: str | None = None, day: str | None = None) -> dict:
    """Load the inbox's new ratings into the warehouse, exactly once."""
    applied = incremental.apply_inbox(get_settings(), run_id=warehouse.new_run_id(), dataset=dataset,
                                      until_day=date.fromisoformat(day) if day else None)
    counts = applied.get("applied", {})
    get_run_logger().info("%s ratings applied%s", f"{sum(counts.values()):,}",
                          "".join(f"; {name}: {n:,}" for name, n in counts.items()) or " (inbox empty)")
    return applied


@task(name="refresh-recommendations", task_run_name="refresh-recommendations[{dataset}]")
def refresh_recommendations(dataset: str, touched_users: list[int], n_new: int, snapshot: dict, top_n: int,
                            cold_start_min_ratings: int, retrain_fraction: float) -> dict:
    """Warm-refresh the latest model and re-export the touched users' lists; when the new ratings
    are a large share (or there is no model yet), say so: the caller retrains in full.

    ``snapshot`` may be partial (the touched users' ratings only, ``snapshot_for_users``); a model
    that needs every rating (EASE) then takes the full snapshot of the same key.
    """
    settings = get_settings()
    logger = get_run_logger()
    current = latest_model(settings, dataset)
    if current is None or needs_full_retrain(n_new, snapshot["n_ratings"], retrain_fraction):
        logger.info("full retrain for %s: %s new of %s ratings", dataset, n_new, snapshot["n_ratings"])
        return {"mode": "full-retrain"}
    model = load_model(current["dir"])
    if needs_all_ratings(model):
        full = snapshot_ratings(settings, dataset) if snapshot.get("partial") else snapshot
        ratings = read_ratings(full)
        new = ratings[ratings["user_id"].isin(touched_users)]
    else:  # MF and ALS move only the touched users' rows: read just their ratings (ml-25m: 1.5M of 25M)
        ratings = new = read_users_ratings(snapshot["dir"], touched_users)
    try:
        model = warm_refresh(model, ratings, new)
    except TypeError:
        return {"mode": "full-retrain"}
    key = step_key(refresh_recommendations, current["key"], snapshot["key"])
    out = Path(current["dir"]).parent / key
    model.save(out)
    refreshed = {**current, "dir": str(out), "key": key}
    # the touched users' own ratings exclude what they rated; cold-start lists count the whole snapshot
    lists = titled_lists(model, new, read_movies(snapshot["dir"]), n=top_n,
                         cold_start_min_ratings=cold_start_min_ratings, users=touched_users,
                         popularity=movie_popularity(snapshot["dir"], model.index.items))
    result = write_lists(settings, lists, dataset=dataset, run_id=warehouse.new_run_id(), model_key=key,
                         only_users=touched_users)
    remember_model(settings, refreshed)
    prune_models(settings, out.parent, dataset)
    logger.info("warm refresh for %s: %s users' lists re-exported", dataset, len(touched_users))
    return {"mode": "warm-refresh", "users_refreshed": len(touched_users), **result}


