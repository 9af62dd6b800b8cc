"""EASE (Steck 2019): a closed-form item-item model for top-N on implicit feedback.

B = I - P / diag(P) with P = (X^T X + reg I)^-1 and X the binary users x movies matrix; a user's
scores are x_u B. The L2 weight ``reg`` is picked by ndcg@10 on a per-user validation slice of train.
Memory and time grow with movies squared (dense items x items), so EASE suits up to ~30k movies.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse

from cinepipe.recsys.base import IdIndex, over_limit, pair_scores
from cinepipe.recsys.baselines import _ScaledModel
from cinepipe.recsys.data import rating_matrix
from cinepipe.recsys.tuning import Validation, inner_split, pick_best, refreshed_seen


@dataclass
class EASEParams:
    """Hyperparameters of ``EASE``."""

    reg: float | None = None  # L2 weight; None: the best of reg_grid on a validation slice of train
    reg_grid: tuple[float, ...] = (100.0, 300.0, 1000.0)  # candidates; one matrix inverse each
    validation_fraction: float = 0.2  # per-user share of train held out to pick reg
    max_items: int = 30_000  # items x items float32 (3.6 GB at 30k); beyond, use mf for top-N
    seed: int = 42


def zero_diagonal_weights(penalised_gram: np.ndarray) -> np.ndarray:
    """EASE's closed form on a Gram whose diagonal already carries its L2: B = -P / diag(P) with
    P its inverse, and a zero diagonal (no movie recommends itself)."""
    inverse = np.linalg.inv(penalised_gram)
    weights = -inverse / np.diag(inverse)[None, :]
    weights[np.diag_indices_from(weights)] = 0.0
    return weights


def ease_weights(x: sparse.csr_matrix, reg: float) -> np.ndarray:
    """Item-item weights B (zero diagonal) for binary user x item matrix ``x``."""
    gram = (x.T @ x).toarray().astype(np.float32)
    gram[np.diag_indices_from(gram)] += reg
    return zero_diagonal_weights(gram)


class ItemItemModel(_ScaledModel):
    """A ranking model scoring ``seen @ weights`` (who rated what, times item-item weights): EASE and
    RP3beta. A warm refresh replaces the touched users' rows of ``seen`` and keeps the weights."""

    seen: sparse.csr_matrix

    def fold_in(self, ratings: pd.DataFrame) -> ItemItemModel:
        """Warm refresh: the rows of the users in ``ratings`` (their whole history) replaced, weights kept."""
        self._require_fitted()
        self.index, self.seen = refreshed_seen(self.seen, self.index, ratings)
        return self

    def predict(self, users: np.ndarray, items: np.ndarray) -> np.ndarray:
        """Scores of (user, item) pairs (0 for unknown ids); not on the rating scale."""
        self._require_fitted()
        return pair_scores(self, users, items)


class EASE(ItemItemModel):
    """A ranking model: ``score_users`` gives EASE scores; ``predict`` is not a rating and is unused."""

    name = "ease"
    Params = EASEParams
    description = "scores = x_u @ weights with x_u the user's binary training row; reg chosen on validation."
    limit_action = "Use als for top-N at this size, or raise max_items if memory allows."

    def too_large(self, n_users: int, n_items: int) -> str | None:
        return over_limit(n_items, self.params.max_items, "movies exceed EASE's limit of")

    def fit(self, train: pd.DataFrame) -> EASE:
        self._check_size(train)
        self._begin_fit(train)
        self.reg = self.params.reg if self.params.reg is not None else self._pick_reg(train)
        self.seen = _binary(rating_matrix(train, self.index))
        self.weights = ease_weights(self.seen, self.reg)
        return self

    def _pick_reg(self, train: pd.DataFrame) -> float:
        fit_part, val_part = inner_split(train, self.params.validation_fraction, self.params.seed)
        validation = Validation(fit_part, val_part, IdIndex.from_ratings(fit_part))
        reg, _, self.validation_ndcg = pick_best(
            self.params.reg_grid,
            lambda r, _: EASE(EASEParams(reg=r, max_items=self.params.max_items)).fit(fit_part),
            [validation],
        )
        return reg

    def score_users(self, user_idx: np.ndarray) -> np.ndarray:
        return np.asarray(self.seen[user_idx] @ self.weights)

    def _state(self) -> dict[str, np.ndarray]:
        m = self.seen
        return {
            **self._base_state(),
            "reg": np.float64(self.reg),
            "weights": self.weights,
            "seen_indptr": m.indptr,
            "seen_indices": m.indices,
        }

    def _set_state(self, state: dict[str, np.ndarray]) -> None:
        self._set_base_state(state)
        self.reg, self.weights = float(state["reg"]), state["weights"]
        data = np.ones(len(state["seen_indices"]), dtype=np.float32)
        self.seen = sparse.csr_matrix(
            (data, state["seen_indices"], state["seen_indptr"]),
            shape=(self.index.n_users, self.index.n_items),
        )


def _binary(matrix: sparse.csr_matrix) -> sparse.csr_matrix:
    matrix = matrix.copy()
    matrix.data[:] = 1.0
    return matrix
