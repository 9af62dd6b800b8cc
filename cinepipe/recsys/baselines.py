"""Baselines: the global mean, regularised user and item biases, and popularity."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from cinepipe.recsys.base import IdIndex, require_trainable
from cinepipe.recsys.data import encode, rating_scale
from cinepipe.recsys.persist import SavableModel


class _ScaledModel(SavableModel):
    """Shared state of models that predict on the training rating scale around a global mean."""

    mu: float
    scale: tuple[float, float]

    def _begin_fit(self, train: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        require_trainable(train, self.name)
        self.index = IdIndex.from_ratings(train)
        self.scale = rating_scale(train)
        users, items, values = encode(train, self.index)
        self.mu = float(values.mean())
        return users, items, values

    def _clip(self, predictions: np.ndarray) -> np.ndarray:
        return np.clip(predictions, *self.scale).astype(np.float32)

    def _base_state(self) -> dict[str, np.ndarray]:
        return {"mu": np.float64(self.mu), "scale": np.asarray(self.scale)}

    def _set_base_state(self, state: dict[str, np.ndarray]) -> None:
        self.mu = float(state["mu"])
        self.scale = (float(state["scale"][0]), float(state["scale"][1]))


@dataclass
class GlobalMeanParams:
    """No knobs: the mean of the training ratings."""


class GlobalMean(_ScaledModel):
    """Predicts the training mean for every pair: the floor every model must beat."""

    name = "global_mean"
    Params = GlobalMeanParams
    description = "mu: mean training rating; scale: (min, max) rating."

    def fit(self, train: pd.DataFrame) -> GlobalMean:
        self._begin_fit(train)
        return self

    def predict(self, users: np.ndarray, items: np.ndarray) -> np.ndarray:
        self._require_fitted()
        return self._clip(np.full(len(users), self.mu))

    def score_users(self, user_idx: np.ndarray) -> np.ndarray:
        return np.full((len(user_idx), self.index.n_items), self.mu, dtype=np.float32)

    def _state(self) -> dict[str, np.ndarray]:
        return self._base_state()

    def _set_state(self, state: dict[str, np.ndarray]) -> None:
        self._set_base_state(state)


@dataclass
class BiasParams:
    """Alternating least squares for r ~ mu + b_u + b_i (Koren 2010, Surprise's BaselineOnly)."""

    reg_user: float = 15.0  # shrinks user biases of users with few ratings towards 0
    reg_item: float = 10.0  # same for items
    sweeps: int = 10  # alternating updates; converges in a handful


def fit_biases(
    users: np.ndarray,
    items: np.ndarray,
    values: np.ndarray,
    n_users: int,
    n_items: int,
    mu: float,
    params: BiasParams,
) -> tuple[np.ndarray, np.ndarray]:
    """Regularised user and item biases of ``values - mu`` by alternating closed-form updates.

    Returns:
        (b_user of length n_users, b_item of length n_items), float32.
    """
    residual = values.astype(np.float64) - mu
    n_u = np.bincount(users, minlength=n_users)
    n_i = np.bincount(items, minlength=n_items)
    b_user, b_item = np.zeros(n_users), np.zeros(n_items)
    for _ in range(params.sweeps):
        b_item = np.bincount(items, residual - b_user[users], minlength=n_items) / (params.reg_item + n_i)
        b_user = np.bincount(users, residual - b_item[items], minlength=n_users) / (params.reg_user + n_u)
    return b_user.astype(np.float32), b_item.astype(np.float32)


class Biases(_ScaledModel):
    """r_ui = mu + b_u + b_i with regularised biases; unknown users or items get a bias of 0."""

    name = "biases"
    Params = BiasParams
    description = "mu + b_user[u] + b_item[i], clipped to scale."

    def fit(self, train: pd.DataFrame) -> Biases:
        users, items, values = self._begin_fit(train)
        self.b_user, self.b_item = fit_biases(
            users, items, values, self.index.n_users, self.index.n_items, self.mu, self.params
        )
        return self

    def baseline(self, user_idx: np.ndarray, item_idx: np.ndarray) -> np.ndarray:
        """Unclipped mu + b_u + b_i for dense indices (-1: unknown, bias 0)."""
        b_u = np.where(user_idx >= 0, self.b_user[np.maximum(user_idx, 0)], 0.0)
        b_i = np.where(item_idx >= 0, self.b_item[np.maximum(item_idx, 0)], 0.0)
        return self.mu + b_u + b_i

    def predict(self, users: np.ndarray, items: np.ndarray) -> np.ndarray:
        self._require_fitted()
        return self._clip(self.baseline(self.index.user_idx(users), self.index.item_idx(items)))

    def score_users(self, user_idx: np.ndarray) -> np.ndarray:
        return (self.mu + self.b_user[user_idx][:, None] + self.b_item[None, :]).astype(np.float32)

    def _state(self) -> dict[str, np.ndarray]:
        return {**self._base_state(), "b_user": self.b_user, "b_item": self.b_item}

    def _set_state(self, state: dict[str, np.ndarray]) -> None:
        self._set_base_state(state)
        self.b_user, self.b_item = state["b_user"], state["b_item"]


@dataclass
class PopularityParams:
    """Ranks movies by how many ratings they have; predicts a damped movie mean."""

    damping: float = 5.0  # pseudo-ratings at the global mean, so a movie with one 5 is not "best"


class Popularity(_ScaledModel):
    """The ranking baseline: every user gets the most-rated movies they have not rated."""

    name = "popularity"
    Params = PopularityParams
    description = "count: ratings per movie (the ranking score); item_mean: damped mean for predict."

    def fit(self, train: pd.DataFrame) -> Popularity:
        _, items, values = self._begin_fit(train)
        n_items = self.index.n_items
        self.count = np.bincount(items, minlength=n_items).astype(np.float32)
        total = np.bincount(items, values, minlength=n_items)
        self.item_mean = (
            (total + self.params.damping * self.mu) / (self.count + self.params.damping)
        ).astype(np.float32)
        return self

    def predict(self, users: np.ndarray, items: np.ndarray) -> np.ndarray:
        self._require_fitted()
        item_idx = self.index.item_idx(items)
        return self._clip(np.where(item_idx >= 0, self.item_mean[np.maximum(item_idx, 0)], self.mu))

    def score_users(self, user_idx: np.ndarray) -> np.ndarray:
        return np.broadcast_to(self.count, (len(user_idx), self.index.n_items)).copy()

    def _state(self) -> dict[str, np.ndarray]:
        return {**self._base_state(), "count": self.count, "item_mean": self.item_mean}

    def _set_state(self, state: dict[str, np.ndarray]) -> None:
        self._set_base_state(state)
        self.count, self.item_mean = state["count"], state["item_mean"]
