"""Validate task of the IMDB branch: suite checks, quarantine, dedup, GX report."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
from prefect import task

from cinepipe.errors import ValidationFailed
from cinepipe.imdb.checks import check_reviews, gx_report
from cinepipe.reporting.artifacts import publish_markdown, validation_markdown
from cinepipe.settings import get_settings
from cinepipe.tasks._common import STAGED, content_dir, step_key


@task(name="validate-imdb", task_run_name="validate-imdb", cache_policy=STAGED)
def validate_imdb(read: dict, max_bad_fraction: float, gx_max_rows: int) -> dict:
    """Good, deduplicated reviews and quarantined rows as Parquet; fails above the bad fraction."""
    settings = get_settings()
    key = step_key(validate_imdb, read["key"], max_bad_fraction, gx_max_rows)
    source_dir = Path(read["dir"])
    reviews = pd.read_parquet(source_dir / "reviews.parquet")
    unreadable = pd.read_parquet(source_dir / "unreadable.parquet")
    checked = check_reviews(reviews)
    bad = pd.concat([unreadable, checked.bad], ignore_index=True)
    n_in = len(reviews) + len(unreadable)
    bad_fraction = len(bad) / n_in if n_in else 0.0
    if bad_fraction > max_bad_fraction:
        reasons = ", ".join(f"{r}: {n}" for r, n in bad.groupby("reason").size().items())
        raise ValidationFailed(
            f"imdb:{read['dataset']}",
            f"{len(bad)} of {n_in} reviews failed their checks ({bad_fraction:.1%}; {reasons})",
            f"Fix the source, or raise CINEPIPE_MAX_BAD_FRACTION (now {max_bad_fraction}).",
        )
    out = content_dir(settings.staging_dir / "imdb" / "validated", key)
    checked.good.to_parquet(out / "good.parquet", index=False)
    bad.to_parquet(out / "quarantined.parquet", index=False)
    report = gx_report(checked.good, gx_max_rows)
    (out / "gx_validation.json").write_text(json.dumps(report, default=str))
    summary = {
        "rows_in": n_in, "rows_valid": len(checked.good), "rows_quarantined": len(bad),
        "failures": {**checked.failures, **{r: int(n) for r, n in unreadable.groupby("reason").size().items()}},
        "duplicate_texts_dropped": checked.duplicate_texts, "duplicate_ids_dropped": checked.duplicate_ids,
        "gx_success": all(r.get("success") for r in report.values()),
    }
    _publish(summary, report, read["dataset"])
    return {"dir": str(out), "key": key, "summary": summary}


def _publish(summary: dict, report: dict, dataset: str) -> None:
    facts = [
        f"reviews read: {summary['rows_in']:,}; valid after dedup: {summary['rows_valid']:,}; "
        f"quarantined: {summary['rows_quarantined']:,}",
        f"duplicate texts dropped per split: {summary['duplicate_texts_dropped'] or 'none'}",
        f"Great Expectations on the valid rows: {'passed' if summary['gx_success'] else 'FAILED'}",
    ]
    tables = {f"imdb_reviews ({part})": result.get("results", []) for part, result in report.items()}
    publish_markdown(validation_markdown(f"Validation of imdb[{dataset}]", facts, summary["failures"], tables),
                     key=f"validation-imdb-{dataset}", description="Validation results")
