"""AutoRec (Sedhain et al. 2015): an autoencoder over partially observed rating vectors.

``kind="item"`` (I-AutoRec) encodes each movie's vector of user ratings, ``kind="user"`` (U-AutoRec)
each user's vector of movie ratings. One sigmoid hidden layer, an identity output, a loss over the
observed entries only, L2 on both weight matrices. Training stops early on a validation slice of the
training ratings; at inference the encoder sees every training rating. Pairs AutoRec cannot score
(an unknown user or movie) fall back to regularised biases.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from scipy import sparse

from cinepipe.recsys.base import over_limit
from cinepipe.recsys.baselines import BiasParams, _ScaledModel, fit_biases
from cinepipe.recsys.data import encode, rating_matrix, set_seed
from cinepipe.recsys.splits import random_split


@dataclass
class AutoRecParams:
    """Hyperparameters of ``AutoRec``; defaults chosen on validation slices of train."""

    kind: Literal["item", "user"] = "item"  # which vectors are encoded; item-based is the stronger
    hidden: int = 500  # hidden units, as in the paper
    reg: float = 1e-3  # L2 on both weight matrices, added once per step to the masked mean error
    learning_rate: float = 1e-3  # Adam step
    batch_size: int = 64  # rating vectors per step
    max_epochs: int = 200  # upper bound; early stopping usually ends sooner
    patience: int = 10  # epochs without validation improvement before stopping
    validation_fraction: float = 0.05  # slice of train ratings early stopping watches
    max_cells: int = 150_000_000  # largest dense rating matrix (float32, 600 MB); beyond, use mf
    seed: int = 42


def _best_weights_callback(
    x: np.ndarray, rows: np.ndarray, cols: np.ndarray, target: np.ndarray, patience: int
):
    """A Keras callback: exact validation RMSE each epoch, keeps the best weights, stops on patience.

    Built in a function so that keras is imported only when training (inference is numpy).
    """
    import keras

    class BestWeights(keras.callbacks.Callback):
        best, best_epoch, best_weights = np.inf, 0, None

        def on_epoch_end(self, epoch, logs=None):
            out = _forward(x, *[w.numpy() for w in self.model.weights])
            rmse = float(np.sqrt(np.mean((out[rows, cols] - target) ** 2)))
            if rmse < self.best:
                self.best, self.best_epoch = rmse, epoch + 1
                self.best_weights = [w.numpy() for w in self.model.weights]
            elif epoch + 1 - self.best_epoch >= patience:
                self.model.stop_training = True

    return BestWeights()


def _forward(
    x: np.ndarray, w_enc: np.ndarray, b_enc: np.ndarray, w_dec: np.ndarray, b_dec: np.ndarray
) -> np.ndarray:
    hidden = 1.0 / (1.0 + np.exp(-(x @ w_enc + b_enc)))
    return hidden @ w_dec + b_dec


def _masked_mse(y_true, y_pred):
    from keras import ops

    mask = ops.cast(ops.not_equal(y_true, 0.0), y_pred.dtype)  # 0 means "not rated"
    return ops.sum(ops.square(y_true - y_pred) * mask) / ops.maximum(ops.sum(mask), 1.0)


class AutoRec(_ScaledModel):
    """I-AutoRec (``kind="item"``) or U-AutoRec (``kind="user"``) in Keras, predicting in numpy."""

    Params = AutoRecParams
    description = (
        "out = sigmoid(x @ w_enc + b_enc) @ w_dec + b_dec over train vectors x; biases for unknowns."
    )
    limit_action = "Use the mf model at this size, or raise max_cells if memory allows."

    @property
    def name(self) -> str:
        return "i_autorec" if self.params.kind == "item" else "u_autorec"

    def too_large(self, n_users: int, n_items: int) -> str | None:
        return over_limit(n_users * n_items, self.params.max_cells,
                          f"cells ({n_users:,} users x {n_items:,} movies) exceed AutoRec's dense limit of")

    def fit(self, train: pd.DataFrame) -> AutoRec:
        self._check_size(train)
        users, items, values = self._begin_fit(train)
        p = self.params
        self.b_user, self.b_item = fit_biases(
            users, items, values, self.index.n_users, self.index.n_items, self.mu, BiasParams()
        )
        fit_part, val_part = random_split(train, p.validation_fraction, p.seed)
        x_fit = self._vectors(rating_matrix(fit_part, self.index))
        u_val, i_val, r_val = encode(val_part, self.index)
        rows, cols = (i_val, u_val) if p.kind == "item" else (u_val, i_val)
        self.best_epochs = self._train(x_fit, rows, cols, r_val)
        self.train_matrix = rating_matrix(train, self.index)
        self._output = None
        return self

    def _vectors(self, user_item: sparse.csr_matrix) -> np.ndarray:
        matrix = user_item.T if self.params.kind == "item" else user_item
        return np.asarray(matrix.toarray(), dtype=np.float32)

    def _train(self, x: np.ndarray, rows: np.ndarray, cols: np.ndarray, target: np.ndarray) -> int:
        import keras
        from keras import layers

        p = self.params
        set_seed(p.seed)
        net = keras.Sequential(
            [
                keras.Input((x.shape[1],)),
                layers.Dense(p.hidden, activation="sigmoid", kernel_regularizer=keras.regularizers.L2(p.reg)),
                layers.Dense(x.shape[1], kernel_regularizer=keras.regularizers.L2(p.reg)),
            ]
        )
        net.compile(optimizer=keras.optimizers.Adam(p.learning_rate), loss=_masked_mse)
        watch = _best_weights_callback(x, rows, cols, target, p.patience)
        net.fit(x, x, batch_size=p.batch_size, epochs=p.max_epochs, callbacks=[watch], verbose=0)
        self.w_enc, self.b_enc, self.w_dec, self.b_dec = watch.best_weights
        return watch.best_epoch

    @property
    def output(self) -> np.ndarray:
        """Reconstructed rating vectors for every training vector (rows: items or users)."""
        if self._output is None:
            x = self._vectors(self.train_matrix)
            self._output = _forward(x, self.w_enc, self.b_enc, self.w_dec, self.b_dec).astype(np.float32)
        return self._output

    def predict(self, users: np.ndarray, items: np.ndarray) -> np.ndarray:
        self._require_fitted()
        u, i = self.index.user_idx(users), self.index.item_idx(items)
        known = (u >= 0) & (i >= 0)
        rows, cols = (i, u) if self.params.kind == "item" else (u, i)
        fallback = self.mu + np.where(u >= 0, self.b_user[u], 0.0) + np.where(i >= 0, self.b_item[i], 0.0)
        scores = np.where(known, self.output[np.maximum(rows, 0), np.maximum(cols, 0)], fallback)
        return self._clip(scores)

    def score_users(self, user_idx: np.ndarray) -> np.ndarray:
        return self.output[:, user_idx].T if self.params.kind == "item" else self.output[user_idx]

    def _state(self) -> dict[str, np.ndarray]:
        m = self.train_matrix
        return {
            **self._base_state(),
            "w_enc": self.w_enc,
            "b_enc": self.b_enc,
            "w_dec": self.w_dec,
            "b_dec": self.b_dec,
            "b_user": self.b_user,
            "b_item": self.b_item,
            "train_indptr": m.indptr,
            "train_indices": m.indices,
            "train_data": m.data,
        }

    def _set_state(self, state: dict[str, np.ndarray]) -> None:
        self._set_base_state(state)
        self.w_enc, self.b_enc, self.w_dec, self.b_dec = (
            state[k] for k in ("w_enc", "b_enc", "w_dec", "b_dec")
        )
        self.b_user, self.b_item = state["b_user"], state["b_item"]
        shape = (self.index.n_users, self.index.n_items)
        self.train_matrix = sparse.csr_matrix(
            (state["train_data"], state["train_indices"], state["train_indptr"]), shape=shape
        )
        self._output = None
