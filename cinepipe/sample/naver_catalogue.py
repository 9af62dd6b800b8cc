"""Seeded fake Naver movies and personal lists, shaped like the real ones, for tests and the sample.

The catalogue holds the cases that make matching hard: remakes with the same title and another
year, sequels (``X 2``, ``X: subtitle``), near-duplicate titles (``X`` and ``X밤``), punctuation,
English subtitles, movies without enough votes for a score, and a few pages in a changed layout.
Each page is drawn in one of several variants (``page_variant``, chosen by the movie's code): the
ways the real site drew a score, and a few drawn so the parser must refuse them.
A personal list drawn from it spells titles as people do (spacing, punctuation, the English
title, a year off by one, no year) and knows the true code of every row.
"""

from __future__ import annotations

import hashlib
import random
import re
from dataclasses import dataclass, field

import pandas as pd

WORDS = [  # (Korean, English)
    ("여름", "Summer"), ("겨울", "Winter"), ("바다", "Sea"), ("비밀", "Secret"), ("도시", "City"),
    ("그림자", "Shadow"), ("기억", "Memory"), ("눈물", "Tears"), ("별", "Star"), ("소녀", "Girl"),
    ("왕", "King"), ("검", "Sword"), ("불꽃", "Flame"), ("약속", "Promise"), ("하늘", "Sky"),
    ("거리", "Street"), ("사랑", "Love"), ("전쟁", "War"), ("친구", "Friend"), ("가족", "Family"),
    ("바람", "Wind"), ("달", "Moon"), ("섬", "Island"), ("숲", "Forest"), ("강", "River"),
    ("기차", "Train"), ("편지", "Letter"), ("노래", "Song"), ("유령", "Ghost"), ("형사", "Detective"),
    ("학교", "School"), ("집", "House"), ("늑대", "Wolf"), ("호랑이", "Tiger"), ("괴물", "Monster"),
    ("천사", "Angel"), ("악마", "Devil"), ("영웅", "Hero"), ("도둑", "Thief"), ("황제", "Emperor"),
    ("공주", "Princess"), ("의사", "Doctor"), ("군인", "Soldier"), ("시간", "Time"), ("꿈", "Dream"),
    ("정원", "Garden"), ("거울", "Mirror"), ("열쇠", "Key"), ("미로", "Maze"), ("항구", "Harbor"),
]
ADJECTIVES = [
    ("마지막", "The Last"), ("첫", "The First"), ("잃어버린", "The Lost"), ("위험한", "Dangerous"),
    ("조용한", "Quiet"), ("푸른", "Blue"), ("붉은", "Red"), ("검은", "Black"), ("하얀", "White"),
    ("작은", "Little"), ("위대한", "The Great"), ("이상한", "Strange"), ("슬픈", "Sad"),
    ("행복한", "Happy"), ("차가운", "Cold"), ("뜨거운", "Hot"), ("오래된", "Old"), ("새로운", "New"),
]
SUBTITLES = [("귀환", "The Return"), ("부활", "Resurrection"), ("최후의 전쟁", "The Final War"),
             ("새로운 시작", "A New Beginning"), ("복수", "Revenge"), ("어둠의 시대", "Age of Darkness")]
GENRES = {1: "드라마", 2: "판타지", 4: "공포", 5: "멜로/애정/로맨스", 6: "모험", 7: "스릴러", 8: "느와르",
          11: "코미디", 13: "미스터리", 15: "애니메이션", 16: "범죄", 18: "SF", 19: "액션"}
NATIONS = {"KR": "한국", "US": "미국", "JP": "일본", "FR": "프랑스", "GB": "영국", "HK": "홍콩"}
SURNAMES = list("김이박최정강조윤장임한오서신권황안송류홍")
# how a page draws its scores, with weights: the real site's markup of 2022 (digits in em.numN, the
# point an em.dot) and of earlier years (span.ico_px), digits as one text node, the point as an
# image with alt text or as a CSS sprite without text (the star bar then places it)
READABLE_VARIANTS = {"real-2022": 4, "ico-px": 3, "one-text-node": 1, "img-point": 1, "sprite-point": 1}
# drawn so the parser must refuse them: a star bar that disagrees with the digits, digits drawn as
# pictures without text, digits without a star bar to check them against
FLAGGED_VARIANTS = ("bar-disagrees", "picture-digits", "no-bar")
GIVEN = ["민수", "서연", "지훈", "하늘", "준호", "수빈", "도윤", "예린", "현우", "지아", "태식", "은희"]


@dataclass
class FakeMovie:
    """One movie as Naver would show it; ``None`` scores are shown without digits."""

    code: int
    title: str
    english_title: str
    year: int
    genre_code: int
    nation_code: str
    running_time_min: int
    release_date: str  # YYYY.MM.DD
    directors: list[str]
    actors: list[str]
    netizen_score: float | None
    netizen_votes: int
    critic_score: float | None
    audience_score: float | None
    layout: str = "basic"  # "basic" or "changed" (a page the parser must refuse)
    family: str = "single"  # single, remake, sequel, punctuation-twin, near-duplicate
    tags: list[str] = field(default_factory=list)
    page_variant: str = "real-2022"  # READABLE_VARIANTS or FLAGGED_VARIANTS

    @property
    def page_must_be_flagged(self) -> bool:
        """Whether a correct parser refuses this movie's page (rather than read its scores)."""
        if self.layout == "changed" or self.page_variant == "bar-disagrees":
            return True
        drawn = any(s is not None for s in (self.netizen_score, self.critic_score, self.audience_score))
        return self.page_variant in FLAGGED_VARIANTS and drawn


def page_variant_for(code: int, flagged_fraction: float) -> str:
    """The variant a movie's page is drawn in: a function of its code, ``flagged_fraction`` refused."""
    u = int(hashlib.sha256(f"page-variant:{code}".encode()).hexdigest()[:12], 16) / 16**12
    if u < flagged_fraction:
        return FLAGGED_VARIANTS[int(u / flagged_fraction * len(FLAGGED_VARIANTS))]
    u = (u - flagged_fraction) / (1 - flagged_fraction) * sum(READABLE_VARIANTS.values())
    for name, weight in READABLE_VARIANTS.items():
        if u < weight:
            return name
        u -= weight
    return name


def _bare(title: str) -> str:
    return re.sub(r"[\W_]+", "", title.lower())


def _person(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN)


def _base_titles(rng: random.Random) -> tuple[str, str]:
    pattern = rng.random()
    noun, noun_en = rng.choice(WORDS)
    other, other_en = rng.choice(WORDS)
    adj, adj_en = rng.choice(ADJECTIVES)
    if pattern < 0.3:
        return f"{adj} {noun}", f"{adj_en} {noun_en}"
    if pattern < 0.55:
        return f"{noun}의 {other}", f"The {other_en} of {noun_en}"
    if pattern < 0.7:
        return f"{noun}: {adj} {other}", f"{noun_en}: {adj_en} {other_en}"
    if pattern < 0.8:
        return f"{adj} {noun}!", f"{adj_en} {noun_en}!"
    if pattern < 0.9:
        return f"{noun}와 {other}", f"{noun_en} & {other_en}"
    return f"{adj} {noun}의 {other}", f"{adj_en} {other_en} of {noun_en}"


def _scores(rng: random.Random, year: int) -> dict:
    votes = int(rng.lognormvariate(6.5, 1.6))
    quality = rng.gauss(0, 1)
    netizen = round(min(9.95, max(1.0, 7.6 + 1.1 * quality + rng.gauss(0, 0.4))), 2)
    critic = round(min(9.5, max(1.0, 6.0 + 0.9 * quality + rng.gauss(0, 0.7))), 2)
    audience = round(min(10.0, max(1.0, netizen + rng.gauss(0.3, 0.3))), 2)
    return {
        "netizen_score": netizen if votes >= 10 else None,
        "netizen_votes": votes,
        "critic_score": critic if rng.random() < 0.7 else None,
        "audience_score": audience if year >= 2012 and rng.random() < 0.7 else None,
    }


def _movie(rng: random.Random, code: int, title: str, english: str, year: int, family: str) -> FakeMovie:
    month, day = rng.randint(1, 12), rng.randint(1, 28)
    return FakeMovie(
        code=code,
        title=title,
        english_title=english,
        year=year,
        genre_code=rng.choice(list(GENRES)),
        nation_code=rng.choice(list(NATIONS)),
        running_time_min=rng.randint(80, 170),
        release_date=f"{year + (1 if rng.random() < 0.15 else 0)}.{month:02d}.{day:02d}",
        directors=[_person(rng)],
        actors=[_person(rng) for _ in range(rng.randint(2, 5))],
        family=family,
        **_scores(rng, year),
    )


def make_catalogue(
    n_movies: int = 1200, seed: int = 7, changed_layout_fraction: float = 0.01, flagged_page_fraction: float = 0.02,
) -> list[FakeMovie]:
    """About ``n_movies`` fake movies with unique codes, seeded; pages in variants chosen by code."""
    rng = random.Random(seed)
    codes = iter(rng.sample(range(10_000, 300_000), n_movies * 2))
    movies: list[FakeMovie] = []
    seen: set[str] = set()  # titles without punctuation or spaces: twins come only on purpose
    while len(movies) < n_movies:
        title, english = _base_titles(rng)
        if _bare(title) in seen:
            continue
        seen.add(_bare(title))
        year = rng.randint(1960, 2022)
        movies.append(_movie(rng, next(codes), title, english, year, "single"))
        roll = rng.random()
        if roll < 0.07:  # a remake: same title, another year (same or new English title)
            remake_year = min(2023, year + rng.randint(4, 30))
            remake_en = english if rng.random() < 0.6 else f"{english} ({NATIONS[rng.choice(list(NATIONS))]})"
            movies[-1].family = "remake"
            movies.append(_movie(rng, next(codes), title, remake_en, remake_year, "remake"))
        elif roll < 0.15:  # a sequel: "X 2" or "X: subtitle"
            sub, sub_en = rng.choice(SUBTITLES)
            numbered = rng.random() < 0.5
            sequel = (f"{title} 2", f"{english} II") if numbered else (f"{title}: {sub}", f"{english}: {sub_en}")
            movies[-1].family = "sequel"
            movies.append(_movie(rng, next(codes), *sequel, min(2023, year + rng.randint(2, 6)), "sequel"))
        elif roll < 0.17:  # a punctuation twin: another movie whose title differs by a "!"
            movies[-1].family = "punctuation-twin"
            movies.append(_movie(rng, next(codes), f"{title.rstrip('!')}!", f"{english.rstrip('!')}!",
                                 rng.randint(1960, 2022), "punctuation-twin"))
        elif roll < 0.23:  # a near-duplicate title
            suffix, suffix_en = rng.choice([("밤", " Night"), ("들", "s"), (" 이야기", " Story")])
            near = f"{title.rstrip('!')}{suffix}"
            if _bare(near) not in seen:
                seen.add(_bare(near))
                movies[-1].family = "near-duplicate"
                movies.append(_movie(rng, next(codes), near, english.rstrip("!") + suffix_en,
                                     rng.randint(1960, 2022), "near-duplicate"))
    movies = movies[:n_movies]
    for movie in rng.sample(movies, max(1, int(n_movies * changed_layout_fraction))):
        movie.layout = "changed"
    for movie in movies:  # by code, not from rng: the movies and lists stay what they were
        movie.page_variant = page_variant_for(movie.code, flagged_page_fraction)
    return movies


def _spelled(rng: random.Random, title: str) -> str:
    """The title as a person might type it: punctuation and spacing vary, the words do not."""
    roll = rng.random()
    if roll < 0.3:
        return title.replace(":", "").replace("!", "")
    if roll < 0.5:
        return title.replace(" ", "", 1)
    if roll < 0.6:
        return title.replace(": ", " - ")
    if roll < 0.7:
        return title.replace(" 2", " II")
    return title


def _my_score(rng: random.Random, movie: FakeMovie) -> float:
    netizen = movie.netizen_score if movie.netizen_score is not None else 7.6
    critic = movie.critic_score if movie.critic_score is not None else 6.0
    latent = 3.2 + 0.55 * (netizen - 7.6) + 0.25 * (critic - 6.0) + rng.gauss(0, 0.6)
    return min(5.0, max(0.5, round(latent * 2) / 2))


def make_personal_list(
    catalogue: list[FakeMovie],
    n_rows: int,
    seed: int = 11,
    *,
    not_on_naver_fraction: float = 0.03,
    repeat_fraction: float = 0.03,
) -> pd.DataFrame:
    """A personal list (title, my_score, year, english_title, note) plus ``true_code``.

    ``true_code`` is NA for titles Naver does not have. Rows repeat a few movies, as real lists do.
    """
    rng = random.Random(seed)
    known = {m.title for m in catalogue}
    rows: list[dict] = []
    picked = rng.sample(catalogue, min(len(catalogue), n_rows))
    for i in range(n_rows):
        if rng.random() < not_on_naver_fraction:
            noun, _ = rng.choice(WORDS)
            title = f"{noun} 연대기 {rng.randint(1, 99)}호"
            if title in known:
                continue
            rows.append({"title": title, "my_score": rng.choice([2.0, 3.0, 3.5, 4.0]),
                         "year": rng.randint(1990, 2020), "english_title": None,
                         "note": "not on naver", "true_code": None})
            continue
        if rows and rng.random() < repeat_fraction:
            prior = rng.choice([r for r in rows if r["true_code"] is not None] or rows)
            rows.append(dict(prior))
            continue
        movie = picked[i % len(picked)]
        how = rng.random()
        year = movie.year if rng.random() < 0.9 else movie.year + rng.choice([-1, 1])
        row = {"title": _spelled(rng, movie.title), "my_score": _my_score(rng, movie),
               "year": year if rng.random() < 0.75 else None, "english_title": None,
               "note": None, "true_code": movie.code}
        if how < 0.1:
            row["title"] = movie.english_title
        elif how < 0.25:
            row["english_title"] = movie.english_title
        rows.append(row)
    frame = pd.DataFrame(rows[:n_rows])
    frame["year"] = frame["year"].astype("Int64")
    frame["true_code"] = frame["true_code"].astype("Int64")
    return frame
