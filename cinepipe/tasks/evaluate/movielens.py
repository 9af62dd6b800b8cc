"""Evaluate tasks of the MovieLens branch: each protocol's models, then the metrics table
(``movielens/evaluate.py``)."""

from __future__ import annotations

from prefect import task

from cinepipe.movielens import evaluate
from cinepipe.movielens.snapshot import Snapshot
from cinepipe.reporting.metrics import MetricRow
from cinepipe.settings import get_settings
from cinepipe.tasks._common import CACHED


@task(name="evaluate-movielens", task_run_name="evaluate-movielens[{snapshot[dataset]}:{protocol}]",
      cache_policy=CACHED)
def evaluate_movielens(snapshot: Snapshot, protocol: str, models: list[str], quick: bool, seed: int,
                       cold_start_min_ratings: int) -> list[MetricRow]:
    """Fit ``models`` on the protocol's train split; one row per (model, metric)."""
    return evaluate.evaluate_protocol(snapshot, protocol, models, quick, seed, cold_start_min_ratings)


@task(name="record-metrics-movielens", task_run_name="record-metrics-movielens[{dataset}]")
def record_movielens_metrics(results: list[list[MetricRow]], dataset: str) -> list[MetricRow]:
    """Append every figure to ``eval_metrics`` and publish them beside the baselines and last run."""
    rows = [row for batch in results for row in batch]
    evaluate.record_and_publish(get_settings(), dataset, rows)
    return rows
