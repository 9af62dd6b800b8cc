"""The promotion gate: which evaluated model serves a (target, dataset).

A run's best candidate is promoted only when it beats the baseline on the target's held-out
protocol and falls behind the model in service by no more than a tolerance; otherwise the serving
model stays. A dataset's first run promotes its best candidate that beats the baseline, or else the
baseline itself. ``decide`` is pure; the helpers at the end read and write ``model_promotions``,
whose latest ``promoted`` row of a (target, dataset) names the model in service.
"""

from __future__ import annotations

import math
from collections import namedtuple
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import duckdb

from cinepipe.reporting.metrics import MetricRow
from cinepipe.settings import Settings
from cinepipe.storage import warehouse

if TYPE_CHECKING:  # `cinepipe status` reads the serving models without loading either
    import numpy as np

PROMOTED = "promoted"
KEPT = "kept"


@dataclass(frozen=True)
class Gate:
    """What a target's models are judged on: one protocol, one metric, one baseline."""

    target: str
    protocol: str
    metric: str
    baseline_model: str
    higher_is_better: bool = True


# the held-out protocol of each target (INTERFACE.md); the baselines are the trivial models
MOVIELENS_LISTS = Gate("movielens", "stratified-75-25", "ndcg_at_10", "popularity")
IMDB = Gate("imdb", "official-test", "accuracy", "majority_class")
MNIST = Gate("mnist", "official-test", "accuracy", "majority_class")
NAVER = Gate("naver", "kfold-5", "rmse", "mean", higher_is_better=False)


@dataclass(frozen=True)
class Serving:
    """The model in service: its name and the figure it was promoted with (None when that figure
    was taken on another protocol or metric, so it cannot be compared)."""

    model: str
    value: float | None


@dataclass(frozen=True)
class Decision:
    """One gate decision; ``model`` is the run's best candidate (or the baseline when a first run
    has none that beats it), ``decision`` whether it now serves."""

    target: str
    dataset: str
    protocol: str
    metric: str
    model: str
    value: float
    baseline_model: str
    baseline_value: float
    serving_model: str | None
    serving_value: float | None
    decision: str
    reason: str

    @property
    def promoted(self) -> bool:
        return self.decision == PROMOTED

    @property
    def serves(self) -> str | None:
        """The model in service after this decision."""
        return self.model if self.promoted else self.serving_model

    def as_dict(self) -> dict:
        return {**asdict(self), "serves": self.serves}


def gate_values(gate: Gate, rows: Iterable[MetricRow]) -> dict[str, float]:
    """model -> figure from ``eval_metrics`` rows, on the gate's protocol and metric only."""
    return {r.model: float(r.value) for r in rows if r.protocol == gate.protocol and r.metric == gate.metric}


def decide(gate: Gate, dataset: str, values: Mapping[str, float], serving: Serving | None,
           tolerance: float) -> Decision:
    """Judge a run's figures on ``gate``: promote the best candidate or keep the serving model.

    Args:
        values: model -> figure on the gate's protocol and metric, the baseline's included; NaN
            figures are ignored.
        serving: the model in service, or None on the dataset's first run.
        tolerance: the largest shortfall against the serving model's figure a candidate may have,
            as a share of that figure (0.01: 1%).

    Raises:
        KeyError: ``values`` has no figure for the gate's baseline.
    """
    baseline = float(values[gate.baseline_model])
    sign = 1.0 if gate.higher_is_better else -1.0
    candidates = {m: float(v) for m, v in values.items() if m != gate.baseline_model and not math.isnan(v)}

    def row(model: str, value: float, decision: str, reason: str) -> Decision:
        return Decision(gate.target, dataset, gate.protocol, gate.metric, model, value, gate.baseline_model,
                        baseline, serving.model if serving else None, serving.value if serving else None,
                        decision, reason)

    if not candidates:
        best, best_value = gate.baseline_model, baseline
        why = "no candidate was evaluated"
    else:
        best = max(sorted(candidates), key=lambda m: sign * candidates[m])
        best_value = candidates[best]
        why = f"the best candidate {best} ({_num(best_value)}) does not beat {gate.baseline_model} ({_num(baseline)})"
    if best == gate.baseline_model or sign * (best_value - baseline) <= 0:
        if serving is None:
            return row(gate.baseline_model, baseline, PROMOTED, f"first run: {why}; the baseline serves")
        return row(best, best_value, KEPT, f"{why}; {serving.model} keeps serving")
    beats = f"{best} ({_num(best_value)}) beats {gate.baseline_model} ({_num(baseline)})"
    if serving is None:
        return row(best, best_value, PROMOTED, f"first run: {beats}")
    if serving.value is None:
        return row(best, best_value, PROMOTED, f"{beats}; {serving.model}'s figure was taken on another measure")
    shortfall = sign * (serving.value - best_value)
    allowed = tolerance * abs(serving.value)
    if shortfall > allowed:
        return row(best, best_value, KEPT,
                   f"{beats} but falls behind the serving {serving.model} ({_num(serving.value)}) by "
                   f"{_num(shortfall)}, more than the tolerance {tolerance:g} allows ({_num(allowed)}); "
                   f"{serving.model} keeps serving")
    return row(best, best_value, PROMOTED,
               f"{beats} and is within the tolerance {tolerance:g} of the serving {serving.model} ({_num(serving.value)})")


def majority_class_accuracy(train_labels: np.ndarray, test_labels: np.ndarray,
                            test_weights: np.ndarray | None = None) -> float:
    """Test accuracy of always answering the training split's most frequent class."""
    import numpy as np

    classes, counts = np.unique(np.asarray(train_labels), return_counts=True)
    majority = classes[np.argmax(counts)]
    return float(np.average(np.asarray(test_labels) == majority, weights=test_weights))


def decision_markdown(decision: Decision) -> str:
    """The decision as a Prefect markdown artifact: one table and the reason."""
    serving = "none (first run)" if decision.serving_model is None else (
        f"{decision.serving_model} ({'n/a' if decision.serving_value is None else _num(decision.serving_value)})")
    return "\n".join([
        f"# Promotion: {decision.target}[{decision.dataset}]", "",
        "| decision | candidate | value | baseline | serving before | serves now | protocol | metric |",
        "|---|---|---:|---|---|---|---|---|",
        f"| **{decision.decision}** | {decision.model} | {_num(decision.value)} | {decision.baseline_model} "
        f"({_num(decision.baseline_value)}) | {serving} | {decision.serves} | {decision.protocol} | {decision.metric} |",
        "", decision.reason,
    ])


def _num(value: float) -> str:
    return f"{value:.4f}"


# ---- the warehouse side: model_promotions ---------------------------------------------------------

SERVING_SQL = """
with
promoted as (
    select target, dataset, model, protocol, metric, value, model_dir, run_id, created_at
    from model_promotions
    where decision = 'promoted'
    qualify row_number() over (partition by target, dataset order by created_at desc) = 1
),
latest as (
    select target, dataset, decision as last_decision, reason as last_reason
    from model_promotions
    qualify row_number() over (partition by target, dataset order by created_at desc) = 1
)
select p.*, l.last_decision, l.last_reason
from promoted as p
inner join latest as l on l.target = p.target and l.dataset = p.dataset
order by p.target, p.dataset
"""


def serving_model(con: duckdb.DuckDBPyConnection, gate: Gate, dataset: str) -> Serving | None:
    """The model in service for ``gate.target`` and ``dataset``, or None before its first promotion."""
    found = con.execute(
        "select model, protocol, metric, value from model_promotions where target = ? and dataset = ?"
        " and decision = 'promoted' order by created_at desc limit 1", [gate.target, dataset]).fetchone()
    if found is None:
        return None
    model, protocol, metric, value = found
    return Serving(model, value if (protocol, metric) == (gate.protocol, gate.metric) else None)


def serving_models(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    """One named row per (target, dataset): the model in service, the figure it was promoted with, and
    the latest decision with its reason."""
    cursor = con.execute(SERVING_SQL)
    row = namedtuple("ServingModel", [column[0] for column in cursor.description])
    return [row(*values) for values in cursor.fetchall()]


def record_decision(settings: Settings, decision: Decision, *, run_id: str, model_dir: str | None = None) -> None:
    """Append the decision to ``model_promotions``."""
    import pandas as pd

    frame = pd.DataFrame([{**asdict(decision), "run_id": run_id, "model_dir": model_dir, "created_at": datetime.now(UTC)}])
    with warehouse.transaction(settings) as con:
        warehouse.append_df(con, "model_promotions", frame)
