"""A nightly run's ledger: one branch's failure is recorded, the others run, unchanged branches are skipped."""

from __future__ import annotations

import logging
from datetime import date

import pytest

from cinepipe.errors import CinepipeError
from cinepipe.ops import nightly, skip
from cinepipe.ops.nightly import BranchRun, Night
from cinepipe.storage import warehouse


def _boom(_: object) -> dict:
    raise ValueError("bad input")


def test_a_failed_branch_is_recorded_and_the_others_still_run(home, monkeypatch):
    monkeypatch.setattr(skip, "fingerprint", lambda *args: None)  # no fingerprint: every branch runs
    night = Night(home, date(2026, 12, 5), logging.getLogger("test-nightly"), run_id="run-1")
    night.run_branch("bad", BranchRun("x", _boom), quick=True, sample=False)
    night.run_branch("good", BranchRun("y", lambda quick: {"quick": quick}), quick=True, sample=False)
    assert night.failed == {"bad": "ValueError: bad input"}
    assert night.results["good"]["quick"] is True and night.results["good"]["seconds"] >= 0
    with pytest.raises(CinepipeError, match="bad: ValueError: bad input"):
        night.raise_if_failed()


def test_an_unchanged_branch_is_skipped_with_its_last_summary(home, monkeypatch):
    monkeypatch.setattr(skip, "fingerprint", lambda *args: "same-inputs")
    with warehouse.connect(home):  # the ledger's tables
        pass
    ran: list[bool] = []
    branch = BranchRun("y", lambda quick: ran.append(quick) or {"rows": 3})
    first = Night(home, date(2026, 12, 5), logging.getLogger("test-nightly"), run_id="run-1")
    first.run_branch("toy", branch, quick=False, sample=False)
    second = Night(home, date(2026, 12, 6), logging.getLogger("test-nightly"), run_id="run-2")
    second.run_branch("toy", branch, quick=False, sample=False)
    assert ran == [False]
    assert second.results["toy"] == {"rows": 3, "skipped": "unchanged since run run-1"}
    second.raise_if_failed()


def test_an_empty_inbox_is_a_ledger_read_and_a_failing_one_fails_the_night_only(home, monkeypatch):
    night = Night(home, date(2026, 12, 5), logging.getLogger("test-nightly"), run_id="run-1")
    night.apply_inbox(lambda day: pytest.fail("nothing pending: no update"))
    assert night.results["inbox"] == {"datasets": {}, "nothing_new": True}
    monkeypatch.setattr(nightly.incremental, "pending_files", lambda settings: ["a file"])
    night.apply_inbox(_boom)
    assert night.failed == {"inbox": "ValueError: bad input"}
