"""Match personal-list titles to Naver search candidates, with a confidence and a reason.

Pure: search answers in, decisions out. A candidate's evidence is its normalised title similarity
(Korean and English, ``<b>`` markup and punctuation removed), times factors for year distance and
the other known fields (English title, netizen score). Only an exact normalised title, or a near
one corroborated by another field, can pass the threshold, and a close runner-up (a remake with the
same title, no year to tell them apart) lowers the confidence: such rows go to a person.
"""

from __future__ import annotations

import html
import json
import re
import unicodedata
from dataclasses import asdict, dataclass, field
from difflib import SequenceMatcher
from urllib.parse import parse_qs, urlsplit

from cinepipe.naver.columns import AUTO, MANUAL

REVIEW = "review"  # waiting for a person
NO_MATCH = "no-match"  # nothing on Naver resembles the title: IMDb fallback
REJECTED = "rejected"  # a person said none of the candidates: IMDb fallback

NEAR_TITLE_CAP = 0.8  # a title that is only similar never passes the threshold on its own
MIN_NAME_SIMILARITY = 0.5  # below it a search hit is noise, not a candidate
RUNNER_UP_MARGIN = 0.3  # confidence loses what the runner-up lacks of this margin
YEAR_FACTORS = {0: 1.0, 1: 0.92, 2: 0.75}  # release vs production year often differ by one
FAR_YEAR_FACTOR = 0.4
SHOWN_CANDIDATES = 5

_TAG = re.compile(r"<[^>]+>")
_ROMAN = {"ii": "2", "iii": "3", "iv": "4", "v": "5", "vi": "6", "vii": "7", "viii": "8", "ix": "9"}
_DIGITS = re.compile(r"\d+")


@dataclass(frozen=True)
class TitleQuery:
    """One row of the personal list, as far as matching is concerned."""

    input_row: int
    title: str
    year: int | None = None
    english_title: str | None = None
    netizen_score: float | None = None

    @property
    def key(self) -> str:
        return query_key(self.title, self.year, self.english_title)


@dataclass(frozen=True)
class Candidate:
    """One search hit."""

    naver_code: int
    title: str
    english_title: str | None
    year: int | None
    director: str | None = None
    user_rating: float | None = None
    problems: tuple[str, ...] = ()  # fields the API sent malformed (``api.check_item``): never auto


@dataclass
class Match:
    """The decision for one list row."""

    input_row: int
    query_key: str
    method: str  # auto, manual, review, no-match, rejected
    naver_code: int | None
    confidence: float
    candidates: list[dict] = field(default_factory=list)  # best first, with their evidence

    def to_dict(self) -> dict:
        return asdict(self)


def normalise_title(text: str | None) -> str:
    """Lowercase words without markup, punctuation or roman numerals (``II`` -> ``2``)."""
    if not text:
        return ""
    text = unicodedata.normalize("NFKC", html.unescape(_TAG.sub("", text))).lower()
    text = text.replace("&", " and ")
    text = re.sub(r"[^\w\s]|_", " ", text)
    return " ".join(_ROMAN.get(w, w) for w in text.split())


def query_key(title: str, year: int | None, english_title: str | None) -> str:
    """The stable key of a list row across runs (a person's decision is filed under it)."""
    return f"{normalise_title(title)}|{year or ''}|{normalise_title(english_title)}"


def title_similarity(a: str | None, b: str | None) -> float:
    """1.0 for the same normalised title (spacing ignored), at most ``NEAR_TITLE_CAP`` otherwise."""
    na, nb = normalise_title(a), normalise_title(b)
    if not na or not nb:
        return 0.0
    ca, cb = na.replace(" ", ""), nb.replace(" ", "")
    if ca == cb:
        return 1.0
    ratio = SequenceMatcher(None, ca, cb, autojunk=False).ratio()
    if set(_DIGITS.findall(na)) != set(_DIGITS.findall(nb)):
        ratio *= 0.5  # "에일리언" vs "에일리언 2": a sequel is another movie
    return NEAR_TITLE_CAP * ratio


def parse_search_items(answer: dict) -> list[Candidate]:
    """Candidates from a search API answer (``items[]``, checked by ``api.check_item``), markup removed."""
    out = []
    for item in answer.get("items") or []:
        code = parse_qs(urlsplit(item.get("link", "")).query).get("code", [""])[0]
        if not code.isdigit():
            continue
        year = str(item.get("pubDate") or "").strip()
        rating = str(item.get("userRating") or "").strip()
        directors = [d for d in str(item.get("director") or "").split("|") if d]
        out.append(
            Candidate(
                naver_code=int(code),
                title=" ".join(html.unescape(_TAG.sub("", item.get("title") or "")).split()),
                english_title=" ".join(html.unescape(_TAG.sub("", item.get("subtitle") or "")).split())
                or None,
                year=int(year) if year.isdigit() else None,
                director="|".join(directors) or None,
                user_rating=float(rating) if rating and float(rating) > 0 else None,
                problems=tuple(item.get("problems") or ()),
            )
        )
    return out


def year_factor(wanted: int | None, found: int | None) -> float:
    if wanted is None or found is None:
        return 1.0
    return YEAR_FACTORS.get(abs(wanted - found), FAR_YEAR_FACTOR)


def evidence(query: TitleQuery, cand: Candidate) -> tuple[float, float]:
    """(name similarity, overall evidence in 0-1) of one candidate for one row."""
    name = max(
        title_similarity(query.title, cand.title),
        title_similarity(query.title, cand.english_title),
    )
    if query.english_title and cand.english_title:
        english = max(
            title_similarity(query.english_title, cand.english_title),
            title_similarity(query.english_title, cand.title),
        )
        name = (2 * name + english) / 3
    score = name * year_factor(query.year, cand.year)
    if query.netizen_score is not None and cand.user_rating is not None:
        closeness = max(0.0, 1 - abs(query.netizen_score - cand.user_rating) / 2)
        score *= 0.85 + 0.15 * closeness
    return name, score


def _shown(cand: Candidate, score: float) -> dict:
    return {
        "naver_code": cand.naver_code,
        "title": cand.title,
        "english_title": cand.english_title,
        "year": cand.year,
        "director": cand.director,
        "evidence": round(score, 3),
        **({"problems": list(cand.problems)} if cand.problems else {}),
    }


def match_row(query: TitleQuery, candidates: list[Candidate], threshold: float) -> Match:
    """Decide one row: ``auto`` above ``threshold``, ``review`` below it, ``no-match`` for noise."""
    unique = {c.naver_code: c for c in candidates}
    scored = []
    for cand in unique.values():
        name, score = evidence(query, cand)
        if name >= MIN_NAME_SIMILARITY:
            scored.append((score, cand))
    scored.sort(key=lambda sc: (-sc[0], sc[1].naver_code))
    shown = [_shown(c, s) for s, c in scored[:SHOWN_CANDIDATES]]
    if not scored:
        return Match(query.input_row, query.key, NO_MATCH, None, 0.0, [])
    best, top = scored[0]
    second = scored[1][0] if len(scored) > 1 else 0.0
    confidence = max(0.0, best - max(0.0, RUNNER_UP_MARGIN - (best - second)))
    if confidence >= threshold and not top.problems:
        return Match(query.input_row, query.key, AUTO, top.naver_code, round(confidence, 4), shown)
    return Match(query.input_row, query.key, REVIEW, None, round(confidence, 4), shown)


def apply_decision(match: Match, decision: int | None) -> Match:
    """A person's choice for a row: a Naver code (``manual``) or none of them (``rejected``)."""
    if decision is None:
        return Match(match.input_row, match.query_key, REJECTED, None, 1.0, match.candidates)
    return Match(match.input_row, match.query_key, MANUAL, int(decision), 1.0, match.candidates)


def parse_choice(text: str | None) -> tuple[bool, int | None]:
    """(decided, code) from the review CSV's ``chosen_code`` cell: a code, ``none``, or blank."""
    text = (text or "").strip().lower()
    if not text:
        return False, None
    if text in ("none", "no", "-", "0"):
        return True, None
    digits = text.split(":")[0].strip()
    if not digits.isdigit():
        raise ValueError(f"chosen_code {text!r} is neither a Naver code nor 'none'")
    return True, int(digits)


def candidates_text(candidates: list[dict]) -> str:
    """Candidates as one readable CSV cell: ``code: title (year) [English] evidence; ...``."""
    parts = []
    for c in candidates:
        english = f" [{c['english_title']}]" if c.get("english_title") else ""
        parts.append(f"{c['naver_code']}: {c['title']} ({c.get('year') or '?'}){english} {c['evidence']:.2f}")
    return "; ".join(parts)


def candidates_json(candidates: list[dict]) -> str:
    return json.dumps(candidates, ensure_ascii=False)


def match_all(
    queries: list[TitleQuery],
    answers: dict[int, list[dict]],
    decisions: dict[str, int | None],
    threshold: float,
) -> list[Match]:
    """Match every row; a person's decision (by query key) overrides the automatic one.

    Args:
        answers: input_row -> the search items found for that row.
        decisions: query_key -> chosen Naver code, or None for "none of them".
    """
    out = []
    for query in queries:
        candidates = parse_search_items({"items": answers.get(query.input_row, [])})
        match = match_row(query, candidates, threshold)
        if query.key in decisions:
            match = apply_decision(match, decisions[query.key])
        out.append(match)
    return out
