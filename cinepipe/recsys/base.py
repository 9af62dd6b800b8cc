"""The interface every recommender model follows.

Ratings arrive as a DataFrame with ``user_id``, ``movie_id``, ``rating`` (see ``cinepipe.storage.columns``).
Models map raw ids to dense indices themselves (``IdIndex``) and handle unknown users and items in
``predict`` by falling back to what they know (biases, the global mean).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from cinepipe.errors import ModelError
from cinepipe.storage.columns import ITEM, RATING, USER


@dataclass
class IdIndex:
    """Raw ids <-> dense 0..n-1 indices, built from the training data only."""

    users: np.ndarray  # raw user ids, position = dense index
    items: np.ndarray

    @classmethod
    def from_ratings(cls, ratings: pd.DataFrame) -> IdIndex:
        return cls(np.unique(ratings[USER].to_numpy()), np.unique(ratings[ITEM].to_numpy()))

    @property
    def n_users(self) -> int:
        return len(self.users)

    @property
    def n_items(self) -> int:
        return len(self.items)

    def user_idx(self, raw: np.ndarray) -> np.ndarray:
        """Dense indices, -1 for users not seen in training."""
        return _lookup(self.users, raw)

    def item_idx(self, raw: np.ndarray) -> np.ndarray:
        return _lookup(self.items, raw)


def _lookup(sorted_ids: np.ndarray, raw: np.ndarray) -> np.ndarray:
    raw = np.asarray(raw)
    pos = np.searchsorted(sorted_ids, raw)
    pos = np.clip(pos, 0, max(len(sorted_ids) - 1, 0))
    found = (len(sorted_ids) > 0) & (sorted_ids[pos] == raw) if len(sorted_ids) else np.zeros(len(raw), bool)
    return np.where(found, pos, -1)


def require_trainable(ratings: pd.DataFrame, model: str, min_users: int = 2, min_items: int = 2) -> None:
    """Fail with a clear message when there is too little data to fit ``model``."""
    missing = {USER, ITEM, RATING} - set(ratings.columns)
    if missing:
        raise ModelError(model, f"ratings lack columns {sorted(missing)}", "Pass user_id, movie_id, rating.")
    n_users, n_items = ratings[USER].nunique(), ratings[ITEM].nunique()
    if len(ratings) == 0 or n_users < min_users or n_items < min_items:
        raise ModelError(
            model,
            f"cannot train on {len(ratings)} ratings from {n_users} users and {n_items} movies",
            f"Load more ratings (at least {min_users} users and {min_items} movies) and run again.",
        )


def over_limit(count: int, limit: int, exceed: str) -> str | None:
    """``"{count} {exceed} {limit}"`` (a ``too_large`` reason) when ``count`` is over ``limit``, else None."""
    return f"{count:,} {exceed} {limit:,}" if count > limit else None


class RatingModel(ABC):
    """Predicts explicit ratings; may also score whole item rows for top-N.

    A model class states what is its own: ``name`` (its registry name, and the ``model`` of its
    ``eval_metrics`` rows), ``Params`` (its hyperparameter dataclass) and, when it holds dense
    matrices, ``too_large`` with the ``limit_action`` to take instead.
    """

    name: str = "model"
    Params: ClassVar[type]
    params: Any
    limit_action: ClassVar[str] = ""  # what to do when ``too_large`` refuses the data

    def __init__(self, params: Any = None, **overrides: Any) -> None:
        """``params``, or ``Params(**overrides)`` (all defaults when there are none)."""
        if params is not None and overrides:
            raise TypeError(f"{type(self).__name__} takes params or keyword overrides, not both")
        self.params = self.Params(**overrides) if params is None else params

    def too_large(self, n_users: int, n_items: int) -> str | None:
        """Why ``n_users`` x ``n_items`` would not fit this model in memory, or None when it does."""
        return None

    def _check_size(self, train: pd.DataFrame) -> None:
        """Fail before any matrix is allocated when ``train`` is more than ``too_large`` allows."""
        require_trainable(train, self.name)
        if reason := self.too_large(train[USER].nunique(), train[ITEM].nunique()):
            raise ModelError(self.name, reason, self.limit_action)

    @abstractmethod
    def fit(self, train: pd.DataFrame) -> RatingModel:
        """Fit on ``train`` (user_id, movie_id, rating); returns self."""

    @abstractmethod
    def predict(self, users: np.ndarray, items: np.ndarray) -> np.ndarray:
        """Predicted ratings for raw (user, item) id pairs, clipped to the rating scale."""

    def score_users(self, user_idx: np.ndarray) -> np.ndarray:
        """Scores of every item (dense index order) for a block of dense user indices.

        Shape ``(len(user_idx), n_items)``. Ranking models override this; the default scores
        with ``predict`` on the dense grid.
        """
        index: IdIndex = self.index  # type: ignore[attr-defined]
        users = np.repeat(index.users[user_idx], index.n_items)
        items = np.tile(index.items, len(user_idx))
        return self.predict(users, items).reshape(len(user_idx), index.n_items)

    def save(self, directory: Path) -> None:  # pragma: no cover - overridden where supported
        raise NotImplementedError(f"{self.name} cannot be saved")


def pair_scores(model: RatingModel, users: np.ndarray, items: np.ndarray) -> np.ndarray:
    """``score_users`` of raw (user, item) pairs, each distinct user scored once; 0 for unknown ids.

    The ``predict`` of ranking models, whose scores are not ratings.
    """
    index: IdIndex = model.index  # type: ignore[attr-defined]
    u, i = index.user_idx(users), index.item_idx(items)
    known = (u >= 0) & (i >= 0)
    distinct, row = np.unique(np.maximum(u, 0), return_inverse=True)
    scores = model.score_users(distinct)[row, np.maximum(i, 0)]
    return np.where(known, scores, 0.0).astype(np.float32)
