"""A stand-in for Naver's movie search API and movie site, on 127.0.0.1.

It serves ``/v1/search/movie.json`` and ``/movie/bin/basic.nhn?code=N`` in the real shapes, from a
seeded ``catalogue``, with the real error answers (SE01-SE06, SE99, 401, 403, 429 with 010 or 012),
rate limiting, pages without scores, pages drawn in several variants (``naver_pages``; a few drawn so
the parser must refuse them), pages in a changed layout and a ``robots.txt``. Tests use it,
and so does the bundled sample run: Naver closed the movie site and its search API in 2023.
"""

from __future__ import annotations

import html
import json
import re
import threading
import time
from collections import Counter, deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from cinepipe.sample.naver_catalogue import FakeMovie
from cinepipe.sample.naver_pages import basic_page

LAST_BUILD_DATE = "Mon, 06 Mar 2023 10:00:00 +0900"
DEFAULT_ROBOTS = "User-agent: *\nDisallow: /movie/point/\nDisallow: /movie/bi/mi/pointWriteFormList.nhn\n"
ERRORS = {  # errorCode: (HTTP status, errorMessage) as the API words them
    "SE01": (400, "Incorrect query request (잘못된 쿼리요청입니다.)"),
    "SE02": (400, "Invalid display value (부적절한 display 값입니다.)"),
    "SE03": (400, "Invalid start value (부적절한 start 값입니다.)"),
    "SE04": (400, "Invalid sort value (부적절한 sort 값입니다.)"),
    "SE05": (404, "Invalid search api (존재하지 않는 검색 api 입니다.)"),
    "SE06": (400, "Malformed encoding (잘못된 형식의 인코딩입니다.)"),
    "SE99": (500, "System Error (시스템 에러)"),
    "024": (401, "Not Exist Client ID : Authentication failed. (인증에 실패했습니다.)"),
    "403": (403, "Scope Status Invalid : Authentication failed. (인증에 실패했습니다.)"),
    "010": (429, "Query limit exceeded (쿼터를 초과했습니다.)"),
    "012": (429, "Rate limit exceeded. (속도 제한을 초과했습니다.)"),
}


def _words(text: str) -> list[str]:
    return re.sub(r"[^\w\s]", " ", text.lower()).split()


def _bold(title: str, words: list[str]) -> str:
    out = html.escape(title, quote=False)
    for w in sorted(set(words), key=len, reverse=True):
        out = re.sub(f"(?i)(?<!<b>)({re.escape(w)})", r"<b>\1</b>", out, count=1)
    return out


@dataclass(frozen=True)
class _Indexed:
    movie: FakeMovie
    words: frozenset[str]  # of the title and the English title
    compacts: tuple[str, str]  # title and English title, without spaces or punctuation


def index_catalogue(catalogue: list[FakeMovie]) -> list[_Indexed]:
    out = []
    for m in catalogue:
        title, english = _words(m.title), _words(m.english_title)
        out.append(_Indexed(m, frozenset(title + english), ("".join(title), "".join(english))))
    return out


def search(index: list[_Indexed], params: dict[str, str]) -> list[FakeMovie]:
    """Movies whose title or English title holds the query (spacing ignored) or all its words."""
    words = _words(params["query"])
    compact = "".join(words)
    hits = []
    for entry in index:
        m = entry.movie
        if compact and any(compact in c for c in entry.compacts):
            exact = compact in entry.compacts
        elif words and all(w in entry.words for w in words):
            exact = False
        else:
            continue
        if "yearfrom" in params and m.year < int(params["yearfrom"]):
            continue
        if "yearto" in params and m.year > int(params["yearto"]):
            continue
        if "genre" in params and str(m.genre_code) != params["genre"]:
            continue
        if "country" in params and m.nation_code != params["country"]:
            continue
        hits.append((not exact, -m.netizen_votes, m.code, m))
    return [h[-1] for h in sorted(hits, key=lambda h: h[:3])]


def api_item(movie: FakeMovie, words: list[str]) -> dict:
    return {
        "title": _bold(movie.title, words),
        "link": f"https://movie.naver.com/movie/bin/basic.nhn?code={movie.code}",
        "image": f"https://movie-phinf.pstatic.net/{movie.year}0101_1/{movie.code}_P01.jpg",
        "subtitle": _bold(movie.english_title, words),
        "pubDate": str(movie.year),
        "director": "".join(f"{d}|" for d in movie.directors),
        "actor": "".join(f"{a}|" for a in movie.actors),
        "userRating": f"{movie.netizen_score or 0:.2f}",
    }


class FakeNaver:
    """The stand-in service; use as a context manager. Counts every request it answers.

    Attributes to change between calls: ``client_id``, ``client_secret``, ``api_enabled``,
    ``daily_quota`` (calls before 429/010), ``api_calls_per_second`` (above it: 429/012),
    ``robots_txt``, ``item_fields`` (malformed search items); ``inject(kind, status_or_code, times)`` queues errors for the next requests.
    """

    def __init__(
        self, catalogue: list[FakeMovie], client_id: str = "fake-id", client_secret: str = "fake-secret",
        port: int = 0,
    ):
        self.port = port  # 0: any free port
        self.catalogue = catalogue
        self.by_code = {m.code: m for m in catalogue}
        self._index = index_catalogue(catalogue)
        self.client_id = client_id
        self.client_secret = client_secret
        self.api_enabled = True
        self.daily_quota: int | None = None
        self.api_calls_per_second: float | None = None
        self.robots_txt = DEFAULT_ROBOTS
        self.item_fields: dict[int, dict] = {}  # code -> fields its search item is sent with instead
        self.counts: Counter[str] = Counter()
        self.log: list[tuple[str, str]] = []  # (kind, path and query) of every request
        self.headers_seen: list[dict[str, str]] = []
        self._injected: dict[str, deque] = {"api": deque(), "page": deque()}
        self._lock = threading.Lock()
        self._window: deque[float] = deque()
        self._server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self._server is not None, "the service is not running"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def inject(self, kind: str, error: str | int, times: int = 1) -> None:
        """Answer the next ``times`` requests of ``kind`` (api, page) with an error code or status."""
        with self._lock:
            self._injected[kind].extend([error] * times)

    def reset_counts(self) -> None:
        with self._lock:
            self.counts.clear()
            self.log.clear()
            self.headers_seen.clear()

    def __enter__(self) -> FakeNaver:  # noqa: PYI034
        try:
            self._server = ThreadingHTTPServer(("127.0.0.1", self.port), _handler(self))
        except OSError:  # the wished-for port is taken: any free one
            self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True, name="fake-naver").start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    # ---- answers: (status, content type, body, extra headers) ------------------------------
    def answer(self, path: str, query: str, headers: dict[str, str]) -> tuple[int, str, bytes, dict]:
        kind = "api" if path.startswith("/v1/") else "robots" if path == "/robots.txt" else "page"
        with self._lock:
            self.counts[kind] += 1
            self.log.append((kind, f"{path}?{query}"))
            self.headers_seen.append(headers)
            injected = self._injected[kind].popleft() if self._injected.get(kind) else None
        if kind == "api":
            return self._api(path, query, headers, injected)
        if kind == "robots":
            return 200, "text/plain; charset=utf-8", self.robots_txt.encode(), {}
        return self._page(path, query, injected)

    def _error(self, code: str, extra: dict | None = None) -> tuple[int, str, bytes, dict]:
        status, message = ERRORS[code]
        body = json.dumps({"errorMessage": message, "errorCode": code}, ensure_ascii=False).encode()
        return status, "application/json; charset=utf-8", body, extra or {}

    def _api(self, path: str, query: str, headers: dict, injected: str | int | None) -> tuple[int, str, bytes, dict]:
        if headers.get("x-naver-client-id") != self.client_id or headers.get("x-naver-client-secret") != self.client_secret:
            return self._error("024")
        if not self.api_enabled:
            return self._error("403")
        if isinstance(injected, int):  # a bare status, as a proxy in front of the API would send
            return injected, "text/html; charset=utf-8", b"<html><body>Bad Gateway</body></html>", {}
        if injected is not None:
            return self._error(injected)
        with self._lock:
            if self.daily_quota is not None:
                if self.daily_quota <= 0:
                    return self._error("010")
                self.daily_quota -= 1
            if self.api_calls_per_second:
                now = time.monotonic()
                while self._window and now - self._window[0] > 1.0:
                    self._window.popleft()
                if len(self._window) >= self.api_calls_per_second:
                    return self._error("012", {"Retry-After": "0"})
                self._window.append(now)
        if path != "/v1/search/movie.json":
            return self._error("SE05")
        try:
            params = {k: v[0] for k, v in parse_qs(query, encoding="utf-8", errors="strict").items()}
        except UnicodeDecodeError:
            return self._error("SE06")
        if not params.get("query", "").strip():
            return self._error("SE01")
        display, start = params.get("display", "10"), params.get("start", "1")
        if not display.isdigit() or not 1 <= int(display) <= 100:
            return self._error("SE02")
        if not start.isdigit() or not 1 <= int(start) <= 1000:
            return self._error("SE03")
        if params.get("sort", "sim") not in ("sim", "date"):
            return self._error("SE04")
        hits = search(self._index, params)
        page = hits[int(start) - 1 : int(start) - 1 + int(display)]
        words = _words(params["query"])
        body = {"lastBuildDate": LAST_BUILD_DATE, "total": len(hits), "start": int(start),
                "display": len(page), "items": [{**api_item(m, words), **self.item_fields.get(m.code, {})} for m in page]}
        return 200, "application/json; charset=utf-8", json.dumps(body, ensure_ascii=False).encode(), {}

    def _page(self, path: str, query: str, injected: str | int | None) -> tuple[int, str, bytes, dict]:
        if injected is not None:
            return int(injected), "text/html; charset=utf-8", b"<html><body>busy</body></html>", {}
        code = parse_qs(query).get("code", [""])[0]
        movie = self.by_code.get(int(code)) if code.isdigit() else None
        if path != "/movie/bin/basic.nhn" or movie is None:
            return 404, "text/html; charset=utf-8", b"<html><body>not found</body></html>", {}
        return 200, "text/html; charset=utf-8", basic_page(movie).encode(), {}


def _handler(service: FakeNaver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # else each answer waits ~40 ms for a delayed ACK

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            headers = {k.lower(): v for k, v in self.headers.items()}
            status, ctype, body, extra = service.answer(parts.path, parts.query, headers)
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            for key, value in extra.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass  # quiet: tests read ``service.log``

    return Handler
