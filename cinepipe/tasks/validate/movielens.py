"""Validate task of the MovieLens branch: the suites in schemas/, quarantine, GX report."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

from prefect import task
from prefect.artifacts import create_markdown_artifact

from cinepipe.movielens import source as ml_source
from cinepipe.movielens import stage
from cinepipe.settings import get_settings
from cinepipe.tasks._common import CACHED, slug, step_key
from cinepipe.validation import summarise_gx


@task(name="validate-movielens", task_run_name="validate-movielens[{release[dataset]}]", cache_policy=CACHED)
def validate_movielens(parsed: dict, release: dict) -> dict:
    """Split rows into valid and quarantined; fail above the allowed bad fraction."""
    settings = get_settings()
    stage_dir = Path(parsed["stage_dir"])
    layout = ml_source.ML100K_LAYOUT if release["layout"] == "ml-100k" else ml_source.CSV_LAYOUT
    report = stage_dir / "gx_validation.json"
    summary = stage.check_release(stage_dir, layout, settings, source=release["source"], gx_report_path=report)
    _publish(summary, report, release["dataset"])
    return {
        "stage_dir": str(stage_dir),
        "key": step_key(validate_movielens, parsed["key"], settings.max_bad_fraction),
        "summary": asdict(summary),
        "gx_report": str(report),
    }


def _publish(summary: stage.CheckSummary, report: Path, dataset: str) -> None:
    gx = json.loads(report.read_text())
    lines = [
        f"## Validation of movielens[{dataset}]",
        "",
        f"- ratings checked: {summary.rows_in:,}; valid: {summary.rows_valid:,}; "
        f"quarantined: {summary.rows_quarantined:,} ({summary.bad_fraction:.3%})",
        f"- Great Expectations suite on the valid rows: {'passed' if summary.gx_success else 'FAILED'} "
        f"(report: `{report}`)",
        "",
        "| check | rows failed |",
        "|---|---:|",
        *[f"| {reason} | {n:,} |" for reason, n in sorted(summary.failures.items())],
        "",
        "| suite | expectation | success | unexpected |",
        "|---|---|---|---:|",
    ]
    for suite in ("movielens_ratings", "movielens_movies"):
        for row in summarise_gx(gx.get(suite, {})):
            lines.append(f"| {suite} | {row['expectation']} {row['kwargs']} | {row['success']} | {row['unexpected']} |")
    create_markdown_artifact(
        "\n".join(lines), key=f"validation-movielens-{slug(dataset)}", description="Validation results"
    )

