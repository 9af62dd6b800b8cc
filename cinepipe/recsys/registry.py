"""Every model by name: one ``build`` for the MovieLens branch and the lecture comparison alike.

A model's registry name is its ``name``, the ``model`` of its ``eval_metrics`` rows. The branch
evaluates ``RATING_MODELS`` and ``RANKING_MODELS``; ``LECTURE_MODELS`` are the lecture's methods
(``cinepipe compare movielens``; ``lecture.compare.LECTURE`` maps the lecture's method names to them).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from cinepipe.errors import ModelError
from cinepipe.recsys.als import ALSParams, ImplicitALS
from cinepipe.recsys.autorec import AutoRec, AutoRecParams
from cinepipe.recsys.baselines import Biases, GlobalMean, Popularity
from cinepipe.recsys.blend import Blend, BlendParams
from cinepipe.recsys.ease import EASE, EASEParams
from cinepipe.recsys.knn import ItemKNN, UserKNN
from cinepipe.recsys.lecture import knn as lecture_knn
from cinepipe.recsys.lecture.mf_scaled import ScaledMF
from cinepipe.recsys.lecture.rbm import RBMCF
from cinepipe.recsys.mf import MatrixFactorization, MFParams
from cinepipe.recsys.persist import SavableModel
from cinepipe.recsys.rank_blend import QUICK as QUICK_RANK_BLEND
from cinepipe.recsys.rank_blend import RankBlend, RankBlendParams
from cinepipe.recsys.rp3beta import RP3beta, RP3Params
from cinepipe.recsys.time_ease import QUICK as QUICK_TIME_EASE
from cinepipe.recsys.time_ease import TimeEASE, TimeEASEParams

# quick: few epochs, a small hidden layer and one EASE candidate, for tests and the bundled sample
_QUICK_MF = {"max_epochs": 8, "patience": 2, "refit": False}
_QUICK_AUTOREC = {"hidden": 100, "batch_size": 16, "max_epochs": 40, "patience": 5, "learning_rate": 3e-3}


def _autorec(kind: str, seed: int, quick: bool) -> AutoRec:
    return AutoRec(AutoRecParams(kind=kind, seed=seed, **(_QUICK_AUTOREC if quick else {})))


# name -> factory(seed, quick) of an unfitted model; the lecture's models with their measured defaults
MODELS: dict[str, Callable[[int, bool], SavableModel]] = {
    "global_mean": lambda seed, quick: GlobalMean(),
    "biases": lambda seed, quick: Biases(),
    "mf": lambda seed, quick: MatrixFactorization(MFParams(seed=seed, **(_QUICK_MF if quick else {}))),
    "i_autorec": lambda seed, quick: _autorec("item", seed, quick),
    "item_knn": lambda seed, quick: ItemKNN(),
    "user_knn": lambda seed, quick: UserKNN(),
    "u_autorec": lambda seed, quick: _autorec("user", seed, quick),
    "blend": lambda seed, quick: Blend(BlendParams(seed=seed, quick=quick), build_member=build),
    "popularity": lambda seed, quick: Popularity(),
    "ease": lambda seed, quick: EASE(EASEParams(seed=seed, reg=300.0 if quick else None)),
    "als": lambda seed, quick: ImplicitALS(ALSParams(seed=seed, iterations=8 if quick else 15)),
    "rp3beta": lambda seed, quick: RP3beta(RP3Params()),
    "rank_blend": lambda seed, quick: RankBlend(replace(QUICK_RANK_BLEND if quick else RankBlendParams(), seed=seed)),
    "time_ease": lambda seed, quick: TimeEASE(replace(QUICK_TIME_EASE if quick else TimeEASEParams(), seed=seed)),
    "user_knn_raw": lambda seed, quick: lecture_knn.UserKNN(centred=False),
    "user_knn_centred": lambda seed, quick: lecture_knn.UserKNN(centred=True),
    "mf_als": lambda seed, quick: ScaledMF(scaled=False, reg=0.15, seed=seed),
    "mf_als_scaled": lambda seed, quick: ScaledMF(scaled=True, seed=seed),
    "rbm_user": lambda seed, quick: RBMCF(kind="user", seed=seed),
    # Item cases are many and short: more hidden units and the paper's lighter decay validated better.
    "rbm_item": lambda seed, quick: RBMCF(kind="item", hidden=100, weight_decay=0.001, epochs=15, seed=seed),
}
RATING_MODELS: tuple[str, ...] = (
    "global_mean",
    "biases",
    "mf",
    "i_autorec",
    "item_knn",
    "user_knn",
    "blend",
)  # evaluated each run
# rating models only run on request (the lecture comparison): U-AutoRec is slow and weak on MovieLens
EXTRA_RATING_MODELS: tuple[str, ...] = ("u_autorec",)
# rank_blend: EASE, RP3beta, implicit ALS and popularity, tuned and weighted on a slice of train;
# time_ease: EASE on pairs of ratings weighted by closeness in time (the snapshot's timestamps)
RANKING_MODELS: tuple[str, ...] = ("popularity", "ease", "rp3beta", "rank_blend", "time_ease")
# the lecture table's methods, in its order (rating models, random-70-30)
LECTURE_MODELS: tuple[str, ...] = (
    "user_knn_raw",
    "user_knn_centred",
    "mf_als",
    "mf_als_scaled",
    "rbm_user",
    "rbm_item",
    "u_autorec",
    "i_autorec",
)
EXPORT_MODEL = "ease"  # the lists users get, while the movies fit EASE's dense item x item matrix
LARGE_EXPORT_MODEL = "als"  # beyond that (ml-25m): implicit ALS, factors scored in blocks


def build(name: str, seed: int = 42, quick: bool = False) -> SavableModel:
    """A fresh, unfitted model by registry name."""
    if name not in MODELS:
        raise ModelError(name, "is not a model cinepipe knows", f"Choose one of {sorted(MODELS)}.")
    return MODELS[name](seed, quick)


def too_large(name: str, n_users: int, n_items: int) -> str | None:
    """Why ``name`` cannot be fitted on ``n_users`` x ``n_items`` in memory, or None when it can.

    The dense models (item kNN, EASE, AutoRec) hold item x item or user x item matrices; at ml-25m
    size (162k users, 62k movies) they would need tens of GiB, so the branch leaves them out
    there and says so, and the streaming models (biases, Keras MF) carry on. Each model states its
    own limit (``RatingModel.too_large``), the same one its ``fit`` enforces.
    """
    return build(name).too_large(n_users, n_items)


def export_model_for(n_items: int) -> str:
    """The ranking model to export lists with for a catalogue of ``n_items`` movies."""
    return EXPORT_MODEL if too_large(EXPORT_MODEL, 0, n_items) is None else LARGE_EXPORT_MODEL
