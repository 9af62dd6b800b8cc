"""Scoring the IMDB branch's models on the official test split: accuracy, recorded and published."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import joblib
import numpy as np
from scipy import sparse

from cinepipe.imdb.baselines import ENSEMBLE, ENSEMBLE_MEMBERS, Stacker, accuracy
from cinepipe.imdb.train import TrainedModel
from cinepipe.promotion import majority_class_accuracy
from cinepipe.reporting.artifacts import artifact_dir
from cinepipe.reporting.metrics import MetricRow, publish_metrics, record_metrics
from cinepipe.settings import Settings

PROTOCOL = "official-test"


def _test_proba(trained: TrainedModel, sequences: np.lib.npyio.NpzFile, features_dir: str) -> np.ndarray:
    if trained.kind == "linear":
        return joblib.load(Path(trained.dir) / "model.joblib").predict_proba(
            sparse.load_npz(Path(features_dir) / "test_x.npz")
        )
    # keras loads in seconds: only when a model is scored
    from cinepipe.imdb import models

    out = Path(trained.dir)
    spec = models.KerasSpec(**json.loads((out / "config.json").read_text())["spec"])
    net = models.load_model((out / "architecture.json").read_text(), out / "model.weights.h5")
    return models.predict_proba(net, models.model_inputs(spec, sequences["test_flat"], sequences["test_offsets"]))


def evaluate_models(settings: Settings, trained: Sequence[TrainedModel], prepared_dir: str, features_dir: str,
                    dataset: str, run_id: str) -> list[MetricRow]:
    """Test accuracy of every model and of the NB-SVM + LR ensemble (stacked on the validation
    part), into ``eval_metrics``, each model's ``metrics.json`` and a table artifact.

    Scored over the whole official test split: a review whose text repeats is kept once and
    weighted by its copies, so n_test is 25,000 on the real data (24,801 distinct texts).
    """
    sequences = np.load(Path(prepared_dir) / "sequences.npz")
    labels, copies = sequences["test_labels"], sequences["test_copies"]
    probas = {t.model: _test_proba(t, sequences, features_dir) for t in trained}
    n_train = {t.model: t.n_train for t in trained}
    if all(m in probas for m in ENSEMBLE_MEMBERS):
        dirs = {t.model: Path(t.dir) for t in trained}
        val_probas = [joblib.load(dirs[m] / "model.joblib").val_proba for m in ENSEMBLE_MEMBERS]
        stacker = Stacker().fit(val_probas, np.load(Path(features_dir) / "val_y.npy"))
        probas[ENSEMBLE] = stacker.predict_proba([probas[m] for m in ENSEMBLE_MEMBERS])
        n_train[ENSEMBLE] = max(n_train[m] for m in ENSEMBLE_MEMBERS)
        (artifact_dir("imdb", ENSEMBLE, run_id) / "config.json").write_text(json.dumps(
            {"kind": "ensemble", "members": list(ENSEMBLE_MEMBERS), "weights": stacker.weights,
             "rule": "logistic regression on the members' log-odds, fitted on the validation part"}))
    rows = [MetricRow("imdb", dataset, model, PROTOCOL, "accuracy", accuracy(labels, proba, copies),
                      n_train[model], int(copies.sum()))
            for model, proba in probas.items()]
    record_metrics(settings, rows, run_id=run_id)
    for row in rows:
        (artifact_dir("imdb", row.model, run_id) / "metrics.json").write_text(json.dumps(row.as_dict(), indent=1))
    publish_metrics(rows, key=f"imdb-metrics-{dataset}", description="IMDB test accuracy (official-test)")
    return rows


def majority_baseline(prepared_dir: str) -> float:
    """Official-test accuracy of always answering the training reviews' commoner label (the gate's
    baseline), over the whole test split as ``evaluate_models`` counts it."""
    data = np.load(Path(prepared_dir) / "sequences.npz")
    return majority_class_accuracy(np.concatenate([data["fit_labels"], data["val_labels"]]),
                                   data["test_labels"], data["test_copies"])
