"""The Naver branch's ingest steps, files in and files out: stage the personal list, search every
title, crawl the matched pages.

Network steps cache every answer on disk (``cache/http/naver-*``), so a rerun makes no calls and
a run stopped half-way (quota, network) resumes where it stopped.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import fields
from pathlib import Path

import pandas as pd

from cinepipe.errors import CinepipeError
from cinepipe.io.download import local_path
from cinepipe.io.hashing import content_dir, fingerprint_path
from cinepipe.naver.api import SearchClient, search_rows
from cinepipe.naver.columns import ENGLISH_TITLE, INPUT_ROW, NAVER_CODE, TITLE
from cinepipe.naver.crawl import (
    LayoutChanged,
    MoviePage,
    PageNotFound,
    PoliteFetcher,
    check_unreadable_share,
    parse_basic_page,
)
from cinepipe.naver.scores_io import parse_score_list
from cinepipe.reporting.progress import count_bar
from cinepipe.settings import Settings

PAGE_COLUMNS = [f.name for f in fields(MoviePage)] + ["crawl_status", "crawl_error"]


def _read_text(path: Path) -> str:
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp949")  # what Korean Excel saves a CSV as


def stage_list(scores: str, staging_dir: Path) -> str:
    """Parse the personal list into ``<staging_dir>/naver/<content>/list.parquet`` and ``bad.parquet``
    (with ``source.json``: where it came from, in which format); returns that directory."""
    path = local_path(scores)
    if not path.is_file():
        raise CinepipeError(scores, "the score list does not exist", "Check the path given to --scores.")
    try:
        parsed = parse_score_list(_read_text(path))
    except (UnicodeDecodeError, ValueError) as exc:
        raise CinepipeError(scores, f"cannot read the score list ({exc})",
                            "Give a CSV/TSV with a header title,my_score or title::my::netizen::critic:: lines.") from exc
    if parsed.rows.empty:
        raise CinepipeError(scores, f"no usable rows ({len(parsed.bad)} rejected)", "Check the file's format.")
    out = content_dir(staging_dir / "naver", fingerprint_path(path))
    parsed.rows.to_parquet(out / "list.parquet", index=False)
    parsed.bad.to_parquet(out / "bad.parquet", index=False)
    (out / "source.json").write_text(json.dumps({"source": str(path), "format": parsed.format}))
    return str(out)


def search_list(staged: str, api_base: str, settings: Settings) -> str:
    """Search every list row; the answers' items go to ``search.json`` beside the list."""
    rows = pd.read_parquet(Path(staged) / "list.parquet")
    client = SearchClient(
        api_base, settings.naver_client_id, settings.naver_client_secret,
        settings.http_cache_dir / "naver-api", retries=settings.http_retries, timeout_s=settings.http_timeout_s,
    )
    records = [
        {INPUT_ROW: int(r[INPUT_ROW]), TITLE: r[TITLE],
         ENGLISH_TITLE: r[ENGLISH_TITLE] if isinstance(r[ENGLISH_TITLE], str) else None}
        for r in rows.to_dict("records")
    ]
    answers = search_rows(client, records)
    # named by the answers (as checked): other answers or other checks give a new path, so matching reruns
    out = content_dir(Path(staged), "search", api_base, answers) / "search.json"
    out.write_text(json.dumps({"answers": answers, "calls": client.stats.calls,
                               "cache_hits": client.stats.cache_hits}, ensure_ascii=False))
    return str(out)


def crawl_pages(matches: str, web_base: str, obey_robots: bool, max_layout_failures: float, settings: Settings,
                log: Callable[..., None]) -> str:
    """Fetch and parse the basic page of every matched code into ``pages.parquet``; ``log`` gets the
    one line that says what was read (before the share of unreadable pages is judged).

    A page that cannot be read (``layout-changed``, with the reason) or is gone (``page-missing``)
    is recorded with its status, not read as missing scores; its row goes to the review queue.
    More unreadable pages than ``max_layout_failures`` allows, or robots.txt forbidding the pages,
    stops the step.
    """
    frame = pd.read_parquet(matches)
    codes = sorted({int(c) for c in frame[NAVER_CODE].dropna()})
    fetcher = PoliteFetcher(
        web_base, settings.http_cache_dir / "naver-web",
        pages_per_second=settings.naver_pages_per_second, obey_robots=obey_robots,
        retries=settings.http_retries, timeout_s=settings.http_timeout_s,
    )
    rows = []
    with count_bar(f"crawl {web_base}", len(codes)) as advance:
        for done, code in enumerate(codes, 1):
            try:
                page = parse_basic_page(fetcher.fetch_basic(code), code)
                rows.append({**page.to_dict(), "crawl_status": "ok", "crawl_error": None})
            except LayoutChanged as exc:
                rows.append({NAVER_CODE: code, "crawl_status": "layout-changed", "crawl_error": exc.problem})
            except PageNotFound as exc:
                rows.append({NAVER_CODE: code, "crawl_status": "page-missing", "crawl_error": exc.problem})
            advance(done)
    pages = pd.DataFrame(rows, columns=PAGE_COLUMNS)
    log("%d pages: %s (%d fetched, %d from the cache)", len(pages),
        ", ".join(f"{n} {s}" for s, n in pages["crawl_status"].value_counts().items()) or "none",
        fetcher.calls, fetcher.cache_hits)
    unreadable = pages[pages["crawl_status"] == "layout-changed"]
    check_unreadable_share(dict(zip(unreadable[NAVER_CODE], unreadable["crawl_error"], strict=True)),
                           len(codes), max_layout_failures, web_base)
    # named by what the pages say: a site or parser that changed gives a new path, so later steps rerun
    out = content_dir(Path(matches).parent, "pages", web_base,
                      pages.to_json(orient="records", force_ascii=False)) / "pages.parquet"
    pages.astype({NAVER_CODE: "int64"}).to_parquet(out, index=False)
    (out.parent / "crawl.json").write_text(json.dumps({"calls": fetcher.calls, "cache_hits": fetcher.cache_hits}))
    return str(out)
