"""Train / evaluate tasks of the Naver branch: the study of my vs netizen vs critic scores
(``naver/evaluate.py``)."""

from __future__ import annotations

from prefect import task

from cinepipe.naver import evaluate
from cinepipe.naver.evaluate import StudySummary
from cinepipe.settings import get_settings
from cinepipe.tasks._common import TRAINED


@task(name="study-naver", task_run_name="study-naver", cache_policy=TRAINED)
def study_naver(scores: str, quick: bool, seed: int) -> str:
    """Statistics, figures (PNG) and cross-validated predictions into ``artifacts/naver/<key>/``."""
    return str(evaluate.run_study(get_settings(), scores, quick, seed))


@task(name="record-naver-study", task_run_name="record-naver-study")
def record_study(study: str) -> StudySummary:
    """The study's metrics into ``eval_metrics`` and a Prefect artifact; returns them by model."""
    return evaluate.record_study(get_settings(), study)
