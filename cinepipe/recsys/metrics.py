"""Rating and ranking metrics as pure functions.

Ranking metrics follow the recommenders library, with binary relevance (every test item of a user is
relevant) and averages over the users that have at least one relevant item. For a user with relevant
set T (|T| = R), a list cut at k whose hits sit at ranks r (1-based):

- ``precision_at_k`` = hits / k (a list shorter than k still divides by k);
- ``recall_at_k`` = hits / R;
- ``ndcg_at_k`` = sum_hits 1/log2(r + 1) / sum_{j=1..min(k, R)} 1/log2(j + 1);
- ``map_at_k`` = sum_hits precision@r / min(k, R)  (precision@r = hits at ranks <= r, over r).

A user who has relevant items but no list scores 0 on every ranking metric.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from cinepipe.storage.columns import DEFAULT_K, ITEM, RANK, USER


def rmse(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Root mean squared error of predicted ratings."""
    diff = np.asarray(y_true, dtype=np.float64) - np.asarray(y_pred, dtype=np.float64)
    return float(np.sqrt(np.mean(diff**2)))


def mae(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Mean absolute error of predicted ratings."""
    diff = np.asarray(y_true, dtype=np.float64) - np.asarray(y_pred, dtype=np.float64)
    return float(np.mean(np.abs(diff)))


def _hits(truth: pd.DataFrame, recs: pd.DataFrame, k: int) -> tuple[pd.DataFrame, pd.Series]:
    """Hits (user, rank, cumulative hits) within the top ``k``, and relevant counts per user."""
    relevant = truth.drop_duplicates([USER, ITEM]).groupby(USER).size()
    top = recs.loc[recs[RANK] <= k, [USER, ITEM, RANK]]
    hits = top.merge(truth[[USER, ITEM]].drop_duplicates(), on=[USER, ITEM]).sort_values([USER, RANK])
    hits["hit_no"] = hits.groupby(USER).cumcount() + 1
    return hits, relevant


def _per_user_mean(values: pd.Series, relevant: pd.Series) -> float:
    if relevant.empty:
        return float("nan")
    return float(values.reindex(relevant.index).fillna(0.0).mean())


def precision_at_k(truth: pd.DataFrame, recs: pd.DataFrame, k: int = DEFAULT_K) -> float:
    """Mean over users of hits in the top ``k`` divided by ``k``.

    Args:
        truth: relevant (user_id, movie_id) pairs, e.g. the test split.
        recs: recommendation lists (user_id, movie_id, rank), rank 1 first.
        k: list length cut-off.
    """
    hits, relevant = _hits(truth, recs, k)
    return _per_user_mean(hits.groupby(USER).size() / k, relevant)


def recall_at_k(truth: pd.DataFrame, recs: pd.DataFrame, k: int = DEFAULT_K) -> float:
    """Mean over users of hits in the top ``k`` divided by the user's relevant count."""
    hits, relevant = _hits(truth, recs, k)
    return _per_user_mean(hits.groupby(USER).size() / relevant, relevant)


def ndcg_at_k(truth: pd.DataFrame, recs: pd.DataFrame, k: int = DEFAULT_K) -> float:
    """Mean over users of binary-relevance DCG@k over the ideal DCG@k (see the module docstring)."""
    hits, relevant = _hits(truth, recs, k)
    dcg = (1.0 / np.log2(hits[RANK] + 1.0)).groupby(hits[USER]).sum()
    discounts = np.cumsum(1.0 / np.log2(np.arange(1, k + 1) + 1.0))
    ideal = pd.Series(discounts[np.minimum(relevant.to_numpy(), k) - 1], index=relevant.index)
    return _per_user_mean(dcg / ideal, relevant)


def map_at_k(truth: pd.DataFrame, recs: pd.DataFrame, k: int = DEFAULT_K) -> float:
    """Mean over users of average precision at k, normalised by min(k, relevant count)."""
    hits, relevant = _hits(truth, recs, k)
    precision_at_hit = (hits["hit_no"] / hits[RANK]).groupby(hits[USER]).sum()
    return _per_user_mean(precision_at_hit / np.minimum(relevant, k), relevant)


RATING_METRICS: dict[str, Callable[[np.ndarray, np.ndarray], float]] = {"rmse": rmse, "mae": mae}
RANKING_METRICS: dict[str, Callable[[pd.DataFrame, pd.DataFrame, int], float]] = {
    "precision_at_10": precision_at_k,
    "recall_at_10": recall_at_k,
    "ndcg_at_10": ndcg_at_k,
    "map_at_10": map_at_k,
}
