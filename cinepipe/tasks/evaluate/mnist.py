"""Evaluate task of the MNIST branch: accuracy on the official test split, recorded and published."""

from __future__ import annotations

import json
from pathlib import Path

import joblib
import numpy as np
from prefect import get_run_logger, task
from prefect.artifacts import create_table_artifact

from cinepipe.mnist import plots, store
from cinepipe.promotion import majority_class_accuracy
from cinepipe.reporting.artifacts import artifact_key, publish_image
from cinepipe.settings import get_settings
from cinepipe.storage import warehouse

PROTOCOL = "official-test"


def _predict(trained: dict, images: np.ndarray) -> np.ndarray:
    out = Path(trained["dir"])
    if trained["kind"] == "sklearn":
        return joblib.load(out / "model.joblib").predict(images)
    from cinepipe.mnist import models

    net = models.load_cnn((out / "architecture.json").read_text(), out / "model.weights.h5")
    return models.predict_cnn(net, images)


@task(name="evaluate-mnist", task_run_name="evaluate-mnist[{staged[dataset]}]")
def evaluate_mnist(trained: list[dict], staged: dict, run_id: str) -> dict:
    """Test accuracy and confusion matrix of every model; rows in ``eval_metrics``."""
    from cinepipe.mnist.models import accuracy, confusion

    dataset = staged["dataset"]
    images, labels = store.load_split(staged["dir"], "test")
    rows = []
    for model in trained:
        predicted = _predict(model, images)
        out = Path(model["dir"])
        matrix = confusion(predicted, labels)
        (out / "confusion.json").write_text(json.dumps(matrix.tolist()))
        png = plots.plot_confusion(matrix, plots.class_names(dataset), out / "confusion.png",
                                   f"{dataset} {model['model']}: test confusion matrix")
        publish_image(png, key=artifact_key("mnist", dataset, model["model"], "confusion"),
                      description=f"{dataset} {model['model']}: confusion matrix on the test split")
        row = {"target": "mnist", "dataset": dataset, "model": model["model"], "protocol": PROTOCOL,
               "metric": "accuracy", "value": accuracy(predicted, labels), "n_train": model["n_train"],
               "n_test": len(labels)}
        (out / "metrics.json").write_text(json.dumps(row, indent=1))
        rows.append(row)
    warehouse.record_metrics(get_settings(), rows, run_id=run_id)
    create_table_artifact(
        [{**r, "value": round(r["value"], 4)} for r in rows],
        key=artifact_key("mnist", dataset, "metrics"),
        description=f"{dataset}: test accuracy ({PROTOCOL})",
    )
    get_run_logger().info("test accuracy: %s", ", ".join(f"{r['model']} {r['value']:.4f}"
                                                    for r in sorted(rows, key=lambda r: -r["value"])))
    return {r["model"]: round(r["value"], 4) for r in rows}


@task(name="baseline-mnist", task_run_name="baseline-mnist[{staged[dataset]}]")
def majority_baseline_mnist(staged: dict) -> float:
    """Test accuracy of always answering the train split's commonest class (the gate's baseline)."""
    _, train_labels = store.load_split(staged["dir"], "train")
    _, test_labels = store.load_split(staged["dir"], "test")
    return majority_class_accuracy(train_labels, test_labels)
