from dataclasses import replace

import pytest

from cinepipe.errors import TransientHTTPError
from cinepipe.naver.crawl import (
    CrawlDisallowed,
    LayoutChanged,
    PageNotFound,
    PoliteFetcher,
    parse_basic_page,
)
from cinepipe.sample.naver_service import basic_page


def _movie(catalogue, **changes):
    base = next(m for m in catalogue if m.layout == "basic")
    return replace(base, **{"page_variant": "real-2022", **changes})


@pytest.mark.parametrize("variant", ["real-2022", "ico-px"])
def test_parse_reads_every_block_and_ignores_the_wide_duplicates(small_catalogue, variant):
    m = _movie(small_catalogue, netizen_score=8.56, critic_score=5.5, audience_score=9.07, netizen_votes=3405,
               page_variant=variant)
    page = parse_basic_page(basic_page(m), m.code)
    assert (page.title, page.english_title, page.year) == (m.title, m.english_title, m.year)
    # the hidden "...Wide" blocks hold other numbers (+0.37): they must not leak in
    assert (page.netizen_score, page.critic_score, page.audience_score) == (8.56, 5.5, 9.07)
    assert page.netizen_votes == 3405
    assert page.running_time_min == m.running_time_min
    assert page.release_date == m.release_date.replace(".", "-")
    assert page.director == "|".join(m.directors) and page.cast == "|".join(m.actors)
    assert page.genres and page.nation


def test_a_movie_without_enough_votes_has_missing_scores_not_zero(small_catalogue):
    m = _movie(small_catalogue, netizen_score=None, critic_score=None, audience_score=None, netizen_votes=3)
    page = parse_basic_page(basic_page(m), m.code)
    assert page.netizen_score is None and page.critic_score is None and page.audience_score is None
    assert page.netizen_votes == 3


def test_a_changed_layout_is_a_clear_error(small_catalogue):
    m = _movie(small_catalogue, layout="changed")
    with pytest.raises(LayoutChanged, match="layout changed|no title"):
        parse_basic_page(basic_page(m), m.code)
    no_netizen = basic_page(_movie(small_catalogue)).replace("pointNetizenPersentBasic", "pointNetizenX")
    with pytest.raises(LayoutChanged, match="pointNetizenPersentBasic"):
        parse_basic_page(no_netizen, m.code)


def _fetcher(service, tmp_path, **kwargs):
    kwargs.setdefault("pages_per_second", 1000)
    kwargs.setdefault("backoff_base_s", 0.01)
    return PoliteFetcher(service.url, tmp_path / "web", **kwargs)


def test_pages_are_fetched_once_with_a_named_user_agent(service, small_catalogue, tmp_path):
    codes = [m.code for m in small_catalogue[:3]]
    fetcher = _fetcher(service, tmp_path)
    first = [fetcher.fetch_basic(c) for c in codes]
    assert service.counts == {"robots": 1, "page": 3}
    assert all("cinepipe" in h["user-agent"] for h in service.headers_seen)
    service.reset_counts()
    again = _fetcher(service, tmp_path)
    assert [again.fetch_basic(c) for c in codes] == first
    assert sum(service.counts.values()) == 0  # a rerun: not even robots.txt


def test_the_pace_follows_pages_per_second(service, small_catalogue, tmp_path):
    now = [0.0]
    slept: list[float] = []

    def sleep(s: float) -> None:
        slept.append(s)
        now[0] += s

    fetcher = _fetcher(service, tmp_path, pages_per_second=2, sleep=sleep, clock=lambda: now[0])
    for m in small_catalogue[:4]:
        fetcher.fetch_basic(m.code)
    # robots.txt + 4 pages at 2 per second: 2 seconds of waiting in all
    assert sum(slept) == pytest.approx(2.0)


def test_robots_txt_is_obeyed_unless_turned_off(service, small_catalogue, tmp_path):
    service.robots_txt = "User-agent: *\nDisallow: /\n"
    with pytest.raises(CrawlDisallowed, match="robots.txt") as info:
        _fetcher(service, tmp_path).fetch_basic(small_catalogue[0].code)
    assert "CINEPIPE_NAVER_OBEY_ROBOTS" in info.value.action
    assert service.counts["page"] == 0
    assert _fetcher(service, tmp_path, obey_robots=False).fetch_basic(small_catalogue[0].code)


def test_busy_pages_are_retried_and_missing_pages_reported(service, small_catalogue, tmp_path):
    service.inject("page", 503, times=2)
    fetcher = _fetcher(service, tmp_path)
    assert fetcher.fetch_basic(small_catalogue[0].code)
    assert service.counts["page"] == 3
    with pytest.raises(PageNotFound):
        fetcher.fetch_basic(1)
    service.inject("page", 429, times=10)
    with pytest.raises(TransientHTTPError):
        _fetcher(service, tmp_path, retries=1).fetch_basic(small_catalogue[1].code)
