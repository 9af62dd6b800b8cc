"""Validate tasks of the MovieLens branch: row checks in SQL (quarantine), then the GX report."""

from __future__ import annotations

from prefect import get_run_logger, task

from cinepipe.movielens import stage
from cinepipe.movielens.source import Fetched
from cinepipe.settings import get_settings
from cinepipe.tasks._common import STAGED, step_key


@task(name="validate-movielens", task_run_name="validate-movielens[{release[dataset]}]", cache_policy=STAGED)
def validate_movielens(parsed: stage.Parsed, release: Fetched, max_bad_fraction: float,
                       gx_max_rows: int) -> stage.Validated:
    """Split rows into valid and quarantined; fail above the allowed bad fraction."""
    key = step_key(validate_movielens, parsed["key"], max_bad_fraction, gx_max_rows)
    validated = stage.check_parsed(parsed, release, key, max_bad_fraction, gx_max_rows, get_settings())
    summary = validated["summary"]
    get_run_logger().info("%s rows in, %s valid, %s quarantined", f"{summary['rows_in']:,}",
                          f"{summary['rows_valid']:,}", f"{summary['rows_quarantined']:,}")
    return validated


@task(name="report-movielens", task_run_name="report-movielens[{release[dataset]}]", cache_policy=STAGED)
def report_movielens(validated: stage.Validated, release: Fetched) -> stage.Report:
    """Great Expectations over the valid rows: kept as JSON and shown as a Prefect artifact."""
    return stage.report_checked(validated, release)
