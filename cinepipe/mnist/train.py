"""Training the MNIST branch's models: the CNN and the scikit-learn baselines.

Each writes ``artifacts/mnist/<dataset>/<model>/<run_id>/``: the model, ``config.json`` (what it
was trained on and how) and, for the CNN, ``architecture.json``, weights, ``history.json`` and the
loss/accuracy curves (PNG, also a Prefect artifact).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import joblib
import numpy as np

from cinepipe.mnist import plots, store
from cinepipe.reporting.artifacts import artifact_dir, artifact_key, publish_image
from cinepipe.reporting.progress import count_bar

QUICK_TRAIN_ROWS = 2_000  # quick runs (tests, the sample) train on this many images at most


@dataclass(frozen=True)
class TrainedModel:
    """A trained model's directory and what it cost: handed from training to evaluation."""

    model: str
    kind: str  # keras or sklearn
    dir: str
    n_train: int
    train_seconds: float


def train_split(staged_dir: str, quick: bool, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The staged train split's images and labels; a seeded subset of them when ``quick``."""
    images, labels = store.load_split(staged_dir, "train")
    if quick and len(labels) > QUICK_TRAIN_ROWS:
        keep = np.sort(np.random.default_rng(seed).choice(len(labels), QUICK_TRAIN_ROWS, replace=False))
        images, labels = images[keep], labels[keep]
    return images, labels


def train_cnn(dataset: str, staged_dir: str, staged_key: str, quick: bool, seed: int, run_id: str) -> TrainedModel:
    """Fit the CNN on the train split (a subset when quick); save it with its history and curves."""
    # keras loads in seconds: only when a model trains
    from cinepipe.mnist import models

    config = models.cnn_config(dataset, quick, seed)
    images, labels = train_split(staged_dir, quick, seed)
    with count_bar(f"train {dataset} CNN, epochs", config.epochs) as advance:
        trained = models.train_cnn(images, labels, config, on_epoch=advance)
    out = artifact_dir("mnist", dataset, "cnn", run_id)
    (out / "architecture.json").write_text(trained.model.to_json())
    trained.model.save_weights(out / "model.weights.h5")
    (out / "history.json").write_text(json.dumps(trained.history, indent=1))
    (out / "config.json").write_text(json.dumps(
        {"kind": "keras", "config": config.to_dict(), "staged": staged_key, "n_train": len(labels),
         "train_seconds": round(trained.train_seconds, 1)}, indent=1))
    curves = plots.plot_history(trained.history, out / "curves.png", f"{dataset} CNN: loss and accuracy")
    publish_image(curves, key=artifact_key("mnist", dataset, "cnn-curves"),
                  description=f"{dataset} CNN: loss and accuracy per epoch")
    return TrainedModel("cnn", "keras", str(out), len(labels), round(trained.train_seconds, 1))


def train_baseline(model: str, dataset: str, staged_dir: str, staged_key: str, quick: bool, seed: int,
                   run_id: str) -> TrainedModel:
    """Fit one scikit-learn baseline on the pixels; save it with joblib."""
    from cinepipe.mnist import models

    images, labels = train_split(staged_dir, quick, seed)
    fitted, seconds = models.fit_baseline(model, images, labels, seed)
    out = artifact_dir("mnist", dataset, model, run_id)
    joblib.dump(fitted, out / "model.joblib")
    (out / "config.json").write_text(json.dumps(
        {"kind": "sklearn", "model": model, "pipeline": repr(fitted), "staged": staged_key,
         "n_train": len(labels), "train_seconds": round(seconds, 1)}, indent=1))
    return TrainedModel(model, "sklearn", str(out), len(labels), round(seconds, 1))
