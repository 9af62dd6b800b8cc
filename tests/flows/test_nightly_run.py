"""The nightly run as the Prefect UI shows it: names, tags, and a refusal that is not a failure."""

from __future__ import annotations

import re
from contextlib import contextmanager

from prefect import flow, tags

from cinepipe.ops.locks import run_lock
from cinepipe.ops.nightly import BranchRun


@flow(name="toy-branch", flow_run_name="toy-branch")
def _toy_flow() -> dict:
    return {"rows_read": 3, "rows_loaded": 3}


@contextmanager
def _toy_sources(settings, sample):
    yield {"toy": BranchRun("nowhere", lambda quick: _toy_flow(), ("dataset:toy-set",))}


def _runs(flow_run_id):
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (
        FlowRunFilter,
        FlowRunFilterParentFlowRunId,
    )

    with get_client(sync_client=True) as client:
        parent = client.read_flow_run(flow_run_id)
        children = client.read_flow_runs(
            flow_run_filter=FlowRunFilter(parent_flow_run_id=FlowRunFilterParentFlowRunId(any_=[flow_run_id])))
        task_runs = client.read_task_runs(
            flow_run_filter=FlowRunFilter(id={"any_": [flow_run_id]}))
    return parent, children, task_runs


def test_refused_nightly_ends_cancelled_with_one_line_of_reason(home, prefect_harness):
    from cinepipe.flows.nightly import nightly_flow

    with run_lock(home, "pipeline"):
        state = nightly_flow(return_state=True)
    assert state.is_cancelled(), state
    assert "another pipeline run is in progress" in state.message and "\n" not in state.message
    parent, _, task_runs = _runs(state.state_details.flow_run_id)
    assert parent.state_type.value == "CANCELLED"
    assert task_runs == []  # refused before any step: nothing was changed


def test_nightly_names_and_tags(home, prefect_harness, monkeypatch):
    import cinepipe.flows.nightly as nightly

    monkeypatch.setattr(nightly, "nightly_sources", _toy_sources)
    with tags("trigger:cli"):
        state = nightly.nightly_flow(day="2026-12-05", return_state=True)
    assert state.is_completed(), state
    summary = state.result()
    assert summary["branches"]["toy"]["seconds"] >= 0 and summary["configured"] == ["toy"]
    parent, children, task_runs = _runs(state.state_details.flow_run_id)
    assert re.fullmatch(r"nightly-2026-12-05-\d{6}", parent.name), parent.name
    assert "trigger:cli" in parent.tags
    (toy,) = [c for c in children if c.name == "toy-branch"]
    assert {"trigger:cli", "branch:toy", "dataset:toy-set"} <= set(toy.tags)
    names = {t.name for t in task_runs}
    assert not any(n.startswith("apply-inbox") for n in names)  # an empty inbox: a ledger read, no step
    assert summary["branches"]["inbox"]["nothing_new"] is True
    assert not any(re.search(r"-[0-9a-f]{3}$", n) for n in names), names  # no random suffixes


def test_timed_run_names_of_the_branch_flows_differ_by_start(home, prefect_harness):
    from cinepipe.runtime.runs import timed_run_name

    @flow(name="named", flow_run_name=timed_run_name("mnist", "dataset"))
    def named(dataset: str = "fashion-mnist") -> str:
        from prefect.runtime import flow_run

        return flow_run.get_name()

    assert re.fullmatch(r"mnist\[fashion-mnist\]-\d{4}-\d{2}-\d{2}-\d{6}", named())
