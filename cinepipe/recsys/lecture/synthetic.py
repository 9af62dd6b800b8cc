"""Generated rating sets with planted low-rank structure: test fixtures and ml-100k-sized timing data."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cinepipe.storage.columns import ITEM, RATING, USER


def low_rank_ratings(
    n_users: int = 943,
    n_items: int = 1682,
    n_ratings: int = 100_000,
    rank: int = 5,
    noise: float = 0.6,
    seed: int = 0,
    half_stars: bool = False,
) -> pd.DataFrame:
    """One row per (user_id, movie_id) with a rating on the 1-5 scale (0.5-5 with ``half_stars``).

    Ratings are 3.5 + user bias + item bias + a rank-``rank`` interaction + Gaussian ``noise``,
    rounded to the scale. Which cells are rated follows skewed user activity and item popularity, as
    in MovieLens; every user gets at least ``min(20, n_items)`` ratings. Ids start at 1.
    """
    rng = np.random.default_rng(seed)
    user_p = rng.lognormal(0.0, 1.0, n_users)
    item_p = rng.lognormal(0.0, 1.2, n_items)
    user_p, item_p = user_p / user_p.sum(), item_p / item_p.sum()
    min_per_user = min(20, n_items)
    # Each user's first ratings guarantee the minimum; the rest follow activity x popularity.
    first = np.unique(np.concatenate([u * n_items + rng.choice(n_items, min_per_user, replace=False, p=item_p) for u in range(n_users)]))
    target = min(max(n_ratings, len(first)), n_users * n_items)
    rest = np.zeros(0, dtype=np.int64)
    while len(first) + len(rest) < target:
        draw = rng.choice(n_users, target, p=user_p) * n_items + rng.choice(n_items, target, p=item_p)
        rest = np.setdiff1d(np.union1d(rest, draw), first)
    keys = np.concatenate([first, rng.permutation(rest)[: target - len(first)]])
    u, i = keys // n_items, keys % n_items

    scale = np.sqrt(0.8 / rank)
    p = rng.normal(0.0, scale, (n_users, rank))
    q = rng.normal(0.0, scale, (n_items, rank))
    signal = 3.5 + rng.normal(0, 0.35, n_users)[u] + rng.normal(0, 0.45, n_items)[i] + np.einsum("nk,nk->n", p[u], q[i])
    raw = signal + rng.normal(0.0, noise, len(u))
    step = 0.5 if half_stars else 1.0
    rating = np.clip(np.round(raw / step) * step, step if half_stars else 1.0, 5.0)
    order = rng.permutation(len(u))
    return pd.DataFrame({USER: u[order] + 1, ITEM: i[order] + 1, RATING: rating[order]})
