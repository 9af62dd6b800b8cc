"""The Naver branch's transform steps, files in and files out: match the titles, look up IMDb for
those Naver lacks, assemble the tables (the pure work is in ``matching``, ``imdb_fallback``,
``assemble``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TypedDict

import pandas as pd

from cinepipe.errors import CinepipeError
from cinepipe.io.download import local_path
from cinepipe.io.hashing import content_dir
from cinepipe.naver import matching
from cinepipe.naver.assemble import build_naver_scores, review_rows
from cinepipe.naver.columns import (
    CONFIDENCE,
    ENGLISH_TITLE,
    INPUT_ROW,
    METHOD,
    NAVER_CODE,
    NETIZEN,
    TITLE,
    YEAR,
)
from cinepipe.naver.imdb_fallback import (
    RESULT_COLUMNS,
    imdb_crowd_scores,
    read_rated_titles,
)


class Assembled(TypedDict):
    """The ``naver_scores`` rows (``scores``), the review queue (``review``), both Parquet, and the counts."""

    scores: str
    review: str
    counts: dict[str, int]


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


def match_list(staged: str, searched: str, decisions: dict[str, int | None], threshold: float) -> str:
    """Decide every row's movie into ``matches.parquet`` (named by the decisions and threshold)."""
    rows = pd.read_parquet(Path(staged) / "list.parquet")
    answers = {a[INPUT_ROW]: a["items"] for a in json.loads(Path(searched).read_text())["answers"]}
    found = matching.match_all(_queries(rows), answers, decisions, threshold)
    frame = pd.DataFrame([m.to_dict() for m in found]).rename(
        columns={"method": METHOD, "confidence": CONFIDENCE})
    frame["candidates"] = frame.pop("candidates").map(matching.candidates_json)
    out = content_dir(Path(searched).parent, "matches", decisions, threshold) / "matches.parquet"
    frame.astype({NAVER_CODE: "Int64"}).to_parquet(out, index=False)
    return str(out)


def imdb_scores(staged: str, matches: str, basics_tsv: str | None, ratings_tsv: str | None) -> str:
    """IMDb crowd scores for rows Naver has no match for (``imdb.parquet``; empty when unset)."""
    rows = pd.read_parquet(Path(staged) / "list.parquet")
    frame = pd.read_parquet(matches)
    without = rows[rows[INPUT_ROW].isin(frame.loc[frame[METHOD].isin(
        [matching.NO_MATCH, matching.REJECTED]), INPUT_ROW])]
    out = Path(matches).parent / "imdb.parquet"
    if without.empty or not (basics_tsv and ratings_tsv):
        pd.DataFrame(columns=RESULT_COLUMNS).to_parquet(out, index=False)
        return str(out)
    basics, ratings = local_path(basics_tsv), local_path(ratings_tsv)
    for p in (basics, ratings):
        if not p.is_file():
            raise CinepipeError(str(p), "the IMDb file does not exist",
                                "Check CINEPIPE_IMDB_BASICS_TSV / CINEPIPE_IMDB_RATINGS_TSV.")
    wanted = [t for t in pd.concat([without[TITLE], without[ENGLISH_TITLE]]).dropna()]
    imdb_crowd_scores(without, read_rated_titles(basics, ratings, wanted)).to_parquet(out, index=False)
    return str(out)


def assemble_tables(staged: str, matches: str, pages: str, imdb: str) -> Assembled:
    """``scores.parquet`` (the naver_scores rows), ``review.parquet`` and the counts."""
    rows = pd.read_parquet(Path(staged) / "list.parquet")
    match_frame = pd.read_parquet(matches)
    page_frame = pd.read_parquet(pages)
    scores, counts = build_naver_scores(rows, match_frame, page_frame, pd.read_parquet(imdb))
    out = content_dir(Path(pages).parent, "assembled", imdb)
    scores.to_parquet(out / "scores.parquet", index=False)
    review_rows(rows, match_frame, page_frame).to_parquet(out / "review.parquet", index=False)
    return Assembled(scores=str(out / "scores.parquet"), review=str(out / "review.parquet"), counts=counts)
