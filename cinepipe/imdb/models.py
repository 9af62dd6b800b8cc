"""The Keras sentiment models of the source notes, as typed specs and builders.

1. ``dense_multihot``: multi-hot over the 10,000 most frequent words, Dense 16-16-1, rmsprop,
   4 epochs (notes: about 88% test accuracy).
2. ``rnn_onehot`` and ``rnn_embedding``: 500 words, reviews cut to their last 100 tokens,
   SimpleRNN(8) on one-hot inputs or on Embedding(16), RMSprop at 1e-4, early stopping on
   validation loss and a best-weights checkpoint (notes: about 79-80% validation accuracy).
3. ``lstm``: 5,000 words, 500 tokens, Embedding(32) + LSTM(100) with dropout, Adam, at most 2
   epochs, best validation-loss weights kept (notes: about 87%).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras
from keras import layers

from cinepipe.imdb.vocab import limit_vocab, multi_hot, pad_sequences


@dataclass(frozen=True)
class KerasSpec:
    """One model's inputs and training knobs."""

    name: str
    inputs: Literal["multi_hot", "sequence"]
    num_words: int  # indices kept, markers 0-3 included (Keras' num_words)
    maxlen: int | None  # sequence length after front truncation/padding
    epochs: int  # the maximum when early stopping is on
    batch_size: int
    patience: int | None  # early-stopping patience in epochs; None trains every epoch
    jit_compile: bool  # XLA: measured faster on CPU for the small RNN and the LSTM
    unroll: bool  # unrolled recurrence: halves the one-hot RNN's epoch time, costs ~20 s to build
    notes_accuracy: float  # the figure the source notes report
    # batches of similar length, each cut to its longest review (rounded up to BUCKET_STEP): most
    # reviews are far shorter than 500 tokens, so the LSTM stops stepping through padding
    bucket: bool = False

    def quick(self) -> KerasSpec:
        """A short run for tests and the sample: two epochs at most, no XLA or unrolling build time."""
        return replace(self, epochs=min(self.epochs, 2), jit_compile=False, unroll=False)


SPECS: dict[str, KerasSpec] = {
    "dense_multihot": KerasSpec("dense_multihot", "multi_hot", 10_000, None, 4, 512, None, False, False, 0.88),
    "rnn_onehot": KerasSpec("rnn_onehot", "sequence", 500, 100, 40, 64, 3, False, True, 0.80),
    # batch 32, patience 5: at batch 64 / patience 3, RMSprop at 1e-4 crept along a plateau and one run
    # stopped at 0.758 test (another at 0.779); twice the steps per epoch settle it more surely
    "rnn_embedding": KerasSpec("rnn_embedding", "sequence", 500, 100, 100, 32, 5, True, False, 0.79),
    # validation loss bottoms out after epoch 1 or 2 and rises after (two full runs: best epoch 1,
    # then 2; the third epoch never helped and costs ~7 CPU-minutes), so 2 epochs, best kept
    "lstm": KerasSpec("lstm", "sequence", 5_000, 500, 2, 64, 1, True, False, 0.87, bucket=True),
}
BUCKET_STEP = 50  # lengths are rounded up to this, so XLA compiles at most maxlen / 50 shapes


class LengthBuckets(keras.utils.PyDataset):
    """Pre-padded sequences in batches of similar length, each batch cut to its longest member.

    With ``seed``, every epoch draws new batches (lengths jittered within a step before sorting)
    and visits them in a random order; without, the order is fixed (prediction).
    """

    def __init__(self, x: np.ndarray, y: np.ndarray | None, batch_size: int, seed: int | None = None):
        super().__init__()
        self.x, self.y, self.batch_size = x, y, batch_size
        self.lengths = np.count_nonzero(x, axis=1)  # PAD (0) only ever pads
        self.rng = None if seed is None else np.random.default_rng(seed)
        self.on_epoch_end()

    def on_epoch_end(self) -> None:
        keys = self.lengths if self.rng is None else self.lengths + self.rng.uniform(0, BUCKET_STEP, len(self.lengths))
        order = np.argsort(keys, kind="stable")
        self.batches = [order[i : i + self.batch_size] for i in range(0, len(order), self.batch_size)]
        if self.rng is not None:
            self.batches = [self.batches[i] for i in self.rng.permutation(len(self.batches))]

    def __len__(self) -> int:
        return len(self.batches)

    def __getitem__(self, i: int):
        rows = self.batches[i]
        longest = max(int(self.lengths[rows].max()), 1)
        keep = min(self.x.shape[1], -(-longest // BUCKET_STEP) * BUCKET_STEP)
        x = self.x[rows, -keep:]
        return x if self.y is None else (x, self.y[rows])



@keras.saving.register_keras_serializable(package="cinepipe")
class OneHot(layers.Layer):
    """Integer tokens -> one-hot vectors inside the model (a [n, 100, 500] float input would
    take 4 GB for 20k reviews)."""

    def __init__(self, depth: int, **kwargs):
        super().__init__(**kwargs)
        self.depth = depth

    def call(self, inputs):
        return keras.ops.one_hot(keras.ops.cast(inputs, "int32"), self.depth)

    def compute_output_shape(self, input_shape):
        return (*input_shape, self.depth)

    def get_config(self):
        return {**super().get_config(), "depth": self.depth}


def build_model(spec: KerasSpec) -> keras.Model:
    """The compiled, untrained model of ``spec``."""
    if spec.name == "dense_multihot":
        model = keras.Sequential(
            [keras.Input((spec.num_words,)), layers.Dense(16, activation="relu"),
             layers.Dense(16, activation="relu"), layers.Dense(1, activation="sigmoid")],
            name=spec.name,
        )
        optimizer: keras.optimizers.Optimizer = keras.optimizers.RMSprop()
    elif spec.name in ("rnn_onehot", "rnn_embedding"):
        first = OneHot(spec.num_words) if spec.name == "rnn_onehot" else layers.Embedding(spec.num_words, 16)
        rnn = layers.SimpleRNN(8, unroll=spec.unroll)
        model = keras.Sequential(
            [keras.Input((spec.maxlen,), dtype="int32"), first, rnn, layers.Dense(1, activation="sigmoid")],
            name=spec.name,
        )
        optimizer = keras.optimizers.RMSprop(learning_rate=1e-4)
    elif spec.name == "lstm":
        model = keras.Sequential(
            [keras.Input((None if spec.bucket else spec.maxlen,), dtype="int32"), layers.Embedding(spec.num_words, 32),
             layers.Dropout(0.2), layers.LSTM(100, dropout=0.2), layers.Dropout(0.2),
             layers.Dense(1, activation="sigmoid")],
            name=spec.name,
        )
        optimizer = keras.optimizers.Adam()
    else:
        raise ValueError(f"unknown model {spec.name!r}; known: {sorted(SPECS)}")
    model.compile(optimizer=optimizer, loss="binary_crossentropy", metrics=["accuracy"],
                  jit_compile=spec.jit_compile)
    return model


def model_inputs(spec: KerasSpec, flat: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """The array the model of ``spec`` reads, from full-vocabulary packed sequences."""
    limited = limit_vocab(flat, spec.num_words)
    if spec.inputs == "multi_hot":
        return multi_hot(limited, offsets, spec.num_words)
    return pad_sequences(limited, offsets, spec.maxlen)


def fit_model(
    model: keras.Model,
    spec: KerasSpec,
    train: tuple[np.ndarray, np.ndarray],
    val: tuple[np.ndarray, np.ndarray],
    checkpoint: Path,
    seed: int,
    on_epoch: Callable[[int], None] | None = None,
) -> dict[str, list[float]]:
    """Train; with early stopping, end with the best validation-loss weights; ``on_epoch(epochs_done)``
    after each epoch (a progress bar). Returns the history."""
    keras.utils.set_random_seed(seed)
    callbacks: list[keras.callbacks.Callback] = []
    if on_epoch is not None:
        callbacks.append(keras.callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: on_epoch(epoch + 1)))
    if spec.patience is not None:
        callbacks += [
            keras.callbacks.ModelCheckpoint(str(checkpoint), save_best_only=True, save_weights_only=True),
            keras.callbacks.EarlyStopping(patience=spec.patience, restore_best_weights=True),
        ]
    if spec.bucket:
        history = model.fit(LengthBuckets(*train, spec.batch_size, seed=seed),
                            validation_data=LengthBuckets(*val, 512), epochs=spec.epochs,
                            callbacks=callbacks, verbose=0)
    else:
        history = model.fit(
            train[0], train[1], validation_data=val, epochs=spec.epochs, batch_size=spec.batch_size,
            callbacks=callbacks, verbose=0,
        )
    if spec.patience is not None and checkpoint.exists():
        model.load_weights(str(checkpoint))
    return {k: [float(v) for v in vals] for k, vals in history.history.items()}


def predict_proba(model: keras.Model, x: np.ndarray, batch_size: int = 512) -> np.ndarray:
    """P(positive) per row; a model that takes any length is fed length buckets, in the rows' order."""
    if model.input_shape[1] is not None or x.ndim != 2:
        return model.predict(x, batch_size=batch_size, verbose=0).ravel()
    buckets = LengthBuckets(x, None, batch_size)
    out = np.empty(len(x), dtype=np.float32)
    for i in range(len(buckets)):
        out[buckets.batches[i]] = model.predict_on_batch(buckets[i]).ravel()
    return out


def load_model(architecture_json: str, weights: Path) -> keras.Model:
    model = keras.models.model_from_json(architecture_json)
    model.load_weights(str(weights))
    return model
