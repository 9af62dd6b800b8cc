"""The lecture's methods by name (the ``--models`` choices of ``cinepipe compare movielens``)."""

from __future__ import annotations

from collections.abc import Callable

from cinepipe.errors import ModelError
from cinepipe.recsys.autorec import AutoRec
from cinepipe.recsys.base import RatingModel
from cinepipe.recsys.lecture.knn import UserKNN
from cinepipe.recsys.lecture.mf_scaled import ScaledMF
from cinepipe.recsys.lecture.rbm import RBMCF

# In the lecture table's order; each factory builds an unfitted model with its measured defaults.
LECTURE_MODELS: dict[str, Callable[[], RatingModel]] = {
    "user-knn": lambda: UserKNN(centred=False),
    "user-knn-centred": lambda: UserKNN(centred=True),
    "mf": lambda: ScaledMF(scaled=False, reg=0.15),
    "mf-scaled": lambda: ScaledMF(scaled=True),
    "rbm-user": lambda: RBMCF(kind="user"),
    # Item cases are many and short: more hidden units and the paper's lighter decay validated better.
    "rbm-item": lambda: RBMCF(kind="item", hidden=100, weight_decay=0.001, epochs=15),
    "u-autorec": lambda: AutoRec(kind="user"),
    "i-autorec": lambda: AutoRec(kind="item"),
}


def lecture_factories(names: list[str] | None = None) -> dict[str, Callable[[], RatingModel]]:
    """The factories for ``names`` (all methods when None), in the order given."""
    if names is None:
        return dict(LECTURE_MODELS)
    unknown = [n for n in names if n not in LECTURE_MODELS]
    if unknown:
        raise ModelError("--models", f"unknown lecture methods {unknown}", f"Choose from {list(LECTURE_MODELS)}.")
    return {n: LECTURE_MODELS[n] for n in names}
