"""Pieces every lecture model shares: dense encoding, the rating scale and the bias fallback."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

from cinepipe.columns import ITEM, RATING, USER
from cinepipe.recsys.base import IdIndex


@dataclass
class Encoded:
    """Training ratings as dense indices: one entry per rating, aligned arrays."""

    index: IdIndex
    users: np.ndarray  # int64 dense user index per rating
    items: np.ndarray  # int64 dense item index per rating
    ratings: np.ndarray  # float64 rating per rating
    lo: float  # lowest rating seen in training: predictions are clipped to [lo, hi]
    hi: float

    def matrix(self, values: np.ndarray | None = None) -> sp.csr_matrix:
        """Users x items CSR of ``values`` (the ratings by default) at the rated cells."""
        data = self.ratings if values is None else values
        shape = (self.index.n_users, self.index.n_items)
        return sp.csr_matrix((data, (self.users, self.items)), shape=shape)


def encode(train: pd.DataFrame) -> Encoded:
    """Map raw ids of ``train`` to dense indices (one row per rating in, one entry per rating out)."""
    index = IdIndex.from_ratings(train)
    ratings = train[RATING].to_numpy(dtype=np.float64)
    return Encoded(
        index=index,
        users=index.user_idx(train[USER].to_numpy()).astype(np.int64),
        items=index.item_idx(train[ITEM].to_numpy()).astype(np.int64),
        ratings=ratings,
        lo=float(ratings.min()),
        hi=float(ratings.max()),
    )


@dataclass
class Biases:
    """Regularised global mean + user + item biases: the fallback for unknown users and items."""

    mean: float
    user: np.ndarray
    item: np.ndarray

    def predict(self, u: np.ndarray, i: np.ndarray) -> np.ndarray:
        """Baseline for dense indices; -1 (unknown) contributes no bias."""
        bu = np.where(u >= 0, self.user[np.maximum(u, 0)], 0.0)
        bi = np.where(i >= 0, self.item[np.maximum(i, 0)], 0.0)
        return self.mean + bu + bi


def fit_biases(data: Encoded, reg_user: float = 15.0, reg_item: float = 10.0, sweeps: int = 10) -> Biases:
    """Alternating closed-form updates of b_u and b_i, shrunk towards 0 by ``reg_*`` pseudo-ratings."""
    mean = float(data.ratings.mean())
    n_u, n_i = data.index.n_users, data.index.n_items
    count_u = np.bincount(data.users, minlength=n_u)
    count_i = np.bincount(data.items, minlength=n_i)
    bu, bi = np.zeros(n_u), np.zeros(n_i)
    for _ in range(sweeps):
        bi = np.bincount(data.items, data.ratings - mean - bu[data.users], n_i) / (count_i + reg_item)
        bu = np.bincount(data.users, data.ratings - mean - bi[data.items], n_u) / (count_u + reg_user)
    return Biases(mean, bu, bi)


def lookup(index: IdIndex, users: np.ndarray, items: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Dense indices of raw (user, item) pairs, -1 where unknown."""
    return index.user_idx(np.asarray(users)), index.item_idx(np.asarray(items))
