"""The Naver study on disk: statistics, figures and cross-validated predictions saved under
``artifacts/naver/<key>/``, then its metrics recorded and published."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from cinepipe.errors import ModelError
from cinepipe.io.hashing import content_dir
from cinepipe.naver.study import (
    PROTOCOL,
    cross_validate,
    make_figures,
    score_stats,
    study_rows,
)
from cinepipe.reporting.artifacts import publish_images, publish_markdown
from cinepipe.reporting.metrics import MetricRow, record_metrics
from cinepipe.settings import Settings
from cinepipe.storage import warehouse

TARGET = "naver"
DATASET = "naver"


@dataclass(frozen=True)
class StudySummary:
    """What the study found: its rows, metrics by model, why prediction was skipped, its files."""

    study_rows: int
    metrics: dict[str, dict[str, float]]  # model -> metric -> value
    skipped: str | None
    report: str  # study.json
    figures: list[str]


def run_study(settings: Settings, scores: str, quick: bool, seed: int) -> Path:
    """Statistics, figures (PNG) and cross-validated predictions of the scores (Parquet) into
    ``artifacts/naver/<key>/``; returns its ``study.json``."""
    frame = study_rows(pd.read_parquet(scores))
    out = content_dir(settings.artifacts_dir / "naver", scores, quick, seed)
    report: dict = {"study_rows": len(frame), "figures": [], "metrics": [], "skipped": None}
    if len(frame) >= 2:
        stats = score_stats(frame)
        report.update({name: table.round(4).to_dict() for name, table in stats.items()})
        for name, fig in make_figures(frame).items():
            fig.savefig(out / f"{name}.png")
            report["figures"].append(str(out / f"{name}.png"))
    try:
        rows, predictions = cross_validate(frame, seed=seed, quick=quick)
        report["metrics"] = rows
        predictions.to_parquet(out / "predictions.parquet", index=False)
    except ModelError as exc:
        report["skipped"] = str(exc)
    (out / "study.json").write_text(json.dumps(report, indent=2, default=float))
    return out / "study.json"


def study_markdown(report: dict) -> str:
    """The study as the Prefect artifact shows it: correlations, then the predictions' metrics."""
    lines = [f"# Naver study ({report['study_rows']} movies with all three scores)", ""]
    if "correlation" in report:
        corr = pd.DataFrame(report["correlation"])
        lines += ["## Correlation", "", "| | " + " | ".join(corr.columns) + " |", "|---" * (len(corr.columns) + 1) + "|"]
        lines += [f"| {i} | " + " | ".join(f"{v:.3f}" for v in r) + " |" for i, r in corr.iterrows()]
        lines.append("")
    if report["metrics"]:
        table = pd.DataFrame(report["metrics"]).pivot(index="model", columns="metric", values="value")
        lines += [f"## Predicting my score ({PROTOCOL})", "", "| model | rmse | mae | accuracy |", "|---|---|---|---|"]
        lines += [f"| {m} | {r['rmse']:.3f} | {r['mae']:.3f} | {r['accuracy']:.3f} |" for m, r in table.iterrows()]
    if report["skipped"]:
        lines += ["", f"Prediction skipped: {report['skipped']}"]
    lines += ["", "Figures: " + ", ".join(Path(f).name for f in report["figures"])]
    return "\n".join(lines)


def record_study(settings: Settings, study: str) -> StudySummary:
    """The study's metrics into ``eval_metrics``, the study and its figures as artifacts."""
    report = json.loads(Path(study).read_text())
    rows = [MetricRow(TARGET, DATASET, r["model"], PROTOCOL, r["metric"], r["value"], r["n_train"], r["n_test"])
            for r in report["metrics"]]
    record_metrics(settings, rows, run_id=warehouse.new_run_id())
    publish_markdown(study_markdown(report), key="naver-study", description="Naver study")
    publish_images(report["figures"], "naver-study", "Naver study")
    by_model: dict[str, dict[str, float]] = {}
    for r in rows:
        by_model.setdefault(r.model, {})[r.metric] = round(r.value, 4)
    return StudySummary(report["study_rows"], by_model, report["skipped"], study, report["figures"])
