"""The incremental flow: new ratings from the inbox, the model refreshed, touched users' lists
re-exported. Started by the `cinepipe.ratings.added` event (prefect.yaml) or `cinepipe update`."""

from __future__ import annotations

from datetime import UTC, datetime

from prefect import flow

from cinepipe.movielens import incremental
from cinepipe.ops.locks import run_lock
from cinepipe.settings import get_settings
from cinepipe.tasks.export.movielens import export_recommendations
from cinepipe.tasks.train.movielens import serving_list_model, trained_model
from cinepipe.tasks.train.movielens_refresh import apply_inbox, refresh_recommendations
from cinepipe.tasks.transform.movielens_snapshot import (
    snapshot_movielens,
    snapshot_movielens_users,
)

# how long an event-triggered run waits for a nightly run to release the warehouse
WAIT_FOR_PIPELINE_S = 3600


def _run_name() -> str:
    return f"incremental-{datetime.now(UTC):%Y-%m-%dT%H%M%S}"


@flow(name="incremental", flow_run_name=_run_name)
def incremental_flow(dataset: str | None = None) -> dict:
    """Apply every pending inbox file (exactly once, under the pipeline lock) and refresh lists."""
    with run_lock(get_settings(), "pipeline", wait_s=WAIT_FOR_PIPELINE_S):
        return update_movielens(dataset=dataset)


def update_movielens(dataset: str | None = None, day: str | None = None) -> dict:
    """The incremental steps; the caller holds the pipeline lock."""
    settings = get_settings()
    applied = apply_inbox(dataset, day)
    out = {}
    # the users whose lists are behind their ratings: this run's, and any an interrupted run left
    for name, users in incremental.pending_list_users(settings, dataset).items():
        n_new = applied["applied"].get(name, 0)
        partial = snapshot_movielens_users(name, users)  # the touched users' ratings, not all
        refreshed = refresh_recommendations(name, users, n_new, partial, settings.top_n, settings.cold_start_min_ratings,
                                            settings.retrain_fraction)
        if refreshed["mode"] == "full-retrain":
            snapshot = snapshot_movielens(name)
            # new ratings retrain the model in service; which model serves is the gate's call, made
            # on the held-out protocol by the movielens flow
            trained = trained_model(snapshot, serving_list_model(snapshot), settings.quick, settings.seed)
            refreshed = {**export_recommendations(trained, snapshot, settings.top_n, settings.cold_start_min_ratings),
                         "mode": "full-retrain"}
        incremental.lists_refreshed(settings, name, users)  # only now: the lists are out
        out[name] = {"ratings_applied": n_new, "users_touched": len(users), **refreshed}
    return {"datasets": out, "nothing_new": not out}
