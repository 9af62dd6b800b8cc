"""TF-IDF + logistic regression and NB-SVM on generated reviews."""

from __future__ import annotations

import numpy as np
from scipy import sparse

from cinepipe.imdb.baselines import (
    LINEAR_SPECS,
    TfidfConfig,
    accuracy,
    average_proba,
    fit_vectorizer,
    nb_log_ratios,
    tune_and_fit,
)
from cinepipe.imdb.sample import generate_reviews


def test_nb_ratios_point_to_the_class_that_uses_a_feature():
    x = sparse.csr_matrix(np.array([[1, 0, 1], [1, 0, 1], [0, 1, 1], [0, 1, 1]], dtype=np.float32))
    r = nb_log_ratios(x, np.array([1, 1, 0, 0]))
    assert r[0] > 0 > r[1] and abs(r[2]) < 1e-6


def test_linear_models_learn_generated_sentiment_and_pick_c_from_the_grid():
    reviews = generate_reviews(60, seed=3)
    names = sorted(reviews)
    texts = [reviews[n] for n in names]
    labels = np.array([int("/pos/" in n) for n in names])
    train = np.array(["/train/" in n for n in names])
    vectorizer = fit_vectorizer([t for t, tr in zip(texts, train, strict=True) if tr], TfidfConfig())
    x = vectorizer.transform(texts).tocsr()
    x_train, y_train = x[train], labels[train]
    fit, val = (x_train[:90], y_train[:90]), (x_train[90:], y_train[90:])
    probas = []
    for spec in LINEAR_SPECS.values():
        model, history = tune_and_fit(spec, fit, val, seed=0)
        assert history["best_c"][0] in spec.c_grid and len(history["val_accuracy"]) == len(spec.c_grid)
        probas.append(model.predict_proba(x[~train]))
        assert accuracy(labels[~train], probas[-1]) > 0.75
    assert accuracy(labels[~train], average_proba(probas)) > 0.75


def test_linear_model_is_deterministic_with_a_seed_and_survives_joblib(tmp_path):
    import joblib

    reviews = generate_reviews(40, seed=5)
    texts, labels = list(reviews.values()), np.array([int("/pos/" in n) for n in reviews])
    x = fit_vectorizer(texts, TfidfConfig()).transform(texts)
    spec = LINEAR_SPECS["nbsvm"]
    first, history = tune_and_fit(spec, (x[:100], labels[:100]), (x[100:], labels[100:]), seed=1)
    again, history_again = tune_and_fit(spec, (x[:100], labels[:100]), (x[100:], labels[100:]), seed=1)
    assert history == history_again
    np.testing.assert_array_equal(first.predict_proba(x), again.predict_proba(x))
    joblib.dump(first, tmp_path / "model.joblib")
    np.testing.assert_array_equal(joblib.load(tmp_path / "model.joblib").predict_proba(x), first.predict_proba(x))
    assert first.predict_proba(x).shape == (len(texts),)
