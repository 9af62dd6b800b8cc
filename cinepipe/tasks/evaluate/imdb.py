"""Evaluate task of the IMDB branch: accuracy on the official test split, recorded and published."""

from __future__ import annotations

import json
from pathlib import Path

import joblib
import numpy as np
from prefect import get_run_logger, task
from prefect.artifacts import create_table_artifact
from scipy import sparse

from cinepipe.imdb.baselines import ENSEMBLE, ENSEMBLE_MEMBERS, accuracy, average_proba
from cinepipe.promotion import majority_class_accuracy
from cinepipe.reporting.artifacts import artifact_dir
from cinepipe.settings import get_settings
from cinepipe.storage import warehouse

PROTOCOL = "official-test"


def _test_proba(trained: dict, prepared: dict, features: dict) -> np.ndarray:
    if trained["kind"] == "linear":
        return joblib.load(Path(trained["dir"]) / "model.joblib").predict_proba(
            sparse.load_npz(Path(features["dir"]) / "test_x.npz")
        )
    from cinepipe.imdb import (
        models,  # keras loads in seconds: only when a model is scored
    )

    out = Path(trained["dir"])
    config = json.loads((out / "config.json").read_text())
    spec = models.KerasSpec(**config["spec"])
    data = np.load(Path(prepared["dir"]) / "sequences.npz")
    net = models.load_model((out / "architecture.json").read_text(), out / "model.weights.h5")
    return models.predict_proba(net, models.model_inputs(spec, data["test_flat"], data["test_offsets"]))


@task(name="evaluate-imdb", task_run_name="evaluate-imdb[{dataset}]")
def evaluate_imdb(trained: list[dict], prepared: dict, features: dict, dataset: str, run_id: str) -> dict:
    """Test accuracy of every model and of the NB-SVM + LR ensemble; rows in ``eval_metrics``.

    Scored over the whole official test split: a review whose text repeats is kept once and
    weighted by its copies, so n_test is 25,000 on the real data (24,801 distinct texts).
    """
    sequences = np.load(Path(prepared["dir"]) / "sequences.npz")
    labels, copies = sequences["test_labels"], sequences["test_copies"]
    probas = {t["model"]: _test_proba(t, prepared, features) for t in trained}
    n_train = {t["model"]: t["n_train"] for t in trained}
    if all(m in probas for m in ENSEMBLE_MEMBERS):
        probas[ENSEMBLE] = average_proba([probas[m] for m in ENSEMBLE_MEMBERS])
        n_train[ENSEMBLE] = max(n_train[m] for m in ENSEMBLE_MEMBERS)
        (artifact_dir("imdb", ENSEMBLE, run_id) / "config.json").write_text(
            json.dumps({"kind": "ensemble", "members": list(ENSEMBLE_MEMBERS), "rule": "mean probability"})
        )
    rows = [
        {"target": "imdb", "dataset": dataset, "model": model, "protocol": PROTOCOL, "metric": "accuracy",
         "value": accuracy(labels, proba, copies), "n_train": n_train[model], "n_test": int(copies.sum())}
        for model, proba in probas.items()
    ]
    warehouse.record_metrics(get_settings(), rows, run_id=run_id)
    for row in rows:
        (artifact_dir("imdb", row["model"], run_id) / "metrics.json").write_text(json.dumps(row, indent=1))
    create_table_artifact(
        [{k: (round(v, 4) if isinstance(v, float) else v) for k, v in r.items()} for r in rows],
        key=f"imdb-metrics-{dataset.lower().replace('_', '-')}", description="IMDB test accuracy (official-test)",
    )
    get_run_logger().info("test accuracy: %s", ", ".join(f"{r['model']} {r['value']:.4f}"
                                                    for r in sorted(rows, key=lambda r: -r["value"])))
    return {r["model"]: round(r["value"], 4) for r in rows}


@task(name="baseline-imdb", task_run_name="baseline-imdb")
def majority_baseline_imdb(prepared: dict) -> float:
    """Official-test accuracy of always answering the training reviews' commoner label (the gate's
    baseline), over the whole test split as ``evaluate_imdb`` counts it."""
    data = np.load(Path(prepared["dir"]) / "sequences.npz")
    return majority_class_accuracy(np.concatenate([data["fit_labels"], data["val_labels"]]),
                                   data["test_labels"], data["test_copies"])
