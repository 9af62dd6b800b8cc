"""TF-IDF + logistic regression and NB-SVM on generated reviews."""

from __future__ import annotations

import numpy as np
from scipy import sparse

from cinepipe.imdb.baselines import (
    BLOCKS,
    LINEAR_SPECS,
    LinearSentiment,
    Stacker,
    TfidfConfig,
    accuracy,
    feature_block,
    fit_vectorizer,
    nb_log_ratios,
    review_ending,
    tune_and_fit,
)
from cinepipe.imdb.sample import generate_reviews


def test_nb_ratios_point_to_the_class_that_uses_a_feature():
    x = sparse.csr_matrix(np.array([[1, 0, 1], [1, 0, 1], [0, 1, 1], [0, 1, 1]], dtype=np.float32))
    r = nb_log_ratios(x, np.array([1, 1, 0, 0]))
    assert r[0] > 0 > r[1] and abs(r[2]) < 1e-6


def _generated(seed: int = 3):
    reviews = generate_reviews(60, seed=seed)
    names = sorted(reviews)
    texts = [reviews[n] for n in names]
    labels = np.array([int("/pos/" in n) for n in names])
    train = np.array(["/train/" in n for n in names])
    return texts, labels, train


def test_linear_models_and_their_stack_beat_the_majority_class_on_generated_reviews():
    texts, labels, train = _generated()
    vectorizer = fit_vectorizer([t for t, tr in zip(texts, train, strict=True) if tr], TfidfConfig(ending_words=12))
    x = vectorizer.transform(texts).tocsr()
    order = np.random.default_rng(0).permutation(int(train.sum()))  # both labels in fit and val
    x_train, y_train = x[train][order], labels[train][order]
    fit, val = (x_train[:90], y_train[:90]), (x_train[90:], y_train[90:])
    majority = max(np.mean(labels[~train]), 1 - np.mean(labels[~train]))
    members = []
    for spec in LINEAR_SPECS.values():
        model, history = tune_and_fit(spec, fit, val, seed=0)
        assert history["best_c"][0] in spec.c_grid and len(history["val_accuracy"]) == len(spec.c_grid)
        # the ending block sees 12 words of each review: weaker, but above the majority class
        floor = 0.75 if spec.block == "review" else majority + 0.1
        assert accuracy(labels[~train], model.predict_proba(x[~train])) > floor
        members.append(model)
    # the stack is fitted on validation predictions only; the test reviews are scored after
    stacker = Stacker().fit([m.val_proba for m in members], val[1])
    stacked = stacker.predict_proba([m.predict_proba(x[~train]) for m in members])
    # (weights from 30 validation reviews: noisy, so the floor is the majority class plus a margin)
    assert accuracy(labels[~train], stacked) > majority + 0.15 and len(stacker.weights) == len(members)


def test_val_proba_comes_from_a_model_that_never_saw_the_validation_part():
    texts, labels, _ = _generated(seed=4)
    x = fit_vectorizer(texts, TfidfConfig()).transform(texts).tocsr()
    fit, val = (x[:150], labels[:150]), (x[150:], labels[150:])
    spec = LINEAR_SPECS["nbsvm"]
    model, history = tune_and_fit(spec, fit, val, seed=0)
    fit_only = LinearSentiment(history["best_c"][0], True, 0, spec.block).fit(*fit)
    np.testing.assert_allclose(model.val_proba, fit_only.predict_proba(val[0]), rtol=1e-5)
    assert accuracy(val[1], model.val_proba) == max(history["val_accuracy"])


def test_vectorizer_blocks_hold_the_review_then_its_ending_from_a_train_only_vocabulary():
    train = ["a fine film with a dull start and a great ending", "an awful film, the end was awful too"]
    test = "zyzzyva appears only in a test review, the end was great"
    vectorizer = fit_vectorizer(train, TfidfConfig(min_df=1, max_df=1.0, ending_words=4))
    assert "zyzzyva" not in vectorizer.vocabulary_ and "great" in vectorizer.vocabulary_
    x = vectorizer.transform([*train, test])
    width = len(vectorizer.vocabulary_)
    assert x.shape == (3, width * len(BLOCKS))
    ending = vectorizer.transform([review_ending(test, 4)])
    np.testing.assert_allclose(feature_block(x[2:], "ending").toarray(), feature_block(ending, "review").toarray())
    assert review_ending("One <br /><br />two three FOUR", 3) == "two three four"


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
