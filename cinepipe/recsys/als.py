"""Implicit-feedback ALS (Hu, Koren & Volinsky 2008) for top-N on catalogues too large for EASE.

Every rating is an interaction: preference 1 with confidence ``1 + alpha``, every other movie
preference 0 with confidence 1. Factors come from the ``implicit`` library's conjugate-gradient
ALS (multi-threaded, sparse), which fits 25M ratings in about two minutes on two cores where a
dense item x item model cannot be built at all. A user's scores are their factors times every
movie's factors. Rating-trained MF ranks rarely rated movies first (their predicted ratings are the
most extreme); a model trained on who rated what does not.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse

from cinepipe.recsys.base import IdIndex
from cinepipe.recsys.baselines import _ScaledModel
from cinepipe.recsys.data import encode
from cinepipe.storage.columns import USER


@dataclass
class ALSParams:
    """Hyperparameters of ``ImplicitALS``."""

    factors: int = 64
    regularization: float = 50.0  # L2 on both factor tables; 0.05-500 tried on ml-latest-small: 50 best
    alpha: float = 10.0  # extra confidence of an observed interaction
    iterations: int = 15
    seed: int = 42


def _interactions(users: np.ndarray, items: np.ndarray, shape: tuple[int, int], alpha: float) -> sparse.csr_matrix:
    """Users x items CSR with ``alpha`` where a rating exists (implicit's confidence is 1 + value)."""
    known = (users >= 0) & (items >= 0)
    data = np.full(int(known.sum()), alpha, dtype=np.float32)
    matrix = sparse.csr_matrix((data, (users[known], items[known])), shape=shape)
    matrix.sum_duplicates()
    matrix.data[:] = alpha
    return matrix


class ImplicitALS(_ScaledModel):
    """A ranking model: ``score_users`` gives preference scores; ``predict`` is not a rating."""

    name = "als"
    Params = ALSParams
    description = "scores = user_factors @ item_factors.T, fitted by implicit ALS on who rated what."

    @contextmanager
    def _solver(self) -> Iterator:
        """implicit's ALS with one BLAS thread: implicit runs its own threads, and BLAS threads
        inside them oversubscribe the cores (implicit warns of a 10x slowdown)."""
        from implicit.cpu.als import (
            AlternatingLeastSquares,  # loads its BLAS before the limit
        )
        from threadpoolctl import threadpool_limits

        p = self.params
        with threadpool_limits(1, "blas"):
            yield AlternatingLeastSquares(factors=p.factors, regularization=p.regularization, alpha=1.0,
                                          iterations=p.iterations, random_state=p.seed)

    def fit(self, train: pd.DataFrame) -> ImplicitALS:
        users, items, _ = self._begin_fit(train)
        with self._solver() as solver:
            solver.fit(_interactions(users, items, (self.index.n_users, self.index.n_items), self.params.alpha),
                       show_progress=False)
        self.user_factors, self.item_factors = solver.user_factors, solver.item_factors
        return self

    def fold_in(self, ratings: pd.DataFrame) -> ImplicitALS:
        """Re-solve the factors of the users in ``ratings`` (their whole history) with the movies'
        factors fixed: implicit's own least-squares step for those rows. Ratings of movies the
        model has never seen wait for the next full fit.
        """
        self._require_fitted()
        old = self.index
        self.index = IdIndex(np.union1d(old.users, ratings[USER].to_numpy()), old.items)
        grown = np.zeros((self.index.n_users, self.item_factors.shape[1]), self.user_factors.dtype)
        grown[self.index.user_idx(old.users)] = self.user_factors
        users, items, _ = encode(ratings, self.index)
        rows = np.unique(users)
        touched = _interactions(np.searchsorted(rows, users), items, (len(rows), self.index.n_items), self.params.alpha)
        with self._solver() as solver:
            solver.user_factors, solver.item_factors = grown, self.item_factors
            solver.partial_fit_users(rows, touched)
        self.user_factors = solver.user_factors
        return self

    def predict(self, users: np.ndarray, items: np.ndarray) -> np.ndarray:
        """Preference scores of (user, item) pairs (0 for unknown ids); not on the rating scale."""
        self._require_fitted()
        u, i = self.index.user_idx(users), self.index.item_idx(items)
        known = (u >= 0) & (i >= 0)
        scores = np.einsum("nf,nf->n", self.user_factors[np.maximum(u, 0)], self.item_factors[np.maximum(i, 0)])
        return np.where(known, scores, 0.0).astype(np.float32)

    def score_users(self, user_idx: np.ndarray) -> np.ndarray:
        return self.user_factors[user_idx] @ self.item_factors.T

    def _state(self) -> dict[str, np.ndarray]:
        return {**self._base_state(), "user_factors": self.user_factors, "item_factors": self.item_factors}

    def _set_state(self, state: dict[str, np.ndarray]) -> None:
        self._set_base_state(state)
        self.user_factors, self.item_factors = state["user_factors"], state["item_factors"]
