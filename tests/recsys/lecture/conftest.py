"""A small generated rating matrix with planted low-rank structure, split once for all lecture tests."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest

from cinepipe.recsys.base import RatingModel
from cinepipe.recsys.metrics import rmse
from cinepipe.recsys.splits import random_split
from cinepipe.recsys.synthetic import planted_ratings
from cinepipe.storage.columns import ITEM, RATING, USER


@dataclass
class Planted:
    train: pd.DataFrame
    test: pd.DataFrame

    @property
    def global_mean_rmse(self) -> float:
        return rmse(self.test[RATING], np.full(len(self.test), self.train[RATING].mean()))

    def rmse_of(self, model: RatingModel) -> float:
        return rmse(self.test[RATING], model.predict(self.test[USER].to_numpy(), self.test[ITEM].to_numpy()))


@pytest.fixture(scope="session")
def planted() -> Planted:
    """200 users x 120 movies, 6,000 ratings of rank-3 structure plus biases, 20% held out."""
    ratings = planted_ratings(n_users=200, n_items=120, n_ratings=6000, rank=3, noise=0.3, seed=3)
    return Planted(*random_split(ratings, 0.2, 42))
