"""Classical baselines: TF-IDF n-grams with logistic regression, and NB-SVM (Wang & Manning 2012).

Features are word 1-3-gram TF-IDF with char 2-5-gram TF-IDF beside them. NB-SVM scales each TF-IDF feature by its naive-Bayes log-count ratio (from binarised train counts)
and fits a linear classifier on the scaled features; the ensemble averages the two models'
probabilities. C is chosen on a validation slice of train, never on test.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from joblib import Parallel, delayed
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from cinepipe.imdb.vocab import clean_text


@dataclass(frozen=True)
class TfidfConfig:
    """Features shared by the linear models."""

    ngram_max: int = 3  # uni+bi+trigrams: +0.3-0.4 points over bigrams on a validation slice
    min_df: int = 2  # drop n-grams seen in one review only (halves the feature count)
    max_df: float = 0.9
    sublinear_tf: bool = True  # 1 + log(tf): long reviews do not dominate
    token_pattern: str = r"(?u)\b\w[\w']*\b|[!?]"  # words, plus ! and ? which carry sentiment
    # character n-grams inside word boundaries, beside the words: they catch what word n-grams
    # split (misspellings, stems, "sooo", "10/10"); char_ngram_max 0 leaves them out
    char_ngram_min: int = 2
    char_ngram_max: int = 5
    char_min_df: int = 3


@dataclass(frozen=True)
class LinearSpec:
    """A linear model and the C values tried on the validation slice."""

    name: str
    naive_bayes_scaling: bool
    c_grid: tuple[float, ...]


LINEAR_SPECS: dict[str, LinearSpec] = {
    "tfidf_lr": LinearSpec("tfidf_lr", False, (4.0, 16.0, 64.0)),
    "nbsvm": LinearSpec("nbsvm", True, (1.0, 4.0, 16.0)),
}
ENSEMBLE = "ensemble_nbsvm_lr"
ENSEMBLE_MEMBERS = ("nbsvm", "tfidf_lr")
PARALLEL_MIN_TEXTS = 5_000  # below this, TextFeatures fits word and char n-grams in turn


class TextFeatures:
    """Word n-gram TF-IDF with char n-gram TF-IDF beside it: one sparse row per text.

    Both vocabularies and idfs come from the texts given to ``fit``; columns are the word features,
    then the char ones.
    """

    def __init__(self, config: TfidfConfig) -> None:
        self.word = TfidfVectorizer(
            preprocessor=clean_text, token_pattern=config.token_pattern, ngram_range=(1, config.ngram_max),
            min_df=config.min_df, max_df=config.max_df, sublinear_tf=config.sublinear_tf, dtype=np.float32,
        )
        self.char = TfidfVectorizer(
            preprocessor=clean_text, analyzer="char_wb", ngram_range=(config.char_ngram_min, config.char_ngram_max),
            min_df=config.char_min_df, max_df=config.max_df, sublinear_tf=config.sublinear_tf, dtype=np.float32,
        ) if config.char_ngram_max else None

    def _parts(self) -> list[TfidfVectorizer]:
        return [v for v in (self.word, self.char) if v is not None]

    def _each(self, work, texts: Sequence[str]) -> list:
        """``work(vectorizer, texts)`` for word and char: in two processes on real data (the analyzers
        are pure Python, so threads would wait on the GIL); in turn below PARALLEL_MIN_TEXTS, where
        starting the workers costs more than it saves."""
        parts = self._parts()
        n_jobs = min(len(parts), os.cpu_count() or 1) if len(texts) >= PARALLEL_MIN_TEXTS else 1
        return Parallel(n_jobs=n_jobs)(delayed(work)(v, texts) for v in parts)

    def fit(self, texts: Sequence[str]) -> TextFeatures:
        fitted = self._each(_fit_part, list(texts))
        self.word, self.char = fitted[0], (fitted[1] if len(fitted) > 1 else None)
        return self

    def transform(self, texts: Sequence[str]) -> sparse.csr_matrix:
        matrices = self._each(_transform_part, list(texts))
        return sparse.hstack(matrices, format="csr", dtype=np.float32)

    @property
    def vocabulary_(self) -> dict[str, int]:
        """Feature -> column, char n-grams prefixed ``char:`` (the shape of a vectorizer's)."""
        vocabulary = dict(self.word.vocabulary_)
        if self.char is not None:
            offset = len(vocabulary)
            vocabulary.update({f"char:{k}": offset + i for k, i in self.char.vocabulary_.items()})
        return vocabulary


def _fit_part(vectorizer: TfidfVectorizer, texts: list[str]) -> TfidfVectorizer:
    vectorizer.fit(texts)
    # scikit-learn before 1.8 keeps every pruned n-gram (millions) here: introspection only, huge
    vars(vectorizer).pop("stop_words_", None)
    return vectorizer


def _transform_part(vectorizer: TfidfVectorizer, texts: list[str]) -> sparse.csr_matrix:
    return vectorizer.transform(texts)


def fit_vectorizer(train_texts: Sequence[str], config: TfidfConfig) -> TextFeatures:
    """Vocabularies and idfs from the training texts only."""
    return TextFeatures(config).fit(train_texts)


def nb_log_ratios(x: sparse.csr_matrix, y: np.ndarray, alpha: float = 1.0) -> np.ndarray:
    """log(p/|p|) - log(q/|q|) over binarised features, smoothed by ``alpha``."""
    present = (x > 0).astype(np.float32)
    p = np.asarray(present[y == 1].sum(axis=0)).ravel() + alpha
    q = np.asarray(present[y == 0].sum(axis=0)).ravel() + alpha
    return (np.log(p / p.sum()) - np.log(q / q.sum())).astype(np.float32)


class LinearSentiment:
    """Logistic regression on TF-IDF features, optionally NB-scaled (NB-SVM)."""

    def __init__(self, c: float, naive_bayes_scaling: bool, seed: int = 0) -> None:
        self.c = c
        self.naive_bayes_scaling = naive_bayes_scaling
        self.ratios: np.ndarray | None = None
        self.classifier = LogisticRegression(C=c, solver="liblinear", max_iter=2000, random_state=seed)

    def _scale(self, x: sparse.csr_matrix) -> sparse.csr_matrix:
        return x @ sparse.diags(self.ratios) if self.ratios is not None else x

    def fit(self, x: sparse.csr_matrix, y: np.ndarray) -> LinearSentiment:
        if self.naive_bayes_scaling:
            self.ratios = nb_log_ratios(x, y)
        self.classifier.fit(self._scale(x), y)
        return self

    def predict_proba(self, x: sparse.csr_matrix) -> np.ndarray:
        """P(positive) per row."""
        return self.classifier.predict_proba(self._scale(x))[:, 1]


def accuracy(y_true: np.ndarray, proba: np.ndarray, weights: np.ndarray | None = None) -> float:
    """Share of correct predictions; ``weights`` counts a row that stands for several reviews."""
    return float(np.average((proba > 0.5).astype(int) == np.asarray(y_true), weights=weights))


def tune_and_fit(
    spec: LinearSpec,
    fit_part: tuple[sparse.csr_matrix, np.ndarray],
    val_part: tuple[sparse.csr_matrix, np.ndarray],
    seed: int,
) -> tuple[LinearSentiment, dict[str, list[float]]]:
    """Pick C by validation accuracy, then refit on fit + validation rows.

    Returns the final model and the search (``c``, ``val_accuracy``) as its history.
    """
    def val_accuracy(c: float) -> float:
        model = LinearSentiment(c, spec.naive_bayes_scaling, seed).fit(*fit_part)
        return accuracy(val_part[1], model.predict_proba(val_part[0]))

    # liblinear releases the GIL: the grid's fits share the cores as threads, same results as in turn
    scores = Parallel(n_jobs=min(len(spec.c_grid), os.cpu_count() or 1), prefer="threads")(
        delayed(val_accuracy)(c) for c in spec.c_grid
    )
    best_c = spec.c_grid[int(np.argmax(scores))]
    x_all = sparse.vstack([fit_part[0], val_part[0]]).tocsr()
    y_all = np.concatenate([fit_part[1], val_part[1]])
    model = LinearSentiment(best_c, spec.naive_bayes_scaling, seed).fit(x_all, y_all)
    return model, {"c": list(spec.c_grid), "val_accuracy": scores, "best_c": [best_c]}


def average_proba(probas: Sequence[np.ndarray]) -> np.ndarray:
    """The ensemble's P(positive): the mean of its members'."""
    return np.mean(np.vstack(probas), axis=0)
