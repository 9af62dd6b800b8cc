"""Time-aware EASE: item-item regression on co-occurrences weighted by how close in time two ratings were.

People rate in sessions, movie after movie, from what the site shows them; movies rated next to each
other are related in a way that "the same user rated both, some day" is not. The Gram matrix of EASE,
X^T X (pairs of movies rated by one user), becomes

    G_ij = sum over users u rating both i and j of  floor + (1 - floor) * exp(-|pos_ui - pos_uj| / order_scale)

with pos_ui the place of the rating in the user's history ordered by timestamp (ratings given in the
same second share their mean place). ``order_scale`` None is the plain X^T X. The weights are EASE's
zero-diagonal solution of G, with the L2 of DLAE (Steck 2020, "Autoencoders that don't overfit towards
the identity"): ``reg + emphasis * G_ii`` per movie, dropout's popularity-scaled penalty. A user's
scores are x_u B, x_u the binary row of what they rated, so timestamps are needed to fit, not to score
or refresh. Every hyperparameter is chosen by ndcg@10 on per-user slices of *train*
(``tuning.inner_split``); without a timestamp column the time-free candidate is the only one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse

from cinepipe.recsys.base import IdIndex, over_limit
from cinepipe.recsys.data import rating_matrix
from cinepipe.recsys.ease import ItemItemModel, _binary, zero_diagonal_weights
from cinepipe.recsys.tuning import Validation, inner_split
from cinepipe.storage.columns import ITEM, RATED_AT_EPOCH_S, USER


@dataclass
class TimeEASEParams:
    """Hyperparameters of ``TimeEASE``; a None field is chosen on a validation slice of train."""

    order_scale: float | None = None  # places in a user's history over which a pair's weight decays
    emphasis: float | None = None  # DLAE's dropout share p/(1-p): L2 of a movie grows with its count
    reg: float | None = None  # the L2 every movie gets
    # the grids searched, in two stages: the order scale (None, the plain Gram, and these, when the
    # ratings have timestamps; emphasis and reg at their first values, the best on ml-latest-small's
    # train slices), then emphasis x reg with that scale; one items x items inverse per candidate and fold
    order_scales: tuple[float, ...] = (10.0, 25.0, 50.0)
    emphases: tuple[float, ...] = (2.0, 1.0, 4.0)
    regs: tuple[float, ...] = (150.0, 50.0)
    floor: float = 0.1  # weight a pair keeps however far apart in time (1.0 would be plain EASE)
    validation_fraction: float = 0.25  # per-user share of train held out, as the test protocol holds out
    validation_folds: int = 2  # inner splits (seeds) every choice is averaged over
    # beyond this many movies, one inner split and the order scale alone is searched: each candidate
    # is a dense inverse, cubic in movies (190 times the work at 9,724 movies as at 1,682)
    multi_fold_max_items: int = 4_000
    max_items: int = 30_000  # the dense items x items matrices, as EASE's limit
    seed: int = 42


# tests and the bundled sample: one inner split, the plain and one time-weighted Gram, DLAE's L2 fixed
QUICK = TimeEASEParams(order_scales=(10.0,), emphases=(1.0,), regs=(50.0,), validation_folds=1)


@dataclass(frozen=True)
class _Choice:
    order_scale: float | None
    emphasis: float
    reg: float


def order_gram(ratings: pd.DataFrame, index: IdIndex, order_scale: float | None, floor: float) -> np.ndarray:
    """Dense float32 items x items Gram of ``ratings`` with pairs weighted by closeness in time.

    ``order_scale`` None (or no timestamps): the plain count of users who rated both. Pairs further
    apart than 7 order scales (weight below 0.001 of the close ones' extra) keep only ``floor``.
    """
    seen = _binary(rating_matrix(ratings, index))
    gram = (seen.T @ seen).toarray().astype(np.float32)
    if order_scale is None or RATED_AT_EPOCH_S not in ratings.columns:
        return gram
    gram *= floor
    users = index.user_idx(ratings[USER].to_numpy())
    items = index.item_idx(ratings[ITEM].to_numpy())
    known = (users >= 0) & (items >= 0)
    users, items = users[known], items[known]
    stamps = ratings[RATED_AT_EPOCH_S].to_numpy()[known]
    order = np.lexsort((items, stamps, users))
    users, items, stamps = users[order], items[order], stamps[order]
    place = _mean_places(users, stamps)
    window = int(math.ceil(7 * order_scale))
    for offset in range(1, window + 1):
        same = users[offset:] == users[:-offset]
        if not same.any():
            break
        a, b = items[:-offset][same], items[offset:][same]
        weight = (1.0 - floor) * np.exp(-(place[offset:][same] - place[:-offset][same]) / order_scale)
        pairs = sparse.coo_matrix((weight.astype(np.float32), (a, b)), shape=gram.shape).tocsr().tocoo()
        gram[pairs.row, pairs.col] += pairs.data
        gram[pairs.col, pairs.row] += pairs.data
    gram[np.diag_indices_from(gram)] = np.asarray(seen.sum(axis=0)).ravel()
    return gram


def _mean_places(users: np.ndarray, stamps: np.ndarray) -> np.ndarray:
    """Each rating's place in its user's history (rows sorted by user, then time); ties share their mean."""
    n = len(users)
    new_user = np.r_[True, users[1:] != users[:-1]]
    new_stamp = new_user | np.r_[True, stamps[1:] != stamps[:-1]]
    user_start = np.maximum.accumulate(np.where(new_user, np.arange(n), 0))
    group = np.cumsum(new_stamp) - 1
    first = np.flatnonzero(new_stamp)
    last = np.r_[first[1:], n] - 1
    return ((first + last) / 2.0)[group] - user_start


def dlae_weights(gram: np.ndarray, emphasis: float, reg: float) -> np.ndarray:
    """EASE's zero-diagonal weights of ``gram`` with the per-movie L2 ``reg + emphasis * gram_ii``."""
    penalised = gram.copy()
    penalised[np.diag_indices_from(penalised)] *= 1.0 + emphasis
    penalised[np.diag_indices_from(penalised)] += reg
    return zero_diagonal_weights(penalised)


class TimeEASE(ItemItemModel):
    """A ranking model: ``score_users`` gives x_u @ weights, weights fitted on the time-weighted Gram."""

    name = "time_ease"
    Params = TimeEASEParams
    description = ("scores = x_u @ weights with x_u the user's binary training row; weights: EASE on pairs "
                   "of ratings weighted by their closeness in time, DLAE's L2; all chosen on validation.")

    limit_action = "Use als for top-N at this size, or raise max_items if memory allows."

    def too_large(self, n_users: int, n_items: int) -> str | None:
        return over_limit(n_items, self.params.max_items, "movies exceed time-aware EASE's limit of")

    def fit(self, train: pd.DataFrame) -> TimeEASE:
        self._check_size(train)
        self._begin_fit(train)
        p = self.params
        self.choice = self._choose(train)
        self.seen = _binary(rating_matrix(train, self.index))
        gram = order_gram(train, self.index, self.choice.order_scale, p.floor)
        self.weights = dlae_weights(gram, self.choice.emphasis, self.choice.reg)
        return self

    def _scales(self, train: pd.DataFrame) -> list[float | None]:
        if RATED_AT_EPOCH_S not in train.columns:
            return [None]
        p = self.params
        return [p.order_scale] if p.order_scale is not None else [None, *p.order_scales]

    def _choose(self, train: pd.DataFrame) -> _Choice:
        """The hyperparameters left None, by mean ndcg@10 on the inner validation slices of ``train``."""
        p = self.params
        scales = self._scales(train)
        emphases = [p.emphasis] if p.emphasis is not None else list(p.emphases)
        regs = [p.reg] if p.reg is not None else list(p.regs)
        self.validation_ndcg: dict[str, float] = {}
        if len(scales) == 1 and len(emphases) == 1 and len(regs) == 1:
            return _Choice(scales[0], emphases[0], regs[0])
        small = self.index.n_items <= p.multi_fold_max_items
        n_folds = p.validation_folds if small else 1
        folds = [inner_split(train, p.validation_fraction, p.seed + fold) for fold in range(n_folds)]
        indices = [IdIndex.from_ratings(fit_part) for fit_part, _ in folds]
        checks = [Validation(f, v, i) for (f, v), i in zip(folds, indices, strict=True)]
        grams: dict[tuple[int, float | None], np.ndarray] = {}

        def value(choice: _Choice) -> float:
            if str(choice) not in self.validation_ndcg:
                scores = []
                for fold, ((fit_part, _), check) in enumerate(zip(folds, checks, strict=True)):
                    key = (fold, choice.order_scale)
                    if key not in grams:
                        grams[key] = order_gram(fit_part, indices[fold], choice.order_scale, p.floor)
                    weights = dlae_weights(grams[key], choice.emphasis, choice.reg)
                    scores.append(check.ndcg(np.asarray(check.seen @ weights)))
                self.validation_ndcg[str(choice)] = float(np.mean(scores))
            return self.validation_ndcg[str(choice)]

        scale = max(scales, key=lambda s: value(_Choice(s, emphases[0], regs[0])))  # ties: the earlier
        if not small:
            return _Choice(scale, emphases[0], regs[0])
        for key in [k for k in grams if k[1] != scale]:
            del grams[key]
        return max((_Choice(scale, e, r) for e in emphases for r in regs), key=value)

    def score_users(self, user_idx: np.ndarray) -> np.ndarray:
        return np.asarray(self.seen[user_idx] @ self.weights)

    def _state(self) -> dict[str, np.ndarray]:
        m = self.seen
        return {
            **self._base_state(),
            "order_scale": np.float64(np.nan if self.choice.order_scale is None else self.choice.order_scale),
            "emphasis": np.float64(self.choice.emphasis),
            "reg": np.float64(self.choice.reg),
            "weights": self.weights,
            "seen_indptr": m.indptr,
            "seen_indices": m.indices,
        }

    def _set_state(self, state: dict[str, np.ndarray]) -> None:
        self._set_base_state(state)
        scale = float(state["order_scale"])
        self.choice = _Choice(None if math.isnan(scale) else scale, float(state["emphasis"]), float(state["reg"]))
        self.weights = state["weights"]
        data = np.ones(len(state["seen_indices"]), dtype=np.float32)
        self.seen = sparse.csr_matrix((data, state["seen_indices"], state["seen_indptr"]),
                                      shape=(self.index.n_users, self.index.n_items))
