"""Refresh a trained model with new ratings, without a full retrain.

EASE's item-item weights are the movies' side of the model; a user's scores are their rating row
times those weights, so new ratings only change the rows of the users who gave them. Matrix
factorisation and implicit ALS re-solve the touched users' rows from their ratings (``fold_in``);
the popularity baseline, when the gate lets it serve, has no user side at all.
A full retrain is the caller's call when the new ratings are a large share of all ratings
(``CINEPIPE_RETRAIN_FRACTION``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cinepipe.recsys.base import IdIndex
from cinepipe.recsys.baselines import Popularity
from cinepipe.recsys.data import rating_matrix
from cinepipe.recsys.ease import EASE
from cinepipe.recsys.persist import SavableModel
from cinepipe.storage.columns import ITEM, USER


def needs_full_retrain(n_new: int, n_total: int, fraction: float) -> bool:
    """True when the new ratings are more than ``fraction`` of all ratings (drift is likely)."""
    return n_total == 0 or n_new / n_total > fraction


def needs_all_ratings(model: SavableModel) -> bool:
    """True when ``warm_refresh`` needs every rating (EASE rebuilds its seen matrix), not only the
    touched users' (``fold_in`` of MF and ALS)."""
    return isinstance(model, EASE)


def has_warm_refresh(model: SavableModel) -> bool:
    """True when ``warm_refresh`` can update the model; otherwise it is retrained in full."""
    return isinstance(model, (EASE, Popularity)) or hasattr(model, "fold_in")


def warm_refresh(model: SavableModel, ratings: pd.DataFrame, touched: pd.DataFrame) -> SavableModel:
    """The model updated for new ratings; ``ratings`` is every rating, new ones included, and
    ``touched`` every rating of the users who gave the new ones.

    Raises:
        TypeError: for a model that has no warm refresh (the caller retrains it).
    """
    if isinstance(model, EASE):
        known = ratings[ratings[ITEM].isin(model.index.items)]
        model.index = IdIndex(np.unique(known[USER].to_numpy()), model.index.items)
        seen = rating_matrix(known, model.index)
        seen.data[:] = 1.0
        model.seen = seen
        return model
    if isinstance(model, Popularity):
        # the movies' rating counts, the same for everyone: like EASE's weights they wait for the next
        # full retrain, and the touched users' new lists leave out what they just rated
        return model
    if hasattr(model, "fold_in"):
        return model.fold_in(touched)
    raise TypeError(f"{type(model).__name__} has no warm refresh")
