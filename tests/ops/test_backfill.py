"""Backfill planning: which days run, which are skipped, what each would apply."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from cinepipe.errors import CinepipeError
from cinepipe.ops.backfill import run_backfill
from cinepipe.storage import warehouse


def _record(settings, day, state):
    with warehouse.transaction(settings) as con:
        con.execute("insert into pipeline_runs (run_id, flow_name, partition_day, state, started_at)"
                    " values (?, 'nightly', ?, ?, ?)", [f"r-{day}-{state}", day, state, datetime.now(UTC)])


def test_dry_run_plans_missing_and_failed_days_only(home):
    home = home.model_copy(update={"movielens_source": "/data/ml-latest-small"})
    _record(home, date(2026, 11, 1), "completed")
    _record(home, date(2026, 11, 2), "failed")
    _record(home, date(2026, 11, 4), "nothing_configured")
    plan = run_backfill(home, "2026-11-01", "2026-11-04", dry_run=True)["plan"]
    assert plan["2026-11-01"]["action"] == "skip (done)"
    assert plan["2026-11-02"]["action"] == "run" and plan["2026-11-02"]["state"] == "failed"
    assert plan["2026-11-03"]["action"] == "run" and plan["2026-11-03"]["state"] == "missing"
    assert plan["2026-11-04"]["action"] == "run"  # a night with nothing configured is not done
    forced = run_backfill(home, "2026-11-01", "2026-11-01", dry_run=True, force=True)["plan"]
    assert forced["2026-11-01"]["action"] == "run"


def test_bad_ranges_are_clear_errors(home):
    with pytest.raises(CinepipeError, match="before --since"):
        run_backfill(home, "2026-11-05", "2026-11-01", dry_run=True)
    with pytest.raises(CinepipeError, match="YYYY-MM-DD"):
        run_backfill(home, "yesterday", "2026-11-01", dry_run=True)


def test_nothing_configured_runs_nothing_and_marks_no_day_done(home):
    result = run_backfill(home, "2026-11-01", "2026-11-03")
    assert result["nothing_configured"] is True and result["ran"] == {}
    assert "no source is configured" in result["message"]
    configured = home.model_copy(update={"movielens_source": "/data/ml-latest-small"})
    plan = run_backfill(configured, "2026-11-01", "2026-11-03", dry_run=True)["plan"]
    assert {day["action"] for day in plan.values()} == {"run"}


@pytest.mark.usefixtures("prefect_harness")
def test_a_night_with_nothing_configured_is_not_a_done_day(home):
    from cinepipe.flows.nightly import nightly_flow

    nightly_flow(day="2026-11-02", return_state=True)
    with warehouse.connect(home, read_only=True) as con:
        states = [r[0] for r in con.execute("select state from pipeline_runs where partition_day = '2026-11-02'").fetchall()]
    assert states == ["nothing_configured"]
    configured = home.model_copy(update={"imdb_source": "/data/aclImdb"})
    plan = run_backfill(configured, "2026-11-02", "2026-11-02", dry_run=True)["plan"]
    assert plan["2026-11-02"]["action"] == "run"
