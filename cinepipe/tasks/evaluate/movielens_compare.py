"""Tasks of `cinepipe compare movielens`: each lecture method on random-70-30, then the table
(``movielens/compare.py``)."""

from __future__ import annotations

from prefect import task

from cinepipe.movielens import compare
from cinepipe.movielens.compare import Comparison, MethodScore
from cinepipe.movielens.snapshot import Snapshot
from cinepipe.settings import get_settings
from cinepipe.tasks._common import CACHED


@task(name="compare-method", task_run_name="compare-method[{snapshot[dataset]}:{method}]", cache_policy=CACHED)
def compare_method(snapshot: Snapshot, method: str, lecture_filter: bool, seed: int) -> MethodScore:
    """Fit one lecture method on the random-70-30 train split and score the test split."""
    return compare.score_method(snapshot, method, lecture_filter, seed)


@task(name="compare-table", task_run_name="compare-table[{dataset}]")
def compare_table(results: list[MethodScore], dataset: str) -> Comparison:
    """eval_metrics rows, and the table beside the lecture's figures (markdown, CSV, PNG)."""
    return compare.write_comparison(get_settings(), results, dataset)
