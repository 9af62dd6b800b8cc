"""A real Prefect flow run of the MovieLens ingest, on a real DuckDB file."""

from __future__ import annotations

import asyncio

import pytest

from cinepipe.storage import warehouse


def _task_states(flow_run_id) -> dict[str, str]:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    async def read():
        async with get_client() as client:
            runs = await client.read_task_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id])))
            return {r.name: r.state.name for r in runs}

    return asyncio.run(read())


@pytest.mark.usefixtures("prefect_harness")
def test_second_run_on_unchanged_input_is_all_cache_hits(home, ml100k_dir):
    from cinepipe.flows.movielens import ingest_movielens_flow

    first = ingest_movielens_flow(str(ml100k_dir), return_state=True)
    assert first.is_completed()
    summary = first.result()
    assert summary["load"]["rows"]["movielens_ratings"] == 100_000
    second = ingest_movielens_flow(str(ml100k_dir), return_state=True)
    states = _task_states(second.state_details.flow_run_id)
    cached = {name.split("[")[0] for name, state in states.items() if state == "Cached"}
    assert {"parse-movielens", "validate-movielens", "dedupe-movielens"} <= cached
    assert second.result()["load"]["skipped"] is True
    assert warehouse.table_counts(home)["movielens_ratings"] == 100_000
    assert any(p.name == "movielens_ratings" for p in home.lake_dir.iterdir())


@pytest.mark.usefixtures("prefect_harness")
def test_changed_input_reruns_the_steps(home, small_csv_dir):
    from cinepipe.flows.movielens import ingest_movielens_flow

    ingest_movielens_flow(str(small_csv_dir))
    with (small_csv_dir / "ratings.csv").open("a") as fh:
        fh.write("1,%s,4.0,1500000000\n" % (small_csv_dir / "movies.csv").read_text().splitlines()[1].split(",")[0])
    state = ingest_movielens_flow(str(small_csv_dir), return_state=True)
    states = _task_states(state.state_details.flow_run_id)
    assert all(s == "Completed" for s in states.values()), states
    assert state.result()["load"]["skipped"] is False


@pytest.mark.usefixtures("prefect_harness")
@pytest.mark.parametrize("cleared", ["staging", "one-stage"])
def test_cleared_staging_is_rebuilt_not_read_from_a_cached_path(home, small_csv_dir, cleared):
    """Cached results name files under cache/staging: after a user clears it (all of it, or one
    release's stage) and the warehouse lost the rows, a run rebuilds the stage and reloads."""
    import shutil

    from cinepipe.flows.movielens import ingest_movielens_flow

    first = ingest_movielens_flow(str(small_csv_dir))
    loaded = first["load"]["rows"]["movielens_ratings"]
    shutil.rmtree(home.staging_dir if cleared == "staging" else first["stage_dir"])
    with warehouse.transaction(home) as con:
        con.execute("delete from movielens_ratings")
        con.execute("delete from load_log")
    state = ingest_movielens_flow(str(small_csv_dir), return_state=True)
    assert state.is_completed()
    states = _task_states(state.state_details.flow_run_id)
    assert states["parse-movielens[ml-latest-small]"] == "Completed", states
    assert state.result()["load"]["rows"]["movielens_ratings"] == loaded
    assert warehouse.table_counts(home)["movielens_ratings"] == loaded
