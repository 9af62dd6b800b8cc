"""The ``eval_metrics`` rows every branch records, and the table artifact that shows them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

from cinepipe.reporting.artifacts import publish_table
from cinepipe.settings import Settings
from cinepipe.storage import warehouse


@dataclass(frozen=True)
class MetricRow:
    """One figure of one model on one protocol: an ``eval_metrics`` row before its run id and time."""

    target: str  # movielens, imdb, mnist or naver
    dataset: str
    model: str
    protocol: str  # the split (INTERFACE.md, "Evaluation protocols")
    metric: str
    value: float
    n_train: int
    n_test: int

    def as_dict(self, digits: int | None = None) -> dict:
        """The row as a dict in the table's column order; ``digits`` rounds the value for display."""
        row = asdict(self)
        if digits is not None:
            row["value"] = round(self.value, digits)
        return row


def record_metrics(settings: Settings, rows: Sequence[MetricRow], *, run_id: str) -> int:
    """Append the rows to ``eval_metrics`` under ``run_id``; returns how many."""
    return warehouse.record_metrics(settings, [row.as_dict() for row in rows], run_id=run_id)


def publish_metrics(rows: Sequence[MetricRow], key: str, description: str) -> None:
    """The rows as a table artifact, values to four places."""
    publish_table([row.as_dict(digits=4) for row in rows], key, description)


def by_model(rows: Sequence[MetricRow], digits: int = 4) -> dict[str, float]:
    """model -> value, for rows of one metric (a branch's summary)."""
    return {row.model: round(row.value, digits) for row in rows}


def accuracy_line(rows: Sequence[MetricRow]) -> str:
    """``model value, ...``, best first: the one log line of an accuracy evaluation."""
    return ", ".join(f"{r.model} {r.value:.4f}" for r in sorted(rows, key=lambda r: -r.value))
