"""Transform tasks of the Naver branch: decisions, matching, IMDb fallback, assembly, load, export."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
from prefect import task

from cinepipe.errors import CinepipeError, ValidationFailed
from cinepipe.io.download import local_path
from cinepipe.io.files import write_atomic
from cinepipe.naver import matching
from cinepipe.naver.assemble import build_naver_scores, review_csv_frame, review_rows
from cinepipe.naver.columns import (
    CONFIDENCE,
    CRITIC,
    ENGLISH_TITLE,
    INPUT_ROW,
    METHOD,
    MY_SCORE,
    NAVER_CODE,
    NETIZEN,
    QUERY_KEY,
    REVIEW_CSV,
    TITLE,
    YEAR,
)
from cinepipe.naver.imdb_fallback import (
    RESULT_COLUMNS,
    imdb_crowd_scores,
    read_rated_titles,
)
from cinepipe.naver.scores_io import format_score_lines
from cinepipe.settings import get_settings
from cinepipe.storage import warehouse
from cinepipe.storage.validation import gx_validate, summarise_gx
from cinepipe.tasks._common import CACHED, STAGED, content_dir

SCORES_EXPORT = "naver_scores.txt"


def _queries(rows: pd.DataFrame) -> list[matching.TitleQuery]:
    return [
        matching.TitleQuery(
            input_row=int(r[INPUT_ROW]), title=r[TITLE],
            year=None if pd.isna(r[YEAR]) else int(r[YEAR]),
            english_title=r[ENGLISH_TITLE] if isinstance(r[ENGLISH_TITLE], str) else None,
            netizen_score=None if pd.isna(r[NETIZEN]) else float(r[NETIZEN]),
        )
        for r in rows.to_dict("records")
    ]


@task(name="read-naver-decisions", task_run_name="read-naver-decisions")
def read_review_decisions() -> dict[str, int | None]:
    """A person's decisions by query key: the review CSV in exports/ over those already recorded."""
    settings = get_settings()
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


@task(name="match-naver", task_run_name="match-naver", cache_policy=STAGED)
def match_titles(staged: str, searched: str, decisions: dict[str, int | None], naver_match_threshold: float) -> str:
    """Decide every row's movie into ``matches.parquet``."""
    rows = pd.read_parquet(Path(staged) / "list.parquet")
    answers = {a[INPUT_ROW]: a["items"] for a in json.loads(Path(searched).read_text())["answers"]}
    found = matching.match_all(_queries(rows), answers, decisions, naver_match_threshold)
    frame = pd.DataFrame([m.to_dict() for m in found]).rename(
        columns={"method": METHOD, "confidence": CONFIDENCE})
    frame["candidates"] = frame.pop("candidates").map(matching.candidates_json)
    out = content_dir(Path(searched).parent, "matches", decisions, naver_match_threshold) / "matches.parquet"
    frame.astype({NAVER_CODE: "Int64"}).to_parquet(out, index=False)
    return str(out)


@task(name="imdb-fallback-naver", task_run_name="imdb-fallback-naver")
def imdb_fallback(staged: str, matches: str, imdb_basics_tsv: str | None, imdb_ratings_tsv: str | None) -> str:
    """IMDb crowd scores for rows Naver has no match for (``imdb.parquet``; empty when unset)."""
    rows = pd.read_parquet(Path(staged) / "list.parquet")
    frame = pd.read_parquet(matches)
    without = rows[rows[INPUT_ROW].isin(frame.loc[frame[METHOD].isin(
        [matching.NO_MATCH, matching.REJECTED]), INPUT_ROW])]
    out = Path(matches).parent / "imdb.parquet"
    if without.empty or not (imdb_basics_tsv and imdb_ratings_tsv):
        pd.DataFrame(columns=RESULT_COLUMNS).to_parquet(out, index=False)
        return str(out)
    basics, ratings = local_path(imdb_basics_tsv), local_path(imdb_ratings_tsv)
    for p in (basics, ratings):
        if not p.is_file():
            raise CinepipeError(str(p), "the IMDb file does not exist",
                                "Check CINEPIPE_IMDB_BASICS_TSV / CINEPIPE_IMDB_RATINGS_TSV.")
    wanted = [t for t in pd.concat([without[TITLE], without[ENGLISH_TITLE]]).dropna()]
    imdb_crowd_scores(without, read_rated_titles(basics, ratings, wanted)).to_parquet(out, index=False)
    return str(out)


@task(name="assemble-naver", task_run_name="assemble-naver", cache_policy=STAGED)
def assemble_scores(staged: str, matches: str, pages: str, imdb: str) -> dict:
    """``scores.parquet`` (the naver_scores rows), ``review.parquet`` and the counts."""
    rows = pd.read_parquet(Path(staged) / "list.parquet")
    match_frame = pd.read_parquet(matches)
    page_frame = pd.read_parquet(pages)
    scores, counts = build_naver_scores(rows, match_frame, page_frame, pd.read_parquet(imdb))
    out = content_dir(Path(pages).parent, "assembled", imdb)
    scores.to_parquet(out / "scores.parquet", index=False)
    review_rows(rows, match_frame, page_frame).to_parquet(out / "review.parquet", index=False)
    return {"scores": str(out / "scores.parquet"), "review": str(out / "review.parquet"), "counts": counts}


@task(name="validate-naver", task_run_name="validate-naver", cache_policy=CACHED)
def validate_scores(scores: str) -> dict:
    """Great Expectations over ``naver_scores`` (schemas/naver_scores.json); fails on any miss."""
    frame = pd.read_parquet(scores)
    result = gx_validate(frame, "naver_scores")
    summary = summarise_gx(result)
    _publish_validation(result, len(frame), summary)
    failed = [s for s in summary if not s["success"]]
    if failed:
        raise ValidationFailed(
            "naver_scores", f"{len(failed)} expectations failed: "
            + "; ".join(f"{f['expectation']} {f['kwargs']}" for f in failed)[:400],
            "This is a bug in the Naver branch; please report it with the score list.",
        )
    return {"expectations": len(summary), "failed": 0}


def _publish_validation(result: dict, n_rows: int, summary: list[dict]) -> None:
    from cinepipe.reporting.artifacts import publish_markdown, validation_markdown

    passed = sum(s["success"] for s in summary)
    facts = [f"matched movies checked: {n_rows:,}", f"expectations passed: {passed} of {len(summary)}",
             "rows with an unreadable score or page are quarantined when loaded (see the quarantine table)"]
    publish_markdown(validation_markdown("Validation of naver_scores", facts, {},
                                         {"naver_scores": result.get("results", [])}),
                     key="validation-naver", description="Validation results")


@task(name="load-naver", task_run_name="load-naver")
def load_naver(staged: str, assembled: dict) -> dict:
    """Replace ``naver_scores``, settle ``naver_match_review`` rows, quarantine bad lines: one transaction."""
    settings = get_settings()
    scores = pd.read_parquet(assembled["scores"])
    review = pd.read_parquet(assembled["review"])
    bad = pd.read_parquet(Path(staged) / "bad.parquet")
    source = json.loads((Path(staged) / "source.json").read_text())["source"]
    run_id = warehouse.new_run_id()
    now = datetime.now(UTC)
    with warehouse.transaction(settings) as con:
        con.execute("delete from naver_scores")
        warehouse.append_df(con, "naver_scores", scores.assign(load_run_id=run_id))
        decided = dict(con.execute(
            "select query_key, decided_at from naver_match_review where decision is not null").fetchall())
        review["decided_at"] = [
            (decided.get(k) or now) if d is not None else None
            for k, d in zip(review[QUERY_KEY], review["decision"], strict=True)
        ]
        con.register("_keys", review[[QUERY_KEY]])
        # rows no longer waiting (a page now read, a title now matched) leave; settled ones stay as records
        con.execute("delete from naver_match_review where decision is null or query_key in (select query_key from _keys)")
        con.unregister("_keys")
        warehouse.append_df(con, "naver_match_review", review)
        partition, key = Path(source).name, Path(staged).name
        quarantined = 0
        if not warehouse.already_loaded(con, "naver_scores", partition, key):
            quarantined = warehouse.record_quarantine(
                con, bad, source=f"naver:{partition}", table_name="naver_scores", run_id=run_id)
            warehouse.log_load(con, run_id=run_id, table_name="naver_scores", partition_key=partition,
                               content_key=key, rows_loaded=len(scores), rows_quarantined=quarantined)
    return {"naver_scores": len(scores), "naver_match_review": len(review),
            "review_pending": int(review["decision"].isna().sum()), "quarantined": quarantined}


@task(name="export-naver", task_run_name="export-naver")
def export_naver(assembled: dict) -> dict:
    """``exports/naver_scores.txt`` (title::my::netizen::critic::) and the review CSV a person edits."""
    settings = get_settings()
    settings.exports_dir.mkdir(parents=True, exist_ok=True)
    scores = pd.read_parquet(assembled["scores"]).sort_values("input_row")
    lines = settings.exports_dir / SCORES_EXPORT
    write_atomic(lines, format_score_lines(scores[[TITLE, MY_SCORE, NETIZEN, CRITIC]]))
    review = review_csv_frame(pd.read_parquet(assembled["review"]))
    csv_path = settings.exports_dir / REVIEW_CSV
    write_atomic(csv_path, review.to_csv(index=False))
    return {"scores_lines": str(lines), "review_csv": str(csv_path), "review_rows": len(review)}

