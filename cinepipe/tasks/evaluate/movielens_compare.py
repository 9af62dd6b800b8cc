"""Tasks of `cinepipe compare movielens`: each lecture method on random-70-30, then the table."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from prefect import task
from prefect.artifacts import create_markdown_artifact

from cinepipe.movielens.snapshot import read_ratings
from cinepipe.recsys.baselines import GlobalMean
from cinepipe.recsys.lecture.compare import (
    comparison_markdown,
    comparison_table,
    run_comparison,
    write_comparison_chart,
)
from cinepipe.recsys.lecture.filters import lecture_subset
from cinepipe.recsys.lecture.registry import lecture_factories
from cinepipe.recsys.metrics import mae, rmse
from cinepipe.recsys.splits import RANDOM_70_30, random_split
from cinepipe.settings import get_settings
from cinepipe.storage import warehouse
from cinepipe.tasks._common import CACHED, slug


def _ratings(snapshot: dict, lecture_filter: bool) -> pd.DataFrame:
    ratings = read_ratings(snapshot)
    if not lecture_filter:
        return ratings
    movies = pd.read_parquet(Path(snapshot["dir"]) / "movies.parquet")
    # recommenderlab compares u.item's titles as printed, year included
    movies["title"] = [t if pd.isna(y) else f"{t} ({int(y)})" for t, y in zip(movies["title"], movies["year"])]
    kept, _ = lecture_subset(ratings, movies)
    return kept


@task(name="compare-method", task_run_name="compare-method[{snapshot[dataset]}:{method}]", cache_policy=CACHED)
def compare_method(snapshot: dict, method: str, lecture_filter: bool, seed: int) -> dict:
    """Fit one lecture method on the random-70-30 train split and score the test split."""
    train, test = random_split(_ratings(snapshot, lecture_filter), 0.3, seed)
    if method == "global-mean":
        model = GlobalMean().fit(train)
        predicted = model.predict(test["user_id"].to_numpy(), test["movie_id"].to_numpy())
        return {"method": method, "model": "global_mean", "rmse": rmse(test["rating"], predicted),
                "mae": mae(test["rating"], predicted), "n_train": len(train), "n_test": len(test)}
    row = run_comparison(train, test, lecture_factories([method])).iloc[0]
    return {k: (v.item() if hasattr(v, "item") else v) for k, v in row.to_dict().items()}


@task(name="compare-table", task_run_name="compare-table[{dataset}]")
def compare_table(results: list[dict], dataset: str) -> dict:
    """eval_metrics rows, and the table beside the lecture's figures (markdown, CSV, PNG)."""
    settings = get_settings()
    rows = [{"target": "movielens", "dataset": dataset, "model": r["model"], "protocol": RANDOM_70_30,
             "metric": metric, "value": float(r[metric]), "n_train": r["n_train"], "n_test": r["n_test"]}
            for r in results for metric in ("rmse", "mae")]
    warehouse.record_metrics(settings, rows, run_id=warehouse.new_run_id())
    global_mean = next((r["rmse"] for r in results if r["method"] == "global-mean"), None)
    ours = {r["method"]: r["rmse"] for r in results if r["method"] != "global-mean"}
    table = comparison_table(ours, dataset, global_mean)
    out = settings.exports_dir / "comparison" / dataset
    out.mkdir(parents=True, exist_ok=True)
    table.to_csv(out / "lecture_comparison.csv", index=False)
    chart = write_comparison_chart(table, out / "lecture_comparison.png")
    markdown = comparison_markdown(table)
    (out / "lecture_comparison.md").write_text(markdown)
    create_markdown_artifact(markdown, key=f"lecture-comparison-{slug(dataset)}",
                             description="Our test RMSE beside the lecture's table")
    return {"csv": str(out / "lecture_comparison.csv"), "png": str(chart), "rmse": ours, "global_mean": global_mean}
