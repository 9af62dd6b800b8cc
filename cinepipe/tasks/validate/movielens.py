"""Validate tasks of the MovieLens branch: row checks in SQL (quarantine), then the GX report."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

from prefect import get_run_logger, task

from cinepipe.movielens import source as ml_source
from cinepipe.movielens import stage
from cinepipe.reporting.artifacts import publish_markdown, validation_markdown
from cinepipe.settings import get_settings
from cinepipe.tasks._common import STAGED, step_key


def _layout(release: dict) -> ml_source.Layout:
    return ml_source.ML100K_LAYOUT if release["layout"] == "ml-100k" else ml_source.CSV_LAYOUT


@task(name="validate-movielens", task_run_name="validate-movielens[{release[dataset]}]", cache_policy=STAGED)
def validate_movielens(parsed: dict, release: dict, max_bad_fraction: float, gx_max_rows: int) -> dict:
    """Split rows into valid and quarantined; fail above the allowed bad fraction."""
    stage_dir = Path(parsed["stage_dir"])
    summary = stage.check_release(stage_dir, _layout(release), get_settings(), source=release["source"],
                                  max_bad_fraction=max_bad_fraction, gx_max_rows=gx_max_rows)
    get_run_logger().info("%s rows in, %s valid, %s quarantined", f"{summary.rows_in:,}", f"{summary.rows_valid:,}",
                          f"{summary.rows_quarantined:,}")
    return {
        "stage_dir": str(stage_dir),
        "key": step_key(validate_movielens, parsed["key"], max_bad_fraction, gx_max_rows),
        "summary": asdict(summary),
    }


@task(name="report-movielens", task_run_name="report-movielens[{release[dataset]}]", cache_policy=STAGED)
def report_movielens(validated: dict, release: dict) -> dict:
    """Great Expectations over the valid rows: kept as JSON and shown as a Prefect artifact."""
    stage_dir = Path(validated["stage_dir"])
    path = stage_dir / "gx_validation.json"
    success = stage.gx_report(stage_dir, _layout(release), path)
    _publish(validated["summary"], path, release["dataset"], success)
    return {"gx_report": str(path), "gx_success": success}


def _publish(summary: dict, report: Path, dataset: str, success: bool) -> None:
    gx = json.loads(report.read_text())
    facts = [
        f"ratings checked (SQL, every row): {summary['rows_in']:,}; valid: {summary['rows_valid']:,}; "
        f"quarantined: {summary['rows_quarantined']:,} ({summary['bad_fraction']:.3%})",
        f"Great Expectations on {gx['_meta']['ratings_rows_profiled']:,} valid rows: "
        f"{'passed' if success else 'FAILED'} (full report: `{report}`)",
    ]
    tables = {suite: gx.get(suite, {}).get("results", []) for suite in ("movielens_ratings", "movielens_movies")}
    publish_markdown(validation_markdown(f"Validation of movielens[{dataset}]", facts, summary["failures"], tables),
                     key=f"validation-movielens-{dataset}", description="Validation results")
