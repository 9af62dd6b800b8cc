"""A learned blend of ranking models, every choice made on a validation slice of *train*.

Fit: hold out a per-user share of train (``tuning.inner_split``, two seeds); fit each member's
candidate hyperparameters on the rest and keep the best by mean ndcg@10 on the held-out shares; search the blend
weights of the members' per-user standard scores (and of log popularity) by coordinate ascent on the
same ndcg; refit the members that got a weight on all of train. A user's scores are the weighted
sum of the members' standardised scores, so ``top_n`` and the export use it as they use EASE.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from cinepipe.recsys.als import ALSParams, ImplicitALS
from cinepipe.recsys.base import IdIndex, over_limit, pair_scores
from cinepipe.recsys.baselines import _ScaledModel
from cinepipe.recsys.data import rating_matrix
from cinepipe.recsys.ease import EASE, EASEParams
from cinepipe.recsys.persist import SavableModel, load_model
from cinepipe.recsys.rp3beta import RP3beta, RP3Params
from cinepipe.recsys.tuning import (
    Validation,
    inner_split,
    pick_best,
    refreshed_seen,
    standardise_rows,
)
from cinepipe.storage.columns import ITEM

POPULARITY = "popularity"  # the blend's log-popularity term, not a fitted member


@dataclass
class RankBlendParams:
    """Hyperparameters of ``RankBlend``: the candidates tried; the choice is made on train."""

    ease_regs: tuple[float, ...] = (100.0, 200.0, 350.0, 600.0, 1000.0)  # EASE L2 weights tried
    rp3_alphas: tuple[float, ...] = (0.6, 1.0)  # RP3beta walk sharpness tried
    rp3_betas: tuple[float, ...] = (0.3, 0.45)  # RP3beta popularity damping tried
    rp3_neighbours: int = 200
    # implicit ALS (factors, alpha, L2) tried: its score surface is bumpy (too much L2 for the
    # confidence collapses it to popularity), so a few known-good corners rather than a full grid
    als_grid: tuple[tuple[int, float, float], ...] = (
        (32, 10.0, 10.0), (32, 10.0, 30.0), (32, 30.0, 100.0), (64, 10.0, 30.0), (64, 30.0, 100.0))
    als_iterations: int = 15
    weight_grid: tuple[float, ...] = (0.0, 0.1, 0.2, 0.35, 0.5, 0.75, 1.0, 1.5)  # per-member weights
    search_rounds: int = 2  # coordinate-ascent passes over the members
    min_gain: float = 0.001  # ndcg a weight change must add on validation to be kept
    validation_folds: int = 2  # inner splits (seeds) every choice is averaged over
    # beyond this many movies one inner split: each EASE candidate is a dense inverse, cubic in movies
    # (190 times the work at ml-latest-small's 9,724 movies as at ml-100k's 1,682)
    multi_fold_max_items: int = 4_000
    validation_fraction: float = 0.25  # per-user share of train held out, as the test protocol holds out
    max_items: int = 30_000  # EASE's and RP3beta's dense items x items matrices
    seed: int = 42


QUICK = RankBlendParams(ease_regs=(300.0,), rp3_alphas=(0.8,), rp3_betas=(0.3,), als_grid=((32, 10.0, 30.0),),
                        als_iterations=8, weight_grid=(0.0, 0.25, 0.5, 1.0), search_rounds=1, validation_folds=1)


class RankBlend(_ScaledModel):
    """A ranking model: weighted standard scores of EASE, RP3beta, implicit ALS and log popularity."""

    name = "rank_blend"
    Params = RankBlendParams
    description = ("scores = sum_m weights[m] * standardise_rows(member m scores) over members and "
                   "log popularity; members, hyperparameters and weights chosen on a slice of train.")

    def too_large(self, n_users: int, n_items: int) -> str | None:
        return over_limit(n_items, self.params.max_items, "movies exceed the dense limit of its EASE and RP3beta members,")

    def fit(self, train: pd.DataFrame) -> RankBlend:
        self._begin_fit(train)
        p = self.params
        n_folds = p.validation_folds if self.index.n_items <= p.multi_fold_max_items else 1
        folds = [inner_split(train, p.validation_fraction, p.seed + fold) for fold in range(n_folds)]
        indices = [IdIndex.from_ratings(fit_part) for fit_part, _ in folds]
        validations = [Validation(f, v, i) for (f, v), i in zip(folds, indices, strict=True)]
        self.choices, self.validation_ndcg, self.tuning_seconds = {}, {}, {}
        standard = {}
        for name, candidates in self._candidates().items():
            started = time.perf_counter()
            chosen, scores, tried = pick_best(candidates, lambda c, fold: _factory(c).fit(folds[fold][0]),
                                              validations)
            self.choices[name], self.validation_ndcg[name] = chosen, tried
            standard[name] = [standardise_rows(s, v.seen) for s, v in zip(scores, validations, strict=True)]
            self.tuning_seconds[name] = time.perf_counter() - started
        standard[POPULARITY] = [
            standardise_rows(np.broadcast_to(_log_popularity(f, i), v.seen.shape), v.seen)
            for (f, _), i, v in zip(folds, indices, validations, strict=True)
        ]
        self.member_names = tuple(standard)
        weights, self.blend_ndcg = _search_weights(standard, validations, p)
        self.weights = np.asarray([weights[n] for n in self.member_names], dtype=np.float32)
        self.seen = rating_matrix(train, self.index)
        self.seen.data[:] = 1.0
        self.log_popularity = _log_popularity(train, self.index)
        self.members = {n: _factory(self.choices[n]).fit(train) for n in self._used() if n != POPULARITY}
        return self

    def fold_in(self, ratings: pd.DataFrame) -> RankBlend:
        """Warm refresh for new ratings: the users in ``ratings`` (their whole history) get their rows
        of who rated what replaced (new users added), in the blend and in every member (EASE and
        RP3beta keep their item weights, ALS re-solves those users' factors). Movies new to the model
        wait for the next full fit."""
        self._require_fitted()
        old = self.index
        self.index, self.seen = refreshed_seen(self.seen, old, ratings)
        for member in self.members.values():
            member.fold_in(ratings[ratings[ITEM].isin(old.items)])
        return self

    def _candidates(self) -> dict[str, list]:
        p = self.params
        return {
            "ease": [EASEParams(reg=r, max_items=p.max_items) for r in p.ease_regs],
            "rp3beta": [RP3Params(alpha=a, beta=b, neighbours=p.rp3_neighbours, max_items=p.max_items)
                        for a in p.rp3_alphas for b in p.rp3_betas],
            "als": [ALSParams(factors=int(f), alpha=a, regularization=r, iterations=p.als_iterations, seed=p.seed)
                    for f, a, r in p.als_grid],
        }

    def _used(self) -> list[str]:
        return [n for n, w in zip(self.member_names, self.weights, strict=True) if w != 0]

    def score_users(self, user_idx: np.ndarray) -> np.ndarray:
        seen = self.seen[user_idx]
        total = np.zeros((len(user_idx), self.index.n_items), dtype=np.float32)
        for name, weight in zip(self.member_names, self.weights, strict=True):
            if weight == 0:
                continue
            if name == POPULARITY:
                scores = np.broadcast_to(self.log_popularity, total.shape)
            else:
                scores = self.members[name].score_users(user_idx)
            total += weight * standardise_rows(scores, seen)
        return total

    def predict(self, users: np.ndarray, items: np.ndarray) -> np.ndarray:
        """Blend scores of (user, item) pairs (0 for unknown ids); not on the rating scale."""
        self._require_fitted()
        return pair_scores(self, users, items)

    def _state(self) -> dict[str, np.ndarray]:
        return {
            **self._base_state(),
            "member_names": np.asarray(self.member_names),
            "weights": self.weights,
            "log_popularity": self.log_popularity,
            "seen_indptr": self.seen.indptr,
            "seen_indices": self.seen.indices,
        }

    def _set_state(self, state: dict[str, np.ndarray]) -> None:
        from scipy import sparse

        self._set_base_state(state)
        self.member_names = tuple(str(n) for n in state["member_names"])
        self.weights, self.log_popularity = state["weights"], state["log_popularity"]
        self.seen = sparse.csr_matrix(
            (np.ones(len(state["seen_indices"]), np.float32), state["seen_indices"], state["seen_indptr"]),
            shape=(self.index.n_users, self.index.n_items),
        )

    def _save_extra(self, directory: Path) -> None:
        for name, member in self.members.items():
            member.save(directory / "members" / name)

    def _load_extra(self, directory: Path) -> None:
        self.members = {n: load_model(directory / "members" / n) for n in self._used() if n != POPULARITY}


def _factory(params) -> SavableModel:
    """A fresh member for a candidate's hyperparameters."""
    kind = {EASEParams: EASE, RP3Params: RP3beta, ALSParams: ImplicitALS}[type(params)]
    return kind(params)


def _log_popularity(ratings: pd.DataFrame, index: IdIndex) -> np.ndarray:
    """log(1 + ratings per movie), in ``index`` order."""
    counts = np.bincount(index.item_idx(ratings[ITEM].to_numpy()), minlength=index.n_items)
    return np.log1p(counts).astype(np.float32)


def _search_weights(
    standard: dict[str, list[np.ndarray]], validations: list[Validation], params: RankBlendParams
) -> tuple[dict[str, float], float]:
    """Coordinate ascent on mean ndcg@10 over the folds: start from the best single member at weight
    1, then try every grid weight for each other member in turn, keeping a change only when it gains
    more than ``min_gain`` (smaller gains are within the folds' noise and did not carry to test)."""

    def value(weights: dict[str, float]) -> float:
        return float(np.mean([
            v.ndcg(sum(w * standard[n][fold] for n, w in weights.items() if w))
            for fold, v in enumerate(validations)
        ]))

    singles = {n: value({n: 1.0}) for n in standard}
    first = max(singles, key=singles.get)
    weights = {n: (1.0 if n == first else 0.0) for n in standard}
    best = singles[first]
    for _ in range(params.search_rounds):
        for name in standard:
            if name == first:
                continue
            for weight in params.weight_grid:
                if weight == weights[name]:
                    continue
                trial = {**weights, name: weight}
                if (gained := value(trial)) > best + params.min_gain:
                    best, weights = gained, trial
    return weights, best
