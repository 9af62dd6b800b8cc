"""Run-time wiring shared by flows: the task runner from settings, the run ledger, run names and tags."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from cinepipe.settings import Settings, get_settings
from cinepipe.storage import warehouse


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
    """A run summary for the Prefect UI: one row per branch (outcome, rows, headline, time, outputs),
    then each branch's metrics in a narrow table."""
    from cinepipe.reporting.terminal import headline, outcome, outputs, rows

    lines = [f"# cinepipe run {summary.get('day', '')}", "",
             "| branch | outcome | rows in→loaded | headline | time |", "|---|---|---|---|---|"]
    for branch, result in summary.get("branches", {}).items():
        seconds = f"{result['seconds']:.0f} s" if isinstance(result.get("seconds"), (int, float)) else ""
        lines.append(f"| {branch} | {outcome(result)} | {rows(result)} | {headline(result)} | {seconds} |")
    for branch in summary.get("failed", {}):
        lines.append(f"| {branch} | **failed** | | | |")
    # the paths below the table: in a column they push the table past the UI's width
    where = [(branch, outputs(branch, result)) for branch, result in summary.get("branches", {}).items()]
    if any(path for _, path in where):
        lines += ["", "Outputs, under CINEPIPE_HOME:", "", *[f"- {branch}: `{path}`" for branch, path in where if path]]
    for branch, message in summary.get("failed", {}).items():
        lines += ["", f"**{branch} failed:** {message}"]
    for branch, result in summary.get("branches", {}).items():
        if table := _metrics_markdown(result):
            skipped = f" (unchanged: {result['skipped']})" if result.get("skipped") else ""
            lines += ["", f"## {branch}{skipped}", "", *table]
    return "\n".join(lines) + "\n"


def _metrics_markdown(result: dict) -> list[str]:
    """A branch's metrics as a markdown table: model by metric, four decimals, nothing cut."""
    by_model: dict[str, dict[str, float]] = {}
    metrics = result.get("metrics")
    if isinstance(metrics, dict) and all("/" in str(k) for k in metrics):  # model/protocol/metric
        for key, value in metrics.items():
            model, protocol, metric = str(key).split("/")
            by_model.setdefault(f"{model} ({protocol})", {})[metric.replace("_at_", "@")] = value
    elif isinstance(result.get("test_accuracy"), dict):
        by_model = {m: {"accuracy": v} for m, v in result["test_accuracy"].items()}
    elif isinstance(result.get("study"), dict) and isinstance(result["study"].get("metrics"), dict):
        by_model = result["study"]["metrics"]
    if not by_model:
        return []
    columns = list(dict.fromkeys(c for values in by_model.values() for c in values))
    out = ["| model | " + " | ".join(columns) + " |", "|---" * (len(columns) + 1) + "|"]
    for model, values in by_model.items():
        cells = [f"{values[c]:.4f}" if isinstance(values.get(c), (int, float)) else "" for c in columns]
        out.append(f"| {model} | " + " | ".join(cells) + " |")
    return out


def timed_run_name(name: str, *params: str) -> Callable[[], str]:
    """A ``flow_run_name`` that tells runs apart: ``name[param]-YYYY-MM-DD-HHMMSS`` (local time)."""

    def make() -> str:
        from prefect.runtime import flow_run

        values = [str(v) for p in params if (v := flow_run.parameters.get(p))]
        suffix = f"[{','.join(values)}]" if values else ""
        return f"{name}{suffix}-{datetime.now():%Y-%m-%d-%H%M%S}"

    return make


def tag_run(*tags: str) -> None:
    """Add tags to the running flow run, for what is known only once it runs (the dataset)."""
    from prefect.client.orchestration import get_client
    from prefect.context import FlowRunContext

    ctx = FlowRunContext.get()
    if ctx is None or ctx.flow_run is None:
        return
    merged = sorted(set(ctx.flow_run.tags) | set(tags))
    try:
        with get_client(sync_client=True) as client:
            client.update_flow_run(ctx.flow_run.id, tags=merged)
    except Exception as exc:  # noqa: BLE001 - a missing tag must never fail a run
        from prefect import get_run_logger

        get_run_logger().debug("could not tag the run %s: %s", tags, exc)
        return
    ctx.flow_run.tags = merged
