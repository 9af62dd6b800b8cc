"""Small helpers shared by the models: dense encoding, rating scale, sparse matrices, seeds."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import sparse

from cinepipe.recsys.base import IdIndex
from cinepipe.storage.columns import ITEM, RATING, USER


def encode(ratings: pd.DataFrame, index: IdIndex) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Dense (user, item) indices and float32 ratings; -1 marks ids unknown to ``index``."""
    users = index.user_idx(ratings[USER].to_numpy())
    items = index.item_idx(ratings[ITEM].to_numpy())
    return users, items, ratings[RATING].to_numpy(np.float32)


def rating_matrix(ratings: pd.DataFrame, index: IdIndex) -> sparse.csr_matrix:
    """Users x items CSR of ratings (rows and columns follow ``index``); unknown ids are dropped."""
    users, items, values = encode(ratings, index)
    known = (users >= 0) & (items >= 0)
    return sparse.csr_matrix(
        (values[known], (users[known], items[known])), shape=(index.n_users, index.n_items), dtype=np.float32
    )


def rating_scale(ratings: pd.DataFrame) -> tuple[float, float]:
    """The (lowest, highest) rating seen; predictions are clipped to it."""
    values = ratings[RATING].to_numpy()
    return float(values.min()), float(values.max())


def set_seed(seed: int) -> None:
    """Seed Python, numpy and TensorFlow at once, so a rerun trains the same model."""
    import keras

    keras.utils.set_random_seed(seed)
