"""What a person sees: step lines while a flow runs, the summary table after it, and --json."""

from __future__ import annotations

import json
import logging

from rich.console import Console

from cinepipe.reporting.terminal import StepLines, headline, print_summary, rows
from cinepipe.runtime.runs import summary_markdown

NIGHTLY = {
    "day": "2026-12-07",
    "configured": ["movielens", "imdb", "mnist"],
    "branches": {
        "inbox": {"datasets": {}, "nothing_new": True},
        "movielens": {
            "rows_read": 15_014, "rows_quarantined": 7,
            "rows_loaded": {"movielens_ratings": 15_000, "movielens_movies": 400},
            "metrics": {"biases/random-70-30/rmse": 0.8112, "ease/stratified-75-25/ndcg_at_10": 0.7849,
                        "popularity/stratified-75-25/ndcg_at_10": 0.4614},
            "exports": {"csv": "/nowhere/exports/recommendations/ml-sample/recommendations.csv"},
            "seconds": 63.2,
        },
        "imdb": {"validation": {"rows_in": 800, "rows_quarantined": 0}, "load": {"loaded": 800},
                 "test_accuracy": {"tfidf_lr": 0.89, "lstm": 0.515}, "best_model": "tfidf_lr",
                 "skipped": "unchanged since run r1"},
    },
    "failed": {"mnist": "CinepipeError: mnist: train-images-idx3-ubyte is missing"},
}


def _render(summary: dict, width: int = 160) -> str:
    console = Console(record=True, width=width, force_terminal=False)
    print_summary("nightly 2026-12-07", summary, console=console)
    return console.export_text()


def test_summary_table_has_a_row_per_branch_with_outcome_rows_headline_time_and_outputs():
    text = _render(NIGHTLY)
    movielens = next(line for line in text.splitlines() if line.strip().startswith("movielens"))
    assert "completed" in movielens and "15,014→15,000 (7 bad)" in movielens
    assert "ndcg@10 0.785 ease" in movielens and "63.2s" in movielens
    assert "recommendations.csv" in movielens
    imdb = next(line for line in text.splitlines() if line.strip().startswith("imdb"))
    assert "skipped" in imdb and "accuracy 0.890 tfidf_lr" in imdb and "800→800" in imdb
    assert "mnist failed: CinepipeError: mnist: train-images-idx3-ubyte is missing" in text
    assert "{" not in text  # no raw JSON


def test_narrow_terminal_puts_the_paths_below_the_table_unbroken():
    text = _render(NIGHTLY, width=80)
    assert "  movielens: /nowhere/exports/recommendations/ml-sample/recommendations.csv" in text
    assert max(len(line) for line in text.splitlines() if "│" in line or "─" in line) <= 80


def test_a_night_with_nothing_configured_says_so():
    text = _render({"day": "2026-12-07", "configured": [], "failed": {},
                    "branches": {"inbox": {"datasets": {}, "nothing_new": True}}})
    assert "nothing ran: no branch is configured" in text


def test_json_is_one_document_on_stdout(capsys):
    print_summary("nightly", NIGHTLY, as_json=True)
    assert json.loads(capsys.readouterr().out) == NIGHTLY


def test_headline_and_rows_of_each_branch_shape():
    assert headline({"study": {"metrics": {"mean": {"rmse": 0.97}, "linear": {"rmse": 0.5278}}}}) == "rmse 0.528 linear"
    assert headline({"metrics": {"mf/random-70-30/rmse": 0.83, "biases/random-70-30/rmse": 0.81}}) == "rmse 0.810 biases"
    assert rows({"images": {"train": 1437, "test": 360}, "load": {"loaded": 1797}}) == "1,797→1,797"
    assert rows({"list_rows": 300, "naver_scores_rows": 282, "load": {"quarantined": 4}}) == "300→282 (4 bad)"


def test_ui_summary_is_a_table_with_true_outcomes_and_untruncated_metrics():
    md = summary_markdown(NIGHTLY)
    assert "| imdb | skipped |" in md and "| movielens | completed |" in md and "| mnist | **failed** |" in md
    assert "0.7849" in md  # four decimals, never cut mid-number
    assert "| tfidf_lr | 0.8900 |" in md  # IMDB's numbers are there


def _record(logger: str, message: str, level: int = logging.INFO, **extra) -> logging.LogRecord:
    record = logging.LogRecord(logger, level, __file__, 1, message, None, None)
    for key, value in extra.items():
        setattr(record, key, value)
    return record


def test_step_lines_print_start_and_end_with_time_and_what_the_step_did():
    console = Console(record=True, width=200, force_terminal=False)
    lines = StepLines(console)
    task = {"task_run_id": "t1", "task_run_name": "validate-imdb", "flow_run_name": "imdb-2026-12-07-194201"}
    flow = {"flow_run_name": "nightly-2026-12-07-194200"}
    for record in (
        _record("prefect.flow_runs", "Beginning flow run 'nightly-2026-12-07-194200' for flow 'nightly'", **flow),
        _record("prefect.task_runs", "Executing task 'validate-imdb' for task run 'validate-imdb'...",
                logging.DEBUG, **task),
        _record("prefect.task_runs", "800 rows in, 800 valid, 0 quarantined", **task),
        _record("prefect.task_runs", "Finished in state Completed()", **task),
        _record("prefect.task_runs", "Finished in state Cached(type=COMPLETED)",
                **{**task, "task_run_id": "t2", "task_run_name": "read-imdb"}),
        _record("prefect.flow_runs", "no branch is configured: set CINEPIPE_*_SOURCE", logging.WARNING, **flow),
        _record("prefect.flow_runs", "Finished in state Cancelled('refused: another run')", **flow),
    ):
        lines.emit(record)
    text = console.export_text()
    assert "▶ nightly-2026-12-07-194200" in text
    assert "▶ validate-imdb" in text
    assert "✔ validate-imdb" in text and "800 rows in, 800 valid, 0 quarantined" in text
    assert "↺ read-imdb  cached" in text
    assert "! nightly-2026-12-07-194200: no branch is configured" in text
    assert "■ nightly-2026-12-07-194200" in text and "Cancelled" in text
    assert "refused" not in text  # the reason is the command's own last line, said once
    assert "Finished in state" not in text
