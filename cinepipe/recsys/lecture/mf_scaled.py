"""Matrix factorisation by alternating least squares, without and with user/item scaling.

Plain (``scaled=False``): r_ui ~ mu + p_u . q_i, the textbook factorisation of the ratings around
their global mean. Scaled (``scaled=True``, the lecture's "scale correction"): each rating is first
put on a common scale, z_ui = (r_ui - mu - b_u - b_i) / s_u, with regularised user and item biases
and a per-user spread s_u shrunk towards the global spread; the factors fit z and a prediction maps
back, mu + b_u + b_i + s_u * p_u . q_i. Each ALS half-step solves every user's (or item's) ridge
system at once: Gram matrices from one sparse product with the other side's outer products, then a
batched ``np.linalg.solve``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse

from cinepipe.recsys.lecture._common import LectureModel


def als_half_step(targets: sparse.csr_matrix, fixed: np.ndarray, reg: float) -> np.ndarray:
    """Ridge solution for every row of ``targets`` against the ``fixed`` factors of its columns.

    Row u gets (sum_i q_i q_i^T + reg * n_u I)^-1 sum_i z_ui q_i over its stored cells i, the
    regularisation weighted by the row's count (Zhou et al. 2008). A row with no cells gets zeros.
    """
    rank = fixed.shape[1]
    mask = targets.copy()
    mask.data[:] = 1.0
    outer = np.einsum("ik,il->ikl", fixed, fixed).reshape(len(fixed), rank * rank)
    gram = np.asarray(mask @ outer).reshape(-1, rank, rank)
    counts = np.asarray(mask.sum(axis=1)).ravel()
    gram += (reg * np.maximum(counts, 1.0))[:, None, None] * np.eye(rank)
    rhs = np.asarray(targets @ fixed)
    return np.linalg.solve(gram, rhs[:, :, None])[:, :, 0]


@dataclass
class ScaledMFParams:
    """Hyperparameters of ``ScaledMF``; defaults chosen on ml-latest-small (see docs/lecture-comparison.md)."""

    scaled: bool = False  # the lecture's "scale correction": biases out, per-user spread divided out
    rank: int = 10  # latent dimensions; 20 or 50 measured no better on ml-latest-small
    reg: float = 0.25  # ridge weight per rating of the row (weighted-lambda ALS); plain MF wants 0.15
    epochs: int = 15  # ALS sweeps (one user half-step and one item half-step each)
    spread_prior: float = 10.0  # pseudo-ratings pulling each user's spread towards the global one
    seed: int = 42


class ScaledMF(LectureModel):
    """ALS factorisation of the ratings around mu, or of bias-free per-user-scaled ratings."""

    Params = ScaledMFParams
    description = "p: user factors; q: item factors; spread: per-user scale; b_user, b_item: biases."

    @property
    def name(self) -> str:
        return "mf_als_scaled" if self.params.scaled else "mf_als"

    def fit(self, train: pd.DataFrame) -> ScaledMF:
        users, items, values = self._begin_fit(train)
        p = self.params
        n_u, n_i = self.index.n_users, self.index.n_items
        if p.scaled:
            residual = values - self._baseline(users, items)
            counts = np.bincount(users, minlength=n_u)
            global_var = float(np.mean(residual**2))
            user_var = (np.bincount(users, residual**2, n_u) + p.spread_prior * global_var) / (counts + p.spread_prior)
            self.spread = np.sqrt(user_var)
            targets = residual / self.spread[users]
        else:
            self.spread = np.ones(n_u)
            targets = values - self.mu
        by_user = sparse.csr_matrix((targets, (users, items)), shape=(n_u, n_i))
        by_item = by_user.T.tocsr()
        self.q = np.random.default_rng(p.seed).normal(0.0, 0.1, (n_i, p.rank))
        for _ in range(p.epochs):
            self.p = als_half_step(by_user, self.q, p.reg)
            self.q = als_half_step(by_item, self.p, p.reg)
        return self

    def predict(self, users: np.ndarray, items: np.ndarray) -> np.ndarray:
        u, i = self._lookup(users, items)
        known = (u >= 0) & (i >= 0)
        uk, ik = u[known], i[known]
        interaction = np.einsum("nk,nk->n", self.p[uk], self.q[ik]) * self.spread[uk]
        out = self._baseline(u, i)
        # Plain MF has no biases of its own: a known pair is mu + p.q; biases serve only unknowns.
        out[known] = (out[known] if self.params.scaled else self.mu) + interaction
        return self._clip(out)

    def _state(self) -> dict[str, np.ndarray]:
        return {**self._base_state(), "p": self.p, "q": self.q, "spread": self.spread}

    def _set_state(self, state: dict[str, np.ndarray]) -> None:
        self._set_base_state(state)
        self.p, self.q, self.spread = state["p"], state["q"], state["spread"]
