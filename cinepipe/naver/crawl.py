"""Naver's basic movie page: a parser (pure) and a polite, caching fetcher.

The parser reads the blocks the page has always had (title, ``strong.h_movie2``, ``div.main_score``,
``dl.info_spec``) and ignores the hidden duplicates whose ids end in ``Wide``. A score block
without digits (too few votes) is a missing score, never 0; a page without the blocks is
``LayoutChanged``, reported per movie rather than read as missing scores.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from urllib import robotparser
from urllib.parse import urlsplit

import requests
from bs4 import BeautifulSoup, Tag

from cinepipe.errors import CinepipeError
from cinepipe.http import Answer, AnswerCache, HttpClient, RetryPolicy

log = logging.getLogger(__name__)

BASIC_PATH = "/movie/bin/basic.nhn"
ROBOTS_AGENT = "cinepipe"


class LayoutChanged(CinepipeError):
    """A basic page lacks the blocks the parser reads: the site changed, not the movie."""


class PageNotFound(CinepipeError):
    """The basic page of a code does not exist (HTTP 404)."""


class CrawlDisallowed(CinepipeError):
    """robots.txt of the web base forbids the page."""


@dataclass
class MoviePage:
    """What one basic page says; ``None`` where the page shows no value."""

    naver_code: int
    title: str
    english_title: str | None
    year: int | None
    audience_score: float | None
    critic_score: float | None
    netizen_score: float | None
    netizen_votes: int | None
    genres: str | None
    nation: str | None
    running_time_min: int | None
    release_date: str | None
    director: str | None
    cast: str | None

    def to_dict(self) -> dict:
        return asdict(self)


def basic_page_url(web_base: str, code: int) -> str:
    return f"{web_base.rstrip('/')}{BASIC_PATH}?code={int(code)}"


def _visible(node: Tag) -> bool:
    """False inside the hidden ``...Wide`` duplicate blocks."""
    for el in (node, *node.parents):
        if isinstance(el, Tag) and str(el.get("id") or "").endswith("Wide"):
            return False
    return True


def _score_digits(block: Tag | None) -> float | None:
    """The score drawn as ``<em>8</em><span class="ico_px">.</span><em>5</em><em>6</em>``."""
    if block is None:
        return None
    parts = []
    for el in block.find_all(["em", "span"]):
        if el.name == "em" and el.get_text(strip=True).isdigit():
            parts.append(el.get_text(strip=True))
        elif el.name == "span" and "ico_px" in (el.get("class") or []):
            parts.append(".")
    text = "".join(parts).strip(".")
    return float(text) if text and re.fullmatch(r"\d+(\.\d+)?", text) else None


def _english_and_year(text: str) -> tuple[str | None, int | None]:
    text = " ".join(text.split())
    match = re.search(r"(?:^|,\s*)((?:18|19|20)\d\d)\s*$", text)
    if not match:
        return text or None, None
    english = text[: match.start()].strip(" ,")
    return english or None, int(match.group(1))


def _info_spec(soup: BeautifulSoup) -> dict:
    out = {"genres": None, "nation": None, "running_time_min": None, "release_date": None,
           "director": None, "cast": None}
    spec = soup.select_one("dl.info_spec")
    if spec is None:
        return out
    for dt in spec.find_all("dt"):
        dd = dt.find_next_sibling("dd")
        if dd is None:
            continue
        classes = dt.get("class") or []
        if "step1" in classes:
            for span in dd.select("p > span"):
                links = [a.get("href", "") for a in span.find_all("a")]
                text = " ".join(span.get_text(" ", strip=True).split())
                if any("genre=" in h for h in links):
                    out["genres"] = "|".join(a.get_text(strip=True) for a in span.find_all("a"))
                elif any("nation=" in h for h in links):
                    out["nation"] = "|".join(a.get_text(strip=True) for a in span.find_all("a"))
                elif m := re.fullmatch(r"(\d+)\s*분", text):
                    out["running_time_min"] = int(m.group(1))
                elif m := re.search(r"(\d{4})\s*\.\s*(\d{2})\s*\.\s*(\d{2})", text):
                    out["release_date"] = "-".join(m.groups())
        elif "step2" in classes:
            out["director"] = "|".join(a.get_text(strip=True) for a in dd.find_all("a")) or None
        elif "step3" in classes:
            out["cast"] = "|".join(a.get_text(strip=True) for a in dd.find_all("a")) or None
    return out


def parse_basic_page(html: str, code: int) -> MoviePage:
    """Read one basic page.

    Raises:
        LayoutChanged: the title, the score area or the netizen score block is missing.
    """
    soup = BeautifulSoup(html, "lxml")
    where = f"naver page code={code}"
    action = "The site layout changed; update cinepipe/naver/crawl.py's selectors."
    title_a = next((a for a in soup.select("div.mv_info_area h3.h_movie a") if _visible(a)), None)
    score_area = next((d for d in soup.select("div.main_score") if _visible(d)), None)
    if title_a is None or score_area is None:
        missing = "title (div.mv_info_area h3.h_movie a)" if title_a is None else "div.main_score"
        raise LayoutChanged(where, f"the page has no {missing}", action)
    netizen = score_area.select_one("#pointNetizenPersentBasic")
    if netizen is None:
        raise LayoutChanged(where, "the page has no #pointNetizenPersentBasic block", action)
    h2 = next((s for s in soup.select("strong.h_movie2") if _visible(s)), None)
    english, year = _english_and_year(h2.get_text(" ", strip=True)) if h2 else (None, None)
    critic_area = next(
        (d for d in score_area.select("div.spc_score_area div.star_score") if _visible(d)), None
    )
    count = score_area.select_one("#pointNetizenCountBasic")
    votes = re.sub(r"\D", "", count.get_text()) if count else ""
    return MoviePage(
        naver_code=int(code),
        title=" ".join(title_a.get_text(" ", strip=True).split()),
        english_title=english,
        year=year,
        audience_score=_score_digits(score_area.select_one("#actualPointPersentBasic")),
        critic_score=_score_digits(critic_area),
        netizen_score=_score_digits(netizen),
        netizen_votes=int(votes) if votes else None,
        **_info_spec(soup),
    )


class PoliteFetcher:
    """Fetch basic pages at a set pace, obeying robots.txt, retrying, caching every page.

    Requests go through the one HTTP layer (``cinepipe.http``): its retry policy, its answer cache.

    Args:
        web_base: e.g. ``https://movie.naver.com`` (any compatible site).
        cache_dir: where pages are kept (``<cache>/http/naver-web``).
        pages_per_second: the pace of network requests (robots.txt and retries included).
        obey_robots: False only for a site the user may crawl regardless.
    """

    def __init__(
        self,
        web_base: str,
        cache_dir: Path,
        *,
        pages_per_second: float = 1.0,
        obey_robots: bool = True,
        retries: int = 4,
        backoff_base_s: float = 0.5,
        retry_after_max_s: float = 120.0,
        timeout_s: float = 30.0,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.web_base = web_base.rstrip("/")
        self.cache = AnswerCache(cache_dir)
        self.interval_s = 1.0 / pages_per_second
        self.obey_robots = obey_robots
        self._sleep = sleep
        self._clock = clock
        self._lock = threading.Lock()
        self._next_at = 0.0
        self._robots: robotparser.RobotFileParser | None = None
        self._http = HttpClient(
            RetryPolicy(retries=retries, backoff_base_s=backoff_base_s, retry_after_max_s=retry_after_max_s),
            timeout_s=timeout_s, session=session, before_attempt=self._wait_turn, sleep=sleep, clock=clock,
        )

    @property
    def calls(self) -> int:
        return self._http.stats.calls

    @property
    def cache_hits(self) -> int:
        return self._http.stats.cache_hits

    def _wait_turn(self) -> None:
        with self._lock:
            now = self._clock()
            wait = self._next_at - now
            self._next_at = max(now, self._next_at) + self.interval_s
        if wait > 0:
            self._sleep(wait)

    def _get(self, url: str, cached: bool = False) -> Answer:
        action = "The site is busy or down; run again later (pages so far are cached)."
        if cached:
            return self._http.cached_get(self.cache, url, action=action)
        return self._http.get(
            url, lambda r: Answer(r.status_code, r.content, content_type=r.headers.get("Content-Type")),
            action=action)

    def _allowed(self, url: str) -> bool:
        if not self.obey_robots:
            return True
        if self._robots is None:
            parser = robotparser.RobotFileParser()
            resp = self._get(self.web_base + "/robots.txt")
            if resp.status in (401, 403):
                parser.disallow_all = True
            elif resp.status >= 400:
                parser.allow_all = True
            else:
                parser.parse(resp.text().splitlines())
            self._robots = parser
        return self._robots.can_fetch(ROBOTS_AGENT, url)

    def fetch_basic(self, code: int) -> str:
        """The HTML of a movie's basic page, from the cache when it was fetched before."""
        url = basic_page_url(self.web_base, code)
        key = self.cache.key(url)
        kept = self.cache.lookup(key)
        if kept is not None:
            self._http.stats.add(cache_hits=1)
            return kept.text()
        if not self._allowed(url):
            raise CrawlDisallowed(
                urlsplit(url).netloc, f"robots.txt forbids {urlsplit(url).path}",
                "Crawl only a site you may crawl; for such a site set CINEPIPE_NAVER_OBEY_ROBOTS=false.",
            )
        page = self._get(url, cached=True)
        if page.status == 404:
            raise PageNotFound(url, "no such movie page (HTTP 404)", "Check the movie code.")
        if page.status != 200:
            raise CinepipeError(url, f"HTTP {page.status}", "Check the web base setting.")
        return page.text()
