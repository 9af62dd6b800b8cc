"""Row checks (``schemas/imdb_reviews.json``), de-duplication and the validation step of the review table."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, TypedDict

import pandas as pd

from cinepipe.imdb.columns import COPIES, LABEL, MEMBER, REVIEW_ID, SPLIT, TEXT
from cinepipe.io.hashing import content_dir
from cinepipe.storage.validation import (
    check_frame,
    gate_bad_fraction,
    gx_validate,
    publish_validation,
)

if TYPE_CHECKING:
    from cinepipe.imdb.sources import Read

SUITE = "imdb_reviews"
# star bands of the two polarities (the dataset's README: neg <= 4, pos >= 7)
RATING_BANDS = {0: {"rating_min": 1, "rating_max": 4}, 1: {"rating_min": 7, "rating_max": 10}}


@dataclass
class Checked:
    """Good rows (deduplicated), quarantined rows (raw, reason) and what was dropped and why."""

    good: pd.DataFrame
    bad: pd.DataFrame
    failures: dict[str, int] = field(default_factory=dict)
    duplicate_texts: dict[str, int] = field(default_factory=dict)  # per split
    duplicate_ids: dict[str, int] = field(default_factory=dict)


def check_reviews(reviews: pd.DataFrame) -> Checked:
    """Apply the suite to each polarity's rows with its star band, then drop duplicates per split.

    Rows whose label is neither 0 nor 1 are checked with the negative band; the label check
    quarantines them either way.
    """
    goods, bads, failures = [], [], {}
    positive = reviews[LABEL] == 1
    for label, rows in ((1, reviews[positive]), (0, reviews[~positive])):
        if rows.empty:
            continue
        result = check_frame(rows, SUITE, RATING_BANDS[label])
        goods.append(result.good)
        bads.append(result.bad)
        for reason, n in result.failures.items():
            failures[reason] = failures.get(reason, 0) + n
    good = pd.concat(goods, ignore_index=True) if goods else reviews.iloc[0:0]
    bad = pd.concat(bads, ignore_index=True) if bads else pd.DataFrame(columns=["raw", "reason"])
    good, duplicate_ids, duplicate_texts = dedupe_reviews(good)
    return Checked(good, bad, failures, duplicate_texts, duplicate_ids)


def dedupe_reviews(reviews: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, int], dict[str, int]]:
    """Keep the first row (by member name) per (split, review id) and per (split, text).

    A kept row's ``copies`` counts the reviews of its split with the same text and label, so a
    score over the official split (all 25,000 test reviews) can still be computed from the kept
    rows; a repeated text under the other label is dropped without counting (it contradicts).

    Returns the kept rows and, per split, how many repeated ids and repeated texts were dropped.
    """
    ordered = reviews.sort_values([SPLIT, MEMBER, REVIEW_ID], kind="stable")
    same_id = ordered.duplicated([SPLIT, REVIEW_ID])
    kept = ordered[~same_id]
    same_text = kept.duplicated([SPLIT, TEXT])
    copies = kept.groupby([SPLIT, TEXT, LABEL], sort=False)[REVIEW_ID].transform("size")
    deduped = kept.assign(**{COPIES: copies.astype("int64")})[~same_text].reset_index(drop=True)
    return (
        deduped,
        {str(k): int(v) for k, v in ordered[same_id].groupby(SPLIT).size().items()},
        {str(k): int(v) for k, v in kept[same_text].groupby(SPLIT).size().items()},
    )


def gx_report(good: pd.DataFrame, max_rows: int) -> dict:
    """Great Expectations results of the suite per polarity over (at most ``max_rows``) good rows."""
    report = {}
    for label, band in RATING_BANDS.items():
        rows = good[good[LABEL] == label]
        if len(rows) > max_rows:
            rows = rows.sample(max_rows, random_state=0)
        report[f"label={label}"] = gx_validate(rows.reset_index(drop=True), SUITE, band)
    return report


class Summary(TypedDict):
    rows_in: int
    rows_valid: int
    rows_quarantined: int
    failures: dict[str, int]
    duplicate_texts_dropped: dict[str, int]
    duplicate_ids_dropped: dict[str, int]
    gx_success: bool


class Validated(TypedDict):
    """Where the checked reviews are (``good.parquet``, ``quarantined.parquet``), under which key."""

    dir: str
    key: str
    summary: Summary


def validate_read(read: Read, key: str, max_bad_fraction: float, gx_max_rows: int, staging_dir: Path) -> Validated:
    """Check the reviews as read: good, deduplicated reviews and quarantined rows as Parquet under
    ``staging_dir``, the GX report beside them and in the UI.

    Raises:
        ValidationFailed: above ``max_bad_fraction`` of the reviews fail their checks or cannot be read.
    """
    source_dir = Path(read["dir"])
    reviews = pd.read_parquet(source_dir / "reviews.parquet")
    unreadable = pd.read_parquet(source_dir / "unreadable.parquet")
    checked = check_reviews(reviews)
    bad = pd.concat([unreadable, checked.bad], ignore_index=True)
    n_in = len(reviews) + len(unreadable)
    gate_bad_fraction(
        f"imdb:{read['dataset']}", len(bad), n_in, max_bad_fraction, empty_fails=False,
        problem=lambda fraction: f"{len(bad)} of {n_in} reviews failed their checks ({fraction:.1%}; "
                                 + ", ".join(f"{r}: {n}" for r, n in bad.groupby("reason").size().items()) + ")",
        action=f"Fix the source, or raise CINEPIPE_MAX_BAD_FRACTION (now {max_bad_fraction}).",
    )
    out = content_dir(staging_dir / "imdb" / "validated", key)
    checked.good.to_parquet(out / "good.parquet", index=False)
    bad.to_parquet(out / "quarantined.parquet", index=False)
    report = gx_report(checked.good, gx_max_rows)
    (out / "gx_validation.json").write_text(json.dumps(report, default=str))
    summary = Summary(
        rows_in=n_in, rows_valid=len(checked.good), rows_quarantined=len(bad),
        failures={**checked.failures, **{r: int(n) for r, n in unreadable.groupby("reason").size().items()}},
        duplicate_texts_dropped=checked.duplicate_texts, duplicate_ids_dropped=checked.duplicate_ids,
        gx_success=all(r.get("success") for r in report.values()),
    )
    _publish(summary, report, read["dataset"])
    return Validated(dir=str(out), key=key, summary=summary)


def _publish(summary: Summary, report: dict, dataset: str) -> None:
    facts = [
        f"reviews read: {summary['rows_in']:,}; valid after dedup: {summary['rows_valid']:,}; "
        f"quarantined: {summary['rows_quarantined']:,}",
        f"duplicate texts dropped per split: {summary['duplicate_texts_dropped'] or 'none'}",
        f"Great Expectations on the valid rows: {'passed' if summary['gx_success'] else 'FAILED'}",
    ]
    tables = {f"imdb_reviews ({part})": result.get("results", []) for part, result in report.items()}
    publish_validation(f"imdb[{dataset}]", f"validation-imdb-{dataset}", facts, summary["failures"], tables)
