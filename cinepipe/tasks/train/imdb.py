"""Train tasks of the IMDB branch: the Keras models of the notes and the linear baselines.

Each writes ``artifacts/imdb/<model>/<run_id>/``: the model, ``config.json`` (what it was trained
on and how), ``history.json`` and PNG curves, which are also published as Prefect artifacts.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict
from pathlib import Path

import joblib
import numpy as np
from prefect import task
from scipy import sparse

from cinepipe.imdb import plots
from cinepipe.imdb.baselines import LINEAR_SPECS, tune_and_fit
from cinepipe.reporting.artifacts import artifact_dir, publish_image
from cinepipe.reporting.progress import count_bar
from cinepipe.tasks._common import CACHED_ACROSS_RUNS


def _save_run(out: Path, model: str, history: dict, config: dict, figures: dict) -> None:
    (out / "history.json").write_text(json.dumps(history, indent=1))
    (out / "config.json").write_text(json.dumps(config, indent=1, default=str))
    for name, fig in figures.items():
        png = out / f"{name}.png"
        fig.savefig(png, dpi=90)
        plots.close(fig)
        publish_image(png, key=f"imdb-{model}-{name}", description=f"imdb {model}: {name}")


@task(name="train-imdb-keras", task_run_name="train-imdb[{model}]", cache_policy=CACHED_ACROSS_RUNS)
def train_imdb_keras(prepared: dict, model: str, quick: bool, seed: int, run_id: str) -> dict:
    """Fit one Keras model on the fit part, validating on the val part."""
    from cinepipe.imdb import models  # keras loads in seconds: only when a model trains

    spec = models.SPECS[model].quick() if quick else models.SPECS[model]
    data = np.load(Path(prepared["dir"]) / "sequences.npz")
    fit_x = models.model_inputs(spec, data["fit_flat"], data["fit_offsets"])
    val_x = models.model_inputs(spec, data["val_flat"], data["val_offsets"])
    out = artifact_dir("imdb", model, run_id)
    net = models.build_model(spec)
    started, cpu_started = time.perf_counter(), time.process_time()
    with count_bar(f"train imdb {model}, epochs", spec.epochs) as advance:
        history = models.fit_model(net, spec, (fit_x, data["fit_labels"]), (val_x, data["val_labels"]),
                                   out / "best.weights.h5", seed, on_epoch=advance)
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu_started
    (out / "architecture.json").write_text(net.to_json())
    net.save_weights(out / "model.weights.h5")
    config = {"kind": "keras", "spec": asdict(spec), "prepared": prepared["key"], "n_fit": len(fit_x),
              "n_val": len(val_x), "epochs_run": len(history["loss"]), "train_seconds": round(seconds, 1),
              "train_cpu_seconds": round(cpu_seconds, 1)}
    figures = {m: plots.curve_figure(history, m, f"{model}: {m}") for m in ("loss", "accuracy")}
    _save_run(out, model, history, config, figures)
    return {"model": model, "kind": "keras", "dir": str(out), "n_train": len(fit_x),
            "epochs": len(history["loss"]), "train_seconds": round(seconds, 1),
            "train_cpu_seconds": round(cpu_seconds, 1)}


@task(name="train-imdb-linear", task_run_name="train-imdb[{model}]", cache_policy=CACHED_ACROSS_RUNS)
def train_imdb_linear(features: dict, model: str, seed: int, run_id: str) -> dict:
    """Choose C on the val part, refit on fit + val, save the classifier."""
    spec = LINEAR_SPECS[model]
    root = Path(features["dir"])
    part = {p: (sparse.load_npz(root / f"{p}_x.npz"), np.load(root / f"{p}_y.npy")) for p in ("fit", "val")}
    started, cpu_started = time.perf_counter(), time.process_time()
    fitted, history = tune_and_fit(spec, part["fit"], part["val"], seed)
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu_started
    out = artifact_dir("imdb", model, run_id)
    joblib.dump(fitted, out / "model.joblib")
    n_train = part["fit"][0].shape[0] + part["val"][0].shape[0]
    config = {"kind": "linear", "spec": asdict(spec), "features": features["key"], "tfidf": features["config"],
              "vectorizer": str(root / "vectorizer.joblib"), "best_c": history["best_c"][0],
              "n_train": n_train, "train_seconds": round(seconds, 1), "train_cpu_seconds": round(cpu_seconds, 1)}
    _save_run(out, model, history, config, {"c_search": plots.c_search_figure(history, f"{model}: C search")})
    return {"model": model, "kind": "linear", "dir": str(out), "n_train": n_train,
            "best_c": history["best_c"][0], "train_seconds": round(seconds, 1),
            "train_cpu_seconds": round(cpu_seconds, 1)}
