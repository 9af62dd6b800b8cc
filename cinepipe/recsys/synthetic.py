"""Seeded generated ratings with a planted low-rank structure, for tests and benchmarks."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cinepipe.storage.columns import ITEM, RATING, USER


def planted_ratings(
    n_users: int = 200,
    n_items: int = 150,
    n_ratings: int = 8_000,
    rank: int = 3,
    noise: float = 0.3,
    seed: int = 0,
) -> pd.DataFrame:
    """Integer 1-5 ratings of random (user, movie) pairs from biases plus a rank-``rank`` signal.

    Movie popularity is long-tailed (Zipf-like), as in MovieLens, and every user rates at least a few
    movies. Ids start at 1.

    Returns:
        user_id, movie_id, rating (float); one row per distinct pair.
    """
    rng = np.random.default_rng(seed)
    p = rng.normal(0, 1, (n_users, rank))
    q = rng.normal(0, 1, (n_items, rank))
    b_user, b_item = rng.normal(0, 0.4, n_users), rng.normal(0, 0.4, n_items)
    item_weight = 1.0 / np.arange(1, n_items + 1) ** 0.8
    # draw more pairs than needed: duplicates of popular pairs are dropped below
    users = np.concatenate([np.repeat(np.arange(n_users), 3), rng.integers(0, n_users, 4 * n_ratings)])
    items = rng.choice(n_items, len(users), p=item_weight / item_weight.sum())
    pairs = pd.DataFrame({USER: users, ITEM: items}).drop_duplicates().head(n_ratings)
    u, i = pairs[USER].to_numpy(), pairs[ITEM].to_numpy()
    signal = 3.5 + b_user[u] + b_item[i] + (p[u] * q[i]).sum(axis=1) / np.sqrt(rank) * 0.9
    pairs[RATING] = np.clip(np.rint(signal + rng.normal(0, noise, len(u))), 1, 5)
    pairs[USER] += 1
    pairs[ITEM] += 1
    return pairs.reset_index(drop=True)


def random_factors(
    n_users: int, n_items: int, factors: int = 64, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Random float32 user and movie factor matrices, for timing top-N at ml-25m scale."""
    rng = np.random.default_rng(seed)
    return (
        rng.standard_normal((n_users, factors), dtype=np.float32),
        rng.standard_normal((n_items, factors), dtype=np.float32),
    )
