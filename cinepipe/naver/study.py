"""The study: how a person's scores relate to the crowd's and the critics', and can we predict them.

Pure: a frame in, statistics / figures / metrics out (the task saves them). Predictions are judged
with seeded 5-fold cross-validation on the rows that have all three scores; accuracy counts a
prediction right when, rounded to the nearest half star, it equals the person's score.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from itertools import pairwise

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.model_selection import KFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from cinepipe.errors import ModelError
from cinepipe.naver.columns import CRITIC, MY_SCORE, NETIZEN, SCORE_COLUMNS

FEATURES = [NETIZEN, CRITIC]
PROTOCOL = "kfold-5"
N_FOLDS = 5
MIN_ROWS = 20
LABELS = {MY_SCORE: "my score (0.5-5)", NETIZEN: "netizen score (0-10)", CRITIC: "critic score (0-10)"}


@dataclass(frozen=True)
class KerasConfig:
    """The small network the notes tried, kept small on purpose: two inputs, ~800 rows."""

    hidden_units: int = 16  # one hidden layer; more overfits at this size
    epochs: int = 150
    quick_epochs: int = 25
    batch_size: int = 32
    learning_rate: float = 0.01


def study_rows(scores: pd.DataFrame) -> pd.DataFrame:
    """Rows with my, netizen and critic scores all present (the notes kept 825 of 1,815)."""
    frame = scores[list(SCORE_COLUMNS)].dropna().astype("float64")
    return frame.reset_index(drop=True)


def score_stats(frame: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Covariance and Pearson correlation of my / netizen / critic."""
    cols = list(SCORE_COLUMNS)
    return {"covariance": frame[cols].cov(), "correlation": frame[cols].corr()}


def make_figures(frame: pd.DataFrame) -> dict[str, Figure]:
    """Scatter plots of each pair and a histogram of each score, by file stem."""
    figures: dict[str, Figure] = {}
    for x, y in ((NETIZEN, MY_SCORE), (CRITIC, MY_SCORE), (NETIZEN, CRITIC)):
        fig = Figure(figsize=(5, 4), dpi=100)
        ax = fig.add_subplot()
        ax.scatter(frame[x], frame[y], s=10, alpha=0.5)
        r = frame[x].corr(frame[y])
        ax.set(xlabel=LABELS[x], ylabel=LABELS[y], title=f"{y} vs {x} (r = {r:.2f}, n = {len(frame)})")
        fig.tight_layout()
        figures[f"scatter_{y}_vs_{x}"] = fig
    for col in SCORE_COLUMNS:
        fig = Figure(figsize=(5, 4), dpi=100)
        ax = fig.add_subplot()
        bins = np.arange(0.25, 5.5, 0.5) if col == MY_SCORE else 20
        ax.hist(frame[col], bins=bins, edgecolor="white")
        ax.set(xlabel=LABELS[col], ylabel="movies", title=f"{col} (mean {frame[col].mean():.2f})")
        fig.tight_layout()
        figures[f"hist_{col}"] = fig
    return figures


def round_half_star(pred: np.ndarray) -> np.ndarray:
    return np.clip(np.round(np.asarray(pred, dtype=float) * 2) / 2, 0.5, 5.0)


def _mean(X: np.ndarray, y: np.ndarray, X_test: np.ndarray) -> np.ndarray:
    return np.full(len(X_test), y.mean())


def _linear(X: np.ndarray, y: np.ndarray, X_test: np.ndarray) -> np.ndarray:
    return LinearRegression().fit(X, y).predict(X_test)


def _logistic_balanced(X: np.ndarray, y: np.ndarray, X_test: np.ndarray) -> np.ndarray:
    """A softmax classifier over half stars, classes weighted against the common 3-4 stars."""
    labels = np.round(y * 2).astype(int)
    model = make_pipeline(StandardScaler(), LogisticRegression(class_weight="balanced", max_iter=2000))
    return model.fit(X, labels).predict(X_test) / 2


def _ordinal(X: np.ndarray, y: np.ndarray, X_test: np.ndarray) -> np.ndarray:
    """Ordinal regression (Frank & Hall): one P(score > k) per threshold, summed to an expectation."""
    levels = np.unique(y)
    if len(levels) < 2:
        return np.full(len(X_test), levels[0])
    expected = np.full(len(X_test), levels[0], dtype=float)
    for low, high in pairwise(levels):
        above = (y > low).astype(int)
        model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
        expected += model.fit(X, above).predict_proba(X_test)[:, 1] * (high - low)
    return expected


def _keras_mlp(config: KerasConfig, epochs: int, seed: int) -> Callable:
    def fit_predict(X: np.ndarray, y: np.ndarray, X_test: np.ndarray) -> np.ndarray:
        import keras

        keras.utils.set_random_seed(seed)
        mean, std = X.mean(axis=0), X.std(axis=0) + 1e-9
        model = keras.Sequential([
            keras.Input(shape=(X.shape[1],)),
            keras.layers.Dense(config.hidden_units, activation="relu"),
            keras.layers.Dense(1),
        ])
        model.compile(optimizer=keras.optimizers.Adam(config.learning_rate), loss="mse")
        model.fit((X - mean) / std, y, epochs=epochs, batch_size=config.batch_size, verbose=0)
        return model.predict((X_test - mean) / std, verbose=0).ravel()

    return fit_predict


def models(quick: bool = False, seed: int = 42, config: KerasConfig | None = None) -> dict[str, Callable]:
    """Model name -> fit_predict(X_train, y_train, X_test)."""
    config = config or KerasConfig()
    return {
        "mean": _mean,
        "linear": _linear,
        "logistic-balanced": _logistic_balanced,
        "ordinal-logistic": _ordinal,
        "keras-mlp": _keras_mlp(config, config.quick_epochs if quick else config.epochs, seed),
    }


def cross_validate(
    frame: pd.DataFrame, *, seed: int = 42, quick: bool = False, only: list[str] | None = None
) -> tuple[list[dict], pd.DataFrame]:
    """Seeded 5-fold CV of every model.

    Returns:
        (metric rows for ``eval_metrics``: model, metric, value, n_train, n_test; out-of-fold
        predictions, one column per model). Metrics are over the pooled out-of-fold predictions.
    """
    if len(frame) < MIN_ROWS:
        raise ModelError(
            "naver study", f"only {len(frame)} movies have my, netizen and critic scores",
            f"Add scores or matches: cross-validation needs at least {MIN_ROWS}.",
        )
    X, y = frame[FEATURES].to_numpy(float), frame[MY_SCORE].to_numpy(float)
    folds = list(KFold(N_FOLDS, shuffle=True, random_state=seed).split(X))
    n_train = round(float(np.mean([len(tr) for tr, _ in folds])))
    predictions = pd.DataFrame({MY_SCORE: y})
    rows = []
    for name, fit_predict in models(quick, seed).items():
        if only and name not in only:
            continue
        pred = np.empty(len(y))
        for train, test in folds:
            pred[test] = fit_predict(X[train], y[train], X[test])
        predictions[name] = pred
        values = {
            "rmse": float(np.sqrt(np.mean((pred - y) ** 2))),
            "mae": float(np.mean(np.abs(pred - y))),
            "accuracy": float(np.mean(round_half_star(pred) == y)),
        }
        rows += [{"model": name, "metric": m, "value": v, "n_train": n_train, "n_test": len(y)}
                 for m, v in values.items()]
    return rows, predictions
