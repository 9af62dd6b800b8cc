"""The page parser against variants of a saved page in the real site's structure, and of the stand-in's.

Every variant must give the right values or a flagged page (``LayoutChanged`` with a reason),
never a wrong value. The saved page (``pages/basic_2022.html``) follows movie.naver.com's basic
page of 2022; the variants redraw its digits, its decimal point, its star bars, its class names
and ids, its whitespace and entities, or leave blocks out.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from cinepipe.naver.crawl import (
    LayoutChanged,
    check_unreadable_share,
    parse_basic_page,
    read_score,
)
from cinepipe.sample.naver_catalogue import (
    FLAGGED_VARIANTS,
    READABLE_VARIANTS,
    make_catalogue,
)
from cinepipe.sample.naver_pages import basic_page

SAVED = Path(__file__).parent / "pages" / "basic_2022.html"
CODE = 190123
TRUTH = {"netizen_score": 8.56, "critic_score": 5.5, "audience_score": 8.04, "netizen_votes": 11382}
FLAG = "flag"
BASIC_BLOCKS = {  # the basic view's score blocks, as the saved page draws them
    "audience": "#actualPointPersentBasic div.star_score",
    "critic": "div.mv_info_area div.spc_score_area div.star_score",
    "netizen": "#pointNetizenPersentBasic",
}


def _saved() -> str:
    return SAVED.read_text(encoding="utf-8")


def _soup() -> BeautifulSoup:
    return BeautifulSoup(_saved(), "lxml")


def _digit_ems(block) -> list:
    return [e for e in block.find_all("em") if any(c.startswith(("num", "dot")) for c in e.get("class", []))]


def redraw(draw: Callable[[str], str], blocks: tuple[str, ...] = tuple(BASIC_BLOCKS)) -> Callable[[], str]:
    """The saved page with the digits of ``blocks`` drawn by ``draw("8.56")`` instead."""

    def make() -> str:
        soup = _soup()
        for name in blocks:
            block = soup.select_one(BASIC_BLOCKS[name])
            ems = _digit_ems(block)
            fragment = BeautifulSoup(draw("".join(e.get_text() for e in ems)), "html.parser")
            for node in list(fragment.contents):
                ems[0].insert_before(node)
            for e in ems:
                e.decompose()
        return str(soup)

    return make


def digits(point: str = '<em class="dot">.</em>', digit: str = '<em class="num{d}">{d}</em>') -> Callable[[str], str]:
    def draw(text: str) -> str:
        whole, frac = text.split(".")
        return "".join(digit.format(d=d) for d in whole) + point + "".join(digit.format(d=d) for d in frac)

    return draw


def edit(fn: Callable[[BeautifulSoup], None]) -> Callable[[], str]:
    def make() -> str:
        soup = _soup()
        fn(soup)
        return str(soup)

    return make


def text(old: str, new: str, count: int = 0) -> Callable[[], str]:
    def make() -> str:
        page = _saved()
        assert old in page
        return page.replace(old, new, count or -1)

    return make


def _bar(soup: BeautifulSoup, name: str):
    return soup.select_one(BASIC_BLOCKS[name]).find(style=re.compile("width"))


def _set(soup: BeautifulSoup, name: str, style: str) -> None:
    _bar(soup, name)["style"] = style


def _no_netizen_digits(width: str) -> Callable[[BeautifulSoup], None]:
    def fn(soup: BeautifulSoup) -> None:
        for e in _digit_ems(soup.select_one(BASIC_BLOCKS["netizen"])):
            e.decompose()
        _set(soup, "netizen", f"width:{width}")

    return fn


def _drop(selector: str) -> Callable[[BeautifulSoup], None]:
    def fn(soup: BeautifulSoup) -> None:
        for node in soup.select(selector):
            node.decompose()

    return fn


def _entities(page: str) -> str:
    basic = page.index('class="mv_info_area"')
    return page[:basic] + re.sub(r"(<em class=\"num\d\">)(\d)(</em>)",
                                 lambda m: f"{m.group(1)}&#{ord(m.group(2))};{m.group(3)}", page[basic:])


def _two_bars(soup: BeautifulSoup) -> None:
    extra = soup.new_tag("span", attrs={"class": "st_on2", "style": "width:30.0%"})
    soup.select_one(BASIC_BLOCKS["netizen"]).insert(0, extra)


def _netizen_out_of_range(soup: BeautifulSoup) -> None:
    for em, drawn in zip(_digit_ems(soup.select_one(BASIC_BLOCKS["netizen"])), "12.3", strict=True):
        em.string = drawn
    _set(soup, "netizen", "width:123.0%")


def _critic_none_as_zero(soup: BeautifulSoup) -> None:
    for em, drawn in zip(_digit_ems(soup.select_one(BASIC_BLOCKS["critic"])), "0.00", strict=True):
        em.string = drawn
    _set(soup, "critic", "width:0%")


def _wide_neither_hidden_nor_named(soup: BeautifulSoup) -> None:
    wide = soup.select_one("div.wide_info_area")
    wide["class"] = ["info_area_2"]
    del wide["style"]


FULL_WIDTH = str.maketrans("0123456789.", "０１２３４５６７８９．")

# (name, how the page is made, the expected reading: TRUTH with these changes, or FLAG)
VARIANTS: list[tuple[str, Callable[[], str], dict | str]] = [
    ("as saved", _saved, {}),
    ("digits in one text node", redraw(lambda t: t), {}),
    ("digits in one em", redraw(lambda t: f"<em>{t}</em>"), {}),
    ("digits in nested spans", redraw(digits(digit="<span><em>{d}</em></span>")), {}),
    ("point as span.ico_px (the earlier site)", redraw(digits('<span class="ico_px">.</span>', "<em>{d}</em>")), {}),
    ("point as bare text", redraw(digits(".")), {}),
    ("point as an image with alt", redraw(digits('<img src="dot.gif" alt=".">')), {}),
    ("point as a CSS sprite without text", redraw(digits('<span class="ico_dot"></span>')), {}),
    ("point as an image without alt", redraw(digits('<img src="dot.gif">')), {}),
    ("point left out", redraw(digits("")), {}),
    ("digits as images with alt", redraw(digits('<img alt=".">', '<img src="n{d}.gif" alt="{d}">')), {}),
    ("digits as pictures without text", redraw(digits('<img src="dot.gif">', '<img src="n{d}.gif">')), FLAG),
    ("newlines, tabs and nbsp around digits", redraw(digits('\n\t<em class="dot">.</em>&nbsp;', "<em> {d} </em>\n")), {}),
    ("zero-width spaces between digits", redraw(digits(digit="<em>{d}</em>\u200b")), {}),
    ("digits as numeric entities", lambda: _entities(_saved()), {}),
    ("full-width digits", redraw(lambda t: t.translate(FULL_WIDTH)), {}),
    ("digits followed by 점", redraw(lambda t: f"<em>{t}</em>점"), {}),
    ("comments between digits", redraw(digits(digit="<em>{d}</em><!-- {d} -->")), {}),
    ("upper-case tags", lambda: re.sub(r"<(/?)em\b", r"<\1EM", _saved()), {}),
    ("decimal comma", redraw(lambda t: t.replace(".", ",")), FLAG),
    ("middle dot as the point", redraw(lambda t: t.replace(".", "·")), FLAG),
    ("a word among the digits", redraw(lambda t: f"평점 {t}", ("netizen",)), FLAG),
    ("digits drawn twice", redraw(lambda t: t + t, ("critic",)), FLAG),
    ("digits without point, no bar to place it", edit(lambda s: (_drop("#pointNetizenPersentBasic span.st_off")(s),
                                                                   _drop("#pointNetizenPersentBasic em.dot")(s))), FLAG),
    ("star bar classes renamed", lambda: _saved().replace('"st_on"', '"bar_fill"').replace('"st_off"', '"bar"'), {}),
    ("star_score class renamed", text('class="star_score', 'class="score_stars'), FLAG),
    ("critic area class renamed", text("spc_score_area", "critic_area"), FLAG),
    ("netizen id renamed", text("pointNetizenPersentBasic", "pointNetizenBasic"), FLAG),
    ("audience id renamed", text("actualPointPersentBasic", "actualPointBasic"), FLAG),
    ("main_score renamed", text('class="main_score"', 'class="score_main"'), FLAG),
    ("title area renamed", text('class="mv_info_area"', 'class="movie_info_area"'), FLAG),
    ("vote count id renamed", text("pointNetizenCountBasic", "pointNetizenCountB"), {"netizen_votes": None}),
    ("critic score not shown", edit(_drop("div.mv_info_area div.score:has(div.spc_score_area)")), {"critic_score": None}),
    ("audience score not shown", edit(_drop("div.mv_info_area div.score:has(#actualPointPersentBasic)")),
     {"audience_score": None}),
    ("too few votes: no digits, empty bar", edit(_no_netizen_digits("0%")), {"netizen_score": None}),
    ("no digits under a drawn bar", edit(_no_netizen_digits("85.6%")), FLAG),
    ("star bars missing", edit(_drop("div.mv_info_area span.st_off")), FLAG),
    ("netizen star bar missing", edit(_drop("#pointNetizenPersentBasic span.st_off")), FLAG),
    ("star bar disagrees", edit(lambda s: _set(s, "netizen", "width:75.6%")), FLAG),
    ("star bar a hundredth off (its rounding)", edit(lambda s: _set(s, "netizen", "width:85.7%")), {}),
    ("star bar in whole percent", edit(lambda s: _set(s, "netizen", "width:86%")), {}),
    ("star bar style with spaces", edit(lambda s: _set(s, "critic", "height: 10px; width : 55.0 %")), {}),
    ("two star bars of different widths", edit(_two_bars), FLAG),
    ("the bar's words disagree", text("관람객 평점 8.04점", "관람객 평점 9.04점", 2), FLAG),
    ("the bar's words rounded to one decimal", text("관람객 평점 8.04점", "관람객 평점 8.0점", 2), {}),
    ("no critic score drawn as 0.00 under an empty bar", edit(_critic_none_as_zero), {"critic_score": None}),
    ("digits outside 0-10", edit(_netizen_out_of_range), FLAG),
    ("wide view not hidden by style", edit(lambda s: s.select_one("div.wide_info_area").attrs.pop("style")), {}),
    ("wide view neither hidden nor named", edit(_wide_neither_hidden_nor_named), FLAG),
]


def _reading(html: str) -> dict | str:
    try:
        page = parse_basic_page(html, CODE)
    except LayoutChanged as exc:
        assert exc.problem, "a flagged page names its reason"
        return FLAG
    return {k: getattr(page, k) for k in TRUTH}


@pytest.mark.parametrize(("make", "expected"), [v[1:] for v in VARIANTS], ids=[v[0] for v in VARIANTS])
def test_a_variant_of_the_saved_page_is_read_right_or_flagged(make, expected):
    got = _reading(make())
    want = FLAG if expected == FLAG else {**TRUTH, **expected}
    if got != FLAG:  # never a wrong value, whatever the variant
        for key, value in got.items():
            assert value in (TRUTH[key], None), f"{key}: read {value}, the page means {TRUTH[key]}"
    assert got == want


def test_the_saved_page_reads_every_field():
    page = parse_basic_page(_saved(), CODE)
    assert (page.title, page.english_title, page.year) == ("바다의 약속", "Promise of the Sea", 2019)
    assert (page.genres, page.nation, page.running_time_min) == ("드라마|멜로/애정/로맨스", "한국", 118)
    assert (page.release_date, page.director, page.cast) == ("2019-09-07", "김민수", "이서연|박지훈")


def test_a_flagged_page_says_why():
    with pytest.raises(LayoutChanged, match=r"netizen score .*'8.56'.*75.6% wide"):
        parse_basic_page(edit(lambda s: _set(s, "netizen", "width:75.6%"))(), CODE)
    with pytest.raises(LayoutChanged, match="names the critic score"):
        parse_basic_page(text("spc_score_area", "critic_area")(), CODE)


@pytest.mark.parametrize("fragment", ['<span style="width:73.4%"></span><em>7</em><em>3</em><em>4</em>',
                                      '<span style="width:73.4%"></span>7<i class="dot"></i>34'])
def test_a_point_drawn_without_text_is_placed_by_the_bar_never_read_as_734(fragment):
    block = BeautifulSoup(f"<div>{fragment}</div>", "lxml").div
    assert read_score(block) == 7.34
    bare = BeautifulSoup("<div><em>7</em><em>3</em><em>4</em></div>", "lxml").div
    with pytest.raises(ValueError, match="no star bar"):
        read_score(bare)


@pytest.mark.parametrize("variant", [*READABLE_VARIANTS, *FLAGGED_VARIANTS])
def test_the_stand_in_draws_each_variant_readable_or_flagged(variant):
    """Random scores (0-10, missing, 10.00) in each of the stand-in's variants: right or flagged."""
    rng = random.Random(variant)
    base = next(m for m in make_catalogue(30, seed=1) if m.layout == "basic")
    for _ in range(60):
        def score() -> float | None:
            return rng.choice([None, 10.0, 0.5, round(rng.uniform(0, 10), 2)])

        m = replace(base, netizen_score=score(), critic_score=score(), audience_score=score(),
                    netizen_votes=rng.randint(0, 99_999), page_variant=variant)
        got = _reading_of(basic_page(m), m.code)
        if m.page_must_be_flagged:
            assert got == FLAG, (variant, m.netizen_score, m.critic_score, m.audience_score)
        else:
            assert got == (m.netizen_score, m.critic_score, m.audience_score, m.netizen_votes), variant


def _reading_of(html: str, code: int) -> tuple | str:
    try:
        p = parse_basic_page(html, code)
    except LayoutChanged:
        return FLAG
    return p.netizen_score, p.critic_score, p.audience_score, p.netizen_votes


def test_the_stand_in_draws_several_variants_chosen_by_code():
    catalogue = make_catalogue(600, seed=7)
    variants = {m.page_variant for m in catalogue}
    assert set(READABLE_VARIANTS) <= variants and variants & set(FLAGGED_VARIANTS)
    assert [m.page_variant for m in catalogue] == [m.page_variant for m in make_catalogue(600, seed=7)]
    flagged = sum(m.page_must_be_flagged for m in catalogue)
    assert 0 < flagged < 0.06 * len(catalogue)


def test_too_many_unreadable_pages_stop_the_crawl_naming_what_broke():
    broke = {c: f"netizen score (#pointNetizenPersentBasic): its digits read '{c}34' with no decimal point"
             for c in range(1, 8)}
    check_unreadable_share(dict(list(broke.items())[:2]), 10, 0.2, "http://web")  # 20%: the rest loads
    with pytest.raises(LayoutChanged, match=r"7 of 10 movie pages \(70%\).*7 like code 1: netizen score") as info:
        check_unreadable_share(broke, 10, 0.2, "http://web")
    assert "CINEPIPE_NAVER_MAX_LAYOUT_FAILURES" in info.value.action
