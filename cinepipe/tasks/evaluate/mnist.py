"""Evaluate tasks of the MNIST branch: accuracy on the official test split (``mnist/evaluate.py``)."""

from __future__ import annotations

from prefect import get_run_logger, task

from cinepipe.mnist import evaluate
from cinepipe.mnist.store import Staged
from cinepipe.mnist.train import TrainedModel
from cinepipe.reporting.metrics import accuracy_line, by_model
from cinepipe.settings import get_settings


@task(name="evaluate-mnist", task_run_name="evaluate-mnist[{staged[dataset]}]")
def evaluate_mnist(trained: list[TrainedModel], staged: Staged, run_id: str) -> dict[str, float]:
    """Test accuracy and confusion matrix of every model (rows in ``eval_metrics``); returns
    model -> accuracy."""
    rows = evaluate.evaluate_models(get_settings(), trained, staged["dataset"], staged["dir"], run_id)
    get_run_logger().info("test accuracy: %s", accuracy_line(rows))
    return by_model(rows)


@task(name="baseline-mnist", task_run_name="baseline-mnist[{staged[dataset]}]")
def majority_baseline_mnist(staged: Staged) -> float:
    """Test accuracy of always answering the train split's commonest class (the gate's baseline)."""
    return evaluate.majority_baseline(staged["dir"])
