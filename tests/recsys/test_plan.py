"""Which models a MovieLens run evaluates on which protocols, planned from the snapshot's size."""

from __future__ import annotations

from cinepipe.recsys.plan import U1_MODELS, plan_evaluation, protocols_in_turn
from cinepipe.recsys.registry import LARGE_EXPORT_MODEL, RANKING_MODELS, RATING_MODELS
from cinepipe.recsys.splits import ML100K_U1, RANDOM_70_30, STRATIFIED_75_25


def test_a_small_release_runs_every_model_and_the_official_split_where_it_has_one():
    plan = plan_evaluation(None, 943, 1682, has_u1=True, baseline_model="popularity")
    protocols = dict(plan.protocols)
    assert plan.skipped == {}
    assert protocols[RANDOM_70_30] == RATING_MODELS and protocols[STRATIFIED_75_25] == RANKING_MODELS
    assert protocols[ML100K_U1] == tuple(m for m in RATING_MODELS if m in U1_MODELS)
    assert ML100K_U1 not in dict(plan_evaluation(None, 943, 1682, False, "popularity").protocols)


def test_a_large_release_leaves_out_the_dense_models_and_judges_the_large_export_model():
    plan = plan_evaluation(None, 162_541, 59_047, has_u1=False, baseline_model="popularity")
    protocols = dict(plan.protocols)
    assert "ease" in plan.skipped and all(plan.skipped.values())
    assert not set(plan.skipped) & {m for names in protocols.values() for m in names}
    assert protocols[STRATIFIED_75_25][-1] == LARGE_EXPORT_MODEL


def test_named_models_run_regardless_of_size_and_the_baseline_is_always_judged():
    plan = plan_evaluation(["ease", "mf"], 162_541, 59_047, has_u1=False, baseline_model="popularity")
    assert plan.skipped == {}
    assert plan.protocols == ((RANDOM_70_30, ("mf",)), (STRATIFIED_75_25, ("popularity", "ease")))


def test_only_protocols_with_models_are_planned():
    plan = plan_evaluation(["popularity"], 943, 1682, has_u1=True, baseline_model="popularity")
    assert plan.protocols == ((STRATIFIED_75_25, ("popularity",)),)


def test_protocols_run_in_turn_only_on_one_machine_past_the_limit():
    assert protocols_in_turn("thread", 25_000_000, 10_000_000)
    assert not protocols_in_turn("thread", 100_000, 10_000_000)
    assert not protocols_in_turn("dask", 25_000_000, 10_000_000)
