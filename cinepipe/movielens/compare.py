"""`cinepipe compare movielens`: each lecture method on random-70-30, then the table beside the
lecture's figures (markdown, CSV, PNG) and the figures in ``eval_metrics``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from cinepipe.movielens.snapshot import Snapshot, read_ratings
from cinepipe.recsys.lecture.compare import (
    REFERENCE_METHOD,
    comparison_markdown,
    comparison_table,
    lecture_models,
    run_comparison,
    write_comparison_chart,
)
from cinepipe.recsys.lecture.filters import lecture_subset
from cinepipe.recsys.splits import RANDOM_70_30, random_split
from cinepipe.reporting.artifacts import artifact_key, publish_markdown
from cinepipe.reporting.metrics import MetricRow, record_metrics
from cinepipe.settings import Settings
from cinepipe.storage import warehouse


@dataclass(frozen=True)
class MethodScore:
    """One lecture method's test figures on random-70-30."""

    method: str  # the lecture's name
    model: str  # the model's own name
    rmse: float
    mae: float
    n_train: int
    n_test: int


@dataclass(frozen=True)
class Comparison:
    """Where the table went, and our RMSE per method beside the global mean's."""

    csv: str
    png: str
    rmse: dict[str, float]
    global_mean: float | None


def _ratings(snapshot: Snapshot, lecture_filter: bool) -> pd.DataFrame:
    ratings = read_ratings(snapshot)
    if not lecture_filter:
        return ratings
    movies = pd.read_parquet(Path(snapshot["dir"]) / "movies.parquet")
    # recommenderlab compares u.item's titles as printed, year included
    movies["title"] = [t if pd.isna(y) else f"{t} ({int(y)})" for t, y in zip(movies["title"], movies["year"])]
    kept, _ = lecture_subset(ratings, movies)
    return kept


def score_method(snapshot: Snapshot, method: str, lecture_filter: bool, seed: int) -> MethodScore:
    """Fit one lecture method (or the reference global mean) on the random-70-30 train split and
    score the test split."""
    train, test = random_split(_ratings(snapshot, lecture_filter), 0.3, seed)
    row = run_comparison(train, test, lecture_models([method]), seed).iloc[0]
    return MethodScore(str(row["method"]), str(row["model"]), float(row["rmse"]), float(row["mae"]),
                       int(row["n_train"]), int(row["n_test"]))


def write_comparison(settings: Settings, results: Sequence[MethodScore], dataset: str) -> Comparison:
    """The figures into ``eval_metrics``; the table beside the lecture's into
    ``exports/comparison/<dataset>/`` and a markdown artifact."""
    rows = [MetricRow("movielens", dataset, r.model, RANDOM_70_30, metric, getattr(r, metric), r.n_train, r.n_test)
            for r in results for metric in ("rmse", "mae")]
    record_metrics(settings, rows, run_id=warehouse.new_run_id())
    global_mean = next((r.rmse for r in results if r.method == REFERENCE_METHOD), None)
    ours = {r.method: r.rmse for r in results if r.method != REFERENCE_METHOD}
    table = comparison_table(ours, dataset, global_mean)
    out = settings.exports_dir / "comparison" / dataset
    out.mkdir(parents=True, exist_ok=True)
    table.to_csv(out / "lecture_comparison.csv", index=False)
    chart = write_comparison_chart(table, out / "lecture_comparison.png")
    markdown = comparison_markdown(table)
    (out / "lecture_comparison.md").write_text(markdown)
    publish_markdown(markdown, key=artifact_key("lecture-comparison", dataset),
                     description="Our test RMSE beside the lecture's table")
    return Comparison(str(out / "lecture_comparison.csv"), str(chart), ours, global_mean)
