"""The stand-in's basic movie pages, in the markup of the real site and in its variants.

``basic_page(movie)`` draws the page in ``movie.page_variant`` (see ``catalogue``): the real site's
structure of 2022 (a hidden wide view without ids before the basic view, digits in ``em.numN``, the
point an ``em.dot``, the vote count in a hidden ``div.ly_count``), the earlier structure (digits
around ``span.ico_px``), and variants of how the digits and the point are drawn. Every page also
holds a hidden duplicate of the scores with other numbers: a parser must ignore it.
"""

from __future__ import annotations

import html

from cinepipe.sample.naver_catalogue import GENRES, NATIONS, FakeMovie

WIDE_SHIFT = 0.37  # the hidden duplicate's scores differ by this much
DISAGREEING_BAR_PERCENT = 25.0  # "bar-disagrees": the bar is this much wider than the digits say
PICTURE = "https://ssl.pstatic.net/imgmovie/2007/img/common/"


def _digits(score: float | None, variant: str) -> str:
    """The digits of a score as the variant draws them; nothing for a movie without one."""
    if score is None:
        return ""
    text = f"{score:.2f}"
    whole, frac = text.split(".")
    if variant == "one-text-node":
        return f"\n\t\t{text}\n\t"
    if variant == "picture-digits":
        return "".join(f'<img src="{PICTURE}num_{"dot" if d == "." else d}.gif" alt="">' for d in text)
    if variant == "ico-px":
        return "".join(f"<em>{d}</em>" for d in whole) + '<span class="ico_px">.</span>' + "".join(
            f"<em>{d}</em>" for d in frac)
    point = {
        "img-point": f'<img src="{PICTURE}dot.gif" alt=".">',
        "sprite-point": '<span class="ico_dot"></span>',  # drawn by CSS: no text at all
    }.get(variant, '<em class="dot">.</em>')
    ems = [f'<em class="num{d}">{d}</em>' for d in text]
    return "".join(ems[: len(whole)]) + point + "".join(ems[len(whole) + 1:])


def _bar(score: float | None, label: str, variant: str) -> str:
    if variant == "no-bar":
        return ""
    percent = (score or 0) * 10 + (DISAGREEING_BAR_PERCENT if variant == "bar-disagrees" else 0)
    text = f"{label} {score:.2f}점" if score is not None else f"{label} 없음"
    return f'<span class="st_off"><span class="st_on" style="width:{percent:.1f}%">{text}</span></span>'


def _star(score: float | None, label: str, variant: str) -> str:
    return f'<div class="star_score">{_bar(score, label, variant)}{_digits(score, variant)}</div>'


def _moved(score: float | None, shift: float) -> float | None:
    return None if score is None else round(min(10.0, score + shift), 2)


def _score_area_2022(m: FakeMovie, suffix: str, shift: float = 0.0) -> str:
    """``div.main_score`` as the real site drew it in 2022."""
    v = m.page_variant
    audience, critic, netizen = (_moved(s, shift) for s in (m.audience_score, m.critic_score, m.netizen_score))
    return (
        '<div class="main_score">\n'
        f'<div class="score"><div class="uio_ntz_btn see"><span class="ntz"><em class="blind">관람객 평점</em></span></div>'
        f'<a id="actualPointPersent{suffix}" href="./point.naver?code={m.code}" class="ntz_score">\n'
        f"{_star(audience, '관람객 평점', v)}</a><!-- N=a:ifo.mgrating --></div>\n"
        '<div class="score"><div class="spc_score_area"><a href="#" class="spc">'
        '<span class="spc_score"><em class="blind">기자 &middot; 평론가 평점</em></span>\n'
        f'{_star(critic, "기자·평론가 평점", v)}</a></div></div>\n'
        '<div class="score score_left"><div class="uio_ntz_btn"><span class="ntz"><em class="blind">네티즌 평점</em></span>'
        f'<div class="ly_count" id="pointNetizenCount{suffix}" style="display:none"><span></span>'
        f"참여 <em>{m.netizen_votes:,}</em>명</div></div>\n"
        f'<div class="star_score "><a href="#" id="pointNetizenPersent{suffix}">'
        f"{_bar(netizen, '네티즌 평점', v)}{_digits(netizen, v)}</a><!-- N=a:ifo.arating --></div></div>\n"
        "</div>"
    )


def _score_area_ico_px(m: FakeMovie, suffix: str, shift: float = 0.0) -> str:
    """``div.main_score`` as the site drew it before (ids on the links around ``div.star_score``)."""
    v = m.page_variant
    audience, critic, netizen = (_moved(s, shift) for s in (m.audience_score, m.critic_score, m.netizen_score))
    return (
        f'<div class="main_score">'
        f'<div class="score score_left"><div class="star_score">'
        f'<a href="#" id="actualPointPersent{suffix}" class="ntz_score">{_star(audience, "관람객 평점", v)}</a>'
        f"</div></div>"
        f'<div class="score"><a href="#" class="btn_score"><div class="spc_score_area">'
        f'<em class="spc">기자 · 평론가</em>{_star(critic, "기자·평론가 평점", v)}</div></a></div>'
        f'<div class="score score_right"><a href="#" id="pointNetizenPersent{suffix}" class="ntz_score">'
        f'{_star(netizen, "네티즌 평점", v)}</a>'
        f'<span class="user_count">참여 <em id="pointNetizenCount{suffix}">{m.netizen_votes:,}</em>명</span>'
        f"</div></div>"
    )


def _info_spec(m: FakeMovie) -> str:
    year, rest = m.release_date.split(".", 1)
    return (
        '<dl class="info_spec"><dt class="step1"><em>개요</em></dt><dd><p>'
        f'<span><a href="/movie/sdb/browsing/bmovie.nhn?genre={m.genre_code}">{GENRES[m.genre_code]}</a></span>'
        f'<span><a href="/movie/sdb/browsing/bmovie.nhn?nation={m.nation_code}">{NATIONS[m.nation_code]}</a></span>'
        f"<span>{m.running_time_min}분 </span>"
        f'<span><a href="/movie/sdb/browsing/bmovie.nhn?open={year}">{year}</a>'
        f'<a href="/movie/sdb/browsing/bmovie.nhn?open={year}{rest.replace(".", "")}">.{rest}</a> 개봉</span>'
        '</p></dd><dt class="step2"><em>감독</em></dt><dd><p>'
        + ", ".join(f'<a href="/movie/bi/pi/basic.nhn?code={i}">{html.escape(d)}</a>' for i, d in enumerate(m.directors))
        + '</p></dd><dt class="step3"><em>출연</em></dt><dd><p>'
        + ", ".join(f'<a href="/movie/bi/pi/basic.nhn?code={i}">{html.escape(a)}</a>' for i, a in enumerate(m.actors))
        + "</p></dd></dl>"
    )


def basic_page(m: FakeMovie) -> str:
    """The movie's basic page; ``layout="changed"`` gives the markup of a redesigned site."""
    title = html.escape(m.title)
    if m.layout == "changed":
        return (f'<!DOCTYPE html><html lang="ko"><head><meta charset="utf-8"><title>{title}</title></head>'
                f'<body><main class="movie_end"><header class="movie_header"><h2 class="title">{title}</h2>'
                f'<span class="rating">{m.netizen_score or ""}</span></header></main></body></html>')
    english = html.escape(f"{m.english_title}, {m.year}")
    heading = (f'<h3 class="h_movie"><a href="./basic.nhn?code={m.code}">{title}</a><span class="ico_rating"></span></h3>'
               f'<strong class="h_movie2" title="{english}">{english}</strong>')
    if m.page_variant == "ico-px":
        # the hidden wide view repeats the scores with other numbers: a parser must ignore it
        wide = (f'<div class="wide_info_area" id="scoreAreaWide" style="display:none">'
                f'{_score_area_ico_px(m, "Wide", WIDE_SHIFT)}</div>')
        basic = _score_area_ico_px(m, "Basic")
    else:
        # as on the real site: the wide view comes first, without an id, hidden by its style
        wide = (f'<div class="wide_info_area" style="display: none"><div class="mv_info">{heading}'
                f'{_score_area_2022(m, "Wide", WIDE_SHIFT)}</div></div>')
        basic = _score_area_2022(m, "Basic")
    return (
        f'<!DOCTYPE html><html lang="ko"><head><meta charset="utf-8"><title>{title} : 네이버 영화</title></head>'
        f'<body><div id="wrap"><div id="content"><div class="article">{wide}'
        f'<div class="mv_info_area"><div class="mv_info">{heading}'
        f"{basic}{_info_spec(m)}</div></div></div></div></div></body></html>"
    )
