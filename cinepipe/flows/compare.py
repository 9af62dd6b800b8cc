"""`cinepipe compare movielens`: the lecture's recommender table, rerun on random-70-30."""

from __future__ import annotations

from dataclasses import asdict

from prefect import flow

from cinepipe.flows.movielens import ingest_movielens_flow
from cinepipe.recsys.lecture.compare import REFERENCE_METHOD, lecture_models
from cinepipe.runtime.runs import timed_run_name
from cinepipe.settings import get_settings
from cinepipe.tasks.evaluate.movielens_compare import compare_method, compare_table
from cinepipe.tasks.transform.movielens_snapshot import snapshot_movielens


@flow(name="compare-movielens", flow_run_name=timed_run_name("compare-movielens"))
def compare_flow(source: str, models: list[str] | None = None, lecture_filter: bool = False) -> dict:
    """Every lecture method (or ``models``) next to the global mean; figures to eval_metrics."""
    settings = get_settings()
    # every lecture method by default; an unknown name fails here; the reference runs in any case
    methods = [m for m in lecture_models(models) if m != REFERENCE_METHOD]
    ingested = ingest_movielens_flow(source)
    snapshot = snapshot_movielens(ingested["dataset"])
    dataset = ingested["dataset"] + ("+lecture-filter" if lecture_filter else "")
    results = [compare_method(snapshot, m, lecture_filter, settings.seed) for m in [REFERENCE_METHOD, *methods]]
    return asdict(compare_table(results, dataset))
