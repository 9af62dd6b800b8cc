"""The MovieLens branch: ingest, validate, deduplicate, filter, load, train, evaluate, export."""

from __future__ import annotations

from prefect import flow, get_run_logger

from cinepipe.movielens import stage
from cinepipe.movielens.serving import export_parts
from cinepipe.promotion import MOVIELENS_LISTS, gate_values
from cinepipe.recsys.plan import plan_evaluation, protocols_in_turn
from cinepipe.runtime.runs import tag_run, task_runner, timed_run_name
from cinepipe.settings import get_settings
from cinepipe.tasks.evaluate.movielens import (
    evaluate_movielens,
    record_movielens_metrics,
)
from cinepipe.tasks.evaluate.promotion import judge_candidates, record_promotion
from cinepipe.tasks.export.movielens import (
    export_recommendations,
    score_recommendations,
)
from cinepipe.tasks.ingest.movielens import fetch_movielens, parse_movielens
from cinepipe.tasks.train.movielens import trained_model
from cinepipe.tasks.transform.movielens import dedupe_movielens, load_movielens
from cinepipe.tasks.transform.movielens_snapshot import snapshot_movielens
from cinepipe.tasks.validate.movielens import report_movielens, validate_movielens


@flow(name="ingest-movielens", flow_run_name=timed_run_name("ingest-movielens"), task_runner=task_runner())
def ingest_movielens_flow(source: str) -> dict:
    """Source to warehouse: returns the release, per-step counts and the loaded row counts."""
    settings = get_settings()
    release = fetch_movielens(source, settings.archive_max_member_bytes, settings.archive_max_total_bytes,
                              settings.archive_max_ratio)
    # the stage steps' cached results name tables in the release's staging database: when a user
    # removed it, they run again instead of handing on a path to nothing
    rebuild = {} if stage.stage_exists(stage.stage_dir_for(settings, release["content_key"])) else {"refresh_cache": True}
    parsed = parse_movielens.with_options(**rebuild)(release)
    validated = validate_movielens.with_options(**rebuild)(parsed, release, settings.max_bad_fraction,
                                                            settings.gx_max_rows)
    report = report_movielens.with_options(**rebuild).submit(validated, release)  # off the load's critical path
    deduped = dedupe_movielens.with_options(**rebuild)(
        validated, release["dataset"], settings.min_ratings_per_user, settings.min_ratings_per_movie
    )
    loaded = load_movielens(deduped, release["dataset"], source)
    return {
        "validation_report": report.result(),
        "dataset": release["dataset"],
        "layout": release["layout"],
        "stage_dir": deduped["stage_dir"],
        "parsed": parsed["counts"],
        "validation": validated["summary"],
        "dedupe": deduped["counts"],
        "load": loaded,
        "rows_read": parsed["counts"]["ratings"],
        "rows_quarantined": validated["summary"]["rows_quarantined"],
        "rows_loaded": loaded["rows"],
    }


@flow(name="movielens", flow_run_name=timed_run_name("movielens"), task_runner=task_runner())
def movielens_flow(source: str, models: list[str] | None = None, quick: bool = False) -> dict:
    """The whole branch on one release; ``models`` limits which models are evaluated.

    Without ``models``, the models whose dense matrices would not fit this release's size are left
    out (logged and listed under ``skipped_models``); naming one in ``models`` runs it regardless.
    """
    settings = get_settings()
    ingested = ingest_movielens_flow(source)
    dataset = ingested["dataset"]
    tag_run(f"dataset:{dataset}")  # known only now, from the release's files
    snapshot = snapshot_movielens(dataset, ingested["stage_dir"])
    plan = plan_evaluation(models, snapshot["n_users"], snapshot["n_movies"], snapshot["has_u1"],
                           MOVIELENS_LISTS.baseline_model)
    for name, reason in plan.skipped.items():
        get_run_logger().warning("movielens[%s]: %s left out: %s", dataset, name, reason)
    in_turn = protocols_in_turn(settings.task_runner, snapshot["n_ratings"], settings.parallel_eval_max_ratings)
    futures = []
    for protocol, names in plan.protocols:
        futures.append(evaluate_movielens.submit(snapshot, protocol, list(names), quick, settings.seed,
                                                 settings.cold_start_min_ratings))
        if in_turn:
            futures[-1].wait()
    metrics = record_movielens_metrics([f.result() for f in futures], dataset)
    # the lists users get are those of the model the gate promotes; when it keeps the serving
    # model, that model's lists and export files stay as they are
    decision = judge_candidates(MOVIELENS_LISTS, dataset, gate_values(MOVIELENS_LISTS, metrics),
                                settings.promotion_tolerance)
    if decision.promoted:
        trained = trained_model(snapshot, decision.model, quick, settings.seed)
        scored = [
            score_recommendations.submit(trained, snapshot, first, last, settings.top_n, settings.cold_start_min_ratings)
            for first, last in export_parts(settings, snapshot)
        ]
        exported = export_recommendations(trained, snapshot, settings.top_n, settings.cold_start_min_ratings,
                                          [s.result() for s in scored])
        promoted = record_promotion(decision, model_dirs={decision.model: trained.dir})
    else:
        exported = {"skipped": True, "kept": decision.serving_model}
        promoted = record_promotion(decision)
    return {
        **{k: v for k, v in ingested.items() if k != "stage_dir"},
        "metrics": {f"{m.model}/{m.protocol}/{m.metric}": round(m.value, 4) for m in metrics},
        "promotion": promoted,
        "exports": exported,
        "skipped_models": plan.skipped,
    }
