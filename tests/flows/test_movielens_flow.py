"""The whole MovieLens branch as a real Prefect flow run on the generated sample."""

from __future__ import annotations

import pytest

from cinepipe.movielens.synthetic import Shape, add_demo_faults, write_csv_release
from cinepipe.storage import warehouse

pytestmark = pytest.mark.usefixtures("prefect_harness")


@pytest.fixture
def demo_release(tmp_path):
    path = tmp_path / "ml-demo"
    write_csv_release(path, Shape(n_users=120, n_items=150, n_ratings=6_000), seed=11)
    add_demo_faults(path)
    return path


def test_branch_writes_ratings_quarantine_metrics_and_lists(home, demo_release, tmp_path):
    from cinepipe.flows.incremental import incremental_flow
    from cinepipe.flows.movielens import movielens_flow
    from cinepipe.ops.inbox import add_ratings
    from cinepipe.recsys.registry import RATING_MODELS

    # ranking candidates with a warm refresh only, so the update below refreshes whichever the gate promotes
    summary = movielens_flow(str(demo_release), models=[*RATING_MODELS, "popularity", "ease"], quick=True)
    assert summary["rows_quarantined"] == 7
    with warehouse.connect(home, read_only=True) as con:
        assert con.execute("select count(*) from movielens_ratings").fetchone()[0] == 6_000
        assert con.execute("select count(*) from quarantine").fetchone()[0] >= 7
        metrics = {(m, p, k) for m, p, k in con.execute("select model, protocol, metric from eval_metrics").fetchall()}
        lists = con.execute("select user_id, rank, movie_id, title, cold_start from recommendations").df()
        rated = con.execute("select user_id, movie_id from movielens_ratings").df()
    assert ("blend", "random-70-30", "rmse") in metrics and ("ease", "stratified-75-25", "ndcg_at_10") in metrics
    assert ("popularity", "stratified-75-25", "map_at_10") in metrics
    assert lists["user_id"].nunique() == 120 and set(lists["rank"]) == set(range(1, 11))
    assert lists["title"].notna().all()
    clash = lists.merge(rated, on=["user_id", "movie_id"])
    assert clash.empty, "a list holds a movie its user already rated"
    assert (home.exports_dir / "recommendations" / "ml-demo" / "recommendations.csv").exists()

    # new ratings: only the touched users' lists change
    before = lists.set_index(["user_id", "rank"])["movie_id"]
    top = lists[(lists.user_id == 1) & (lists["rank"] == 1)].movie_id.item()
    new = tmp_path / "new.csv"
    new.write_text(f"user_id,movie_id,rating,timestamp\n1,{top},5.0,1700000000\n")
    add_ratings(home, new)
    result = incremental_flow()
    assert result["datasets"]["ml-demo"]["mode"] == "warm-refresh"
    with warehouse.connect(home, read_only=True) as con:
        after = con.execute("select user_id, rank, movie_id from recommendations").df().set_index(["user_id", "rank"])["movie_id"]
    changed = {u for (u, _), m in after.items() if before[(u, _)] != m}
    assert changed == {1}
    assert top not in set(after.loc[1])


def test_a_cached_model_whose_directory_is_gone_is_trained_again(home, small_csv_dir, ingest_release):
    """Old models are pruned (``keep_models``) and artifacts/ may be cleared by hand: a cached
    ``train-movielens`` result naming a missing directory must not reach the export."""
    import shutil
    from pathlib import Path

    from prefect import flow

    from cinepipe.movielens.snapshot import snapshot_ratings
    from cinepipe.tasks.train.movielens import trained_model

    ingest_release(home, small_csv_dir)
    snapshot = snapshot_ratings(home, "ml-latest-small")

    @flow
    def train_only() -> dict:
        return trained_model(snapshot, "ease", True, 42)

    first = train_only()
    assert train_only() == first  # a cache hit: same directory, still there
    shutil.rmtree(first.dir)
    again = train_only()
    assert again.dir == first.dir and (Path(again.dir) / "trained_on.json").exists()
