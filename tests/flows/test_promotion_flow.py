"""The promotion gate in a real MovieLens flow run on a generated release and a real DuckDB file."""

from __future__ import annotations

import pytest
from prefect.artifacts import Artifact
from rich.console import Console

from cinepipe.movielens.synthetic import Shape, write_csv_release
from cinepipe.storage import warehouse

pytestmark = pytest.mark.usefixtures("prefect_harness")


@pytest.fixture
def release(tmp_path):
    path = tmp_path / "ml-gate"
    write_csv_release(path, Shape(n_users=80, n_items=100, n_ratings=3_000), seed=5)
    return path


def _decisions(home):
    with warehouse.connect(home, read_only=True) as con:
        return con.execute("select run_id, model, value, baseline_model, baseline_value, serving_model,"
                           " decision, reason from model_promotions where target = 'movielens'"
                           " and dataset = 'ml-gate' order by created_at").df()


def _lists(home):
    with warehouse.connect(home, read_only=True) as con:
        return con.execute("select * from recommendations where dataset = 'ml-gate'"
                           " order by user_id, rank").df()


def test_the_first_run_promotes_the_best_and_a_regression_keeps_the_lists(home, release):
    from cinepipe.flows.movielens import movielens_flow
    from cinepipe.ops.status import render_status

    first = movielens_flow(str(release), quick=True)
    ndcg = {m: v for k, v in first["metrics"].items() for m in [k.split("/")[0]] if k.endswith("stratified-75-25/ndcg_at_10")}
    decisions = _decisions(home)
    assert len(decisions) == 1
    row = decisions.iloc[0]
    best = max((m for m in ndcg if m != "popularity"), key=ndcg.get)
    expected = best if ndcg[best] > ndcg["popularity"] else "popularity"  # else the baseline's lists go out
    assert (row.decision, row.model, row.serving_model) == ("promoted", expected, None)
    assert row.baseline_model == "popularity" and row.baseline_value == pytest.approx(ndcg["popularity"], abs=1e-4)
    assert first["promotion"]["serves"] == expected
    lists = _lists(home)
    assert set(lists.loc[~lists["cold_start"], "model"]) == {expected}  # the users get the promoted model's lists
    artifact = Artifact.get("promotion-movielens-ml-gate")
    assert artifact is not None and "promoted" in artifact.data and expected in artifact.data

    # the model in service was promoted with a figure this run's candidates fall far behind
    with warehouse.transaction(home) as con:
        con.execute("update model_promotions set value = 0.99 where dataset = 'ml-gate'")
    export = home.exports_dir / "recommendations" / "ml-gate" / "recommendations.csv"
    before = export.read_bytes()
    second = movielens_flow(str(release), quick=True)
    decisions = _decisions(home)
    assert list(decisions["decision"]) == ["promoted", "kept"]
    kept = decisions.iloc[1]
    assert kept.serving_model == expected and "keeps serving" in kept.reason
    assert second["promotion"]["serves"] == expected and second["exports"]["skipped"]
    assert _lists(home).equals(lists) and export.read_bytes() == before
    assert "kept" in Artifact.get("promotion-movielens-ml-gate").data

    console = Console(record=True, width=240)
    render_status(home, console)
    text = console.export_text()
    assert "serving models" in text and "ml-gate" in text and f"kept: {kept.reason[:40]}" in text


def test_a_candidate_below_the_baseline_is_not_promoted_and_the_baseline_lists_go_out(home, release):
    from cinepipe.flows.movielens import movielens_flow

    summary = movielens_flow(str(release), models=["popularity", "ease"], quick=True)
    ndcg = {m: summary["metrics"][f"{m}/stratified-75-25/ndcg_at_10"] for m in ("popularity", "ease")}
    assert ndcg["ease"] < ndcg["popularity"], "precondition: on this release quick EASE trails popularity"
    [row] = _decisions(home).itertuples()
    assert (row.decision, row.model, row.serving_model) == ("promoted", "popularity", None)
    assert "ease" in row.reason and "does not beat popularity" in row.reason
    assert set(_lists(home)["model"]) == {"popularity"}  # the baseline's lists, marked as such
