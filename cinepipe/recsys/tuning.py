"""Choosing ranking hyperparameters on a validation slice of *train*, never on the test split.

``inner_split`` holds out a per-user share of the training ratings; candidates are fitted on the rest
and judged by ndcg@10 of their lists against the held-out share. ``ndcg_of_scores`` computes the
metric straight from a users x movies score matrix (the definition of ``metrics.ndcg_at_k``), so a
blend's weights can be searched without building a list frame per try.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

import numpy as np
import pandas as pd
from scipy import sparse

from cinepipe.recsys.base import IdIndex
from cinepipe.recsys.data import rating_matrix
from cinepipe.recsys.splits import stratified_split
from cinepipe.recsys.topn import _top_k
from cinepipe.storage.columns import DEFAULT_K, ITEM, USER

M = TypeVar("M")


def inner_split(train: pd.DataFrame, fraction: float, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(fit part, validation part) of ``train``: per user, ``fraction`` of their ratings held out."""
    return stratified_split(train, fraction, seed + 1)  # another draw than the outer split's


class Validation:
    """The held-out share of train as a matrix aligned to the fit part's index, for fast ndcg."""

    def __init__(self, fit_part: pd.DataFrame, val_part: pd.DataFrame, index: IdIndex) -> None:
        seen = rating_matrix(fit_part, index)
        seen.data[:] = 1.0
        relevant = rating_matrix(val_part, index)
        relevant.data[:] = 1.0
        # users with something to find (movies unknown to the fit part cannot be found: they still count)
        n_relevant = val_part.groupby("user_id").size()
        known = index.user_idx(n_relevant.index.to_numpy())
        self.users = known[known >= 0]
        self.n_relevant = n_relevant.to_numpy()[known >= 0]
        self.n_lost_users = int((known < 0).sum())  # users without training ratings score 0
        self.seen = seen[self.users]
        self.relevant = relevant[self.users].tocsr()

    def ndcg(self, scores: np.ndarray, k: int = DEFAULT_K) -> float:
        """ndcg@k of ``scores`` (rows: ``self.users``; the fit part's movies are masked out)."""
        top, _ = _top_k(np.array(scores, dtype=np.float32), np.arange(len(self.users)), k, self.seen)
        rows = np.repeat(np.arange(len(self.users)), k)
        hit = np.asarray(self.relevant[rows, np.maximum(top.ravel(), 0)]).ravel().reshape(-1, k) > 0
        hit &= top >= 0
        dcg = (hit / np.log2(np.arange(2, k + 2))).sum(axis=1)
        ideal = np.cumsum(1.0 / np.log2(np.arange(2, k + 2)))[np.minimum(self.n_relevant, k) - 1]
        return float(np.sum(dcg / ideal) / (len(self.users) + self.n_lost_users))


def ndcg_of_scores(fit_part: pd.DataFrame, val_part: pd.DataFrame, model, k: int = DEFAULT_K) -> float:
    """ndcg@k on ``val_part`` of a model fitted on ``fit_part`` (every user ranked, no cold start)."""
    check = Validation(fit_part, val_part, model.index)
    return check.ndcg(model.score_users(check.users), k)


def pick_best(
    candidates: Sequence[M], fit: Callable[[M, int], object], validations: Sequence[Validation]
) -> tuple[M, list[np.ndarray], dict[str, float]]:
    """The candidate with the best mean ndcg@10 over ``validations`` (ties keep the earlier one).

    ``fit(candidate, fold)`` returns a model fitted on that fold's fit part.

    Returns:
        (best candidate, its score matrix per fold, mean ndcg of every candidate by ``str``).
    """
    best, tried = None, {}
    for candidate in candidates:
        scores = [fit(candidate, fold).score_users(v.users) for fold, v in enumerate(validations)]
        value = float(np.mean([v.ndcg(s) for v, s in zip(validations, scores, strict=True)]))
        tried[str(candidate)] = value
        if best is None or value > best[2]:
            best = (candidate, scores, value)
    return best[0], best[1], tried


def standardise_rows(scores: np.ndarray, seen: sparse.csr_matrix | None = None) -> np.ndarray:
    """Each row minus its mean over unseen movies, over their standard deviation (float32).

    Members of a ranking blend score on unrelated scales; per-user standard scores make a weight mean
    the same thing for every user.
    """
    scores = np.array(scores, dtype=np.float32)
    mask = np.ones(scores.shape, dtype=bool)
    if seen is not None:
        mask[np.repeat(np.arange(scores.shape[0]), np.diff(seen.indptr)), seen.indices] = False
    count = np.maximum(mask.sum(axis=1, keepdims=True), 1)
    mean = np.where(mask, scores, 0.0).sum(axis=1, keepdims=True) / count
    centred = scores - mean
    std = np.sqrt(np.where(mask, centred**2, 0.0).sum(axis=1, keepdims=True) / count)
    return (centred / np.maximum(std, 1e-12)).astype(np.float32)


def refreshed_seen(seen: sparse.csr_matrix, old: IdIndex, ratings: pd.DataFrame) -> tuple[IdIndex, sparse.csr_matrix]:
    """A binary users x movies matrix with the rows of the users in ``ratings`` (their whole history)
    replaced, new users added; movies unknown to ``old`` wait for the next full fit.

    The warm refresh of the item-item models: their weights stay, only who rated what changes.
    """
    index = IdIndex(np.union1d(old.users, ratings[USER].to_numpy()), old.items)
    kept = seen.tocoo()
    rows = index.user_idx(old.users[kept.row])
    touched = np.isin(rows, index.user_idx(np.unique(ratings[USER].to_numpy())))
    known = ratings[ratings[ITEM].isin(old.items)]
    users = np.r_[rows[~touched], index.user_idx(known[USER].to_numpy())]
    items = np.r_[kept.col[~touched], index.item_idx(known[ITEM].to_numpy())]
    fresh = sparse.csr_matrix((np.ones(len(users), np.float32), (users, items)), shape=(index.n_users, index.n_items))
    fresh.sum_duplicates()
    fresh.data[:] = 1.0
    return index, fresh
