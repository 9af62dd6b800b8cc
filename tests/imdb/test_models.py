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


def test_length_buckets_cover_every_row_once_and_cut_only_padding():
    rng = np.random.default_rng(1)
    lengths = rng.integers(1, 500, size=300)
    x = np.zeros((300, 500), dtype=np.int32)
    for i, n in enumerate(lengths):
        x[i, -n:] = rng.integers(1, 5_000, size=n)
    y = rng.integers(0, 2, size=300)
    buckets = models.LengthBuckets(x, y, batch_size=32, seed=0)
    seen = []
    for i in range(len(buckets)):
        bx, by = buckets[i]
        rows = buckets.batches[i]
        assert bx.shape[1] % models.BUCKET_STEP == 0 or bx.shape[1] == 500
        assert bx.shape[1] >= lengths[rows].max()  # nothing but padding was cut
        np.testing.assert_array_equal(bx, x[rows, -bx.shape[1]:])
        np.testing.assert_array_equal(by, y[rows])
        seen.extend(rows.tolist())
    assert sorted(seen) == list(range(300))
    first = [b.copy() for b in buckets.batches]
    buckets.on_epoch_end()  # a new epoch draws new batches
    assert any(not np.array_equal(a, b) for a, b in zip(first, buckets.batches, strict=True))


def test_bucketed_prediction_keeps_the_rows_order():
    spec = models.SPECS["lstm"].quick()
    assert spec.bucket
    net = models.build_model(spec)
    rng = np.random.default_rng(2)
    x = np.zeros((40, spec.maxlen), dtype=np.int32)
    for i, n in enumerate(rng.integers(51, 101, size=40)):  # one bucket: every batch is cut to 100
        x[i, -n:] = rng.integers(1, spec.num_words, size=n)
    bucketed = models.predict_proba(net, x, batch_size=8)  # batches in length order, not row order
    direct = net.predict(x[:, -100:], verbose=0).ravel()
    np.testing.assert_allclose(bucketed, direct, rtol=1e-4, atol=1e-5)
