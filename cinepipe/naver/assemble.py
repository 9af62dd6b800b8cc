"""Put the pieces together (pure): list rows + matches + crawled pages + IMDb scores -> tables.

``naver_scores`` has one row per movie (deduplicated by ``naver_code``, or ``imdb_id`` for IMDb
rows); where a person listed a movie twice, the later row wins. A row whose page could not be read
is not written there (its scores could not be verified). ``naver_match_review`` has the rows a
person must settle, or settled, each with its reason: no certain candidate, or a page not read.
"""

from __future__ import annotations

import json

import pandas as pd

from cinepipe.naver.columns import (
    AUDIENCE,
    AUTO,
    CONFIDENCE,
    CRITIC,
    ENGLISH_TITLE,
    IMDB_ID,
    INPUT_ROW,
    MANUAL,
    METHOD,
    MY_SCORE,
    NAVER_CODE,
    NETIZEN,
    NETIZEN_VOTES,
    QUERY_KEY,
    SOURCE,
    TITLE,
    YEAR,
)
from cinepipe.naver.matching import REJECTED, REVIEW, candidates_text

CRAWL_OK = "ok"
SCORES_COLUMNS = [
    NAVER_CODE, TITLE, ENGLISH_TITLE, YEAR, MY_SCORE, NETIZEN, CRITIC, NETIZEN_VOTES, CONFIDENCE,
    METHOD, SOURCE, IMDB_ID, AUDIENCE, "list_title", INPUT_ROW, "crawl_status", "genres", "nation",
    "director",
]
SCORES_DTYPES = {
    NAVER_CODE: "Int64", TITLE: "string", ENGLISH_TITLE: "string", YEAR: "Int64", MY_SCORE: "float64",
    NETIZEN: "Float64", CRITIC: "Float64", NETIZEN_VOTES: "Int64", CONFIDENCE: "float64",
    METHOD: "string", SOURCE: "string", IMDB_ID: "string", AUDIENCE: "Float64", "list_title": "string",
    INPUT_ROW: "int64", "crawl_status": "string", "genres": "string", "nation": "string",
    "director": "string",
}
REVIEW_COLUMNS = [INPUT_ROW, TITLE, YEAR, ENGLISH_TITLE, QUERY_KEY, "candidates", "chosen_code", "decision",
                  "reason"]


def _unread_pages(pages: pd.DataFrame) -> pd.DataFrame:
    """Codes whose page could not be read, with the reason (``page <code>: <problem>``)."""
    unread = pages[pages["crawl_status"] != CRAWL_OK]
    return pd.DataFrame({
        NAVER_CODE: unread[NAVER_CODE].astype("Int64"),
        "page_reason": "page " + unread[NAVER_CODE].astype("string") + ": " + unread["crawl_error"].fillna(
            unread["crawl_status"]).astype("string"),
    })


def _naver_rows(rows: pd.DataFrame, matches: pd.DataFrame, pages: pd.DataFrame) -> pd.DataFrame:
    chosen = matches[matches[NAVER_CODE].notna()][[INPUT_ROW, NAVER_CODE, CONFIDENCE, METHOD]]
    read = pages[pages["crawl_status"] == CRAWL_OK]
    # only rows whose page was read: a page that failed goes to the review queue, its scores unverified
    frame = rows.merge(chosen, on=INPUT_ROW).merge(
        read.add_prefix("page_").rename(columns={f"page_{NAVER_CODE}": NAVER_CODE}), on=NAVER_CODE
    )
    return pd.DataFrame({
        NAVER_CODE: frame[NAVER_CODE],
        TITLE: frame["page_title"],
        ENGLISH_TITLE: frame["page_english_title"],
        YEAR: frame["page_year"],
        MY_SCORE: frame[MY_SCORE],
        NETIZEN: frame["page_netizen_score"],
        CRITIC: frame["page_critic_score"],
        NETIZEN_VOTES: frame["page_netizen_votes"],
        CONFIDENCE: frame[CONFIDENCE],
        METHOD: frame[METHOD],
        SOURCE: "naver",
        IMDB_ID: None,
        AUDIENCE: frame["page_audience_score"],
        "list_title": frame[TITLE],
        INPUT_ROW: frame[INPUT_ROW],
        "crawl_status": frame["page_crawl_status"],
        "genres": frame["page_genres"],
        "nation": frame["page_nation"],
        "director": frame["page_director"],
    })


def _imdb_rows(rows: pd.DataFrame, imdb: pd.DataFrame) -> pd.DataFrame:
    frame = rows.merge(imdb, on=INPUT_ROW, suffixes=("", "_imdb"))
    return pd.DataFrame({
        NAVER_CODE: None,
        TITLE: frame["imdb_title"],
        ENGLISH_TITLE: frame[ENGLISH_TITLE],
        YEAR: frame["imdb_year"],
        MY_SCORE: frame[MY_SCORE],
        NETIZEN: frame[f"{NETIZEN}_imdb"],
        CRITIC: None,
        NETIZEN_VOTES: frame[f"{NETIZEN_VOTES}"],
        CONFIDENCE: frame[CONFIDENCE],
        METHOD: frame[METHOD],
        SOURCE: "imdb",
        IMDB_ID: frame[IMDB_ID],
        AUDIENCE: None,
        "list_title": frame[TITLE],
        INPUT_ROW: frame[INPUT_ROW],
        "crawl_status": None,
        "genres": None,
        "nation": None,
        "director": None,
    })


def build_naver_scores(
    rows: pd.DataFrame, matches: pd.DataFrame, pages: pd.DataFrame, imdb: pd.DataFrame
) -> tuple[pd.DataFrame, dict]:
    """The ``naver_scores`` rows and counts of how each list row ended."""
    parts = [p for p in (_naver_rows(rows, matches, pages), _imdb_rows(rows, imdb)) if not p.empty]
    frame = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=SCORES_COLUMNS)
    frame = frame[SCORES_COLUMNS].astype(SCORES_DTYPES)
    identity = frame[NAVER_CODE].astype("string").fillna("imdb:" + frame[IMDB_ID].fillna(""))
    frame = frame.assign(_id=identity).sort_values(INPUT_ROW)
    deduped = frame.drop_duplicates("_id", keep="last").drop(columns="_id").reset_index(drop=True)
    methods = matches[METHOD].value_counts().to_dict()
    unread_auto = matches[(matches[METHOD] == AUTO) & matches[NAVER_CODE].isin(_unread_pages(pages)[NAVER_CODE])]
    counts = {
        "list_rows": len(rows),
        "matched_auto": int(methods.get("auto", 0)),
        "matched_manual": int(methods.get(MANUAL, 0)),
        "review_pending": int(methods.get(REVIEW, 0)) + len(unread_auto),
        "pages_unread": int((pages["crawl_status"] != CRAWL_OK).sum()),
        "rejected_by_person": int(methods.get(REJECTED, 0)),
        "no_naver_match": int(methods.get("no-match", 0)),
        "imdb_fallback": int((deduped[SOURCE] == "imdb").sum()),
        "duplicates_dropped": len(frame) - len(deduped),
        "naver_scores_rows": len(deduped),
        "study_rows": int(deduped[[MY_SCORE, NETIZEN, CRITIC]].notna().all(axis=1).sum()),
        "crawl_status": {k: int(v) for k, v in pages["crawl_status"].value_counts().items()},
    }
    return deduped, counts


def _uncertain(candidates: list[dict], confidence: float) -> str:
    """Why a match waits for a person: a close runner-up or a weak title, or a malformed best candidate."""
    flawed = candidates[0].get("problems") if candidates else None
    if flawed:
        return "the best candidate came with malformed fields: " + "; ".join(flawed)
    return f"no candidate is certain (confidence {confidence:.2f})"


def review_rows(rows: pd.DataFrame, matches: pd.DataFrame, pages: pd.DataFrame) -> pd.DataFrame:
    """Rows waiting for a person (``review``, or a matched movie whose page could not be read) or
    settled by one (``manual``, ``rejected``), each with its reason."""
    unread = _unread_pages(pages)
    asked = matches[matches[METHOD].isin([REVIEW, MANUAL, REJECTED]) | matches[NAVER_CODE].isin(unread[NAVER_CODE])]
    frame = rows[[INPUT_ROW, TITLE, YEAR, ENGLISH_TITLE]].merge(asked, on=INPUT_ROW).merge(
        unread, on=NAVER_CODE, how="left")
    decision = frame[METHOD].map({REVIEW: None, MANUAL: "chosen", REJECTED: "none", AUTO: None})
    uncertain = [_uncertain(json.loads(c), conf) for c, conf in zip(frame["candidates"], frame[CONFIDENCE], strict=True)]
    reason = frame["page_reason"].astype("string").fillna(
        pd.Series(uncertain, index=frame.index, dtype="string").where(frame[METHOD] == REVIEW))
    return pd.DataFrame({
        INPUT_ROW: frame[INPUT_ROW],
        TITLE: frame[TITLE],
        YEAR: frame[YEAR],
        ENGLISH_TITLE: frame[ENGLISH_TITLE],
        QUERY_KEY: frame[QUERY_KEY],
        "candidates": frame["candidates"],
        # an automatic match is no one's choice: written as one, the next run would take it for one
        "chosen_code": frame[NAVER_CODE].astype("Int64").where(frame[METHOD] == MANUAL),
        "decision": decision,
        "reason": reason,
    }, columns=REVIEW_COLUMNS)


def review_csv_frame(review: pd.DataFrame) -> pd.DataFrame:
    """The review CSV a person edits: candidates readable, ``chosen_code`` a code, ``none`` or blank."""
    chosen = review["chosen_code"].astype("string").where(review["decision"] != "none", "none")
    return pd.DataFrame({
        INPUT_ROW: review[INPUT_ROW],
        TITLE: review[TITLE],
        YEAR: review[YEAR],
        ENGLISH_TITLE: review[ENGLISH_TITLE],
        "candidates": [candidates_text(json.loads(c)) for c in review["candidates"]],
        "chosen_code": chosen.fillna(""),
        "reason": review["reason"].fillna(""),
        QUERY_KEY: review[QUERY_KEY],
    })
