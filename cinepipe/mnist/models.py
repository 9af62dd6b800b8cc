"""The lecture's CNN (Keras) and scikit-learn pixel baselines: arrays in, fitted models out.

Images arrive as uint8 ``(n, 28, 28)``; each model scales them itself, so callers never do.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from cinepipe.errors import ModelError

N_CLASSES = 10
IMAGE_SIDE = 28


@dataclass(frozen=True)
class CnnConfig:
    """Hyperparameters of the CNN; saved beside the weights so a checkpoint explains itself."""

    filters: tuple[int, ...] = (32, 64)  # one conv block per entry, each halving the image
    convs_per_block: int = 1             # 2 doubles the cost on CPU for ~0.5 point on Fashion-MNIST
    # Keras 3 runs batch-norm unfused on the TensorFlow CPU backend: +22% an epoch's CPU on the conv maps
    conv_batch_norm: bool = False
    dense_units: int = 128
    conv_dropout: float = 0.1            # 0.25/0.5 underfit in 10 epochs (train acc 0.916)
    dense_dropout: float = 0.3
    batch_norm_momentum: float = 0.99    # quick runs take too few steps for 0.99 to settle
    epochs: int = 12
    batch_size: int = 128
    learning_rate: float = 1e-3          # peak; cosine-decayed to 0 over the run
    warmup_epochs: float = 0.0           # linear warm-up from 0 to the peak rate first
    weight_decay: float = 0.0            # > 0: AdamW with this decoupled decay, else Adam
    label_smoothing: float = 0.0
    # train on images mirrored left-right at random, and average each prediction with its mirror's
    # (clothes are symmetric enough; digits are not); no gain on Fashion-MNIST's hold-out (cnn_config)
    mirror: bool = False
    validation_fraction: float = 0.0     # 0: the history has train figures only
    seed: int = 42

    @classmethod
    def quick(cls, seed: int = 42) -> CnnConfig:
        """A small profile for tests and the sample run: seconds, not minutes."""
        return cls(filters=(16, 32), dense_units=64, batch_norm_momentum=0.9, epochs=4,
                   batch_size=64, learning_rate=2e-3, validation_fraction=0.1, seed=seed)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def cnn_config(dataset: str, quick: bool, seed: int = 42) -> CnnConfig:
    """The CNN's profile for a data set: ``quick`` for tests and the sample; otherwise the full one.

    Fashion-MNIST trains 16 epochs with AdamW and label smoothing: on a 6,000-image hold-out of its
    train split 0.9385, and 0.9380 with mirrored training and mirror-averaged predictions on top,
    so they stay off (``mirror``; never for digits: a mirrored 2 is no digit).
    """
    if quick:
        return CnnConfig.quick(seed)
    if dataset == "fashion-mnist":
        return CnnConfig(epochs=16, weight_decay=1e-4, label_smoothing=0.1, seed=seed)
    return CnnConfig(seed=seed)


@dataclass(frozen=True)
class TrainedCnn:
    model: Any                           # keras.Model
    history: dict[str, list[float]]
    config: CnnConfig
    train_seconds: float


def _keras():
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    # TensorFlow turns its oneDNN kernels on only for CPUs with AVX-512-class features; on this
    # AVX machine they cut an epoch's CPU time by ~30%. Read once, when TensorFlow is first imported.
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "1")
    import keras

    _mirror_layer(keras)  # registered, so saved mirror-averaging models load
    return keras


_MIRROR: Any = None


def _mirror_layer(keras: Any) -> Any:
    """The Keras layer that mirrors NHWC images left to right (defined once, when Keras loads)."""
    global _MIRROR
    if _MIRROR is None:
        @keras.saving.register_keras_serializable(package="cinepipe")
        class MirrorImage(keras.layers.Layer):
            """The image mirrored left to right."""

            def call(self, images):
                return keras.ops.flip(images, axis=2)

        _MIRROR = MirrorImage
    return _MIRROR


def _as_inputs(images: np.ndarray) -> np.ndarray:
    return (images.astype(np.float32) / 255.0)[..., None]


def _batches(x: np.ndarray, y: np.ndarray, batch_size: int, shuffle_seed: int | None = None,
             mirror: bool = False) -> Any:
    """A tf.data pipeline over in-memory arrays and one-hot labels, reshuffled each epoch (and with
    ``mirror``, each image flipped left-right with probability 1/2), prefetched.

    Measured on the 2 cores (with conv batch-norm): 52-57 s an epoch against 67-89 s when Keras
    slices the NumPy arrays itself.
    """
    import tensorflow as tf

    data = tf.data.Dataset.from_tensor_slices((x, np.eye(N_CLASSES, dtype=np.float32)[y]))
    if shuffle_seed is not None:
        data = data.shuffle(len(x), seed=shuffle_seed, reshuffle_each_iteration=True)
    data = data.batch(batch_size)
    if mirror:
        def flip_half(images, labels):
            flip = tf.random.uniform([tf.shape(images)[0], 1, 1, 1], seed=shuffle_seed) < 0.5
            return tf.where(flip, tf.reverse(images, axis=[2]), images), labels

        data = data.map(flip_half, num_parallel_calls=tf.data.AUTOTUNE)
    return data.prefetch(tf.data.AUTOTUNE)


def build_cnn(config: CnnConfig) -> Any:
    """Conv blocks (3x3 conv, optional batch-norm, ReLU; 2x2 max-pool; dropout), a batch-normed dense
    layer, softmax."""
    keras = _keras()
    layers = keras.layers
    keras.utils.set_random_seed(config.seed)
    x = inputs = keras.Input(shape=(IMAGE_SIDE, IMAGE_SIDE, 1), name="image")
    for filters in config.filters:
        for _ in range(config.convs_per_block):
            # with batch-norm, no conv bias: its shift does that job
            x = layers.Conv2D(filters, 3, padding="same", use_bias=not config.conv_batch_norm)(x)
            if config.conv_batch_norm:
                x = layers.BatchNormalization(momentum=config.batch_norm_momentum)(x)
            x = layers.Activation("relu")(x)
        x = layers.MaxPooling2D(2)(x)
        x = layers.Dropout(config.conv_dropout)(x)
    x = layers.Flatten()(x)
    x = layers.Dense(config.dense_units, use_bias=False)(x)
    x = layers.BatchNormalization(momentum=config.batch_norm_momentum)(x)
    x = layers.Activation("relu")(x)
    x = layers.Dropout(config.dense_dropout)(x)
    outputs = layers.Dense(N_CLASSES, activation="softmax", name="class")(x)
    return keras.Model(inputs, outputs, name="mnist_cnn")


def train_cnn(images: np.ndarray, labels: np.ndarray, config: CnnConfig,
              on_epoch: Callable[[int], None] | None = None) -> TrainedCnn:
    """Fit the CNN on uint8 images ``(n, 28, 28)`` and labels 0-9; ``on_epoch(epochs_done)`` is
    called after each epoch (a progress bar).

    Returns the model, its per-epoch history (loss, accuracy, and val_* with a validation
    fraction) and the wall time of ``fit``.
    """
    if len(images) < N_CLASSES:
        raise ModelError("mnist", f"only {len(images)} training images", "Give the CNN more data.")
    keras = _keras()
    model = build_cnn(config)
    steps = int(np.ceil(len(images) * (1 - config.validation_fraction) / config.batch_size))
    model.compile(optimizer=_optimizer(keras, config, steps),
                  loss=keras.losses.CategoricalCrossentropy(label_smoothing=config.label_smoothing),
                  metrics=["accuracy"])
    order = np.random.default_rng(config.seed).permutation(len(images))
    x, y = _as_inputs(images)[order], labels.astype(np.int64)[order]
    n_val = int(len(x) * config.validation_fraction)  # the slice Keras' validation_split takes
    cut = len(x) - n_val
    started = time.perf_counter()
    fit = model.fit(_batches(x[:cut], y[:cut], config.batch_size, shuffle_seed=config.seed,
                             mirror=config.mirror),
                    validation_data=_batches(x[cut:], y[cut:], 512) if n_val else None,
                    epochs=config.epochs, shuffle=False, verbose=0,  # the pipeline shuffles, seeded
                    callbacks=_epoch_callbacks(keras, on_epoch))
    seconds = time.perf_counter() - started
    history = {k: [float(v) for v in vals] for k, vals in fit.history.items()}
    return TrainedCnn(mirror_averaged(model) if config.mirror else model, history, config, seconds)


def _optimizer(keras: Any, config: CnnConfig, steps_per_epoch: int) -> Any:
    """Adam (AdamW with a weight decay) on a cosine schedule, after a linear warm-up if any."""
    warmup = int(round(config.warmup_epochs * steps_per_epoch))
    total = steps_per_epoch * config.epochs
    if warmup:
        schedule = keras.optimizers.schedules.CosineDecay(
            0.0, max(total - warmup, 1), warmup_target=config.learning_rate, warmup_steps=warmup)
    else:
        schedule = keras.optimizers.schedules.CosineDecay(config.learning_rate, total)
    if config.weight_decay > 0:
        return keras.optimizers.AdamW(schedule, weight_decay=config.weight_decay)
    return keras.optimizers.Adam(schedule)


def mirror_averaged(net: Any) -> Any:
    """A model whose class probabilities are the mean of ``net``'s on the image and its mirror."""
    keras = _keras()
    inputs = keras.Input(shape=(IMAGE_SIDE, IMAGE_SIDE, 1), name="image")
    mirrored = _mirror_layer(keras)(name="mirror")(inputs)
    outputs = keras.layers.Average(name="class")([net(inputs), net(mirrored)])
    return keras.Model(inputs, outputs, name=f"{net.name}_mirror_averaged")


def _epoch_callbacks(keras: Any, on_epoch: Callable[[int], None] | None) -> list:
    if on_epoch is None:
        return []
    return [keras.callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: on_epoch(epoch + 1))]


def predict_cnn(model: Any, images: np.ndarray, batch_size: int = 512) -> np.ndarray:
    """Predicted classes for uint8 images."""
    probs = model.predict(_as_inputs(images), batch_size=batch_size, verbose=0)
    return probs.argmax(axis=1).astype(np.int64)


def load_cnn(architecture_json: str, weights_path: Any) -> Any:
    """The CNN rebuilt from its saved architecture JSON and weights."""
    keras = _keras()
    model = keras.models.model_from_json(architecture_json)
    model.load_weights(weights_path)
    return model


# ---- scikit-learn baselines on raw pixels ------------------------------------------------------

BASELINES = ("logreg", "pca50-svm-rbf")


def make_baseline(name: str, seed: int = 42) -> Any:
    """A scikit-learn pipeline on pixels scaled to [0, 1].

    ``logreg``: multinomial logistic regression. ``pca50-svm-rbf``: 50 PCA components (keeps the
    kernel cheap) then an RBF SVM.
    """
    from sklearn.decomposition import PCA
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer
    from sklearn.svm import SVC

    scale = FunctionTransformer(_scale_pixels)
    if name == "logreg":
        return make_pipeline(scale, LogisticRegression(C=0.1, max_iter=200, tol=1e-3))
    if name == "pca50-svm-rbf":
        return make_pipeline(scale, PCA(50, random_state=seed), SVC(C=10, gamma="scale",
                                                                    cache_size=1000))
    raise ModelError("mnist", f"unknown baseline {name!r}", f"Use one of {', '.join(BASELINES)}.")


def _scale_pixels(images: np.ndarray) -> np.ndarray:
    return images.reshape(len(images), -1).astype(np.float32) / 255.0


def fit_baseline(name: str, images: np.ndarray, labels: np.ndarray, seed: int = 42
                 ) -> tuple[Any, float]:
    """Fit a baseline; returns the model and the seconds ``fit`` took."""
    model = make_baseline(name, seed)
    started = time.perf_counter()
    model.fit(images, labels)
    return model, time.perf_counter() - started


def accuracy(predicted: np.ndarray, labels: np.ndarray) -> float:
    return float(np.mean(np.asarray(predicted) == np.asarray(labels)))


def confusion(predicted: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """10x10 counts, rows the true class, columns the predicted one."""
    matrix = np.zeros((N_CLASSES, N_CLASSES), dtype=np.int64)
    np.add.at(matrix, (np.asarray(labels, dtype=np.int64), np.asarray(predicted, dtype=np.int64)), 1)
    return matrix
