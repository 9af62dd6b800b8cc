"""Run-time wiring shared by flows: the task runner from settings and the run ledger."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

from cinepipe import warehouse
from cinepipe.settings import Settings, get_settings


def task_runner(settings: Settings | None = None) -> Any:
    """The Prefect task runner that ``CINEPIPE_TASK_RUNNER`` names."""
    settings = settings or get_settings()
    if settings.task_runner == "dask":
        from prefect_dask import DaskTaskRunner

        if settings.dask_address:
            return DaskTaskRunner(address=settings.dask_address)
        return DaskTaskRunner(cluster_kwargs={"n_workers": 2, "threads_per_worker": 1, "processes": True})
    from prefect.task_runners import ThreadPoolTaskRunner

    return ThreadPoolTaskRunner(max_workers=4)


def start_run(flow_name: str, partition_day: date | None = None) -> str:
    """Record a run as started in ``pipeline_runs``; returns its id (the Prefect flow-run id)."""
    run_id = warehouse.new_run_id()
    from prefect.runtime import flow_run

    settings = get_settings()
    with warehouse.transaction(settings) as con:
        con.execute(
            "insert or replace into pipeline_runs (run_id, flow_name, run_name, partition_day, state, started_at)"
            " values (?, ?, ?, ?, 'running', ?)",
            [run_id, flow_name, flow_run.get_name(), partition_day, datetime.now(UTC)],
        )
    return run_id


def end_run(run_id: str, state: str, summary: dict) -> None:
    settings = get_settings()
    with warehouse.transaction(settings) as con:
        con.execute(
            "update pipeline_runs set state = ?, ended_at = ?, summary = ? where run_id = ?",
            [state, datetime.now(UTC), json.dumps(summary, default=str), run_id],
        )


def summary_markdown(summary: dict) -> str:
    """A run summary for the Prefect UI: per branch, the rows read, quarantined and loaded."""
    lines = [f"# cinepipe run {summary.get('day', '')}", ""]
    for branch, result in summary.get("branches", {}).items():
        lines.append(f"## {branch}: completed")
        for key in ("rows_read", "rows_quarantined", "rows_loaded", "metrics", "exports"):
            if key in result:
                lines.append(f"- {key.replace('_', ' ')}: `{json.dumps(result[key], default=str)[:400]}`")
        lines.append("")
    for branch, message in summary.get("failed", {}).items():
        lines += [f"## {branch}: FAILED", "", f"{message}", ""]
    return "\n".join(lines)
