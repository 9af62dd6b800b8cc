"""Which models a MovieLens run evaluates, on which protocols, and whether the protocols may run
at once: planned from the snapshot's size before anything is fitted."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from cinepipe.recsys.registry import (
    LARGE_EXPORT_MODEL,
    RANKING_MODELS,
    RATING_MODELS,
    too_large,
)
from cinepipe.recsys.splits import ML100K_U1, RANDOM_70_30, STRATIFIED_75_25

# ml100k-u1 repeats random-70-30's question on the official split; its cheaper subset keeps the
# whole ml-100k branch within five minutes on two cores
U1_MODELS = ("global_mean", "biases", "item_knn", "blend")


@dataclass(frozen=True)
class EvaluationPlan:
    """The protocols to run, each with its models (in order, none empty), and the models left out
    with the reason."""

    protocols: tuple[tuple[str, tuple[str, ...]], ...]
    skipped: dict[str, str] = field(default_factory=dict)


def plan_evaluation(models: Sequence[str] | None, n_users: int, n_movies: int, has_u1: bool,
                    baseline_model: str) -> EvaluationPlan:
    """The models of each protocol for a snapshot of ``n_users`` x ``n_movies``.

    Without ``models``, the models whose dense matrices would not fit are left out (``skipped``);
    naming one in ``models`` runs it regardless. ``baseline_model`` (the gate's) is always a ranking
    model, since every list is judged against it.
    """
    skipped: dict[str, str] = {}
    if models is None:
        for name in (*RATING_MODELS, *RANKING_MODELS):
            if reason := too_large(name, n_users, n_movies):
                skipped[name] = reason
    rating_models = [m for m in RATING_MODELS if (models is None or m in models) and m not in skipped]
    ranking_models = [m for m in RANKING_MODELS if (models is None or m in models) and m not in skipped]
    if "ease" in skipped:  # the lists then come from MF: judge it as a ranking model too
        ranking_models.append(LARGE_EXPORT_MODEL)
    if baseline_model not in ranking_models:
        ranking_models.insert(0, baseline_model)
    protocols = [(RANDOM_70_30, rating_models), (STRATIFIED_75_25, ranking_models)]
    if has_u1:  # the official split: the baselines and the strongest models only
        protocols.append((ML100K_U1, [m for m in rating_models if m in U1_MODELS]))
    return EvaluationPlan(tuple((p, tuple(names)) for p, names in protocols if names), skipped)


def protocols_in_turn(task_runner: str, n_ratings: int, parallel_eval_max_ratings: int) -> bool:
    """Whether the protocols must run one after another: each holds its own copy of the ratings and
    splits, so past ``parallel_eval_max_ratings`` on one machine they run in turn (at 25M ratings
    two at once peaked at 9.7 GiB); workers of a Dask cluster have their own memory, so there they
    stay parallel."""
    return task_runner == "thread" and n_ratings > parallel_eval_max_ratings
