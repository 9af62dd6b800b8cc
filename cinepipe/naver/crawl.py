"""Naver's basic movie page: a parser (pure) and a polite, caching fetcher.

The parser reads the blocks the page has always had (title, ``strong.h_movie2``, ``div.main_score``,
``dl.info_spec``) and ignores what the reader never sees (the ``...Wide`` duplicates, ``display:none``).
A score is drawn twice, as digits and as a star bar's width: the digits are read from the block's
text whatever elements draw them and must agree with the bar. A block without digits and with an
empty bar (too few votes) is a missing score, never 0; a page whose blocks are missing, unreadable,
in disagreement or outside 0-10 is ``LayoutChanged`` with the reason, reported per movie.
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
import time
import unicodedata
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from urllib import robotparser
from urllib.parse import urlsplit

import requests
from bs4 import BeautifulSoup, NavigableString, Tag

from cinepipe.errors import CinepipeError
from cinepipe.io.http import Answer, AnswerCache, HttpClient, RetryPolicy

log = logging.getLogger(__name__)

BASIC_PATH = "/movie/bin/basic.nhn"
ROBOTS_AGENT = "cinepipe"
SCORE_MAX = 10.0
# (MoviePage field, block selector inside div.main_score, label that names the score on the page);
# a block that is missing while its label shows is a changed layout, not a missing score
SCORE_BLOCKS = (
    ("netizen_score", "#pointNetizenPersentBasic", None),
    ("critic_score", "div.spc_score_area div.star_score", "평론가"),
    ("audience_score", "#actualPointPersentBasic", "관람객"),
)
_DISPLAY_NONE = re.compile(r"display\s*:\s*none", re.I)
_WIDTH = re.compile(r"(?:^|;)\s*width\s*:\s*(-?\d+(?:\.\d+)?)\s*%", re.I)


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


def _hidden(node: Tag) -> bool:
    """True inside a block the reader never sees: the ``...Wide`` duplicates, ``display:none``."""
    for el in (node, *node.parents):
        if not isinstance(el, Tag):
            continue
        if str(el.get("id") or "").endswith("Wide") or "wide_info_area" in (el.get("class") or []):
            return True
        if _DISPLAY_NONE.search(str(el.get("style") or "")):
            return True
    return False


def _first_shown(nodes: list[Tag]) -> Tag | None:
    return next((n for n in nodes if not _hidden(n)), None)


@dataclass(frozen=True)
class _StarBar:
    """The star bar of a score block: its width (percent of 10 points) and how finely it is written."""

    percent: float
    step: float  # one unit of the width's last written decimal: the bar's rounding
    label: str  # text inside the bar, e.g. "관람객 평점 8.04점", or ""
    node: Tag


def _star_bar(block: Tag) -> _StarBar | None:
    """The one element of the block drawn with an inline ``width:N%`` (class names may change)."""
    bars = [(el, _WIDTH.search(str(el.get("style") or ""))) for el in block.find_all(style=True)]
    bars = [(el, m) for el, m in bars if m]
    if not bars:
        return None
    if len({m.group(1) for _, m in bars}) > 1:
        raise ValueError(f"it has {len(bars)} star bars of different widths")
    el, match = bars[0]
    width = match.group(1)
    decimals = len(width.split(".")[1]) if "." in width else 0
    return _StarBar(float(width), 10.0**-decimals, " ".join(el.get_text(" ").split()), el)


def _drawn_text(block: Tag, bar: _StarBar | None) -> str:
    """What the block shows besides the star bar: its text and images' ``alt``, whitespace removed."""
    parts = []
    for el in block.descendants:
        if bar is not None and (el is bar.node or any(p is bar.node for p in el.parents)):
            continue
        if isinstance(el, Tag) and el.name == "img":
            parts.append(str(el.get("alt") or ""))
        elif type(el) is NavigableString:  # not comments, scripts or CDATA
            parts.append(str(el))
    text = unicodedata.normalize("NFKC", "".join(parts))
    return re.sub(r"[\s\u200b\u200c\u200d\ufeff]+", "", text)


def _with_point(digits: str, bar: _StarBar) -> float | None:
    """Digits drawn without a readable point (a sprite, an empty element): the one placement the bar confirms."""
    fits = {float(f"{digits[:k]}.{digits[k:]}") for k in range(1, len(digits))} | {float(digits)}
    fits = {v for v in fits if 0 <= v <= SCORE_MAX and _agrees(v, bar)}
    return fits.pop() if len(fits) == 1 else None


def _agrees(value: float, bar: _StarBar) -> bool:
    return abs(value * 10 - bar.percent) <= bar.step + 1e-9


def read_score(block: Tag | None) -> float | None:
    """The score a block draws, checked against its star bar; ``None`` where it draws none.

    The digits are the block's text whatever elements draw them (one text node, an ``em`` per
    digit, the point as text, ``em``, ``span`` or an image's ``alt``); the star bar's width must
    agree with them within its rounding, and so must a number written in the bar. ``0.00`` under
    an empty bar is no score.

    Raises:
        ValueError: (the reason) the digits are unreadable, disagree with the bar or leave 0-10.
    """
    if block is None:
        return None
    bar = _star_bar(block)
    text = _drawn_text(block, bar)
    if text.endswith("점"):  # "8.56점"
        text = text[:-1]
    if not text:
        if any(not img.get("alt") for img in block.find_all("img")):
            raise ValueError("it is drawn with pictures that carry no text")
        if bar is not None and bar.percent > 0:
            raise ValueError(f"it draws no digits but its star bar is {bar.percent:g}% wide")
        return None
    if not re.fullmatch(r"\d+(\.\d+)?", text):
        raise ValueError(f"its digits read {text[:40]!r}, not a number")
    if bar is None:
        raise ValueError(f"its digits read {text!r} but it has no star bar to check them against")
    value = float(text)
    if "." not in text and not (0 <= value <= SCORE_MAX and _agrees(value, bar)):
        placed = _with_point(text, bar)
        if placed is None:
            raise ValueError(f"its digits read {text!r} with no decimal point the star bar "
                             f"({bar.percent:g}%) confirms")
        value = placed
    if not 0 <= value <= SCORE_MAX:
        raise ValueError(f"its digits read {text!r}, outside 0-{SCORE_MAX:g}")
    if not _agrees(value, bar):
        raise ValueError(f"its digits read {text!r} but its star bar is {bar.percent:g}% wide")
    label = re.search(r"(\d+)(?:\.(\d+))?\s*점", bar.label)
    if label and abs(float(label.group(0)[:-1]) - value) > 10.0 ** -len(label.group(2) or "") + 1e-9:
        raise ValueError(f"its digits read {text!r} but its star bar says {label.group(0)!r}")
    # ratings are 1-10 points: an average of 0 is how a page shows none, and a missing score is never 0
    return value or None


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
    """Read one basic page; every score is read from its digits and checked against its star bar.

    Raises:
        LayoutChanged: the title, the score area or the netizen block is missing, a score the page
            names has no block, or a score is unreadable, disagrees with its bar or leaves 0-10.
    """
    soup = BeautifulSoup(html, "lxml")
    where = f"naver page code={code}"
    action = "The site layout changed; update cinepipe/naver/crawl.py's selectors."
    title_a = _first_shown(soup.select("div.mv_info_area h3.h_movie a"))
    score_area = _first_shown(soup.select("div.main_score"))
    if title_a is None or score_area is None:
        missing = "title (div.mv_info_area h3.h_movie a)" if title_a is None else "div.main_score"
        raise LayoutChanged(where, f"the page has no {missing}", action)
    shown = "".join(score_area.get_text().split())
    scores = {}
    for field_name, selector, label in SCORE_BLOCKS:
        block = _first_shown(score_area.select(selector))
        if block is None and (label is None or label in shown):
            named = "" if label is None else f" names the {field_name.replace('_', ' ')} ({label}) but"
            raise LayoutChanged(where, f"the page{named} has no {selector} block", action)
        try:
            scores[field_name] = read_score(block)
        except ValueError as exc:
            raise LayoutChanged(where, f"{field_name.replace('_', ' ')} ({selector}): {exc}", action) from None
    h2 = _first_shown(soup.select("strong.h_movie2"))
    english, year = _english_and_year(h2.get_text(" ", strip=True)) if h2 else (None, None)
    count = score_area.select_one("#pointNetizenCountBasic")
    votes = re.sub(r"\D", "", count.get_text()) if count else ""
    return MoviePage(
        naver_code=int(code),
        title=" ".join(title_a.get_text(" ", strip=True).split()),
        english_title=english,
        year=year,
        netizen_votes=int(votes) if votes else None,
        **scores,
        **_info_spec(soup),
    )


def check_unreadable_share(problems: dict[int, str], pages: int, max_share: float, web_base: str) -> None:
    """Stop the crawl when more than ``max_share`` of ``pages`` could not be read (code -> problem).

    Below the share each such page goes to the review queue and the rest loads; above it the site
    has most likely changed, and the message names the commonest problems with an example each.

    Raises:
        LayoutChanged: too many pages could not be read.
    """
    if not pages or len(problems) <= max_share * pages:
        return
    kinds: dict[str, list[tuple[int, str]]] = {}
    for code, problem in sorted(problems.items()):
        kinds.setdefault(re.sub(r"'[^']*'|\d+(?:\.\d+)?", "#", problem), []).append((code, problem))
    commonest = sorted(kinds.values(), key=len, reverse=True)[:3]
    named = "; ".join(f"{len(k)} like code {k[0][0]}: {k[0][1]}" for k in commonest)
    raise LayoutChanged(
        web_base,
        f"{len(problems)} of {pages} movie pages ({len(problems) / pages:.0%}) could not be read, more than "
        f"the {max_share:.0%} CINEPIPE_NAVER_MAX_LAYOUT_FAILURES allows ({named})",
        "The site's markup changed: update cinepipe/naver/crawl.py (the pages are cached, a rerun reads "
        "them again without fetching), or raise CINEPIPE_NAVER_MAX_LAYOUT_FAILURES to load the rest "
        "and send these to the review queue",
    )


class PoliteFetcher:
    """Fetch basic pages at a set pace, obeying robots.txt, retrying, caching every page.

    Requests go through the one HTTP layer (``cinepipe.io.http``): its retry policy, its answer cache.

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

    def _kept_before(self, url: str) -> Answer | None:
        """A page cached before the shared answer cache, as ``<sha256(url)>.html``."""
        digest = hashlib.sha256(url.encode()).hexdigest()
        path = self.cache.root / digest[:2] / f"{digest}.html"
        return Answer(200, path.read_bytes(), content_type="text/html; charset=utf-8") if path.is_file() else None

    def fetch_basic(self, code: int) -> str:
        """The HTML of a movie's basic page, from the cache when it was fetched before."""
        url = basic_page_url(self.web_base, code)
        kept = self.cache.lookup(self.cache.key(url)) or self._kept_before(url)
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
