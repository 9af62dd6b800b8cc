"""Matrix factorisation with biases in Keras: r_ui = mu + b_u + b_i + p_u . q_i.

Trained with Adam on mini-batches from ``tf.data``, per-example L2 on the rows a batch touches (the
SGD "Funk SVD" regulariser), and early stopping on a validation slice of the training ratings.
Inference runs in numpy from the learned arrays.

Large training sets (``MFParams.large_ratings``, ml-25m size) switch to ``LARGE_PROFILE``: Keras'
optimizers update every row of an embedding table on every step (Adam's moments, Adagrad's
``sqrt`` of its accumulator), which at 162k users x 64 factors cost 120-180 ms a step whatever the
batch (250-300 s an epoch at 25M ratings). The large profile updates only the rows a batch touched
(Adagrad, the classic optimiser for sparse embeddings), streams batches from a per-epoch permutation
instead of a shuffle buffer that would hold every rating, and skips the refit.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from cinepipe.recsys.base import IdIndex
from cinepipe.recsys.baselines import _ScaledModel
from cinepipe.recsys.data import encode, set_seed
from cinepipe.recsys.splits import random_split
from cinepipe.storage.columns import ITEM, USER


@dataclass
class MFParams:
    """Hyperparameters of ``MatrixFactorization``; defaults chosen on validation slices of train."""

    factors: int = 64  # latent dimensions; the L2 term keeps unused ones near 0
    reg: float = 0.05  # per-example L2 on p_u, q_i (biases get a tenth of it)
    learning_rate: float = 2e-3  # Adam step
    batch_size: int = 1024  # ratings per step; large batches keep Keras' per-step overhead small
    max_epochs: int = 60  # upper bound; early stopping usually ends far sooner
    patience: int = 3  # epochs without validation improvement before stopping
    validation_fraction: float = 0.05  # slice of train that early stopping watches
    refit: bool = True  # after early stopping, retrain on all of train for the best epoch count
    optimizer: str = "adam"  # or "sparse-adagrad": updates only the embedding rows a batch touched
    large_ratings: int = 2_000_000  # more training ratings than this: fit with LARGE_PROFILE
    seed: int = 42

    def for_size(self, n_ratings: int) -> MFParams:
        """These parameters, or the large-data profile when ``n_ratings`` exceeds ``large_ratings``."""
        return replace(self, **LARGE_PROFILE) if n_ratings > self.large_ratings else self


# measured on a synthetic 25M release (2 cores): ~80 ms a step of 16,384, ~80 s an epoch over 16.6M
# training ratings; 3 epochs took MF from the biases' 0.794 to 0.643 rmse
LARGE_PROFILE = {
    "optimizer": "sparse-adagrad",
    "batch_size": 16_384,
    "learning_rate": 0.05,
    "max_epochs": 3,
    "patience": 1,
    "refit": False,
}
# beyond this many ratings, batches come from a per-epoch permutation, not a tf.data shuffle buffer
_SHUFFLE_BUFFER_MAX = 1 << 21
_ACCUMULATOR_START = 0.1  # Adagrad's usual start


def _build_network(n_users: int, n_items: int, mu: float, params: MFParams):
    import keras
    from keras import layers, ops

    init = keras.initializers.RandomNormal(stddev=0.01)

    class FactorNet(keras.Model):
        def __init__(self) -> None:
            super().__init__()
            self.p = layers.Embedding(n_users, params.factors, embeddings_initializer=init)
            self.q = layers.Embedding(n_items, params.factors, embeddings_initializer=init)
            self.b_user = layers.Embedding(n_users, 1, embeddings_initializer="zeros")
            self.b_item = layers.Embedding(n_items, 1, embeddings_initializer="zeros")
            for table in (self.p, self.q, self.b_user, self.b_item):
                table.build()

        def call(self, pairs):
            if params.optimizer == "sparse-adagrad":
                import tensorflow as tf
                look = lambda layer, ids: tf.nn.embedding_lookup(layer.embeddings.value, ids)
            else:
                look = lambda layer, ids: layer(ids)
            p_u, q_i = look(self.p, pairs[:, 0]), look(self.q, pairs[:, 1])
            b_u, b_i = look(self.b_user, pairs[:, 0])[:, 0], look(self.b_item, pairs[:, 1])[:, 0]
            # why per example: an embedding row is penalised as often as it is used, as in SGD MF
            self.add_loss(
                params.reg * ops.mean(ops.sum(p_u**2, axis=1) + ops.sum(q_i**2, axis=1))
                + 0.1 * params.reg * ops.mean(b_u**2 + b_i**2)
            )
            return mu + b_u + b_i + ops.sum(p_u * q_i, axis=1)

        def train_step(self, data):
            if params.optimizer != "sparse-adagrad":
                return super().train_step(data)
            return _sparse_adagrad_step(self, data, params.learning_rate)

    net = FactorNet()
    if params.optimizer not in ("adam", "sparse-adagrad"):
        raise ValueError(f"unknown MF optimizer {params.optimizer!r}")
    net.compile(optimizer=keras.optimizers.Adam(params.learning_rate), loss="mse")
    if params.optimizer == "sparse-adagrad":
        import tensorflow as tf

        net(np.zeros((1, 2), dtype=np.int32))  # build the embeddings, then one accumulator per table
        net.accumulators = [
            tf.Variable(tf.fill(v.shape, _ACCUMULATOR_START), trainable=False) for v in net.trainable_variables
        ]
    return net


def _sparse_adagrad_step(net, data, learning_rate: float) -> dict:
    """One Adagrad step that reads and writes only the rows of each table this batch used."""
    import keras
    import tensorflow as tf

    pairs, ratings, _ = keras.utils.unpack_x_y_sample_weight(data)
    with tf.GradientTape() as tape:
        predicted = net(pairs, training=True)
        loss = net.compute_loss(x=pairs, y=ratings, y_pred=predicted)
        # summed over the batch, as per-example SGD sees it: a batch mean would shrink a rarely seen
        # row's gradient by the batch size, below what Adagrad's accumulator lets through
        total = loss * tf.cast(tf.shape(ratings)[0], loss.dtype)
    variables = net.trainable_variables
    for variable, accumulator, grad in zip(variables, net.accumulators, tape.gradient(total, variables)):
        if not isinstance(grad, tf.IndexedSlices):
            raise TypeError(f"{variable.path}: expected a sparse gradient, got a dense one")
        rows, position = tf.unique(grad.indices)  # a row used twice in a batch: one summed step
        summed = tf.math.unsorted_segment_sum(grad.values, position, tf.shape(rows)[0])
        accumulator.scatter_add(tf.IndexedSlices(tf.square(summed), rows))
        step = learning_rate * summed / tf.sqrt(tf.gather(accumulator, rows))
        variable.value.scatter_sub(tf.IndexedSlices(step, rows))  # the tf.Variable under Keras'
    for metric in net.metrics:
        if metric.name == "loss":
            metric.update_state(loss)
    return {m.name: m.result() for m in net.metrics if m.name == "loss"}


def _dataset(
    users: np.ndarray, items: np.ndarray, values: np.ndarray, batch_size: int, seed: int, shuffle: bool
):
    import tensorflow as tf

    pairs = np.stack([users, items], axis=1).astype(np.int32)
    if shuffle and len(values) > _SHUFFLE_BUFFER_MAX:
        return _permuted_batches_type()(pairs, values.astype(np.float32), batch_size, seed)
    data = tf.data.Dataset.from_tensor_slices((pairs, values.astype(np.float32)))
    if shuffle:
        data = data.shuffle(len(values), seed=seed, reshuffle_each_iteration=True)
    return data.batch(batch_size).prefetch(2)


@functools.cache
def _permuted_batches_type() -> type:
    import keras

    class PermutedBatches(keras.utils.PyDataset):
        """Batches in a fresh seeded order each epoch, sliced from in-memory arrays (12 bytes a rating)."""

        def __init__(self, pairs: np.ndarray, values: np.ndarray, batch_size: int, seed: int) -> None:
            super().__init__()
            self.pairs, self.values, self.batch_size = pairs, values, batch_size
            self.rng = np.random.default_rng(seed)
            self.on_epoch_end()

        def __len__(self) -> int:
            return (len(self.values) + self.batch_size - 1) // self.batch_size

        def on_epoch_end(self) -> None:
            self.order = self.rng.permutation(len(self.values))

        def __getitem__(self, i: int):
            rows = self.order[i * self.batch_size : (i + 1) * self.batch_size]
            return self.pairs[rows], self.values[rows]

    return PermutedBatches


def _grown(weights: np.ndarray, rows: np.ndarray, n: int) -> np.ndarray:
    """``weights`` placed at ``rows`` of a zeroed table of ``n`` rows (new ids start at zero)."""
    out = np.zeros((n, *weights.shape[1:]), weights.dtype)
    out[rows] = weights
    return out


def _ridge_rows(owner: np.ndarray, other: np.ndarray, target: np.ndarray, reg: float,
                block: int = 4096) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per ``owner`` row: the bias and factors minimising the MF loss with ``other`` rows fixed.

    For owner u with ratings j: sum_j (target_j - b_u - x_u . other_j)^2 + n_u reg |x_u|^2
    + n_u 0.1 reg b_u^2 (the training loss summed over u's ratings: its L2 term is per example).

    Returns:
        The distinct owners, their factors and their biases.
    """
    order = np.argsort(owner, kind="stable")
    owner, other, target = owner[order], other[order].astype(np.float64), target[order].astype(np.float64)
    rows, starts, counts = np.unique(owner, return_index=True, return_counts=True)
    k = other.shape[1]
    factors, biases = np.empty((len(rows), k), np.float32), np.empty(len(rows), np.float32)
    penalty = np.full(k + 1, reg)
    penalty[0] = 0.1 * reg
    for lo in range(0, len(rows), block):
        hi = min(lo + block, len(rows))
        gram = np.empty((hi - lo, k + 1, k + 1))
        rhs = np.empty((hi - lo, k + 1))
        for n, (s, c) in enumerate(zip(starts[lo:hi], counts[lo:hi])):
            z = np.empty((c, k + 1))
            z[:, 0], z[:, 1:] = 1.0, other[s : s + c]
            gram[n] = z.T @ z
            gram[n].flat[:: k + 2] += c * penalty
            rhs[n] = z.T @ target[s : s + c]
        solved = np.linalg.solve(gram, rhs[..., None])[..., 0]
        biases[lo:hi], factors[lo:hi] = solved[:, 0], solved[:, 1:]
    return rows, factors, biases


class MatrixFactorization(_ScaledModel):
    """Biased MF trained in Keras; unknown users/items fall back to the parts that are known."""

    name = "mf"
    Params = MFParams
    description = "mu + b_user[u] + b_item[i] + p[u] . q[i], clipped to scale."

    def fit(self, train: pd.DataFrame) -> MatrixFactorization:
        users, items, values = self._begin_fit(train)
        self.params = self.params.for_size(len(train))
        fit_part, val_part = random_split(train, self.params.validation_fraction, self.params.seed)
        u_fit, i_fit, r_fit = encode(fit_part, self.index)
        u_val, i_val, r_val = encode(val_part, self.index)
        net, self.best_epochs = self._train(u_fit, i_fit, r_fit, (u_val, i_val, r_val))
        if self.params.refit:
            net, _ = self._train(users, items, values, None, epochs=self.best_epochs)
        self._take_weights(net)
        return self

    def fold_in(self, ratings: pd.DataFrame) -> MatrixFactorization:
        """Re-solve the rows of the users in ``ratings`` from their ratings, movies held fixed.

        The training loss restricted to one user's row is a ridge regression on the movies'
        factors, so the row that minimises it has a closed form; solving it is exact where a few
        epochs of SGD from the old row are not, and costs one small solve per user. Movies new to
        the model are then solved the same way from their ratings, users held fixed. Movies the
        model knows keep their rows: a handful of new ratings barely moves a movie's row, and the
        nightly retrain refreshes them.

        Args:
            ratings: user_id, movie_id, rating: every rating of each user to re-solve (their
                whole history, new ratings included); ids may be new to the model.
        """
        self._require_fitted()
        old = self.index
        self.index = IdIndex(np.union1d(old.users, ratings[USER].to_numpy()),
                             np.union1d(old.items, ratings[ITEM].to_numpy()))
        keep_u, keep_i = self.index.user_idx(old.users), self.index.item_idx(old.items)
        self.p_user, self.b_user = _grown(self.p_user, keep_u, self.index.n_users), _grown(self.b_user, keep_u, self.index.n_users)
        self.q_item, self.b_item = _grown(self.q_item, keep_i, self.index.n_items), _grown(self.b_item, keep_i, self.index.n_items)
        users, items, values = encode(ratings, self.index)
        known_item = np.zeros(self.index.n_items, bool)
        known_item[keep_i] = True
        on_known = known_item[items]
        u, i, r = users[on_known], items[on_known], values[on_known]
        rows, p, b = _ridge_rows(u, self.q_item[i], r - self.mu - self.b_item[i], self.params.reg)
        self.p_user[rows], self.b_user[rows] = p, b
        if not on_known.all():  # movies first seen in these ratings: solved from the users' new rows
            u, i, r = users[~on_known], items[~on_known], values[~on_known]
            rows, q, b = _ridge_rows(i, self.p_user[u], r - self.mu - self.b_user[u], self.params.reg)
            self.q_item[rows], self.b_item[rows] = q, b
        return self

    def _train(self, users, items, values, validation, epochs: int | None = None):
        import keras

        p = self.params
        set_seed(p.seed)
        net = _build_network(self.index.n_users, self.index.n_items, self.mu, p)
        callbacks, val_data = [], None
        if validation is not None:
            val_data = _dataset(*validation, p.batch_size * 8, p.seed, shuffle=False)
            callbacks = [keras.callbacks.EarlyStopping(patience=p.patience, restore_best_weights=True)]
        history = net.fit(
            _dataset(users, items, values, p.batch_size, p.seed, shuffle=True),
            validation_data=val_data,
            epochs=epochs or p.max_epochs,
            callbacks=callbacks,
            shuffle=False,  # the dataset shuffles itself, seeded
            verbose=0,
        )
        val_loss = history.history.get("val_loss")
        best = int(np.argmin(val_loss)) + 1 if val_loss else len(history.history["loss"])
        return net, best

    def _take_weights(self, net) -> None:
        self.p_user = net.p.embeddings.numpy()
        self.q_item = net.q.embeddings.numpy()
        self.b_user = net.b_user.embeddings.numpy()[:, 0]
        self.b_item = net.b_item.embeddings.numpy()[:, 0]

    def predict(self, users: np.ndarray, items: np.ndarray) -> np.ndarray:
        self._require_fitted()
        u, i = self.index.user_idx(users), self.index.item_idx(items)
        known_u, known_i = u >= 0, i >= 0
        u, i = np.maximum(u, 0), np.maximum(i, 0)
        dot = np.einsum("nf,nf->n", self.p_user[u], self.q_item[i]) * (known_u & known_i)
        return self._clip(self.mu + self.b_user[u] * known_u + self.b_item[i] * known_i + dot)

    def score_users(self, user_idx: np.ndarray) -> np.ndarray:
        return (
            self.mu
            + self.b_user[user_idx][:, None]
            + self.b_item[None, :]
            + self.p_user[user_idx] @ self.q_item.T
        )

    def _state(self) -> dict[str, np.ndarray]:
        return {
            **self._base_state(),
            "p_user": self.p_user,
            "q_item": self.q_item,
            "b_user": self.b_user,
            "b_item": self.b_item,
        }

    def _set_state(self, state: dict[str, np.ndarray]) -> None:
        self._set_base_state(state)
        self.p_user, self.q_item = state["p_user"], state["q_item"]
        self.b_user, self.b_item = state["b_user"], state["b_item"]
