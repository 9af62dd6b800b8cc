"""The one generator of seeded ratings with a planted low-rank taste structure.

Test fixtures, benchmarks and the MovieLens layout writers (``movielens/synthetic.py``: the
ml-latest-small / ml-25m CSVs, ml-100k's ``u.data``) all draw their ratings here: long-tailed movie
popularity and user activity, user and movie biases plus a rank-``rank`` interaction, noise, rounded
to the release's scale; every (user, movie) pair at most once.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cinepipe.storage.columns import ITEM, RATING, USER


@dataclass(frozen=True)
class Planted:
    """Size and character of a set of planted ratings."""

    n_users: int
    n_items: int
    n_ratings: int
    rank: int = 8            # dimensions of the planted taste structure
    noise_sd: float = 0.6    # rating noise around the low-rank signal (stars)
    mean: float = 3.53       # ml-latest-small / ml-25m mean rating
    half_stars: bool = True  # CSV releases: 0.5-5.0 in halves; ml-100k: whole stars 1-5


class PlantedRatings:
    """One taste drawn from ``rng`` (factors, biases, popularity, activity), then ratings drawn from it.

    The caller's ``rng`` is shared, so a layout writer can draw its own columns (timestamps, titles)
    in between and still get one reproducible stream per seed. Users and movies are dense indices
    0..n-1.
    """

    def __init__(self, shape: Planted, rng: np.random.Generator) -> None:
        self.shape, self.rng = shape, rng
        scale = 1.0 / np.sqrt(shape.rank)
        self.user_f = rng.normal(0, 1, (shape.n_users, shape.rank)) * scale
        self.item_f = rng.normal(0, 1, (shape.n_items, shape.rank)) * scale
        self.user_b = rng.normal(0, 0.35, shape.n_users)
        self.item_b = rng.normal(0, 0.45, shape.n_items)
        item_p = rng.permutation(1.0 / np.arange(1, shape.n_items + 1) ** 0.9)  # long tail (Zipf-like)
        self.item_p = item_p / item_p.sum()
        self.user_w = rng.lognormal(0, 1.0, shape.n_users) + 0.05

    def draw(self, n: int, user_lo: int = 0, user_hi: int | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``n`` distinct (user, movie) pairs of users ``user_lo..user_hi-1`` (fewer only if the block
        cannot hold them), sorted by user then movie, and their ratings."""
        users, items = self._pairs(n, user_lo, self.shape.n_users if user_hi is None else user_hi)
        return users, items, self._ratings(users, items)

    def blocks(self, block_ratings: int) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """All ``n_ratings`` in user-range blocks of about ``block_ratings``, so memory stays flat at any size."""
        shape = self.shape
        n_blocks = max(1, -(-shape.n_ratings // block_ratings))
        bounds = np.linspace(0, shape.n_users, n_blocks + 1).astype(int)
        for lo, hi in zip(bounds[:-1], bounds[1:]):
            share = self.user_w[lo:hi].sum() / self.user_w.sum()
            yield self.draw(int(round(shape.n_ratings * share)), lo, hi)

    def _pairs(self, n: int, user_lo: int, user_hi: int) -> tuple[np.ndarray, np.ndarray]:
        n_items = self.shape.n_items
        n = min(n, (user_hi - user_lo) * n_items)
        w = self.user_w[user_lo:user_hi] / self.user_w[user_lo:user_hi].sum()
        keys = np.empty(0, np.int64)
        while len(keys) < n:
            draw = int((n - len(keys)) * 1.3) + 16
            users = user_lo + self.rng.choice(user_hi - user_lo, size=draw, p=w)
            items = self.rng.choice(n_items, size=draw, p=self.item_p)
            keys = np.unique(np.concatenate([keys, users.astype(np.int64) * n_items + items]))
        keys = np.sort(self.rng.choice(keys, n, replace=False))
        return keys // n_items, keys % n_items

    def _ratings(self, users: np.ndarray, items: np.ndarray) -> np.ndarray:
        shape = self.shape
        interaction = np.einsum("ij,ij->i", self.user_f[users], self.item_f[items]) * 1.6
        raw = shape.mean + self.user_b[users] + self.item_b[items] + interaction
        raw += self.rng.normal(0, shape.noise_sd, len(users))
        if shape.half_stars:
            return np.clip(np.round(raw * 2) / 2, 0.5, 5.0)
        return np.clip(np.round(raw), 1, 5)


def planted_ratings(
    n_users: int = 200,
    n_items: int = 150,
    n_ratings: int = 8_000,
    rank: int = 3,
    noise: float = 0.3,
    seed: int = 0,
    half_stars: bool = False,
) -> pd.DataFrame:
    """``n_ratings`` planted ratings as a frame, for tests and benchmarks. Ids start at 1.

    Returns:
        user_id, movie_id, rating (float, whole stars 1-5 or half stars 0.5-5.0); one row per
        distinct pair, in random order.
    """
    rng = np.random.default_rng(seed)
    shape = Planted(n_users, n_items, n_ratings, rank=rank, noise_sd=noise, half_stars=half_stars)
    users, items, ratings = PlantedRatings(shape, rng).draw(n_ratings)
    order = rng.permutation(len(users))
    return pd.DataFrame({USER: users[order] + 1, ITEM: items[order] + 1, RATING: ratings[order]})


def random_factors(
    n_users: int, n_items: int, factors: int = 64, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Random float32 user and movie factor matrices, for timing top-N at ml-25m scale."""
    rng = np.random.default_rng(seed)
    return (
        rng.standard_normal((n_users, factors), dtype=np.float32),
        rng.standard_normal((n_items, factors), dtype=np.float32),
    )
