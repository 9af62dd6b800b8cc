"""Scoring the MNIST branch's models on the official test split: accuracy and confusion matrices."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import joblib
import numpy as np

from cinepipe.mnist import plots, store
from cinepipe.mnist.train import TrainedModel
from cinepipe.promotion import majority_class_accuracy
from cinepipe.reporting.artifacts import artifact_key, publish_image
from cinepipe.reporting.metrics import MetricRow, publish_metrics, record_metrics
from cinepipe.settings import Settings

PROTOCOL = "official-test"


def _predict(trained: TrainedModel, images: np.ndarray) -> np.ndarray:
    out = Path(trained.dir)
    if trained.kind == "sklearn":
        return joblib.load(out / "model.joblib").predict(images)
    from cinepipe.mnist import models

    net = models.load_cnn((out / "architecture.json").read_text(), out / "model.weights.h5")
    return models.predict_cnn(net, images)


def evaluate_models(settings: Settings, trained: Sequence[TrainedModel], dataset: str, staged_dir: str,
                    run_id: str) -> list[MetricRow]:
    """Test accuracy and confusion matrix of every model, into ``eval_metrics``, each model's
    ``metrics.json`` and ``confusion.{json,png}``, and the artifacts."""
    from cinepipe.mnist.models import accuracy, confusion

    images, labels = store.load_split(staged_dir, "test")
    rows = []
    for model in trained:
        predicted = _predict(model, images)
        out = Path(model.dir)
        matrix = confusion(predicted, labels)
        (out / "confusion.json").write_text(json.dumps(matrix.tolist()))
        png = plots.plot_confusion(matrix, plots.class_names(dataset), out / "confusion.png",
                                   f"{dataset} {model.model}: test confusion matrix")
        publish_image(png, key=artifact_key("mnist", dataset, model.model, "confusion"),
                      description=f"{dataset} {model.model}: confusion matrix on the test split")
        row = MetricRow("mnist", dataset, model.model, PROTOCOL, "accuracy", accuracy(predicted, labels),
                        model.n_train, len(labels))
        (out / "metrics.json").write_text(json.dumps(row.as_dict(), indent=1))
        rows.append(row)
    record_metrics(settings, rows, run_id=run_id)
    publish_metrics(rows, key=artifact_key("mnist", dataset, "metrics"),
                    description=f"{dataset}: test accuracy ({PROTOCOL})")
    return rows


def majority_baseline(staged_dir: str) -> float:
    """Test accuracy of always answering the train split's commonest class (the gate's baseline)."""
    _, train_labels = store.load_split(staged_dir, "train")
    _, test_labels = store.load_split(staged_dir, "test")
    return majority_class_accuracy(train_labels, test_labels)
