"""Matrix factorisation by alternating least squares, without and with user/item scaling.

Plain (``scaled=False``): r_ui ~ mu + p_u . q_i, the textbook factorisation of the ratings around
their global mean. Scaled (``scaled=True``, the lecture's "scale correction"): each rating is first
put on a common scale, z_ui = (r_ui - mu - b_u - b_i) / s_u with regularised user and item biases
and a per-user spread s_u shrunk towards the global spread; the factors fit z and a prediction is
mapped back, mu + b_u + b_i + s_u * p_u . q_i. Each ALS half-step solves every user's (or item's)
ridge system at once: the Gram matrices come from one sparse product with the items' outer
products, then a batched ``np.linalg.solve``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

from cinepipe.recsys.base import RatingModel, require_trainable
from cinepipe.recsys.lecture._common import Biases, encode, fit_biases, lookup


def als_half_step(targets: sp.csr_matrix, fixed: np.ndarray, reg: float) -> np.ndarray:
    """Ridge solution of every row of ``targets`` against the ``fixed`` factors.

    Row u gets (sum_i q_i q_i^T + reg * n_u I)^-1 sum_i z_ui q_i over its stored cells i
    (regularisation weighted by the row's count, as in Zhou et al. 2008).
    """
    rank = fixed.shape[1]
    mask = targets.copy()
    mask.data[:] = 1.0
    outer = np.einsum("ik,il->ikl", fixed, fixed).reshape(len(fixed), rank * rank)
    gram = (mask @ outer).reshape(-1, rank, rank)
    counts = np.asarray(mask.sum(axis=1)).ravel()
    gram += (reg * np.maximum(counts, 1.0))[:, None, None] * np.eye(rank)
    rhs = targets @ fixed
    return np.linalg.solve(gram, rhs[:, :, None])[:, :, 0]


@dataclass
class ScaledMF(RatingModel):
    """ALS matrix factorisation; ``scaled=True`` fits the factors on bias-removed, per-user-scaled ratings."""

    scaled: bool = False
    rank: int = 20
    reg: float = 0.1
    epochs: int = 15
    spread_prior: float = 10.0  # pseudo-ratings pulling each user's spread towards the global one
    seed: int = 0

    def __post_init__(self) -> None:
        self.name = "mf-scaled" if self.scaled else "mf"

    def fit(self, train: pd.DataFrame) -> ScaledMF:
        require_trainable(train, self.name)
        data = encode(train)
        self.index, self.lo, self.hi = data.index, data.lo, data.hi
        self.biases: Biases = fit_biases(data)
        n_u, n_i = data.index.n_users, data.index.n_items
        if self.scaled:
            residual = data.ratings - self.biases.predict(data.users, data.items)
            counts = np.bincount(data.users, minlength=n_u)
            global_var = float(np.mean(residual**2))
            user_var = (np.bincount(data.users, residual**2, n_u) + self.spread_prior * global_var) / (counts + self.spread_prior)
            self.spread = np.sqrt(user_var)
            targets = residual / self.spread[data.users]
        else:
            self.spread = np.ones(n_u)
            targets = data.ratings - self.biases.mean
        by_user = data.matrix(targets)
        by_item = by_user.T.tocsr()
        rng = np.random.default_rng(self.seed)
        self.item_factors = rng.normal(0.0, 0.1, (n_i, self.rank))
        for _ in range(self.epochs):
            self.user_factors = als_half_step(by_user, self.item_factors, self.reg)
            self.item_factors = als_half_step(by_item, self.user_factors, self.reg)
        return self

    def predict(self, users: np.ndarray, items: np.ndarray) -> np.ndarray:
        u, i = lookup(self.index, users, items)
        known = (u >= 0) & (i >= 0)
        uk, ik = u[known], i[known]
        interaction = np.einsum("nk,nk->n", self.user_factors[uk], self.item_factors[ik]) * self.spread[uk]
        if self.scaled:
            out = self.biases.predict(u, i)
            out[known] += interaction
        else:
            # Plain MF knows no biases: a known pair is mu + p.q, an unknown one falls back to biases.
            out = self.biases.predict(u, i)
            out[known] = self.biases.mean + interaction
        return np.clip(out, self.lo, self.hi)
