"""The Naver movie search API client: retries what is transient, stops on what is not, caches all.

``GET {api_base}/v1/search/movie.json``. Every answer worth keeping (200, and the 400/404 answers
that a repeat would only repeat) is cached on disk under a key made of the URL and parameters,
never the credentials, so a rerun makes no calls and an interrupted run resumes where it stopped.
The client secret is read from its ``SecretStr`` only to build the request header.
"""

from __future__ import annotations

import hashlib
import json
import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
from pydantic import SecretStr

from cinepipe.download import USER_AGENT
from cinepipe.errors import CinepipeError, TransientHTTPError

log = logging.getLogger(__name__)

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


class NaverAPIError(CinepipeError):
    """The search API refused a request."""


class NaverAuthError(NaverAPIError):
    """401 / 403: wrong credentials or the search API not enabled for the application."""


class NaverQuotaExceeded(NaverAPIError):
    """429 with code 010: the daily call quota is spent; nothing more today."""


class NaverBadRequest(NaverAPIError):
    """400 SE01-SE06 or 404 SE05: the request itself is wrong; repeating it cannot help."""


class NaverTransientError(TransientHTTPError):
    """5xx, 429/012 or a dropped connection, still failing after the client's retries."""


def request_key(url: str, params: dict[str, Any]) -> str:
    """The cache key of a request: URL and parameters only (credentials are not part of it)."""
    blob = json.dumps({"url": url, "params": params}, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(blob.encode()).hexdigest()


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


@dataclass
class CallStats:
    """What a client did: network calls made, answers served from the cache, retries."""

    calls: int = 0
    cache_hits: int = 0
    retries: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)


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
        timeout_s: float = 30.0,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.url = api_base.rstrip("/") + SEARCH_PATH
        self._client_id = client_id
        self._secret = client_secret
        self.cache_dir = cache_dir
        self.retries = retries
        self.backoff_base_s = backoff_base_s
        self.timeout_s = timeout_s
        self._http = session or requests.Session()
        self._sleep = sleep
        self.stats = CallStats()

    def __repr__(self) -> str:
        return f"SearchClient(url={self.url!r}, client_id={self._client_id!r}, secret=**********)"

    def _cache_path(self, key: str) -> Path:
        return self.cache_dir / key[:2] / f"{key}.json"

    def _cached(self, key: str) -> dict | None:
        path = self._cache_path(key)
        if not path.exists():
            return None
        return json.loads(path.read_text(encoding="utf-8"))

    def _store(self, key: str, params: dict, status: int, body: dict) -> None:
        path = self._cache_path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{path.name}.{threading.get_ident()}.tmp")
        record = {"request": {"url": self.url, "params": params}, "status": status, "body": body}
        tmp.write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
        tmp.replace(path)  # atomic: an interrupted run never leaves half an answer

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
            "User-Agent": USER_AGENT,
            "Accept": "application/json",
        }

    def search(self, query: str, **kwargs: Any) -> dict:
        """One search (``search_params`` names the arguments); the API's JSON answer."""
        params = search_params(query, **kwargs)
        key = request_key(self.url, params)
        cached = self._cached(key)
        if cached is not None:
            with self.stats.lock:
                self.stats.cache_hits += 1
            return _answer(cached["status"], cached["body"], params)
        status, body = self._call(params)
        if status == 200 or status in (400, 404):
            self._store(key, params, status, body)
        return _answer(status, body, params)

    def _call(self, params: dict) -> tuple[int, dict]:
        headers = self._headers()
        last = ""
        for attempt in range(self.retries + 1):
            with self.stats.lock:
                self.stats.calls += 1
            try:
                resp = self._http.get(self.url, params=params, headers=headers, timeout=self.timeout_s)
            except (requests.ConnectionError, requests.Timeout) as exc:
                last = f"{type(exc).__name__}"
            else:
                body = _json(resp)
                code = str(body.get("errorCode", ""))
                if resp.status_code in (401, 403):
                    raise _auth_error(resp.status_code, body)
                if resp.status_code == 429 and code == QUOTA_CODE:
                    raise NaverQuotaExceeded(
                        SOURCE, "the daily call quota is spent (HTTP 429, errorCode 010)",
                        "Run again tomorrow: answers so far are cached and will not be asked again.",
                    )
                if resp.status_code == 429 or resp.status_code >= 500:
                    last = f"HTTP {resp.status_code} errorCode {code or '-'}"
                    wait = _retry_after(resp) or _backoff_s(attempt, self.backoff_base_s)
                    if attempt < self.retries:
                        with self.stats.lock:
                            self.stats.retries += 1
                        log.info("naver search: %s, retrying in %.2fs", last, wait)
                        self._sleep(wait)
                    continue
                return resp.status_code, body
            if attempt < self.retries:
                with self.stats.lock:
                    self.stats.retries += 1
                self._sleep(_backoff_s(attempt, self.backoff_base_s))
        raise NaverTransientError(
            SOURCE, f"still failing after {self.retries + 1} attempts ({last})",
            "The service is busy or down; run again later (finished searches are cached).",
        )


def _json(resp: requests.Response) -> dict:
    try:
        body = resp.json()
    except ValueError:
        return {"errorMessage": resp.text[:200], "errorCode": ""}
    return body if isinstance(body, dict) else {"errorMessage": str(body)[:200], "errorCode": ""}


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


def _retry_after(resp: requests.Response) -> float | None:
    value = resp.headers.get("Retry-After")
    try:
        return min(float(value), 60.0) if value else None
    except ValueError:
        return None


def _backoff_s(attempt: int, base_s: float) -> float:
    # exponential backoff with jitter, so parallel workers do not retry in lockstep
    return base_s * (2**attempt) * random.uniform(0.5, 1.0)


def row_queries(title: str, english_title: str | None) -> list[str]:
    """What to search for one list row: its title, then its English title where it has another."""
    queries = [title]
    if english_title and english_title.strip().lower() != title.strip().lower():
        queries.append(english_title)
    return queries


def search_rows(client: SearchClient, rows: list[dict], display: int = MAX_DISPLAY) -> list[dict]:
    """Search every row (``input_row``, ``title``, ``english_title``); items kept as the API gave them.

    A refused query (400/404) is recorded for its row and the run goes on; wrong credentials, the
    daily quota and exhausted retries stop the run (answers so far are cached).
    """
    out = []
    for row in rows:
        items, errors = [], []
        for query in row_queries(row["title"], row.get("english_title")):
            try:
                items += client.search(query, display=display)["items"]
            except NaverBadRequest as exc:
                errors.append(exc.problem)
        out.append({"input_row": row["input_row"], "items": items, "errors": errors})
    return out
