"""Training the IMDB branch's models: the Keras models of the notes and the linear baselines.

Each writes ``artifacts/imdb/<model>/<run_id>/``: the model, ``config.json`` (what it was trained
on and how), ``history.json`` and PNG curves, which are also published as Prefect artifacts.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import joblib
import numpy as np
from scipy import sparse

from cinepipe.imdb import plots
from cinepipe.imdb.baselines import LINEAR_SPECS, tune_and_fit
from cinepipe.reporting.artifacts import artifact_dir, publish_image
from cinepipe.reporting.progress import count_bar


@dataclass(frozen=True)
class TrainedModel:
    """A trained model's directory and what it cost: handed from training to evaluation."""

    model: str
    kind: str  # keras or linear
    dir: str
    n_train: int
    train_seconds: float
    train_cpu_seconds: float


def _save_run(out: Path, model: str, history: dict, config: dict, figures: dict) -> None:
    (out / "history.json").write_text(json.dumps(history, indent=1))
    (out / "config.json").write_text(json.dumps(config, indent=1, default=str))
    for name, fig in figures.items():
        png = out / f"{name}.png"
        fig.savefig(png, dpi=90)
        plots.close(fig)
        publish_image(png, key=f"imdb-{model}-{name}", description=f"imdb {model}: {name}")


def train_keras(model: str, prepared_dir: str, prepared_key: str, quick: bool, seed: int,
                run_id: str) -> TrainedModel:
    """Fit one Keras model on the prepared fit part, validating on the val part."""
    from cinepipe.imdb import models  # keras loads in seconds: only when a model trains

    spec = models.SPECS[model].quick() if quick else models.SPECS[model]
    data = np.load(Path(prepared_dir) / "sequences.npz")
    fit_x = models.model_inputs(spec, data["fit_flat"], data["fit_offsets"])
    val_x = models.model_inputs(spec, data["val_flat"], data["val_offsets"])
    out = artifact_dir("imdb", model, run_id)
    net = models.build_model(spec)
    started, cpu_started = time.perf_counter(), time.process_time()
    with count_bar(f"train imdb {model}, epochs", spec.epochs) as advance:
        history = models.fit_model(net, spec, (fit_x, data["fit_labels"]), (val_x, data["val_labels"]),
                                   out / "best.weights.h5", seed, on_epoch=advance)
    seconds, cpu_seconds = round(time.perf_counter() - started, 1), round(time.process_time() - cpu_started, 1)
    (out / "architecture.json").write_text(net.to_json())
    net.save_weights(out / "model.weights.h5")
    config = {"kind": "keras", "spec": asdict(spec), "prepared": prepared_key, "n_fit": len(fit_x),
              "n_val": len(val_x), "epochs_run": len(history["loss"]), "train_seconds": seconds,
              "train_cpu_seconds": cpu_seconds}
    figures = {m: plots.curve_figure(history, m, f"{model}: {m}") for m in ("loss", "accuracy")}
    _save_run(out, model, history, config, figures)
    return TrainedModel(model, "keras", str(out), len(fit_x), seconds, cpu_seconds)


def train_linear(model: str, features_dir: str, features_key: str, tfidf: dict, seed: int,
                 run_id: str) -> TrainedModel:
    """Choose C on the val part, refit on fit + val, save the classifier."""
    spec = LINEAR_SPECS[model]
    root = Path(features_dir)
    part = {p: (sparse.load_npz(root / f"{p}_x.npz"), np.load(root / f"{p}_y.npy")) for p in ("fit", "val")}
    started, cpu_started = time.perf_counter(), time.process_time()
    fitted, history = tune_and_fit(spec, part["fit"], part["val"], seed)
    seconds, cpu_seconds = round(time.perf_counter() - started, 1), round(time.process_time() - cpu_started, 1)
    out = artifact_dir("imdb", model, run_id)
    joblib.dump(fitted, out / "model.joblib")
    n_train = part["fit"][0].shape[0] + part["val"][0].shape[0]
    config = {"kind": "linear", "spec": asdict(spec), "features": features_key, "tfidf": tfidf,
              "vectorizer": str(root / "vectorizer.joblib"), "best_c": history["best_c"][0],
              "n_train": n_train, "train_seconds": seconds, "train_cpu_seconds": cpu_seconds}
    _save_run(out, model, history, config, {"c_search": plots.c_search_figure(history, f"{model}: C search")})
    return TrainedModel(model, "linear", str(out), n_train, seconds, cpu_seconds)
