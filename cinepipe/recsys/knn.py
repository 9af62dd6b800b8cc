"""Item kNN on baseline residuals (Koren 2010; Surprise's KNNBaseline with pearson_baseline).

r_ui = b_ui + sum_j s_ij (r_uj - b_uj) / sum_j |s_ij| over the k movies j most similar to i that u
rated, with b_ui = mu + b_u + b_i and s_ij the shrunk Pearson correlation of baseline residuals.
A cheap, different view of the data from the factor models, which is what a blend wants.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from cinepipe.errors import ModelError
from cinepipe.recsys.base import over_limit
from cinepipe.recsys.baselines import BiasParams, _ScaledModel, fit_biases
from cinepipe.recsys.data import rating_matrix
from cinepipe.storage.columns import ITEM, USER


@dataclass
class KNNParams:
    """Hyperparameters of ``ItemKNN`` (Surprise's defaults for KNNBaseline)."""

    k: int = 40  # neighbours per prediction
    shrinkage: float = 100.0  # similarities from few common raters shrink towards 0
    max_items: int = 12_000  # three items x items float32 matrices while fitting (1.7 GB); beyond, use mf


class ItemKNN(_ScaledModel):
    """Item-based kNN with baselines; predictions loop over users, never over items."""

    name = "item_knn"
    Params = KNNParams
    description = "b_ui + similarity-weighted baseline residuals of the user's k nearest rated movies."
    limit_action = "Use mf at this size."

    def too_large(self, n_users: int, n_items: int) -> str | None:
        return over_limit(n_items, self.params.max_items, "movies exceed item kNN's limit of")

    def fit(self, train: pd.DataFrame) -> ItemKNN:
        self._check_size(train)
        return self._fit(train)

    def _fit(self, train: pd.DataFrame) -> ItemKNN:
        users, items, values = self._begin_fit(train)
        self.b_user, self.b_item = fit_biases(
            users, items, values, self.index.n_users, self.index.n_items, self.mu, BiasParams()
        )
        residual = rating_matrix(train, self.index)
        residual.data = (values - self.mu - self.b_user[users] - self.b_item[items]).astype(np.float32)[
            np.lexsort((items, users))  # CSR stores entries sorted by (user, item)
        ]
        self.residual = residual
        self.similarity = self._similarity(residual)
        return self

    def _similarity(self, z) -> np.ndarray:
        rated = z.copy()
        rated.data[:] = 1.0
        products = (z.T @ z).toarray()
        squares = z.multiply(z).T.tocsr() @ rated  # [i, j]: sum of z_ui^2 over users who rated both
        squares = squares.toarray()
        common = (rated.T @ rated).toarray()
        with np.errstate(divide="ignore", invalid="ignore"):
            pearson = products / np.sqrt(squares * squares.T)
        pearson = (
            np.nan_to_num(pearson) * (common - 1).clip(0) / ((common - 1).clip(0) + self.params.shrinkage)
        )
        np.fill_diagonal(pearson, 0.0)
        return pearson.astype(np.float32)

    def _baseline(self, u: np.ndarray, i: np.ndarray) -> np.ndarray:
        return (
            self.mu
            + np.where(u >= 0, self.b_user[np.maximum(u, 0)], 0.0)
            + np.where(i >= 0, self.b_item[np.maximum(i, 0)], 0.0)
        )

    def predict(self, users: np.ndarray, items: np.ndarray) -> np.ndarray:
        self._require_fitted()
        u, i = self.index.user_idx(users), self.index.item_idx(items)
        out = self._baseline(u, i)
        known = np.flatnonzero((u >= 0) & (i >= 0))
        order = known[np.argsort(u[known], kind="stable")]
        bounds = np.flatnonzero(np.diff(u[order])) + 1
        for block in np.split(order, bounds) if len(order) else []:
            out[block] += self._neighbourhood(u[block[0]], i[block])
        return self._clip(out)

    def _neighbourhood(self, user: int, targets: np.ndarray) -> np.ndarray:
        """Similarity-weighted residuals of the user's k nearest rated movies, per target movie."""
        start, end = self.residual.indptr[user], self.residual.indptr[user + 1]
        rated, residual = self.residual.indices[start:end], self.residual.data[start:end]
        sims = self.similarity[np.ix_(targets, rated)]
        if sims.shape[1] > self.params.k:
            keep = np.argpartition(-sims, self.params.k - 1, axis=1)[:, : self.params.k]
            sims = np.take_along_axis(sims, keep, axis=1)
            residual = residual[keep]
        else:
            residual = np.broadcast_to(residual, sims.shape)
        weights = np.maximum(sims, 0.0)  # Surprise keeps only positive neighbours
        total = weights.sum(axis=1)
        return np.where(total > 0, (weights * residual).sum(axis=1) / np.maximum(total, 1e-9), 0.0)

    def _state(self) -> dict[str, np.ndarray]:
        z = self.residual
        return {
            **self._base_state(),
            "b_user": self.b_user,
            "b_item": self.b_item,
            "similarity": self.similarity,
            "residual_indptr": z.indptr,
            "residual_indices": z.indices,
            "residual_data": z.data,
        }

    def _set_state(self, state: dict[str, np.ndarray]) -> None:
        from scipy import sparse

        self._set_base_state(state)
        self.b_user, self.b_item, self.similarity = state["b_user"], state["b_item"], state["similarity"]
        self.residual = sparse.csr_matrix(
            (state["residual_data"], state["residual_indices"], state["residual_indptr"]),
            shape=(self.index.n_users, self.index.n_items),
        )


class UserKNN(ItemKNN):
    """User kNN with baselines: the item model on transposed ratings, so ``index`` lists movies as its
    users and users as its items. A different neighbourhood (similar raters, not similar movies) for
    the rating blend; it makes no top-N lists."""

    name = "user_knn"
    description = ("b_ui + similarity-weighted baseline residuals of u's k nearest raters of i "
                   "(transposed: index.users are movies, index.items are users).")
    limit_action = "Use item_knn at this size."

    def too_large(self, n_users: int, n_items: int) -> str | None:
        return over_limit(n_users, self.params.max_items, "users exceed user kNN's limit of")

    def fit(self, train: pd.DataFrame) -> UserKNN:
        self._check_size(train)
        return self._fit(train.rename(columns={USER: ITEM, ITEM: USER}))

    def predict(self, users: np.ndarray, items: np.ndarray) -> np.ndarray:
        return super().predict(items, users)

    def score_users(self, user_idx: np.ndarray) -> np.ndarray:
        raise ModelError(self.name, "is a rating model only", "Rank with a ranking model (ease, rank_blend).")
