"""User-based k-nearest-neighbour CF, on raw ratings or on mean-centred ("scale-corrected") ones.

Similarities are computed for all user pairs at once with sparse products over co-rated items;
prediction takes, for each (user, item) pair, the ``k`` most similar users who rated the item, in
blocks of pairs (matrix gathers and a partial sort, no per-pair Python loop). Memory is a dense
users x items matrix plus a users x users similarity matrix: fine for ml-100k and ml-latest-small,
not meant for ml-25m.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from scipy import sparse

from cinepipe.recsys.data import rating_matrix
from cinepipe.recsys.lecture._common import LectureModel


def user_similarity(values: sparse.csr_matrix, mask: sparse.csr_matrix, shrinkage: float = 0.0) -> np.ndarray:
    """Users x users similarity over co-rated items: sum(x_u x_v) / sqrt(sum x_u^2 * sum x_v^2).

    ``values`` holds the vectors (raw ratings give cosine, user-mean-centred ratings give Pearson)
    and ``mask`` marks the rated cells. Both sums in the denominator run over the items the pair has
    in common, so a rating the other user never saw does not dilute the similarity. ``shrinkage``
    multiplies by n_uv / (n_uv + shrinkage), n_uv the number of co-rated items. Diagonal is 0.
    """
    num = (values @ values.T).toarray()
    own = (values.multiply(values).tocsr() @ mask.T).toarray()  # [u, v]: sum of x_u^2 over co-rated items
    den = np.sqrt(own * own.T)
    sim = np.divide(num, den, out=np.zeros_like(num), where=den > 0)
    if shrinkage > 0:
        support = (mask @ mask.T).toarray()
        sim *= support / (support + shrinkage)
    np.fill_diagonal(sim, 0.0)
    return sim


@dataclass
class UserKNNParams:
    """Hyperparameters of ``UserKNN``; defaults chosen on ml-latest-small (see docs/lecture-comparison.md)."""

    k: int = 40  # neighbours per prediction, among the users who rated the item
    similarity: Literal["cosine", "pearson"] = "pearson"  # cosine of user-mean-centred ratings; 0.01 better
    centred: bool = False  # the lecture's "scale correction": average deviations from user means
    shrinkage: float = 10.0  # pseudo co-ratings damping similarities built on few common items
    block_pairs: int = 4096  # (user, item) pairs scored at once: memory ~ block_pairs x n_users


class UserKNN(LectureModel):
    """Raw: weighted mean of neighbours' ratings. Centred: mean_u + weighted mean of their deviations."""

    Params = UserKNNParams
    description = "sim: users x users; values: neighbours' ratings (or deviations); rated: mask; user_mean."

    @property
    def name(self) -> str:
        return "user_knn_centred" if self.params.centred else "user_knn_raw"

    def fit(self, train: pd.DataFrame) -> UserKNN:
        users, items, values = self._begin_fit(train)
        n_u = self.index.n_users
        self.user_mean = (np.bincount(users, values, n_u) / np.bincount(users, minlength=n_u)).astype(np.float32)
        ratings = rating_matrix(train, self.index)
        mask = ratings.copy()
        mask.data[:] = 1.0
        centred = ratings.copy()
        centred.data -= np.repeat(self.user_mean, np.diff(ratings.indptr))
        sim_values = ratings if self.params.similarity == "cosine" else centred
        self.sim = user_similarity(sim_values.astype(np.float64), mask, self.params.shrinkage).astype(np.float32)
        # What a neighbour contributes: its raw rating, or its deviation from its own mean.
        self.values = (centred if self.params.centred else ratings).toarray()
        self.rated = mask.toarray().astype(bool)
        return self

    def predict(self, users: np.ndarray, items: np.ndarray) -> np.ndarray:
        u, i = self._lookup(users, items)
        out = self._baseline(u, i)
        known = np.flatnonzero((u >= 0) & (i >= 0))
        for start in range(0, len(known), self.params.block_pairs):
            rows = known[start : start + self.params.block_pairs]
            estimate, found = self._neighbour_estimate(u[rows], i[rows])
            out[rows[found]] = estimate[found]
        return self._clip(out)

    def _neighbour_estimate(self, u: np.ndarray, i: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Neighbour estimate for dense pairs, and whether the pair had any positively similar rater."""
        cand = np.where(self.rated[:, i].T, self.sim[u], 0.0)
        cand[cand <= 0] = -np.inf
        k = min(self.params.k, cand.shape[1])
        top = np.argpartition(-cand, k - 1, axis=1)[:, :k]
        weights = np.take_along_axis(cand, top, axis=1)
        weights[~np.isfinite(weights)] = 0.0
        den = weights.sum(axis=1)
        found = den > 0
        num = (weights * self.values[top, i[:, None]]).sum(axis=1)
        estimate = np.divide(num, den, out=np.zeros(len(u)), where=found)
        if self.params.centred:
            estimate += self.user_mean[u]
        return estimate, found

    def _state(self) -> dict[str, np.ndarray]:
        return {**self._base_state(), "sim": self.sim, "values": self.values, "rated": self.rated, "user_mean": self.user_mean}

    def _set_state(self, state: dict[str, np.ndarray]) -> None:
        self._set_base_state(state)
        self.sim, self.values, self.rated, self.user_mean = (state[k] for k in ("sim", "values", "rated", "user_mean"))
