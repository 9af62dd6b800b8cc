"""Evaluating the MovieLens branch's models: each protocol's figures, then the metrics table beside
the baselines and the previous run, recorded and published."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from cinepipe.movielens import plots
from cinepipe.movielens.snapshot import Snapshot, read_ratings, read_u1
from cinepipe.recsys.evaluate import run_protocol
from cinepipe.recsys.splits import ML100K_U1
from cinepipe.reporting.artifacts import artifact_key, publish_image, publish_table
from cinepipe.reporting.metrics import MetricRow, record_metrics
from cinepipe.settings import Settings
from cinepipe.storage import warehouse

TARGET = "movielens"
# what the lecture's table claims for MF (0.7808) is not reachable out of sample; shown beside ours
LECTURE_NOTE = ("The lecture's 0.7808 RMSE for matrix factorisation is not an out-of-sample figure: "
                "published MF on ml-100k scores about 0.91-0.93 on held-out ratings.")


def evaluate_protocol(snapshot: Snapshot, protocol: str, models: Sequence[str], quick: bool, seed: int,
                      cold_start_min_ratings: int) -> list[MetricRow]:
    """Fit ``models`` on the protocol's train split of the snapshot; one row per (model, metric)."""
    if protocol == ML100K_U1:
        train, test = read_u1(snapshot)
        frame = run_protocol(models, protocol, train=train, test=test, seed=seed, quick=quick,
                             cold_start_min_ratings=cold_start_min_ratings)
    else:
        frame = run_protocol(models, protocol, ratings=read_ratings(snapshot), seed=seed, quick=quick,
                             cold_start_min_ratings=cold_start_min_ratings)
    return [MetricRow(TARGET, snapshot["dataset"], r.model, r.protocol, r.metric, float(r.value), int(r.n_train),
                      int(r.n_test)) for r in frame.itertuples()]


def record_and_publish(settings: Settings, dataset: str, rows: Sequence[MetricRow]) -> None:
    """Append the rows to ``eval_metrics`` under a new run id; publish them beside their baseline
    and the previous run's figure (a table and two plots)."""
    run_id = warehouse.new_run_id()
    previous = _previous(settings, dataset, run_id)
    record_metrics(settings, rows, run_id=run_id)
    table = []
    for r in rows:
        baseline = "global_mean" if r.metric in ("rmse", "mae") else "popularity"
        base = next((b.value for b in rows if b.model == baseline and b.protocol == r.protocol
                     and b.metric == r.metric), None)
        prev = previous.get((r.model, r.protocol, r.metric))
        table.append({"model": r.model, "protocol": r.protocol, "metric": r.metric,
                      "value": round(r.value, 4), "baseline": baseline,
                      "baseline_value": None if base is None else round(base, 4),
                      "previous_run": None if prev is None else round(prev, 4)})
    publish_table(table, key=artifact_key("metrics-movielens", dataset),
                  description=f"movielens[{dataset}] evaluation vs baselines and the previous run. {LECTURE_NOTE}")
    _publish_plots(settings, dataset, rows, previous)


def _publish_plots(settings: Settings, dataset: str, rows: Sequence[MetricRow], previous: dict) -> None:
    """This run against the baselines and the previous run, and each model's figure over the runs."""
    out = settings.artifacts_dir / "movielens" / dataset / "plots"
    out.mkdir(parents=True, exist_ok=True)
    before = pd.DataFrame([{"model": m, "protocol": p, "metric": k, "value": v} for (m, p, k), v in previous.items()],
                          columns=["model", "protocol", "metric", "value"])
    png = plots.metrics_vs_baselines(pd.DataFrame([r.as_dict() for r in rows]), before,
                                     out / "metrics_vs_baselines.png",
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


def _previous(settings: Settings, dataset: str, run_id: str) -> dict[tuple[str, str, str], float]:
    with warehouse.connect(settings, read_only=True) as con:
        found = con.execute(
            "select model, protocol, metric, value from eval_metrics where target = 'movielens' and dataset = ?"
            " and run_id <> ? qualify row_number() over (partition by model, protocol, metric order by created_at desc) = 1",
            [dataset, run_id]).fetchall()
    return {(m, p, k): v for m, p, k, v in found}
