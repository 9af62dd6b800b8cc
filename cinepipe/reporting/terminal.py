"""What a person sees in the terminal: a line per step as it starts and ends, warnings as they
happen, and a summary table at the end (or one JSON document with ``--json``).

Step lines come from Prefect's own run loggers (``prefect.task_runs``, ``prefect.flow_runs``), so
every task shows up without any code in the tasks; they go to stderr, the summary to stdout.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from cinepipe.reporting.progress import steps_console

TASK_LOGGER = "prefect.task_runs"
FLOW_LOGGER = "prefect.flow_runs"
# Prefect's engine messages that carry no news for a person
_ENGINE_NOISE = ("Created task run", "Renamed ", "Running hook", "Hook ", "View at ")
_BEGIN = re.compile(r"Beginning (?:sub)?flow run '(?P<run>[^']+)' for flow '(?P<flow>[^']+)'")
_NOTE_WIDTH = 90


def _seconds(elapsed: float | None) -> str:
    if elapsed is None:
        return ""
    return f"{elapsed:.1f}s" if elapsed < 120 else f"{elapsed / 60:.1f}min"


class StepLines(logging.Handler):
    """A logging handler that prints a line when a task or flow run starts and when it ends.

    The end line carries the time taken and the last thing the step logged (its rows in and out);
    warnings and errors print at once, in one line each.
    """

    def __init__(self, console: Console) -> None:
        super().__init__(level=logging.DEBUG)
        self.console = console
        self._started: dict[str, float] = {}
        self._notes: dict[str, str] = {}
        self._lock = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        try:
            message = record.getMessage()
            if getattr(record, "task_run_id", None):
                self._task(record, message)
            elif getattr(record, "flow_run_name", None):
                self._flow(record, message)
        except Exception:  # noqa: BLE001 - a display problem must never fail a run
            self.handleError(record)

    def _print(self, mark: str, text: str) -> None:
        self.console.print(f"[dim]{datetime.now():%H:%M:%S}[/] {mark} {text}", highlight=False, soft_wrap=True)

    def _task(self, record: logging.LogRecord, message: str) -> None:
        run_id, name = record.task_run_id, escape(str(getattr(record, "task_run_name", "?")))
        if message.startswith("Executing task "):
            with self._lock:
                self._started[run_id] = time.monotonic()
            self._print("[cyan]▶[/]", name)
        elif message.startswith("Finished in state "):
            state = message.removeprefix("Finished in state ")
            with self._lock:
                started = self._started.pop(run_id, None)
                note = self._notes.pop(run_id, "")
            elapsed = _seconds(time.monotonic() - started if started is not None else None)
            if state.startswith("Cached"):
                self._print("[blue]↺[/]", f"{name}  [dim]cached[/]")
            elif record.levelno >= logging.ERROR:
                self._print("[red]✖[/]", f"{name}  {elapsed}  [red]{escape(_one_line(state))}[/]")
            else:
                self._print("[green]✔[/]", f"{name}  [dim]{elapsed}[/]  {escape(note)}".rstrip())
        elif message.startswith(_ENGINE_NOISE) or record.levelno < logging.INFO:
            return
        elif record.levelno >= logging.WARNING:
            self._warning(name, record, message)
        else:
            with self._lock:
                self._notes[run_id] = _one_line(message)

    def _warning(self, name: str, record: logging.LogRecord, message: str) -> None:
        color = "red" if record.levelno >= logging.ERROR else "yellow"
        self._print(f"[{color}]![/]", f"{name}: [{color}]{escape(_one_line(message))}[/]")

    def _flow(self, record: logging.LogRecord, message: str) -> None:
        name = escape(str(record.flow_run_name))
        if begun := _BEGIN.match(message):
            with self._lock:
                self._started[f"flow:{begun['run']}"] = time.monotonic()
            self._print("[bold cyan]▶[/]", f"[bold]{escape(begun['run'])}[/]")
        elif message.startswith("Finished in state "):
            state = message.removeprefix("Finished in state ")
            with self._lock:
                started = self._started.pop(f"flow:{record.flow_run_name}", None)
            elapsed = _seconds(time.monotonic() - started if started is not None else None)
            mark, color = ("[green]✔[/]", "green") if state.startswith("Completed") else (
                ("[yellow]■[/]", "yellow") if state.startswith("Cancelled") else ("[red]✖[/]", "red"))
            if color != "red":  # the reason of a refusal is the command's own last line
                state = state.split("(", 1)[0]
            self._print(mark, f"[bold]{name}[/]  [dim]{elapsed}[/]  [{color}]{escape(_one_line(state))}[/]")
        elif message.startswith(_ENGINE_NOISE) or record.levelno < logging.INFO:
            return
        elif record.levelno >= logging.WARNING:
            self._warning(name, record, message)
        else:
            self._print("[dim]·[/]", f"{name}: {escape(_one_line(message))}")


def _one_line(text: str, width: int = _NOTE_WIDTH * 2) -> str:
    first = str(text).strip().splitlines()[0] if str(text).strip() else ""
    return first if len(first) <= width else first[: width - 1] + "…"


@contextmanager
def live_steps(console: Console = steps_console) -> Iterator[StepLines]:
    """Print step lines while the block runs a flow; Prefect's own console output stays as set."""
    import prefect  # noqa: F401 - sets up Prefect's logging, which this adds to

    handler = StepLines(console)
    # this handler needs "Executing task" (DEBUG) and the INFO lines whatever PREFECT_LOGGING_LEVEL
    # says; the loggers' other handlers (the API's log store) keep getting only what they got before
    saved = []
    for name, level in ((TASK_LOGGER, logging.DEBUG), (FLOW_LOGGER, logging.INFO)):
        logger = logging.getLogger(name)
        before = logger.getEffectiveLevel()
        others = [(h, h.level) for h in logger.handlers]
        for h, h_level in others:
            h.setLevel(max(h_level, before))
        saved.append((logger, logger.level, others))
        logger.setLevel(min(level, before))
        logger.addHandler(handler)
    try:
        yield handler
    finally:
        for logger, level, others in saved:
            logger.removeHandler(handler)
            logger.setLevel(level)
            for h, h_level in others:
                h.setLevel(h_level)


# ---- the summary at the end ---------------------------------------------------------------------
def headline(result: dict) -> str:
    """The one number a person looks at first for a branch's result."""
    metrics = result.get("metrics")
    if isinstance(metrics, dict) and metrics and all("/" in str(k) for k in metrics):
        for metric, best in (("ndcg_at_10", max), ("rmse", min)):
            found = {k: v for k, v in metrics.items() if k.endswith(f"/{metric}") and v is not None}
            if found:
                key = best(found, key=found.get)
                model = key.split("/")[0]
                return f"{metric.replace('_at_', '@')} {found[key]:.3f} {model}"
    accuracy = result.get("test_accuracy")
    if isinstance(accuracy, dict) and accuracy:
        model = result.get("best_model") or max(accuracy, key=accuracy.get)
        return f"accuracy {accuracy[model]:.3f} {model}"
    study = result.get("study")
    if isinstance(study, dict) and study.get("metrics"):
        by_model = study["metrics"]
        scored = {m: v["rmse"] for m, v in by_model.items() if isinstance(v, dict) and "rmse" in v}
        if scored:
            model = min(scored, key=scored.get)
            return f"rmse {scored[model]:.3f} {model}"
    if "datasets" in result:  # the inbox step
        applied = sum(d.get("ratings_applied", 0) for d in result["datasets"].values())
        return "nothing new" if result.get("nothing_new") else f"{applied:,} ratings applied"
    return ""


def _total(value: Any) -> int | None:
    """A count: an int, or the first table's count of a ``{table: rows}`` dict (the main table)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, dict) and value:
        first = next(iter(value.values()))
        if isinstance(value.get("train"), int):  # {split: rows}: all splits
            return sum(v for v in value.values() if isinstance(v, int))
        return _total(first)
    return None


def _first(result: dict, *paths: str) -> int | None:
    """The first of ``paths`` (``a.b`` reaches into nested dicts) that holds a count."""
    for path in paths:
        value: Any = result
        for part in path.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        if (n := _total(value)) is not None:
            return n
    return None


def rows(result: dict) -> str:
    """Rows read and loaded, as ``read → loaded``; each branch names them a little differently."""
    read = _first(result, "rows_read", "validation.rows_in", "list_rows", "images")
    loaded = _first(result, "rows_loaded", "load.loaded", "naver_scores_rows", "exports.rows")
    quarantined = _first(result, "rows_quarantined", "validation.rows_quarantined", "load.quarantined")
    if read is None and loaded is None:
        return ""
    text = f"{read:,}" if read is not None else "?"
    if loaded is not None:
        text += f"→{loaded:,}"
    if quarantined:
        text += f" ({quarantined:,} bad)"
    return text


def _short(path: str) -> str:
    """A path under CINEPIPE_HOME relative to it: the table stays narrow."""
    from pathlib import Path

    from cinepipe.settings import get_settings

    try:
        return str(Path(path).relative_to(get_settings().home_dir))
    except ValueError:
        return path


def outputs(branch: str, result: dict) -> str:
    """Where a person finds what the branch wrote (relative to CINEPIPE_HOME)."""
    exports = result.get("exports")
    if isinstance(exports, dict):
        for key in ("csv", "scores_lines", "parquet", "path", "dir"):
            if exports.get(key):
                return _short(str(exports[key]))
    artifacts = result.get("artifacts")
    if isinstance(artifacts, dict) and artifacts:  # {model: artifacts/<branch>/<dataset>/<model>/<run>}
        from pathlib import Path

        return _short(str(Path(next(iter(artifacts.values()))).parents[1]))
    from cinepipe.settings import get_settings

    if (get_settings().artifacts_dir / branch).is_dir():
        return f"artifacts/{branch}/"
    return ""


def outcome(result: dict) -> str:
    if result.get("skipped"):
        return "skipped"
    return "completed"


def run_table(title: str, summary: dict, with_outputs: bool = True) -> Table:
    """A table with one row per branch of a run summary (``branches`` and ``failed``)."""
    table = Table(title=title, title_justify="left", title_style="bold", box=box.SIMPLE_HEAD, pad_edge=False)
    for col in ("branch", "outcome", "rows in→loaded", "headline", "time"):
        table.add_column(col, justify="right" if col in ("rows in→loaded", "time") else "left",
                         no_wrap=col != "headline")
    if with_outputs:
        table.add_column("outputs (under CINEPIPE_HOME)", overflow="fold")
    colors = {"completed": "green", "skipped": "blue", "failed": "red"}
    for branch, result in summary.get("branches", {}).items():
        state = outcome(result)
        cells = [branch, f"[{colors[state]}]{state}[/]", rows(result), headline(result),
                 _seconds(result.get("seconds"))]
        table.add_row(*cells, *([escape(outputs(branch, result))] if with_outputs else []))
    for branch in summary.get("failed", {}):
        table.add_row(branch, "[red]failed[/]", "", "see below", "", *([""] if with_outputs else []))
    return table


def _print_run(title: str, summary: dict, console: Console) -> None:
    wide = console.width >= 120  # else the paths go below the table, one per line, unbroken
    console.print(run_table(title, summary, with_outputs=wide))
    if not wide:
        for branch, result in summary.get("branches", {}).items():
            if where := outputs(branch, result):
                console.print(f"  {escape(branch)}: {escape(where)}", soft_wrap=True, highlight=False)
    for branch, message in summary.get("failed", {}).items():
        console.print(f"[red]{escape(branch)} failed:[/] {escape(_one_line(message, 400))}", soft_wrap=True)
    if not summary.get("configured", summary.get("branches")) and not summary.get("failed"):
        console.print("[yellow]nothing ran: no branch is configured[/] (set CINEPIPE_*_SOURCE or pass --sample)")


def _scalar(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, (dict, list)):
        return escape(_one_line(json.dumps(value, default=str), 100))
    return escape(str(value))


def print_summary(title: str, summary: dict, *, as_json: bool = False, console: Console | None = None) -> None:
    """A run's summary: one JSON document with ``as_json``, otherwise tables for people."""
    console = console or Console()
    if as_json:
        # plain print: no wrapping or highlighting, so stdout is exactly one JSON document
        print(json.dumps(summary, default=str, indent=2))
        return
    if "branches" in summary:
        _print_run(title, summary, console)
        return
    if isinstance(summary, dict) and ("rows_read" in summary or "test_accuracy" in summary
                                      or "metrics" in summary or "study" in summary):
        _print_run(title, {"branches": {title.split()[0]: summary}}, console)
        return
    if isinstance(summary.get("plan"), dict):
        console.print(_backfill_table(title, summary))
        return
    if isinstance(summary.get("datasets"), dict) and "nothing_new" in summary:
        console.print(_update_table(title, summary))
        return
    table = Table(title=title, title_justify="left", title_style="bold", show_header=False, box=box.SIMPLE)
    table.add_column("what", style="bold")
    table.add_column("value", overflow="fold")
    for key, value in (summary or {}).items():
        table.add_row(str(key).replace("_", " "), _scalar(value))
    console.print(table)


def _backfill_table(title: str, summary: dict) -> Table:
    ran = summary.get("ran", {})
    note = " (dry run: nothing ran)" if summary.get("dry_run") else ""
    if summary.get("nothing_configured"):
        note = ": nothing ran, no branch is configured (set CINEPIPE_*_SOURCE)"
    table = Table(title=title + note,
                  title_justify="left", title_style="bold", box=box.SIMPLE_HEAD, pad_edge=False)
    for col in ("day", "was", "action", "inbox ratings due", "outcome"):
        table.add_column(col, justify="right" if col == "inbox ratings due" else "left")
    colors = {"completed": "green", "cancelled": "yellow", "failed": "red", "crashed": "red"}
    for day, row in summary["plan"].items():
        result = ran.get(day, "")
        table.add_row(day, row.get("state", ""), row.get("action", ""), f"{row.get('inbox_ratings_due', 0):,}",
                      f"[{colors.get(result, 'white')}]{result}[/]" if result else "")
    return table


def _update_table(title: str, summary: dict) -> Table:
    table = Table(title=title + (": nothing new in the inbox" if summary.get("nothing_new") else ""),
                  title_justify="left", title_style="bold", box=box.SIMPLE_HEAD, pad_edge=False)
    for col in ("dataset", "ratings applied", "users touched", "lists", "mode"):
        table.add_column(col, justify="left" if col in ("dataset", "mode") else "right")
    for dataset, row in summary["datasets"].items():
        table.add_row(dataset, f"{row.get('ratings_applied', 0):,}", f"{row.get('users_touched', 0):,}",
                      f"{row.get('rows', '')}", str(row.get("mode", "")))
    return table
