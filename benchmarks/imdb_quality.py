"""The IMDB branch's linear models and its ensemble on the shared reviews, next to the plain mean.

    flock /tmp/cinepipe-heavy.lock .venv/bin/python benchmarks/imdb_quality.py [--source ../shared/data/imdb]
        [--seed 42]

Reads the reviews as the branch does (dedupe, fit/val/test parts of ``CINEPIPE_SEED``), builds the
TF-IDF blocks from the training reviews, tunes and fits every linear model of ``LINEAR_SPECS``, and
prints for each model and for two ensemble rules (the mean of NB-SVM and LR, the baseline; the
stack of ``ENSEMBLE_MEMBERS``) the validation accuracy (models fitted on the fit part; the stack's
out-of-fold over ten folds of the validation part, so it is not scored on what fitted it) and the
official test accuracy of the final models (refit on fit + validation; test is only scored, never
used to choose), with wall and CPU seconds.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
from sklearn.model_selection import StratifiedKFold

from cinepipe.imdb.baselines import (
    ENSEMBLE_MEMBERS,
    LINEAR_SPECS,
    Stacker,
    TfidfConfig,
    accuracy,
    fit_vectorizer,
    tune_and_fit,
)
from cinepipe.imdb.checks import dedupe_reviews
from cinepipe.imdb.columns import COPIES, LABEL, TEXT
from cinepipe.imdb.prepare import PART, split_parts
from cinepipe.imdb.sources import read_reviews

MEAN_MEMBERS = ("nbsvm", "tfidf_lr")  # the ensemble before the stack: the mean of their probabilities


def _out_of_fold_stack(val_probas: list[np.ndarray], y_val: np.ndarray, seed: int) -> np.ndarray:
    oof = np.empty(len(y_val))
    for fit_rows, score_rows in StratifiedKFold(10, shuffle=True, random_state=seed).split(y_val, y_val):
        stacker = Stacker().fit([p[fit_rows] for p in val_probas], y_val[fit_rows])
        oof[score_rows] = stacker.predict_proba([p[score_rows] for p in val_probas])
    return oof


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=Path("../shared/data/imdb"))
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    started, cpu_started = time.perf_counter(), time.process_time()
    reviews, _, _ = dedupe_reviews(read_reviews(args.source).reviews)
    parts = split_parts(reviews, args.seed)
    rows = {p: parts[parts[PART] == p] for p in ("fit", "val", "test")}
    vectorizer = fit_vectorizer(parts.loc[parts[PART] != "test", TEXT].tolist(), TfidfConfig())
    x = {p: vectorizer.transform(r[TEXT].tolist()).tocsr() for p, r in rows.items()}
    y = {p: r[LABEL].to_numpy() for p, r in rows.items()}
    copies = rows["test"][COPIES].to_numpy()
    print(f"features: {len(vectorizer.vocabulary_):,} n-grams per block, {time.perf_counter() - started:.0f} s wall, "
          f"{time.process_time() - cpu_started:.0f} s CPU")
    val, test = {}, {}
    for name, spec in LINEAR_SPECS.items():
        t, c = time.perf_counter(), time.process_time()
        model, history = tune_and_fit(spec, (x["fit"], y["fit"]), (x["val"], y["val"]), args.seed)
        val[name], test[name] = model.val_proba, model.predict_proba(x["test"])
        print(f"{name:<18} C {history['best_c'][0]:<5g} val {accuracy(y['val'], val[name]):.4f}  "
              f"test {accuracy(y['test'], test[name], copies):.4f}  "
              f"({time.perf_counter() - t:.0f} s wall, {time.process_time() - c:.0f} s CPU)")
    mean_val = np.mean([val[m] for m in MEAN_MEMBERS], axis=0)
    mean_test = np.mean([test[m] for m in MEAN_MEMBERS], axis=0)
    print(f"{'mean nbsvm+lr':<26} val {accuracy(y['val'], mean_val):.4f}  test {accuracy(y['test'], mean_test, copies):.4f}")
    stack_val = _out_of_fold_stack([val[m] for m in ENSEMBLE_MEMBERS], y["val"], args.seed)
    stacker = Stacker().fit([val[m] for m in ENSEMBLE_MEMBERS], y["val"])
    stack_test = stacker.predict_proba([test[m] for m in ENSEMBLE_MEMBERS])
    print(f"{'stack ' + '+'.join(ENSEMBLE_MEMBERS):<26} val {accuracy(y['val'], stack_val):.4f}  "
          f"test {accuracy(y['test'], stack_test, copies):.4f}  weights {stacker.weights}")
    print(f"total {time.perf_counter() - started:.0f} s wall, {time.process_time() - cpu_started:.0f} s CPU")


if __name__ == "__main__":
    main()
