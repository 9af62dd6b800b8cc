"""The MovieLens branch: ingest, validate, deduplicate, filter, load (then train, evaluate, export)."""

from __future__ import annotations

from prefect import flow

from cinepipe.runtime import task_runner
from cinepipe.settings import get_settings
from cinepipe.tasks.ingest.movielens import fetch_movielens, parse_movielens
from cinepipe.tasks.transform.movielens import dedupe_movielens, load_movielens
from cinepipe.tasks.validate.movielens import validate_movielens


@flow(name="ingest-movielens", flow_run_name="ingest-movielens", task_runner=task_runner())
def ingest_movielens_flow(source: str) -> dict:
    """Source to warehouse: returns the release, per-step counts and the loaded row counts."""
    settings = get_settings()
    release = fetch_movielens(source)
    parsed = parse_movielens(release)
    validated = validate_movielens(parsed, release)
    deduped = dedupe_movielens(
        validated, release["dataset"], settings.min_ratings_per_user, settings.min_ratings_per_movie
    )
    loaded = load_movielens(deduped, release["dataset"], source)
    return {
        "dataset": release["dataset"],
        "layout": release["layout"],
        "parsed": parsed["counts"],
        "validation": validated["summary"],
        "dedupe": deduped["counts"],
        "load": loaded,
    }
