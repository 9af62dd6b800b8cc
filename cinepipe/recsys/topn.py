"""Blocked top-N: score a block of users with one matrix product, mask what they rated, pick the top k.

Memory is bounded by the block (``max_block_cells`` scores at a time), never by the number of users,
and no Python loop runs over items. Users with too few training ratings get a popularity list instead,
marked ``cold_start``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np
import pandas as pd
from scipy import sparse

from cinepipe.recsys.base import RatingModel
from cinepipe.recsys.data import rating_matrix
from cinepipe.storage.columns import DEFAULT_K, ITEM, RANK, SCORE, USER

COLD_START = "cold_start"
MODEL = "model"
TOP_N_COLUMNS = [USER, RANK, ITEM, SCORE, COLD_START, MODEL]
DEFAULT_BLOCK_CELLS = 1 << 24  # 16M float32 scores (64 MB) per block, plus a boolean mask of it
_CHUNK = 128  # columns per chunk whose maxima give each row a cheap lower bound on its top k


def block_size_for(n_items: int, max_block_cells: int = DEFAULT_BLOCK_CELLS) -> int:
    """Users per block so one block's score matrix holds at most ``max_block_cells`` cells."""
    return max(1, max_block_cells // max(n_items, 1))


def top_k_blocks(
    score_block: Callable[[np.ndarray], np.ndarray],
    user_idx: np.ndarray,
    n_items: int,
    k: int,
    exclude: sparse.csr_matrix | None = None,
    max_block_cells: int = DEFAULT_BLOCK_CELLS,
) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Top ``k`` items of each user, one block of users at a time.

    Args:
        score_block: maps a block of dense user indices to a (block, n_items) score matrix.
        user_idx: dense user indices to rank for.
        n_items: columns of the score matrix.
        k: list length.
        exclude: users x items matrix whose stored entries are never recommended (training items).
        max_block_cells: bound on block x n_items.

    Yields:
        (users (b,), items (b, k), scores (b, k)) per block, best first; a slot a user cannot fill
        (fewer than k unrated items) has item -1 and score -inf.
    """
    user_idx = np.asarray(user_idx)
    block = block_size_for(n_items, max_block_cells)
    for start in range(0, len(user_idx), block):
        users = user_idx[start : start + block]
        scores = np.array(score_block(users), dtype=np.float32)  # a private copy we may overwrite
        yield users, *_top_k(scores, users, k, exclude)


def _top_k(
    scores: np.ndarray, users: np.ndarray, k: int, exclude: sparse.csr_matrix | None
) -> tuple[np.ndarray, np.ndarray]:
    """Best ``k`` columns per row of ``scores`` (overwritten), best first; -1 / -inf pad short rows."""
    if exclude is not None:
        rated = exclude[users]
        scores[np.repeat(np.arange(len(users)), np.diff(rated.indptr)), rated.indices] = -np.inf
    n_rows, n_cols = scores.shape
    kk = min(k, n_cols)
    n_chunks = n_cols // _CHUNK
    if n_chunks > kk:
        # the kk-th largest chunk maximum is reached by at least kk scores, so it bounds the top kk
        # from below: comparing against it is far cheaper than a partial sort of every row
        chunk_max = scores[:, : n_chunks * _CHUNK].reshape(n_rows, n_chunks, _CHUNK).max(axis=2)
        threshold = np.partition(chunk_max, n_chunks - kk, axis=1)[:, n_chunks - kk]
        rows, cols = np.nonzero(scores >= threshold[:, None])
    else:
        rows, cols = np.nonzero(np.ones_like(scores, dtype=bool))
    values = scores[rows, cols]
    order = np.lexsort((cols, -values, rows))  # per row: best score first, ties by column
    rows, cols, values = rows[order], cols[order], values[order]
    position = np.arange(len(rows)) - np.searchsorted(rows, np.arange(n_rows))[rows]
    keep = (position < kk) & np.isfinite(values)
    items = np.full((n_rows, k), -1, dtype=np.int64)
    best = np.full((n_rows, k), -np.inf, dtype=np.float32)
    items[rows[keep], position[keep]] = cols[keep]
    best[rows[keep], position[keep]] = values[keep]
    return items, best


def top_n(
    model: RatingModel,
    train: pd.DataFrame,
    n: int = DEFAULT_K,
    users: np.ndarray | None = None,
    cold_start_min_ratings: int = 5,
    max_block_cells: int = DEFAULT_BLOCK_CELLS,
    popularity: np.ndarray | None = None,
) -> pd.DataFrame:
    """Top-``n`` lists from a fitted model, never recommending what a user rated in ``train``.

    Args:
        model: fitted on ``train`` (its ``index`` and ``score_users`` are used).
        train: the ratings the model was fitted on (user_id, movie_id, rating).
        n: list length.
        users: raw user ids to rank for (default: every user in ``train``); unknown ids get cold-start lists.
        cold_start_min_ratings: users with fewer training ratings get the popularity list.
        max_block_cells: bound on scores held at once (users per block x movies).
        popularity: ratings per movie (the model's item order) for the cold-start lists; default
            counted from ``train`` (pass it when ``train`` holds only the listed users' ratings).

    Returns:
        One row per (user, rank): user_id, rank (1 first), movie_id, score, cold_start, model.
    """
    index = model.index  # type: ignore[attr-defined]
    rated = rating_matrix(train, index)
    rated.data[:] = 1.0
    n_rated = np.diff(rated.indptr)
    raw_users = index.users if users is None else np.unique(np.asarray(users))
    dense = index.user_idx(raw_users)
    warm = (dense >= 0) & (n_rated[np.maximum(dense, 0)] >= max(cold_start_min_ratings, 1))
    frames = [
        _frame(index.users[block], index.items[np.maximum(items, 0)], scores, False, model.name)
        for block, items, scores in top_k_blocks(
            model.score_users, dense[warm], index.n_items, n, rated, max_block_cells
        )
    ]
    if not warm.all():
        frames.append(
            _popular_lists(rated, raw_users[~warm], dense[~warm], index.items, n, cold_start_min_ratings,
                           popularity)
        )
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=TOP_N_COLUMNS)


def _popular_lists(
    rated: sparse.csr_matrix, users: np.ndarray, dense: np.ndarray, items: np.ndarray, n: int, max_rated: int,
    popularity: np.ndarray | None = None,
) -> pd.DataFrame:
    """Most-rated movies for cold-start users, minus the few they rated (``dense`` -1: unknown user)."""
    if popularity is None:
        popularity = np.asarray(rated.sum(axis=0)).ravel()
    # a cold user rated fewer than max_rated movies, so the top n + max_rated always hold n unrated ones
    candidates = np.argsort(-popularity, kind="stable")[: n + max(max_rated, 0)]
    padded = sparse.vstack([rated, sparse.csr_matrix((1, rated.shape[1]))]).tocsr()  # last row: nobody
    seen = padded[np.where(dense >= 0, dense, rated.shape[0])][:, candidates].tocsr()
    scores = np.tile(popularity[candidates].astype(np.float32), (len(users), 1))
    top, best = _top_k(scores, np.arange(len(users)), n, seen)
    return _frame(users, items[candidates[np.maximum(top, 0)]], best, True, "popularity")


def _frame(
    users: np.ndarray, items: np.ndarray, scores: np.ndarray, cold_start: bool, model: str
) -> pd.DataFrame:
    n = items.shape[1]
    frame = pd.DataFrame(
        {
            USER: np.repeat(users, n),
            RANK: np.tile(np.arange(1, n + 1), len(items)),
            ITEM: items.ravel(),
            SCORE: scores.ravel().astype(np.float32),
            COLD_START: cold_start,
            MODEL: model,
        }
    )
    return frame[np.isfinite(frame[SCORE])].reset_index(drop=True)
