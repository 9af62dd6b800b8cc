"""A linear blend of rating models, its weights fitted on a held-out slice of train.

The members are trained on train minus the slice, a ridge regression maps their predictions on the
slice to the true ratings, then (``refit``) the members are retrained on all of train and blended
with those weights. Besides the raw predictions, each prediction times log-support features of the
user and the movie enters the regression (feature-weighted linear stacking, Sill et al. 2009), so
the blend can trust a neighbourhood-style model more for well-known movies and biases more for rare
ones.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from cinepipe.errors import ModelError
from cinepipe.recsys.baselines import _ScaledModel
from cinepipe.recsys.data import encode
from cinepipe.recsys.persist import SavableModel, load_model
from cinepipe.recsys.splits import random_split
from cinepipe.storage.columns import ITEM, RATING, USER


@dataclass
class BlendParams:
    """Hyperparameters of ``Blend``."""

    # registry names; user kNN and implicit ALS's who-rated-what scores add what the others miss
    # (similar raters; SVD++'s implicit feedback), 0.002-0.004 rmse each on ml-latest-small's slices
    members: tuple[str, ...] = ("biases", "mf", "i_autorec", "item_knn", "user_knn", "als")
    holdout_fraction: float = 0.1  # slice of train the blend weights are fitted on
    ridge_alpha: float = 1.0  # L2 on the blend weights; the slice has thousands of rows
    # retrain members on all of train after fitting the weights: twice the time, and worth it (the
    # members gain a tenth more data: 0.0068 rmse on ml-latest-small's 1,682 most-rated movies)
    refit: bool = True
    quick: bool = False  # members in their quick (few-epoch) form, for tests and the sample
    seed: int = 42


class Blend(_ScaledModel):
    """Ridge-blended rating models (top-N scores come from ``predict`` on the dense grid)."""

    name = "blend"
    Params = BlendParams
    description = "rating = intercept + coef . features(member predictions, log user/movie support)."

    def __init__(
        self, params: BlendParams | None = None, build_member: Callable[..., SavableModel] | None = None
    ) -> None:
        """``build_member(name, seed=, quick=)`` makes the members (the registry's ``build``, passed in
        so this module need not import the registry that lists it); a loaded blend needs none."""
        super().__init__(params)
        self.build_member = build_member

    def too_large(self, n_users: int, n_items: int) -> str | None:
        reasons = [r for name in self.params.members if (r := self._member(name).too_large(n_users, n_items))]
        return f"its members do not fit: {'; '.join(reasons)}" if reasons else None

    def fit(self, train: pd.DataFrame) -> Blend:
        from sklearn.linear_model import Ridge

        users, items, _ = self._begin_fit(train)
        p = self.params
        self.user_support = np.log1p(np.bincount(users, minlength=self.index.n_users)).astype(np.float32)
        self.item_support = np.log1p(np.bincount(items, minlength=self.index.n_items)).astype(np.float32)
        fit_part, holdout = random_split(train, p.holdout_fraction, p.seed)
        self.members = [self._member(name).fit(fit_part) for name in p.members]
        u, i, target = encode(holdout, self.index)
        features = self._features(
            u, i, [m.predict(holdout[USER].to_numpy(), holdout[ITEM].to_numpy()) for m in self.members]
        )
        ridge = Ridge(alpha=p.ridge_alpha).fit(features, target)
        self.coef, self.intercept = ridge.coef_.astype(np.float32), np.float32(ridge.intercept_)
        self.holdout_rmse = float(
            np.sqrt(np.mean((ridge.predict(features) - holdout[RATING].to_numpy()) ** 2))
        )
        if p.refit:
            self.members = [self._member(name).fit(train) for name in p.members]
        return self

    def _member(self, name: str) -> SavableModel:
        if self.build_member is None:
            raise ModelError(self.name, "has no way to build its members",
                             "Make the blend with cinepipe.recsys.registry.build('blend').")
        return self.build_member(name, seed=self.params.seed, quick=self.params.quick)

    def _features(
        self, user_idx: np.ndarray, item_idx: np.ndarray, predictions: list[np.ndarray]
    ) -> np.ndarray:
        """Columns: each prediction, and each prediction times log support of user and of movie."""
        su = np.where(user_idx >= 0, self.user_support[np.maximum(user_idx, 0)], 0.0)
        si = np.where(item_idx >= 0, self.item_support[np.maximum(item_idx, 0)], 0.0)
        preds = np.stack(predictions, axis=-1)
        return np.concatenate(
            [preds, preds * su[..., None], preds * si[..., None], su[..., None], si[..., None]], axis=-1
        )

    def predict(self, users: np.ndarray, items: np.ndarray) -> np.ndarray:
        self._require_fitted()
        features = self._features(
            self.index.user_idx(users),
            self.index.item_idx(items),
            [m.predict(users, items) for m in self.members],
        )
        return self._clip(features @ self.coef + self.intercept)

    def _state(self) -> dict[str, np.ndarray]:
        return {
            **self._base_state(),
            "coef": self.coef,
            "intercept": self.intercept,
            "user_support": self.user_support,
            "item_support": self.item_support,
        }

    def _set_state(self, state: dict[str, np.ndarray]) -> None:
        self._set_base_state(state)
        self.coef, self.intercept = state["coef"], state["intercept"]
        self.user_support, self.item_support = state["user_support"], state["item_support"]

    def _save_extra(self, directory: Path) -> None:
        for name, member in zip(self.params.members, self.members, strict=True):
            member.save(directory / "members" / name)

    def _load_extra(self, directory: Path) -> None:
        self.members = [load_model(directory / "members" / name) for name in self.params.members]
