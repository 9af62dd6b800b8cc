"""The Naver branch's warehouse side: the decisions a person recorded, and the load of ``naver_scores``."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, TypedDict

import duckdb
import pandas as pd

from cinepipe.errors import CinepipeError
from cinepipe.naver import matching
from cinepipe.naver.columns import QUERY_KEY, REVIEW_CSV
from cinepipe.settings import Settings
from cinepipe.storage import warehouse
from cinepipe.storage.partition import Partition, load_partition

if TYPE_CHECKING:
    from cinepipe.naver.combine import Assembled


class Loaded(TypedDict):
    naver_scores: int
    naver_match_review: int
    review_pending: int
    quarantined: int


def recorded_decisions(settings: Settings) -> dict[str, int | None]:
    """A person's decisions by query key: the review CSV in exports/ over those already recorded."""
    decisions: dict[str, int | None] = {}
    with warehouse.connect(settings) as con:
        for key, code, decision in con.execute(
            "select query_key, chosen_code, decision from naver_match_review where decision is not null"
        ).fetchall():
            decisions[key] = None if decision == "none" else int(code)
    path = settings.exports_dir / REVIEW_CSV
    if path.exists():
        with path.open(newline="", encoding="utf-8-sig") as fh:
            for line_no, row in enumerate(csv.DictReader(fh), start=2):
                try:
                    decided, code = matching.parse_choice(row.get("chosen_code"))
                except ValueError as exc:
                    raise CinepipeError(str(path), f"line {line_no}: {exc}",
                                        "Write a candidate's code, 'none', or leave it blank.") from exc
                if decided and row.get(QUERY_KEY):
                    decisions[row[QUERY_KEY]] = code
    return decisions


def load_scores(staged: str, assembled: Assembled, settings: Settings) -> Loaded:
    """Replace ``naver_scores``, settle ``naver_match_review`` rows and quarantine the list's bad
    lines, in one transaction; the quarantine and the ledger once per list content."""
    scores = pd.read_parquet(assembled["scores"])
    review = pd.read_parquet(assembled["review"])
    bad = pd.read_parquet(Path(staged) / "bad.parquet")
    source = json.loads((Path(staged) / "source.json").read_text())["source"]
    run_id = warehouse.new_run_id()

    def write(con: duckdb.DuckDBPyConnection) -> int:
        warehouse.append_df(con, "naver_scores", scores.assign(load_run_id=run_id))
        _settle_review(con, review)
        return len(scores)

    partition = Path(source).name
    done = load_partition(settings, Partition("naver_scores", partition), write, content_key=Path(staged).name,
                          run_id=run_id, bad=bad, source=f"naver:{partition}", unchanged="ledger-once", lake=False)
    return Loaded(naver_scores=len(scores), naver_match_review=len(review),
                  review_pending=int(review["decision"].isna().sum()), quarantined=done.quarantined)


def _settle_review(con: duckdb.DuckDBPyConnection, review: pd.DataFrame) -> None:
    """Rows no longer waiting (a page now read, a title now matched) leave; settled ones stay as records."""
    now = datetime.now(UTC)
    decided = dict(con.execute(
        "select query_key, decided_at from naver_match_review where decision is not null").fetchall())
    review["decided_at"] = [
        (decided.get(k) or now) if pd.notna(d) else None  # a waiting row read back from Parquet holds NaN, not None
        for k, d in zip(review[QUERY_KEY], review["decision"], strict=True)
    ]
    con.register("_keys", review[[QUERY_KEY]])
    con.execute("delete from naver_match_review where decision is null or query_key in (select query_key from _keys)")
    con.unregister("_keys")
    warehouse.append_df(con, "naver_match_review", review)
