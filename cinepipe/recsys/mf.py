"""Matrix factorisation with biases in Keras: r_ui = mu + b_u + b_i + p_u . q_i.

Trained with Adam on mini-batches from ``tf.data`` (so a large table streams), per-example L2 on the
rows a batch touches (the SGD "Funk SVD" regulariser), and early stopping on a validation slice of
the training ratings. Inference runs in numpy from the learned arrays.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from cinepipe.columns import ITEM, USER
from cinepipe.recsys.base import IdIndex
from cinepipe.recsys.baselines import _ScaledModel
from cinepipe.recsys.data import encode, set_seed
from cinepipe.recsys.splits import random_split


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
    seed: int = 42


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

        def call(self, pairs):
            p_u, q_i = self.p(pairs[:, 0]), self.q(pairs[:, 1])
            b_u, b_i = self.b_user(pairs[:, 0])[:, 0], self.b_item(pairs[:, 1])[:, 0]
            # why per example: an embedding row is penalised as often as it is used, as in SGD MF
            self.add_loss(
                params.reg * ops.mean(ops.sum(p_u**2, axis=1) + ops.sum(q_i**2, axis=1))
                + 0.1 * params.reg * ops.mean(b_u**2 + b_i**2)
            )
            return mu + b_u + b_i + ops.sum(p_u * q_i, axis=1)

    net = FactorNet()
    net.compile(optimizer=keras.optimizers.Adam(params.learning_rate), loss="mse")
    return net


def _dataset(
    users: np.ndarray, items: np.ndarray, values: np.ndarray, batch_size: int, seed: int, shuffle: bool
):
    import tensorflow as tf

    pairs = np.stack([users, items], axis=1).astype(np.int32)
    data = tf.data.Dataset.from_tensor_slices((pairs, values.astype(np.float32)))
    if shuffle:
        data = data.shuffle(len(values), seed=seed, reshuffle_each_iteration=True)
    return data.batch(batch_size).prefetch(2)


class MatrixFactorization(_ScaledModel):
    """Biased MF trained in Keras; unknown users/items fall back to the parts that are known."""

    name = "mf"
    Params = MFParams
    description = "mu + b_user[u] + b_item[i] + p[u] . q[i], clipped to scale."

    def __init__(self, params: MFParams | None = None) -> None:
        self.params = params or MFParams()

    def fit(self, train: pd.DataFrame) -> MatrixFactorization:
        users, items, values = self._begin_fit(train)
        fit_part, val_part = random_split(train, self.params.validation_fraction, self.params.seed)
        u_fit, i_fit, r_fit = encode(fit_part, self.index)
        u_val, i_val, r_val = encode(val_part, self.index)
        net, self.best_epochs = self._train(u_fit, i_fit, r_fit, (u_val, i_val, r_val))
        if self.params.refit:
            net, _ = self._train(users, items, values, None, epochs=self.best_epochs)
        self._take_weights(net)
        return self

    def partial_fit(self, new_ratings: pd.DataFrame, epochs: int = 2) -> MatrixFactorization:
        """Warm start on new ratings only (incremental refresh): new users and movies get rows, every
        row the new ratings touch moves a few epochs; ``mu`` and the rating scale stay as fitted.

        Args:
            new_ratings: user_id, movie_id, rating; ids may be new.
            epochs: passes over ``new_ratings``.
        """
        self._require_fitted()
        old = self.index
        self.index = IdIndex(
            np.union1d(old.users, new_ratings[USER].to_numpy()),
            np.union1d(old.items, new_ratings[ITEM].to_numpy()),
        )
        net = _build_network(self.index.n_users, self.index.n_items, self.mu, self.params)
        net(np.zeros((1, 2), dtype=np.int32))  # build the layers so their weights can be set
        keep_u, keep_i = self.index.user_idx(old.users), self.index.item_idx(old.items)
        for layer, rows, weights in (
            (net.p, keep_u, self.p_user),
            (net.q, keep_i, self.q_item),
            (net.b_user, keep_u, self.b_user[:, None]),
            (net.b_item, keep_i, self.b_item[:, None]),
        ):
            grown = layer.embeddings.numpy()  # new rows keep their fresh initialisation
            grown[rows] = weights
            layer.embeddings.assign(grown)
        users, items, values = encode(new_ratings, self.index)
        net.fit(
            _dataset(users, items, values, self.params.batch_size, self.params.seed, shuffle=True),
            epochs=epochs,
            shuffle=False,
            verbose=0,
        )
        self._take_weights(net)
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
