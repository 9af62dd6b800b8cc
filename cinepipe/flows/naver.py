"""The Naver branch: personal list -> search -> match -> crawl -> IMDb fallback -> load -> study."""

from __future__ import annotations

from dataclasses import asdict

from prefect import flow

from cinepipe.naver.evaluate import DATASET
from cinepipe.promotion import NAVER
from cinepipe.runtime.runs import timed_run_name
from cinepipe.settings import get_settings
from cinepipe.tasks.evaluate.promotion import judge_candidates, record_promotion
from cinepipe.tasks.ingest.naver import (
    crawl_naver_pages,
    search_naver,
    stage_score_list,
)
from cinepipe.tasks.train.naver import record_study, study_naver
from cinepipe.tasks.transform.naver import (
    assemble_scores,
    export_naver,
    imdb_fallback,
    load_naver,
    match_titles,
    read_review_decisions,
    validate_scores,
)


@flow(name="ingest-naver", flow_run_name=timed_run_name("ingest-naver"))
def ingest_naver_flow(scores: str) -> dict:
    """Score list to warehouse: ``naver_scores``, ``naver_match_review``, exports; returns counts."""
    settings = get_settings()
    staged = stage_score_list(scores)
    searched = search_naver(staged, settings.naver_api_base)
    matches = match_titles(staged, searched, read_review_decisions(), settings.naver_match_threshold)
    pages = crawl_naver_pages(matches, settings.naver_web_base, settings.naver_obey_robots,
                              settings.naver_max_layout_failures)
    assembled = assemble_scores(staged, matches, pages, imdb_fallback(staged, matches, settings.imdb_basics_tsv,
                                                                        settings.imdb_ratings_tsv))
    validate_scores(assembled["scores"])
    loaded = load_naver(staged, assembled)
    exported = export_naver(assembled)
    return {**assembled["counts"], "load": loaded, "exports": exported, "scores": assembled["scores"]}


@flow(name="naver", flow_run_name=timed_run_name("naver"))
def naver_flow(scores: str, quick: bool = False) -> dict:
    """The whole branch; returns the ingest counts and the study's cross-validated metrics."""
    settings = get_settings()
    ingested = ingest_naver_flow(scores)
    study = record_study(study_naver(ingested["scores"], quick, settings.seed))
    decision = judge_candidates(NAVER, DATASET, {m: v[NAVER.metric] for m, v in study.metrics.items()},
                                settings.promotion_tolerance)
    return {**ingested, "study": asdict(study), "promotion": record_promotion(decision)}
