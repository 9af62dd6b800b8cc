"""The Keras models build, train a step, and round-trip through architecture JSON + weights."""

from __future__ import annotations

import numpy as np
import pytest

models = pytest.importorskip("cinepipe.imdb.models")


@pytest.mark.parametrize("name", sorted(models.SPECS))
def test_model_trains_and_round_trips(tmp_path, name):
    spec = models.SPECS[name].quick()
    rng = np.random.default_rng(0)
    lengths = rng.integers(5, 40, size=24)
    seqs = [np.concatenate([[1], rng.integers(4, 12_000, size=n)]).astype(np.int32) for n in lengths]
    offsets = np.concatenate([[0], np.cumsum([len(s) for s in seqs])])
    x = models.model_inputs(spec, np.concatenate(seqs), offsets)
    y = rng.integers(0, 2, size=len(seqs))
    assert x.shape == ((24, spec.num_words) if spec.inputs == "multi_hot" else (24, spec.maxlen))
    assert x.max() < spec.num_words
    net = models.build_model(spec)
    history = models.fit_model(net, spec, (x[:16], y[:16]), (x[16:], y[16:]), tmp_path / "best.weights.h5", 0)
    assert 1 <= len(history["loss"]) <= spec.epochs and "val_accuracy" in history
    net.save_weights(tmp_path / "model.weights.h5")
    again = models.load_model(net.to_json(), tmp_path / "model.weights.h5")
    np.testing.assert_allclose(models.predict_proba(again, x), models.predict_proba(net, x), rtol=1e-5)


def test_notes_specs_match_the_issue():
    specs = models.SPECS
    assert (specs["dense_multihot"].num_words, specs["dense_multihot"].epochs) == (10_000, 4)
    assert (specs["rnn_onehot"].num_words, specs["rnn_onehot"].maxlen) == (500, 100)
    assert (specs["lstm"].num_words, specs["lstm"].maxlen) == (5_000, 500)
