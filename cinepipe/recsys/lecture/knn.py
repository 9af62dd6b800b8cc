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
import scipy.sparse as sp

from cinepipe.recsys.base import RatingModel, require_trainable
from cinepipe.recsys.lecture._common import Biases, encode, fit_biases, lookup

Similarity = Literal["cosine", "pearson"]


def user_similarity(values: sp.csr_matrix, mask: sp.csr_matrix, shrinkage: float = 0.0) -> np.ndarray:
    """Users x users similarity over co-rated items: sum(x_u x_v) / sqrt(sum x_u^2 * sum x_v^2).

    ``values`` holds the vectors (raw ratings give cosine, user-mean-centred ratings give Pearson)
    and ``mask`` marks the rated cells. Both sums in the denominator run over the items the pair has
    in common, so a rating the other user never saw does not dilute the similarity. ``shrinkage``
    multiplies by n_uv / (n_uv + shrinkage), n_uv the number of co-rated items. Diagonal is 0.
    """
    squares = values.multiply(values).tocsr()
    num = (values @ values.T).toarray()
    own = (squares @ mask.T).toarray()  # [u, v]: sum of x_u^2 over items both rated
    den = np.sqrt(own * own.T)
    sim = np.divide(num, den, out=np.zeros_like(num), where=den > 0)
    if shrinkage > 0:
        support = (mask @ mask.T).toarray()
        sim *= support / (support + shrinkage)
    np.fill_diagonal(sim, 0.0)
    return sim


@dataclass
class UserKNN(RatingModel):
    """User-based kNN. ``centred=True`` predicts mean_u + weighted mean of neighbours' deviations."""

    k: int = 40
    similarity: Similarity = "pearson"
    centred: bool = False
    shrinkage: float = 10.0
    block_pairs: int = 4096  # (user, item) pairs scored per block: memory ~ block_pairs x n_users

    def __post_init__(self) -> None:
        self.name = "user-knn-centred" if self.centred else "user-knn"

    def fit(self, train: pd.DataFrame) -> UserKNN:
        require_trainable(train, self.name)
        data = encode(train)
        self.index, self.lo, self.hi = data.index, data.lo, data.hi
        self.biases: Biases = fit_biases(data)
        n_u = data.index.n_users
        self.user_mean = np.bincount(data.users, data.ratings, n_u) / np.bincount(data.users, minlength=n_u)
        centred_values = data.ratings - self.user_mean[data.users]
        mask = data.matrix(np.ones_like(data.ratings))
        sim_values = data.ratings if self.similarity == "cosine" else centred_values
        self.sim = user_similarity(data.matrix(sim_values), mask, self.shrinkage).astype(np.float32)
        # What neighbours contribute: their raw rating, or their deviation from their own mean.
        self.neighbour_values = data.matrix(centred_values if self.centred else data.ratings).toarray().astype(np.float32)
        self.rated = mask.toarray().astype(bool)
        return self

    def predict(self, users: np.ndarray, items: np.ndarray) -> np.ndarray:
        u, i = lookup(self.index, users, items)
        out = self.biases.predict(u, i)
        known = np.flatnonzero((u >= 0) & (i >= 0))
        for start in range(0, len(known), self.block_pairs):
            rows = known[start : start + self.block_pairs]
            estimate, found = self._neighbour_estimate(u[rows], i[rows])
            out[rows[found]] = estimate[found]
        return np.clip(out, self.lo, self.hi)

    def _neighbour_estimate(self, u: np.ndarray, i: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Weighted neighbour estimate for dense pairs and whether any positive neighbour existed."""
        cand = np.where(self.rated[:, i].T, self.sim[u], 0.0)
        cand[cand <= 0] = -np.inf  # only positively similar users who rated the item
        k = min(self.k, cand.shape[1])
        top = np.argpartition(-cand, k - 1, axis=1)[:, :k]
        weights = np.take_along_axis(cand, top, axis=1)
        weights[~np.isfinite(weights)] = 0.0
        values = self.neighbour_values[top, i[:, None]]
        den = weights.sum(axis=1)
        found = den > 0
        estimate = np.divide((weights * values).sum(axis=1), den, out=np.zeros(len(u)), where=found)
        if self.centred:
            estimate = self.user_mean[u] + estimate
        return estimate, found
