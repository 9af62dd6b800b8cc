"""The evaluation protocols of INTERFACE.md as seeded, order-independent splits.

Every split first sorts by (user, movie), so the same ratings in any row order give the same split.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from cinepipe.errors import ModelError
from cinepipe.storage.columns import ITEM, USER

RANDOM_70_30 = "random-70-30"
ML100K_U1 = "ml100k-u1"
STRATIFIED_75_25 = "stratified-75-25"


@dataclass(frozen=True)
class Protocol:
    """A named split and the metrics reported on it."""

    name: str
    test_fraction: float | None  # None: the dataset ships its own train/test files
    per_user: bool  # stratify by user (ranking) or split the ratings at random (rating)
    metrics: tuple[str, ...]


PROTOCOLS: dict[str, Protocol] = {
    RANDOM_70_30: Protocol(RANDOM_70_30, 0.30, False, ("rmse", "mae")),
    ML100K_U1: Protocol(ML100K_U1, None, False, ("rmse", "mae")),
    STRATIFIED_75_25: Protocol(
        STRATIFIED_75_25, 0.25, True, ("precision_at_10", "recall_at_10", "ndcg_at_10", "map_at_10")
    ),
}


def _canonical(ratings: pd.DataFrame) -> pd.DataFrame:
    return ratings.sort_values([USER, ITEM], kind="stable").reset_index(drop=True)


def random_split(
    ratings: pd.DataFrame, test_fraction: float = 0.3, seed: int = 42
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split ratings at random: ``round(test_fraction * n)`` rows go to test.

    Returns:
        (train, test), both with the input's columns and a fresh index.
    """
    ratings = _canonical(ratings)
    order = np.random.default_rng(seed).permutation(len(ratings))
    n_test = round(test_fraction * len(ratings))
    test_mask = np.zeros(len(ratings), dtype=bool)
    test_mask[order[:n_test]] = True
    return ratings[~test_mask].reset_index(drop=True), ratings[test_mask].reset_index(drop=True)


def stratified_split(
    ratings: pd.DataFrame, test_fraction: float = 0.25, seed: int = 42
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split each user's ratings: ``round(test_fraction * n_u)`` to test, at least one on each side.

    A user with one rating keeps it in train (there is nothing to hide); a user with two or more has
    items in both train and test.

    Returns:
        (train, test), both with the input's columns and a fresh index.
    """
    ratings = _canonical(ratings)
    users = ratings[USER].to_numpy()
    draw = np.random.default_rng(seed).random(len(ratings))
    order = np.lexsort((draw, users))  # users stay grouped, rows shuffled within a user
    shuffled_users = users[order]
    starts = np.r_[0, np.flatnonzero(shuffled_users[1:] != shuffled_users[:-1]) + 1]
    counts = np.diff(np.r_[starts, len(order)])
    n_test = np.where(counts >= 2, np.clip(np.round(test_fraction * counts), 1, counts - 1), 0)
    position = np.arange(len(order)) - np.repeat(starts, counts)
    test_mask = np.zeros(len(ratings), dtype=bool)
    test_mask[order] = position < np.repeat(n_test, counts)
    return ratings[~test_mask].reset_index(drop=True), ratings[test_mask].reset_index(drop=True)


def split_for(protocol: str, ratings: pd.DataFrame, seed: int = 42) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The (train, test) split that ``protocol`` names; ``ml100k-u1`` comes from its files instead."""
    spec = PROTOCOLS.get(protocol)
    if spec is None or spec.test_fraction is None:
        raise ModelError(
            protocol,
            "this protocol has no generated split",
            f"Use one of {[p for p, s in PROTOCOLS.items() if s.test_fraction]} or pass train and test frames.",
        )
    split = stratified_split if spec.per_user else random_split
    return split(ratings, spec.test_fraction, seed)
