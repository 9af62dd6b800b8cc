"""Train tasks of the MNIST branch: the CNN and the scikit-learn baselines.

Each writes ``artifacts/mnist/<dataset>/<model>/<run_id>/``: the model, ``config.json`` (what it
was trained on and how) and, for the CNN, ``architecture.json``, weights, ``history.json`` and the
loss/accuracy curves (PNG, also a Prefect artifact).
"""

from __future__ import annotations

import json

import joblib
import numpy as np
from prefect import task

from cinepipe.mnist import plots, store
from cinepipe.reporting.artifacts import artifact_dir, artifact_key, publish_image
from cinepipe.reporting.progress import count_bar
from cinepipe.tasks._common import CACHED_ACROSS_RUNS

QUICK_TRAIN_ROWS = 2_000  # quick runs (tests, the sample) train on this many images at most


def _train_split(staged: dict, quick: bool, seed: int) -> tuple[np.ndarray, np.ndarray]:
    images, labels = store.load_split(staged["dir"], "train")
    if quick and len(labels) > QUICK_TRAIN_ROWS:
        keep = np.sort(np.random.default_rng(seed).choice(len(labels), QUICK_TRAIN_ROWS, replace=False))
        images, labels = images[keep], labels[keep]
    return images, labels


@task(name="train-mnist-cnn", task_run_name="train-mnist[cnn]", cache_policy=CACHED_ACROSS_RUNS)
def train_mnist_cnn(staged: dict, quick: bool, seed: int, run_id: str) -> dict:
    """Fit the CNN on the train split (a subset when quick); save it with its history and curves."""
    from cinepipe.mnist import (
        models,  # keras loads in seconds: only when a model trains
    )

    dataset = staged["dataset"]
    config = models.CnnConfig.quick(seed) if quick else models.CnnConfig(seed=seed)
    images, labels = _train_split(staged, quick, seed)
    with count_bar(f"train {dataset} CNN, epochs", config.epochs) as advance:
        trained = models.train_cnn(images, labels, config, on_epoch=advance)
    out = artifact_dir("mnist", dataset, "cnn", run_id)
    (out / "architecture.json").write_text(trained.model.to_json())
    trained.model.save_weights(out / "model.weights.h5")
    (out / "history.json").write_text(json.dumps(trained.history, indent=1))
    (out / "config.json").write_text(json.dumps(
        {"kind": "keras", "config": config.to_dict(), "staged": staged["key"], "n_train": len(labels),
         "train_seconds": round(trained.train_seconds, 1)}, indent=1))
    curves = plots.plot_history(trained.history, out / "curves.png", f"{dataset} CNN: loss and accuracy")
    publish_image(curves, key=artifact_key("mnist", dataset, "cnn-curves"),
                  description=f"{dataset} CNN: loss and accuracy per epoch")
    return {"model": "cnn", "kind": "keras", "dir": str(out), "n_train": len(labels),
            "epochs": config.epochs, "train_seconds": round(trained.train_seconds, 1)}


@task(name="train-mnist-baseline", task_run_name="train-mnist[{model}]", cache_policy=CACHED_ACROSS_RUNS)
def train_mnist_baseline(staged: dict, model: str, quick: bool, seed: int, run_id: str) -> dict:
    """Fit one scikit-learn baseline on the pixels; save it with joblib."""
    from cinepipe.mnist import models

    images, labels = _train_split(staged, quick, seed)
    fitted, seconds = models.fit_baseline(model, images, labels, seed)
    out = artifact_dir("mnist", staged["dataset"], model, run_id)
    joblib.dump(fitted, out / "model.joblib")
    (out / "config.json").write_text(json.dumps(
        {"kind": "sklearn", "model": model, "pipeline": repr(fitted), "staged": staged["key"],
         "n_train": len(labels), "train_seconds": round(seconds, 1)}, indent=1))
    return {"model": model, "kind": "sklearn", "dir": str(out), "n_train": len(labels),
            "train_seconds": round(seconds, 1)}
