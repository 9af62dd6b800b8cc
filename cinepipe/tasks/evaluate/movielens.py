"""Evaluate tasks of the MovieLens branch: each protocol's models, then the metrics table."""

from __future__ import annotations

import pandas as pd
from prefect import task
from prefect.artifacts import create_table_artifact

from cinepipe.movielens import plots
from cinepipe.movielens.snapshot import read_ratings, read_u1
from cinepipe.recsys.evaluate import run_protocol
from cinepipe.recsys.splits import ML100K_U1
from cinepipe.reporting.artifacts import publish_image
from cinepipe.settings import get_settings
from cinepipe.storage import warehouse
from cinepipe.tasks._common import CACHED, slug

# what the lecture's table claims for MF (0.7808) is not reachable out of sample; shown beside ours
LECTURE_NOTE = ("The lecture's 0.7808 RMSE for matrix factorisation is not an out-of-sample figure: "
                "published MF on ml-100k scores about 0.91-0.93 on held-out ratings.")


@task(name="evaluate-movielens", task_run_name="evaluate-movielens[{snapshot[dataset]}:{protocol}]",
      cache_policy=CACHED)
def evaluate_movielens(snapshot: dict, protocol: str, models: list[str], quick: bool, seed: int,
                       cold_start_min_ratings: int) -> list[dict]:
    """Fit ``models`` on the protocol's train split; one dict per (model, metric)."""
    if protocol == ML100K_U1:
        train, test = read_u1(snapshot)
        frame = run_protocol(models, protocol, train=train, test=test, seed=seed, quick=quick,
                             cold_start_min_ratings=cold_start_min_ratings)
    else:
        frame = run_protocol(models, protocol, ratings=read_ratings(snapshot), seed=seed, quick=quick,
                             cold_start_min_ratings=cold_start_min_ratings)
    return frame.to_dict("records")


@task(name="record-metrics-movielens", task_run_name="record-metrics-movielens[{dataset}]")
def record_movielens_metrics(results: list[list[dict]], dataset: str) -> list[dict]:
    """Append every figure to ``eval_metrics`` and publish them beside the baselines and last run."""
    settings = get_settings()
    run_id = warehouse.new_run_id()
    rows = [
        {"target": "movielens", "dataset": dataset, "model": r["model"], "protocol": r["protocol"],
         "metric": r["metric"], "value": float(r["value"]), "n_train": int(r["n_train"]), "n_test": int(r["n_test"])}
        for batch in results for r in batch
    ]
    previous = _previous(settings, dataset, run_id)
    warehouse.record_metrics(settings, rows, run_id=run_id)
    table = []
    for r in rows:
        baseline = "global_mean" if r["metric"] in ("rmse", "mae") else "popularity"
        base = next((b["value"] for b in rows if b["model"] == baseline and b["protocol"] == r["protocol"]
                     and b["metric"] == r["metric"]), None)
        prev = previous.get((r["model"], r["protocol"], r["metric"]))
        table.append({"model": r["model"], "protocol": r["protocol"], "metric": r["metric"],
                      "value": round(r["value"], 4), "baseline": baseline,
                      "baseline_value": None if base is None else round(base, 4),
                      "previous_run": None if prev is None else round(prev, 4)})
    create_table_artifact(table, key=f"metrics-movielens-{slug(dataset)}",
                          description=f"movielens[{dataset}] evaluation vs baselines and the previous run. {LECTURE_NOTE}")
    _publish_plots(settings, dataset, rows, previous)
    return rows


def _publish_plots(settings, dataset: str, rows: list[dict], previous: dict) -> None:
    """This run against the baselines and the previous run, and each model's figure over the runs."""
    out = settings.artifacts_dir / "movielens" / dataset / "plots"
    out.mkdir(parents=True, exist_ok=True)
    before = pd.DataFrame([{"model": m, "protocol": p, "metric": k, "value": v} for (m, p, k), v in previous.items()],
                          columns=["model", "protocol", "metric", "value"])
    png = plots.metrics_vs_baselines(pd.DataFrame(rows), before, out / "metrics_vs_baselines.png",
                                     f"movielens[{dataset}]: this run against the baselines (x: previous run)")
    if png:
        publish_image(png, f"movielens-{dataset}-metrics-vs-baselines",
                      f"movielens[{dataset}]: headline metric per model; grey bar and dashed line: the baseline")
    with warehouse.connect(settings, read_only=True) as con:
        history = con.execute(
            "select model, protocol, metric, value, min(created_at) over (partition by run_id) as created_at"
            " from eval_metrics where target = 'movielens' and dataset = ?", [dataset]).df()
    png = plots.metrics_over_runs(history, out / "metrics_over_runs.png", f"movielens[{dataset}]: over runs")
    if png:
        publish_image(png, f"movielens-{dataset}-metrics-over-runs", f"movielens[{dataset}]: headline metric per run")


def _previous(settings, dataset: str, run_id: str) -> dict[tuple[str, str, str], float]:
    with warehouse.connect(settings, read_only=True) as con:
        found = con.execute(
            "select model, protocol, metric, value from eval_metrics where target = 'movielens' and dataset = ?"
            " and run_id <> ? qualify row_number() over (partition by model, protocol, metric order by created_at desc) = 1",
            [dataset, run_id]).fetchall()
    return {(m, p, k): v for m, p, k, v in found}

