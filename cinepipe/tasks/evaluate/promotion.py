"""Promotion tasks of every branch: judge a run's candidates, then record the decision."""

from __future__ import annotations

from prefect import get_run_logger, task

from cinepipe import promotion
from cinepipe.promotion import Decision, Gate
from cinepipe.reporting.artifacts import artifact_key, publish_markdown
from cinepipe.settings import get_settings
from cinepipe.storage import warehouse


@task(name="judge-candidates", task_run_name="judge-candidates[{gate.target}:{dataset}]")
def judge_candidates(gate: Gate, dataset: str, values: dict[str, float], tolerance: float) -> Decision | None:
    """The gate's decision on this run's figures against the model in service; None (logged) when
    the baseline has no figure, so nothing can be judged and whatever serves stays."""
    if gate.baseline_model not in values:
        get_run_logger().warning("%s[%s]: no %s figure for the baseline %s: no promotion decision",
                                 gate.target, dataset, gate.metric, gate.baseline_model)
        return None
    with warehouse.connect(get_settings()) as con:  # a writer connection: it creates the table on an older warehouse
        serving = promotion.serving_model(con, gate, dataset)
    return promotion.decide(gate, dataset, values, serving, tolerance)


@task(name="record-promotion", task_run_name="record-promotion")
def record_promotion(decision: Decision | None, run_id: str | None = None,
                     model_dirs: dict[str, str] | None = None) -> dict | None:
    """Append the decision to ``model_promotions`` (with the promoted model's directory, from
    ``model_dirs``), log its reason and publish it as an artifact."""
    if decision is None:
        return None
    model_dir = (model_dirs or {}).get(decision.model) if decision.promoted else None
    promotion.record_decision(get_settings(), decision, run_id=run_id or warehouse.new_run_id(), model_dir=model_dir)
    log = get_run_logger()
    (log.info if decision.promoted else log.warning)(
        "%s[%s]: %s %s: %s", decision.target, decision.dataset, decision.decision, decision.model, decision.reason)
    publish_markdown(promotion.decision_markdown(decision), key=artifact_key("promotion", decision.target, decision.dataset),
                     description=f"Promotion decision for {decision.target}[{decision.dataset}]")
    return decision.as_dict()
