"""RP3beta (Paudel et al. 2016): a three-step random walk user -> movie -> user -> movie, popularity-damped.

With X the binary users x movies matrix, P_ui its rows divided by user degree and P_iu its columns by
movie degree, the item-item weights are W = P_iu^alpha P_ui^alpha (element-wise powers), each column j
divided by degree_j^beta so that popular movies do not win every walk, then cut to each movie's
``neighbours`` strongest links. A user's scores are x_u W. Cheap (a sparse product), a different
inductive bias from EASE's regression, which is what a ranking blend wants.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse

from cinepipe.recsys.base import over_limit
from cinepipe.recsys.data import rating_matrix
from cinepipe.recsys.ease import ItemItemModel


@dataclass
class RP3Params:
    """Hyperparameters of ``RP3beta``; the ranking blend picks alpha and beta on a slice of train."""

    alpha: float = 0.8  # sharpens (> 1) or flattens (< 1) the walk's transition probabilities
    beta: float = 0.3  # popularity damping of the destination movie; 0 is plain P^3
    neighbours: int = 200  # strongest links kept per movie: less noise, sparse weights
    max_items: int = 30_000  # the dense items x items product while fitting, as EASE's limit


def rp3_weights(seen: sparse.csr_matrix, params: RP3Params) -> sparse.csr_matrix:
    """Movie x movie RP3beta weights (zero diagonal, ``neighbours`` per row) of binary users x movies ``seen``."""
    user_degree = np.asarray(seen.sum(axis=1)).ravel()
    item_degree = np.asarray(seen.sum(axis=0)).ravel()
    p_ui = sparse.diags(1.0 / np.maximum(user_degree, 1) ** params.alpha) @ seen
    p_iu = sparse.diags(1.0 / np.maximum(item_degree, 1) ** params.alpha) @ seen.T.tocsr()
    walk = np.asarray(p_iu @ p_ui.toarray().astype(np.float32), dtype=np.float32)  # dense: most pairs link
    walk /= np.maximum(item_degree, 1)[None, :].astype(np.float32) ** params.beta
    np.fill_diagonal(walk, 0.0)
    return _strongest(walk, params.neighbours)


def _strongest(weights: np.ndarray, k: int) -> sparse.csr_matrix:
    """CSR keeping each row's ``k`` largest positive entries."""
    n = weights.shape[1]
    if k < n:
        keep = np.argpartition(-weights, k - 1, axis=1)[:, :k]
        rows = np.repeat(np.arange(weights.shape[0]), k)
        values = weights[rows, keep.ravel()]
        cols = keep.ravel()
    else:
        rows, cols = np.indices(weights.shape).reshape(2, -1)
        values = weights.ravel()
    positive = values > 0
    return sparse.csr_matrix((values[positive], (rows[positive], cols[positive])), shape=weights.shape,
                             dtype=np.float32)


class RP3beta(ItemItemModel):
    """A ranking model: ``score_users`` gives random-walk scores; ``predict`` is not a rating."""

    name = "rp3beta"
    Params = RP3Params
    description = "scores = x_u @ weights, weights the popularity-damped 3-step walk, strongest links kept."
    limit_action = "Use als for top-N at this size."

    def too_large(self, n_users: int, n_items: int) -> str | None:
        return over_limit(n_items, self.params.max_items, "movies exceed RP3beta's limit of")

    def fit(self, train: pd.DataFrame) -> RP3beta:
        self._check_size(train)
        self._begin_fit(train)
        seen = rating_matrix(train, self.index)
        seen.data[:] = 1.0
        self.seen = seen
        self.weights = rp3_weights(seen, self.params)
        return self

    def score_users(self, user_idx: np.ndarray) -> np.ndarray:
        return (self.seen[user_idx] @ self.weights).toarray()

    def _state(self) -> dict[str, np.ndarray]:
        return {**self._base_state(), **_csr_state("seen", self.seen), **_csr_state("weights", self.weights)}

    def _set_state(self, state: dict[str, np.ndarray]) -> None:
        self._set_base_state(state)
        shape = (self.index.n_users, self.index.n_items)
        self.seen = _csr_from_state(state, "seen", shape)
        self.weights = _csr_from_state(state, "weights", (self.index.n_items, self.index.n_items))


def _csr_state(name: str, matrix: sparse.csr_matrix) -> dict[str, np.ndarray]:
    return {f"{name}_data": matrix.data, f"{name}_indices": matrix.indices, f"{name}_indptr": matrix.indptr}


def _csr_from_state(state: dict[str, np.ndarray], name: str, shape: tuple[int, int]) -> sparse.csr_matrix:
    return sparse.csr_matrix((state[f"{name}_data"], state[f"{name}_indices"], state[f"{name}_indptr"]),
                             shape=shape)
