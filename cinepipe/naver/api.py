"""The Naver movie search API client: retries what is transient, stops on what is not, caches all.

``GET {api_base}/v1/search/movie.json`` through the one HTTP layer (``cinepipe.io.http``: its retry
policy and its answer cache). Every answer worth keeping (200, and the 400/404 answers
that a repeat would only repeat) is cached on disk under a key made of the URL and parameters,
never the credentials, so a rerun makes no calls and an interrupted run resumes where it stopped.
The client secret is read from its ``SecretStr`` only to build the request header.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests
from pydantic import SecretStr

from cinepipe.errors import CinepipeError, TransientHTTPError
from cinepipe.io.http import AnswerCache, HttpClient, RetriesExhausted, RetryPolicy

SEARCH_PATH = "/v1/search/movie.json"
MAX_DISPLAY = 100
MAX_START = 1000
QUOTA_CODE = "010"  # 429: the daily quota (25,000 calls) is spent
RATE_LIMIT_CODE = "012"  # 429: too many calls per second
BAD_REQUEST_CODES = {
    "SE01": "incorrect query request",
    "SE02": "invalid display value",
    "SE03": "invalid start value",
    "SE04": "invalid sort value",
    "SE06": "malformed encoding",
}
SOURCE = "naver search api"
ITEM_FIELDS = {  # optional fields of a search item: what a well-formed value is ("" or absent: unknown)
    "subtitle": re.compile(r".*", re.S),
    "director": re.compile(r".*", re.S),
    "actor": re.compile(r".*", re.S),
    "pubDate": re.compile(r"18[89]\d|19\d\d|20\d\d|2100"),
    "userRating": re.compile(r"\d(?:\.\d+)?|10(?:\.0+)?"),
}


class NaverAPIError(CinepipeError):
    """The search API refused a request."""


class NaverAuthError(NaverAPIError):
    """401 / 403: wrong credentials or the search API not enabled for the application."""


class NaverQuotaExceeded(NaverAPIError):
    """429 with code 010: the daily call quota is spent; nothing more today."""


class NaverBadRequest(NaverAPIError):
    """400 SE01-SE06 or 404 SE05: the request itself is wrong; repeating it cannot help."""


class NaverTransientError(TransientHTTPError):
    """5xx, 429/012 or a dropped connection, still failing after the client's retries (the task
    does not retry it again)."""


def request_key(url: str, params: dict[str, Any]) -> str:
    """The cache key of a request: URL and parameters only (credentials are not part of it)."""
    return AnswerCache.key(url, params)


def search_params(
    query: str,
    *,
    display: int = 10,
    start: int = 1,
    yearfrom: int | None = None,
    yearto: int | None = None,
    genre: str | None = None,
    country: str | None = None,
) -> dict[str, Any]:
    """The query parameters of one search, checked against the API's limits before any call."""
    if not query or not query.strip():
        raise NaverBadRequest(SOURCE, "the search query is empty", "Give a title to search for.")
    if not 1 <= display <= MAX_DISPLAY:
        raise NaverBadRequest(SOURCE, f"display={display} is outside 1-{MAX_DISPLAY}", "Lower it.")
    if not 1 <= start <= MAX_START:
        raise NaverBadRequest(SOURCE, f"start={start} is outside 1-{MAX_START}", "Lower it.")
    params: dict[str, Any] = {"query": query, "display": display, "start": start}
    extra = {"yearfrom": yearfrom, "yearto": yearto, "genre": genre, "country": country}
    params.update({k: v for k, v in extra.items() if v is not None})
    return params


class SearchClient:
    """Search Naver movies; every answer is cached on disk.

    Args:
        api_base: e.g. ``https://openapi.naver.com`` (any compatible service).
        client_id, client_secret: the application's credentials; only needed for a cache miss.
        cache_dir: where answers are kept (``<cache>/http/naver-api``).
        retries: extra attempts for transient failures (429/012, 5xx, dropped connections).
    """

    def __init__(
        self,
        api_base: str,
        client_id: str | None,
        client_secret: SecretStr | None,
        cache_dir: Path,
        *,
        retries: int = 4,
        backoff_base_s: float = 0.5,
        retry_after_max_s: float = 120.0,
        timeout_s: float = 30.0,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.url = api_base.rstrip("/") + SEARCH_PATH
        self._client_id = client_id
        self._secret = client_secret
        self.cache = AnswerCache(cache_dir)
        self._http = HttpClient(
            RetryPolicy(retries=retries, backoff_base_s=backoff_base_s, retry_after_max_s=retry_after_max_s),
            timeout_s=timeout_s, session=session, sleep=sleep,
        )
        self.stats = self._http.stats

    def __repr__(self) -> str:
        return f"SearchClient(url={self.url!r}, client_id={self._client_id!r}, secret=**********)"

    def _headers(self) -> dict[str, str]:
        if not self._client_id or self._secret is None or not self._secret.get_secret_value():
            raise NaverAuthError(
                SOURCE, "no client id / secret is configured and the answer is not cached",
                "Set CINEPIPE_NAVER_CLIENT_ID and CINEPIPE_NAVER_CLIENT_SECRET "
                "(https://developers.naver.com/apps).",
            )
        return {
            "X-Naver-Client-Id": self._client_id,
            "X-Naver-Client-Secret": self._secret.get_secret_value(),
            "Accept": "application/json",
        }

    def search(self, query: str, **kwargs: Any) -> dict:
        """One search (``search_params`` names the arguments); the API's JSON answer."""
        params = search_params(query, **kwargs)
        try:
            # 200, and the 400/404 answers that a repeat would only repeat, are kept
            answer = self._http.cached_get(
                self.cache, self.url, params=params, headers=self._headers, refuse=_refuse,
                keep=lambda status: status in (200, 400, 404),
                action="The service is busy or down; run again later (finished searches are cached).",
            )
        except RetriesExhausted as exc:
            raise NaverTransientError(SOURCE, exc.problem, exc.action) from exc
        return _answer(answer.status, _json(answer.body), params)


def _refuse(resp: requests.Response) -> None:
    """Stop at once on what no retry can change: credentials, the API not enabled, the quota."""
    if resp.status_code in (401, 403):
        raise _auth_error(resp.status_code, _json(resp.content))
    if resp.status_code == 429 and str(_json(resp.content).get("errorCode", "")) == QUOTA_CODE:
        raise NaverQuotaExceeded(
            SOURCE, "the daily call quota is spent (HTTP 429, errorCode 010)",
            "Run again tomorrow: answers so far are cached and will not be asked again.",
        )


def _json(body: bytes) -> dict:
    try:
        data = json.loads(body)
    except ValueError:
        return {"errorMessage": body[:200].decode("utf-8", "replace"), "errorCode": ""}
    return data if isinstance(data, dict) else {"errorMessage": str(data)[:200], "errorCode": ""}


def _auth_error(status: int, body: dict) -> NaverAuthError:
    message = str(body.get("errorMessage", ""))[:200]
    if status == 401:
        return NaverAuthError(
            SOURCE, f"the client id / secret were rejected (HTTP 401: {message})",
            "Check CINEPIPE_NAVER_CLIENT_ID and CINEPIPE_NAVER_CLIENT_SECRET against "
            "https://developers.naver.com/apps.",
        )
    return NaverAuthError(
        SOURCE, f"the search API is not enabled for this application (HTTP 403: {message})",
        "Add the 'search' API to the application at https://developers.naver.com/apps.",
    )


def _answer(status: int, body: dict, params: dict) -> dict:
    if status == 200:
        return body
    code = str(body.get("errorCode", ""))
    what = BAD_REQUEST_CODES.get(code) or str(body.get("errorMessage", ""))[:200]
    raise NaverBadRequest(
        SOURCE, f"query {params.get('query')!r} refused (HTTP {status} {code}: {what})",
        "Fix the request; it is not retried.",
    )


def row_queries(title: str, english_title: str | None) -> list[str]:
    """What to search for one list row: its title, then its English title where it has another."""
    queries = [title]
    if english_title and english_title.strip().lower() != title.strip().lower():
        queries.append(english_title)
    return queries


def check_item(item: object) -> tuple[dict | None, list[str]]:
    """One search item with its fields checked: (the item or None, the problems found).

    An item whose link names no movie code or that has no title names no movie: it is dropped. A
    malformed optional field (``pubDate`` not a year 1880-2100, ``userRating`` not a number 0-10, a
    ``subtitle``, ``director`` or ``actor`` that is not text) is removed and named in the item's
    ``problems``; matching never auto-accepts such a candidate, so a wrong value is never used.
    """
    if not isinstance(item, dict):
        return None, [f"item {str(item)[:60]!r} is not an object"]
    link, title = item.get("link"), item.get("title")
    code = parse_qs(urlsplit(link).query).get("code", [""])[0] if isinstance(link, str) else ""
    if not code.isdigit():
        return None, [f"link {str(link)[:100]!r} names no movie code"]
    if not isinstance(title, str) or not re.sub(r"<[^>]*>", "", title).strip():
        return None, [f"code {code}: title {title!r} is empty or not text"]
    kept, problems = dict(item), []
    for key, pattern in ITEM_FIELDS.items():
        value = item.get(key)
        if value is None or value == "" or (isinstance(value, str) and pattern.fullmatch(value.strip())):
            continue
        kept.pop(key)
        problems.append(f"code {code}: {key} {str(value)[:60]!r} is malformed, ignored")
    if problems:
        kept["problems"] = problems
    return kept, problems


def search_rows(client: SearchClient, rows: list[dict], display: int = MAX_DISPLAY) -> list[dict]:
    """Search every row (``input_row``, ``title``, ``english_title``); items checked by ``check_item``.

    A refused query (400/404) is recorded for its row and the run goes on, as is an item dropped or
    a field removed by the checks; wrong credentials, the daily quota and exhausted retries stop the
    run (answers so far are cached).
    """
    out = []
    for row in rows:
        items, errors = [], []
        for query in row_queries(row["title"], row.get("english_title")):
            try:
                answer = client.search(query, display=display)
            except NaverBadRequest as exc:
                errors.append(exc.problem)
                continue
            found = answer.get("items")
            if not isinstance(found, list):
                errors.append(f"query {query!r}: the answer has no items list")
                continue
            for raw in found:
                item, problems = check_item(raw)
                items += [item] if item is not None else []
                errors += [f"query {query!r}: {p}" for p in problems]
        out.append({"input_row": row["input_row"], "items": items, "errors": errors})
    return out
