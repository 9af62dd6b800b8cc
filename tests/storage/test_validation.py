"""The bad-fraction gate every branch's checks end with."""

from __future__ import annotations

import pytest

from cinepipe.errors import ValidationFailed
from cinepipe.storage.validation import gate_bad_fraction


def _problem(fraction: float) -> str:
    return f"{fraction:.1%} failed"


def test_the_gate_passes_up_to_the_allowed_share_and_stops_above_it():
    assert gate_bad_fraction("src", 1, 10, 0.1, problem=_problem, action="fix") == pytest.approx(0.1)
    with pytest.raises(ValidationFailed, match=r"11\.0% failed") as info:
        gate_bad_fraction("src", 11, 100, 0.1, problem=_problem, action="Fix the source.")
    assert info.value.source == "src" and info.value.action == "Fix the source."


def test_no_rows_at_all_fails_unless_the_step_allows_it():
    with pytest.raises(ValidationFailed, match=r"100\.0% failed"):
        gate_bad_fraction("src", 0, 0, 1.0, problem=_problem, action="fix")
    assert gate_bad_fraction("src", 0, 0, 0.0, problem=_problem, action="fix", empty_fails=False) == 0.0
