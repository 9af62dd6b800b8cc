"""The base every lecture model shares: the rating scale, the global mean and the bias fallback."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cinepipe.recsys.baselines import BiasParams, _ScaledModel, fit_biases


class LectureModel(_ScaledModel):
    """A ``_ScaledModel`` with regularised biases, fitted and saved with it, for the pairs the model
    itself cannot score."""

    b_user: np.ndarray
    b_item: np.ndarray

    def _begin_fit(self, train: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        users, items, values = super()._begin_fit(train)
        self.b_user, self.b_item = fit_biases(
            users, items, values, self.index.n_users, self.index.n_items, self.mu, BiasParams()
        )
        return users, items, values

    def _baseline(self, u: np.ndarray, i: np.ndarray) -> np.ndarray:
        """mu + b_u + b_i for dense indices as float64; -1 (unknown) contributes no bias."""
        b_u = np.where(u >= 0, self.b_user[np.maximum(u, 0)], 0.0)
        b_i = np.where(i >= 0, self.b_item[np.maximum(i, 0)], 0.0)
        return self.mu + b_u.astype(np.float64) + b_i

    def _lookup(self, users: np.ndarray, items: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        self._require_fitted()
        return self.index.user_idx(np.asarray(users)), self.index.item_idx(np.asarray(items))

    def _base_state(self) -> dict[str, np.ndarray]:
        return {**super()._base_state(), "b_user": self.b_user, "b_item": self.b_item}

    def _set_base_state(self, state: dict[str, np.ndarray]) -> None:
        super()._set_base_state(state)
        self.b_user, self.b_item = state["b_user"], state["b_item"]
