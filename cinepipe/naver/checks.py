"""The check of the assembled ``naver_scores`` rows against their suite (``schemas/naver_scores.json``)."""

from __future__ import annotations

from typing import TypedDict

import pandas as pd

from cinepipe.errors import ValidationFailed
from cinepipe.storage.validation import gx_validate, publish_validation, summarise_gx


class Checked(TypedDict):
    expectations: int
    failed: int


def check_scores(scores: str) -> Checked:
    """Great Expectations over the rows; the report goes to the UI. Fails on any miss (a bug of the
    branch: the rows with unreadable input were quarantined before)."""
    frame = pd.read_parquet(scores)
    result = gx_validate(frame, "naver_scores")
    summary = summarise_gx(result)
    passed = sum(s["success"] for s in summary)
    facts = [f"matched movies checked: {len(frame):,}", f"expectations passed: {passed} of {len(summary)}",
             "rows with an unreadable score or page are quarantined when loaded (see the quarantine table)"]
    publish_validation("naver_scores", "validation-naver", facts, {}, {"naver_scores": result.get("results", [])})
    failed = [s for s in summary if not s["success"]]
    if failed:
        raise ValidationFailed(
            "naver_scores", f"{len(failed)} expectations failed: "
            + "; ".join(f"{f['expectation']} {f['kwargs']}" for f in failed)[:400],
            "This is a bug in the Naver branch; please report it with the score list.",
        )
    return Checked(expectations=len(summary), failed=0)
