"""Train / evaluate tasks of the Naver branch: the study of my vs netizen vs critic scores."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
from prefect import task

from cinepipe.errors import ModelError
from cinepipe.naver.study import (
    PROTOCOL,
    cross_validate,
    make_figures,
    score_stats,
    study_rows,
)
from cinepipe.reporting.artifacts import publish_images, publish_markdown
from cinepipe.settings import get_settings
from cinepipe.storage import warehouse
from cinepipe.tasks._common import TRAINED, content_dir

TARGET = "naver"
DATASET = "naver"


@task(name="study-naver", task_run_name="study-naver", cache_policy=TRAINED)
def study_naver(scores: str, quick: bool, seed: int) -> str:
    """Statistics, figures (PNG) and cross-validated predictions into ``artifacts/naver/<key>/``."""
    settings = get_settings()
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
    return str(out / "study.json")


def _markdown(report: dict) -> str:
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


@task(name="record-naver-study", task_run_name="record-naver-study")
def record_study(study: str) -> dict:
    """The study's metrics into ``eval_metrics`` and a Prefect artifact; returns them by model."""
    report = json.loads(Path(study).read_text())
    rows = [{"target": TARGET, "dataset": DATASET, "protocol": PROTOCOL, **r} for r in report["metrics"]]
    settings = get_settings()
    warehouse.record_metrics(settings, rows, run_id=warehouse.new_run_id())
    publish_markdown(_markdown(report), key="naver-study", description="Naver study")
    publish_images(report["figures"], "naver-study", "Naver study")
    by_model: dict[str, dict[str, float]] = {}
    for r in report["metrics"]:
        by_model.setdefault(r["model"], {})[r["metric"]] = round(r["value"], 4)
    return {"study_rows": report["study_rows"], "metrics": by_model, "skipped": report["skipped"],
            "report": study, "figures": report["figures"]}
