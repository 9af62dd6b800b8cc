"""Evaluate tasks of the IMDB branch: accuracy on the official test split (``imdb/evaluate.py``)."""

from __future__ import annotations

from prefect import get_run_logger, task

from cinepipe.imdb import evaluate
from cinepipe.imdb.prepare import Features, Prepared
from cinepipe.imdb.train import TrainedModel
from cinepipe.reporting.metrics import accuracy_line, by_model
from cinepipe.settings import get_settings


@task(name="evaluate-imdb", task_run_name="evaluate-imdb[{dataset}]")
def evaluate_imdb(trained: list[TrainedModel], prepared: Prepared, features: Features, dataset: str,
                  run_id: str) -> dict[str, float]:
    """Test accuracy of every model and of the NB-SVM + LR ensemble (rows in ``eval_metrics``);
    returns model -> accuracy."""
    rows = evaluate.evaluate_models(get_settings(), trained, prepared["dir"], features["dir"], dataset, run_id)
    get_run_logger().info("test accuracy: %s", accuracy_line(rows))
    return by_model(rows)


@task(name="baseline-imdb", task_run_name="baseline-imdb")
def majority_baseline_imdb(prepared: Prepared) -> float:
    """Official-test accuracy of always answering the training reviews' commoner label (the gate's
    baseline), over the whole test split as ``evaluate_imdb`` counts it."""
    return evaluate.majority_baseline(prepared["dir"])
