"""The one HTTP layer: every request cinepipe makes (downloads, the Naver API, the crawl) goes here.

- One retry policy (:class:`RetryPolicy`): only what is worth retrying is retried (connection
  errors, timeouts, bodies cut short, 408/425/429 and 5xx), with exponential backoff and full
  jitter, and a ``Retry-After`` the server sends is honoured up to a cap. Retries happen here and
  nowhere else: tasks do not retry on top of the client. An exhausted retry says how many attempts
  it made over how long.
- One on-disk answer cache (:class:`AnswerCache`) for small answers (API JSON, pages): kept with
  their ``ETag`` / ``Last-Modified``, served without a call, or revalidated with a conditional GET.
- Every file is written with :func:`cinepipe.io.files.write_atomic`.
"""

from __future__ import annotations

import hashlib
import json
import logging
import random
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any, TypeVar

import requests

from cinepipe.errors import TransientHTTPError
from cinepipe.io.files import write_atomic

log = logging.getLogger(__name__)

USER_AGENT = "cinepipe/0.1 (+https://github.com/cinepipe/cinepipe)"
RETRYABLE_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})
# errors of the connection itself; a 4xx answer or a bad body is never retried
RETRYABLE_ERRORS = (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError,
                    TransientHTTPError)

T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently a request is repeated.

    Args:
        retries: extra attempts after the first.
        backoff_base_s: the first backoff; each next one doubles, up to ``backoff_max_s``, and a
            random share of it is taken (full jitter) so parallel clients do not retry in lockstep.
        retry_after_max_s: the longest ``Retry-After`` honoured; a server asking for more is
            waited on for this long. A ``Retry-After`` shorter than the backoff (``0``) does not
            shorten it, so a server answering "now" to every attempt is not hammered.
    """

    retries: int = 4
    backoff_base_s: float = 0.5
    backoff_max_s: float = 30.0
    retry_after_max_s: float = 120.0

    @property
    def attempts(self) -> int:
        return self.retries + 1

    def delay_s(self, attempt: int, retry_after_s: float | None) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (0-based): the jittered backoff,
        or longer where the server's ``Retry-After`` asks for more (up to the cap)."""
        backoff = random.uniform(0, min(self.backoff_max_s, self.backoff_base_s * (2**attempt)))
        if retry_after_s is None:
            return backoff
        return max(min(retry_after_s, self.retry_after_max_s), backoff)


class RetriesExhausted(TransientHTTPError):
    """Every attempt failed with an error worth retrying."""

    def __init__(self, url: str, attempts: int, elapsed_s: float, last: str, action: str) -> None:
        self.attempts = attempts
        self.elapsed_s = elapsed_s
        self.last = last
        super().__init__(url, f"still failing after {attempts} attempts over {elapsed_s:.1f} s (last: {last})", action)


class Retry(TransientHTTPError):
    """Raised by a response handler to ask for another attempt (e.g. a body cut short)."""

    def __init__(self, url: str, problem: str) -> None:
        super().__init__(url, problem, "Retrying.")


def retry_after_s(resp: requests.Response, now: datetime | None = None) -> float | None:
    """The wait a ``Retry-After`` header asks for, in seconds (delta-seconds or an HTTP date)."""
    value = (resp.headers.get("Retry-After") or "").strip()
    if not value:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max((when - (now or datetime.now(UTC))).total_seconds(), 0.0)


@dataclass
class CallStats:
    """What a client did: network attempts, answers served from the cache, retries."""

    calls: int = 0
    cache_hits: int = 0
    retries: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, **counts: int) -> None:
        with self.lock:
            for name, n in counts.items():
                setattr(self, name, getattr(self, name) + n)


def _default_handle(resp: requests.Response) -> requests.Response:
    resp.content  # noqa: B018 - read the body inside the retry loop, so a cut body is retried
    return resp


class HttpClient:
    """GET with the retry policy; the one place a request is repeated.

    Args:
        policy: the retry policy.
        timeout_s: connect and read timeout of each attempt.
        session: a ``requests.Session`` to reuse (connection pooling).
        before_attempt: called before every attempt (the crawl's pace).
        sleep, clock: injectable for tests.
    """

    def __init__(
        self,
        policy: RetryPolicy | None = None,
        *,
        timeout_s: float = 60.0,
        session: requests.Session | None = None,
        before_attempt: Callable[[], None] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.policy = policy or RetryPolicy()
        self.timeout_s = timeout_s
        self.session = session or requests.Session()
        self.session.headers["User-Agent"] = USER_AGENT
        self.before_attempt = before_attempt
        self._sleep = sleep
        self._clock = clock
        self.stats = CallStats()

    def get(
        self,
        url: str,
        handle: Callable[[requests.Response], T] = _default_handle,  # type: ignore[assignment]
        *,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | Callable[[], Mapping[str, str]] | None = None,
        refuse: Callable[[requests.Response], None] | None = None,
        action: str = "The server is busy or unreachable; try again later.",
    ) -> T:
        """GET ``url`` and return ``handle(response)``, retrying what is transient.

        Args:
            handle: reads the response (streamed) and returns the result; it may raise
                :class:`Retry` (or a connection error while reading) to ask for another attempt.
                It sees every status that is not retried.
            headers: request headers, or a function giving them per attempt (a resumed download
                asks for a different range each time).
            refuse: sees every response first and may raise an error that must not be retried
                (a spent quota looks like a 429).
            action: what the user should do, in the error raised when the retries run out.
        Raises:
            RetriesExhausted: every attempt failed with something worth retrying.
        """
        start = self._clock()
        last = ""
        for attempt in range(self.policy.attempts):
            if self.before_attempt is not None:
                self.before_attempt()
            wait_for: float | None = None
            self.stats.add(calls=1)
            try:
                sent = headers() if callable(headers) else headers
                with self.session.get(url, params=params, headers=dict(sent or {}), stream=True,
                                      timeout=self.timeout_s) as resp:
                    if refuse is not None:
                        refuse(resp)
                    if resp.status_code not in RETRYABLE_STATUS:
                        return handle(resp)
                    last = f"HTTP {resp.status_code}"
                    wait_for = retry_after_s(resp)
            except RETRYABLE_ERRORS as exc:
                last = exc.problem if isinstance(exc, TransientHTTPError) else type(exc).__name__
            if attempt + 1 < self.policy.attempts:
                delay = self.policy.delay_s(attempt, wait_for)
                self.stats.add(retries=1)
                log.info("%s: %s; attempt %d of %d in %.1f s", url, last, attempt + 2, self.policy.attempts, delay)
                self._sleep(delay)
        raise RetriesExhausted(url, self.policy.attempts, self._clock() - start, last, action)

    def cached_get(
        self,
        cache: AnswerCache,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | Callable[[], Mapping[str, str]] | None = None,
        refuse: Callable[[requests.Response], None] | None = None,
        keep: Callable[[int], bool] = lambda status: status == 200,
        revalidate: bool = False,
        action: str = "The server is busy or unreachable; try again later.",
    ) -> Answer:
        """A small answer, from ``cache`` when it holds one (asked again with a conditional GET
        when ``revalidate``); an answer whose status ``keep`` accepts is stored."""
        key = cache.key(url, params)
        cached = cache.lookup(key)
        if cached is not None and not revalidate:
            self.stats.add(cache_hits=1)
            return cached

        def sent() -> dict[str, str]:
            base = dict((headers() if callable(headers) else headers) or {})
            return {**base, **(cached.conditional_headers() if cached else {})}

        def read(resp: requests.Response) -> Answer:
            if resp.status_code == 304 and cached is not None:
                return cached
            return Answer(resp.status_code, resp.content, resp.headers.get("ETag"),
                          resp.headers.get("Last-Modified"), resp.headers.get("Content-Type"))

        answer = self.get(url, read, params=params, headers=sent, refuse=refuse, action=action)
        if answer is cached:
            self.stats.add(cache_hits=1)
        elif keep(answer.status):
            cache.store(key, answer, url=url, params=params)
        return answer


@dataclass(frozen=True)
class Answer:
    """One HTTP answer as kept: status, body and the validators for a conditional GET."""

    status: int
    body: bytes
    etag: str | None = None
    last_modified: str | None = None
    content_type: str | None = None

    def conditional_headers(self) -> dict[str, str]:
        return conditional_headers(self.etag, self.last_modified)

    def json(self) -> Any:
        return json.loads(self.body)

    def text(self, default_encoding: str = "utf-8") -> str:
        charset = None
        if self.content_type and "charset=" in self.content_type:
            charset = self.content_type.split("charset=", 1)[1].split(";")[0].strip().strip('"')
        try:
            return self.body.decode(charset or default_encoding, errors="replace")
        except LookupError:
            return self.body.decode(default_encoding, errors="replace")


def conditional_headers(etag: str | None, last_modified: str | None) -> dict[str, str]:
    """``If-None-Match`` / ``If-Modified-Since`` for what a server said about a kept copy."""
    out = {}
    if etag:
        out["If-None-Match"] = etag
    if last_modified:
        out["If-Modified-Since"] = last_modified
    return out


class AnswerCache:
    """Small answers on disk, one ``<key>.json`` (status, validators, request) and one
    ``<key>.body`` per request, keyed by URL and parameters only (never credentials)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    @staticmethod
    def key(url: str, params: Mapping[str, Any] | None = None) -> str:
        blob = json.dumps({"url": url, "params": dict(params or {})}, sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(blob.encode()).hexdigest()

    def _paths(self, key: str) -> tuple[Path, Path]:
        base = self.root / key[:2] / key
        return base.with_suffix(".json"), base.with_suffix(".body")

    def lookup(self, key: str) -> Answer | None:
        meta_path, body_path = self._paths(key)
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
            if "body_sha256" not in meta and isinstance(meta.get("body"), dict):
                # kept before bodies had their own file (the Naver API cache): still an answer
                return Answer(meta["status"], json.dumps(meta["body"], ensure_ascii=False).encode())
            body = body_path.read_bytes()
        except (FileNotFoundError, ValueError, KeyError):
            return None
        if hashlib.sha256(body).hexdigest() != meta.get("body_sha256"):
            return None  # a body and record from different answers: ask again
        return Answer(meta["status"], body, meta.get("etag"), meta.get("last_modified"), meta.get("content_type"))

    def store(self, key: str, answer: Answer, *, url: str, params: Mapping[str, Any] | None = None) -> None:
        meta_path, body_path = self._paths(key)
        # the body first: a record is only ever read with the body it names (by its digest)
        write_atomic(body_path, answer.body)
        write_atomic(meta_path, json.dumps({
            "request": {"url": url, "params": dict(params or {})},
            "status": answer.status, "etag": answer.etag, "last_modified": answer.last_modified,
            "content_type": answer.content_type, "body_sha256": hashlib.sha256(answer.body).hexdigest(),
        }, ensure_ascii=False))
