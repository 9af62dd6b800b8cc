"""Backfill planning: which days run, which are skipped, what each would apply."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from cinepipe import warehouse
from cinepipe.errors import CinepipeError
from cinepipe.ops.backfill import run_backfill


def _record(settings, day, state):
    with warehouse.transaction(settings) as con:
        con.execute("insert into pipeline_runs (run_id, flow_name, partition_day, state, started_at)"
                    " values (?, 'nightly', ?, ?, ?)", [f"r-{day}-{state}", day, state, datetime.now(UTC)])


def test_dry_run_plans_missing_and_failed_days_only(home):
    _record(home, date(2026, 11, 1), "completed")
    _record(home, date(2026, 11, 2), "failed")
    plan = run_backfill(home, "2026-11-01", "2026-11-03", dry_run=True)["plan"]
    assert plan["2026-11-01"]["action"] == "skip (done)"
    assert plan["2026-11-02"]["action"] == "run" and plan["2026-11-02"]["state"] == "failed"
    assert plan["2026-11-03"]["action"] == "run" and plan["2026-11-03"]["state"] == "missing"
    forced = run_backfill(home, "2026-11-01", "2026-11-01", dry_run=True, force=True)["plan"]
    assert forced["2026-11-01"]["action"] == "run"


def test_bad_ranges_are_clear_errors(home):
    with pytest.raises(CinepipeError, match="before --since"):
        run_backfill(home, "2026-11-05", "2026-11-01", dry_run=True)
    with pytest.raises(CinepipeError, match="YYYY-MM-DD"):
        run_backfill(home, "yesterday", "2026-11-01", dry_run=True)
