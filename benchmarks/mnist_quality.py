"""The image branch's CNN on real IDX files: accuracy, seconds and CPU-seconds an epoch, per config.

    flock /tmp/cinepipe-heavy.lock .venv/bin/python benchmarks/mnist_quality.py \\
        [--source /usr/share/datasets/fashion-mnist] [--dataset fashion-mnist] \\
        [--set epochs=14 mirror=true ...] [--holdout 6000 | --test] [--baselines] [--threads N]

By default the model is fitted on the train split less a seeded hold-out of ``--holdout`` images
and scored on that hold-out (tune here); ``--test`` fits on the whole train split and scores the
official test split once (confirm here, never tune). ``--set`` overrides fields of the dataset's
``CnnConfig`` (``models.cnn_config``), so any variant can be measured without editing code. CPU
time is the process's (all threads), the honest figure when other jobs share the cores; wall time
is only an idle figure when nothing else runs.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import resource
import time
from pathlib import Path

import numpy as np

from cinepipe.mnist import idx, models

FILES = {"train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
         "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")}


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _read(source: Path, split: str) -> tuple[np.ndarray, np.ndarray]:
    def one(name: str, kind: str) -> np.ndarray:
        path = source / f"{name}.gz" if (source / f"{name}.gz").exists() else source / name
        return idx.read_idx(path, kind)

    images_name, labels_name = FILES[split]
    return one(images_name, "images"), one(labels_name, "labels").astype(np.int64)


def _overrides(pairs: list[str]) -> dict:
    """``key=value`` pairs as CnnConfig fields, values parsed as JSON (``filters=[32,64]``)."""
    fields = {f.name: f for f in dataclasses.fields(models.CnnConfig)}
    out = {}
    for pair in pairs:
        key, _, raw = pair.partition("=")
        if key not in fields:
            raise SystemExit(f"unknown CnnConfig field {key!r}; fields: {', '.join(fields)}")
        value = json.loads(raw)
        out[key] = tuple(value) if isinstance(value, list) else value
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=Path("/usr/share/datasets/fashion-mnist"))
    parser.add_argument("--dataset", default="fashion-mnist")
    parser.add_argument("--set", nargs="*", default=[], metavar="FIELD=JSON")
    parser.add_argument("--holdout", type=int, default=6000)
    parser.add_argument("--test", action="store_true", help="fit on all of train, score the test split")
    parser.add_argument("--baselines", action="store_true", help="also the scikit-learn baselines")
    parser.add_argument("--threads", type=int, default=0, help="TensorFlow threads (0: its default)")
    args = parser.parse_args()

    images, labels = _read(args.source, "train")
    if args.test:
        fit_x, fit_y = images, labels
        eval_x, eval_y = _read(args.source, "test")
        scored_on = "official test split"
    else:
        order = np.random.default_rng(42).permutation(len(labels))
        held, kept = order[:args.holdout], np.sort(order[args.holdout:])
        fit_x, fit_y, eval_x, eval_y = images[kept], labels[kept], images[held], labels[held]
        scored_on = f"hold-out of {args.holdout} train images"
    config = dataclasses.replace(models.cnn_config(args.dataset, quick=False), **_overrides(args.set))
    keras = models._keras()
    if args.threads:
        import tensorflow as tf

        tf.config.threading.set_intra_op_parallelism_threads(args.threads)
        tf.config.threading.set_inter_op_parallelism_threads(args.threads)
    print(f"{args.dataset}: fit on {len(fit_y)}, scored on the {scored_on}; config {config.to_dict()}",
          flush=True)
    marks = [(time.perf_counter(), _cpu_seconds())]

    def epoch_done(done: int) -> None:
        marks.append((time.perf_counter(), _cpu_seconds()))
        wall, cpu = (b - a for a, b in zip(marks[-2], marks[-1]))
        print(f"  epoch {done}: {wall:.1f} s wall, {cpu:.1f} CPU-s", flush=True)

    trained = models.train_cnn(fit_x, fit_y, config, on_epoch=epoch_done)
    wall, cpu = (b - a for a, b in zip(marks[0], marks[-1]))
    acc = models.accuracy(models.predict_cnn(trained.model, eval_x), eval_y)
    line = (f"cnn: accuracy {acc:.4f}; fit {wall:.0f} s wall, {cpu:.0f} CPU-s; "
            f"{wall / config.epochs:.1f} s and {cpu / config.epochs:.1f} CPU-s an epoch; "
            f"final train accuracy {trained.history['accuracy'][-1]:.4f}")
    if config.mirror:  # the same weights without the mirror average
        plain = trained.model.get_layer("mnist_cnn")
        line += f"; without the mirror average {models.accuracy(models.predict_cnn(plain, eval_x), eval_y):.4f}"
    print(line, flush=True)
    keras.backend.clear_session()
    if args.baselines:
        for name in models.BASELINES:
            before = _cpu_seconds()
            fitted, seconds = models.fit_baseline(name, fit_x, fit_y)
            acc = models.accuracy(fitted.predict(eval_x), eval_y)
            print(f"{name}: accuracy {acc:.4f}; fit {seconds:.1f} s wall, "
                  f"{_cpu_seconds() - before:.1f} CPU-s (with predict)", flush=True)


if __name__ == "__main__":
    main()
