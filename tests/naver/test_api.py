import logging
from pathlib import Path

import pytest
from pydantic import SecretStr

from cinepipe.naver.api import (
    NaverAuthError,
    NaverBadRequest,
    NaverQuotaExceeded,
    NaverTransientError,
    SearchClient,
    request_key,
    search_rows,
)

from .conftest import CLIENT_ID, SECRET


def _client(service, tmp_path: Path, secret: str = SECRET, **kwargs) -> SearchClient:
    kwargs.setdefault("backoff_base_s", 0.01)
    return SearchClient(service.url, CLIENT_ID, SecretStr(secret), tmp_path / "cache", **kwargs)


def test_search_answers_in_the_real_shape_and_is_cached(service, small_catalogue, tmp_path):
    movie = small_catalogue[0]
    client = _client(service, tmp_path)
    answer = client.search(movie.title, display=5)
    assert set(answer) == {"lastBuildDate", "total", "start", "display", "items"}
    item = answer["items"][0]
    assert set(item) == {"title", "link", "image", "subtitle", "pubDate", "director", "actor", "userRating"}
    assert "<b>" in item["title"] and item["link"].endswith(f"code={movie.code}")
    assert item["director"].endswith("|") and item["pubDate"] == str(movie.year)
    assert service.counts["api"] == 1
    assert client.search(movie.title, display=5) == answer
    assert service.counts["api"] == 1 and client.stats.cache_hits == 1
    sent = service.headers_seen[0]
    assert sent["x-naver-client-id"] == CLIENT_ID and "cinepipe" in sent["user-agent"]


def test_year_genre_country_and_paging_parameters(service, small_catalogue, tmp_path):
    movie = small_catalogue[0]
    client = _client(service, tmp_path)
    hits = client.search(movie.title, yearfrom=movie.year, yearto=movie.year,
                         genre=str(movie.genre_code), country=movie.nation_code)["items"]
    assert any(h["link"].endswith(f"code={movie.code}") for h in hits)
    assert all(h["pubDate"] == str(movie.year) for h in hits)
    assert client.search(movie.title, start=1000)["items"] == []


@pytest.mark.parametrize("display,start", [(0, 1), (101, 1), (10, 0), (10, 1001)])
def test_limits_are_checked_before_any_call(service, tmp_path, display, start):
    with pytest.raises(NaverBadRequest):
        _client(service, tmp_path).search("괴물", display=display, start=start)
    assert service.counts["api"] == 0


@pytest.mark.parametrize("code,status", [("SE01", 400), ("SE02", 400), ("SE03", 400), ("SE04", 400),
                                         ("SE06", 400), ("SE05", 404)])
def test_bad_request_codes_are_never_retried(service, tmp_path, code, status):
    service.inject("api", code)
    client = _client(service, tmp_path)
    with pytest.raises(NaverBadRequest, match=f"HTTP {status} {code}"):
        client.search("괴물")
    assert service.counts["api"] == 1
    with pytest.raises(NaverBadRequest):  # the refusal is cached: asking again costs nothing
        client.search("괴물")
    assert service.counts["api"] == 1


def test_real_bad_encoding_and_wrong_path_answers(service, tmp_path):
    import requests

    headers = {"X-Naver-Client-Id": CLIENT_ID, "X-Naver-Client-Secret": SECRET}
    bad = requests.get(f"{service.url}/v1/search/movie.json?query=%ff%fe", headers=headers, timeout=5)
    assert (bad.status_code, bad.json()["errorCode"]) == (400, "SE06")
    gone = requests.get(f"{service.url}/v1/search/moviez.json?query=a", headers=headers, timeout=5)
    assert (gone.status_code, gone.json()["errorCode"]) == (404, "SE05")


@pytest.mark.parametrize("error", ["SE99", "012", 502, 503])
def test_transient_errors_are_retried_with_backoff(service, tmp_path, error):
    service.inject("api", error, times=2)
    sleeps: list[float] = []
    client = _client(service, tmp_path, sleep=sleeps.append)
    assert client.search("괴물")["items"] is not None
    assert len(sleeps) >= 1 and client.stats.retries == len(sleeps)


def test_transient_errors_give_up_after_the_retries(service, tmp_path):
    service.inject("api", "SE99", times=10)
    client = _client(service, tmp_path, retries=2, sleep=lambda s: None)
    with pytest.raises(NaverTransientError, match="3 attempts"):
        client.search("괴물")
    assert service.counts["api"] == 3


def test_rate_limit_is_waited_out(service, tmp_path):
    service.api_calls_per_second = 4
    client = _client(service, tmp_path, retries=10, backoff_base_s=0.05)
    for i in range(10):
        client.search(f"여름 {i}")
    assert client.stats.retries > 0
    assert service.counts["api"] == 10 + client.stats.retries


def test_daily_quota_stops_at_once(service, tmp_path):
    service.inject("api", "010")
    with pytest.raises(NaverQuotaExceeded, match="daily call quota") as info:
        _client(service, tmp_path).search("괴물")
    assert "tomorrow" in info.value.action
    assert service.counts["api"] == 1


def test_api_not_enabled_stops_at_once(service, tmp_path):
    service.api_enabled = False
    with pytest.raises(NaverAuthError, match="not enabled"):
        _client(service, tmp_path).search("괴물")
    assert service.counts["api"] == 1


def test_wrong_secret_is_a_clear_error_that_never_shows_the_secret(service, tmp_path, caplog, capsys):
    wrong = "WRONG-s3cret-value-91b"
    caplog.set_level(logging.DEBUG)
    client = _client(service, tmp_path, secret=wrong)
    with pytest.raises(NaverAuthError) as info:
        client.search("괴물")
    message = str(info.value)
    assert "HTTP 401" in message and "CINEPIPE_NAVER_CLIENT_SECRET" in message
    assert service.counts["api"] == 1  # not retried
    out = capsys.readouterr()
    for text in (message, repr(info.value), repr(client), caplog.text, out.out, out.err):
        assert wrong not in text and SECRET not in text
    # a successful search with the right secret: the cache holds no credentials
    _client(service, tmp_path).search("괴물")
    for path in (tmp_path / "cache").rglob("*"):
        if path.is_file():
            blob = path.read_text()
            assert SECRET not in blob and CLIENT_ID not in blob and SECRET not in path.name


def test_cache_key_ignores_credentials(service, tmp_path):
    _client(service, tmp_path).search("괴물")
    other = SearchClient(service.url, "another-id", SecretStr("another-secret"), tmp_path / "cache")
    other.search("괴물")
    assert service.counts["api"] == 1
    assert request_key("u", {"query": "a"}) == request_key("u", {"query": "a"})


def test_missing_credentials_only_matter_for_a_cache_miss(service, tmp_path):
    _client(service, tmp_path).search("괴물")
    anonymous = SearchClient(service.url, None, None, tmp_path / "cache")
    assert anonymous.search("괴물")["items"] is not None
    with pytest.raises(NaverAuthError, match="no client id"):
        anonymous.search("여름")


def test_interrupted_run_resumes_without_repeating_finished_calls(service, small_catalogue, tmp_path):
    rows = [{"input_row": i, "title": m.title, "english_title": None} for i, m in enumerate(small_catalogue[:40])]
    service.daily_quota = 15
    with pytest.raises(NaverQuotaExceeded):
        search_rows(_client(service, tmp_path), rows)
    first = [q for kind, q in service.log if kind == "api"]
    assert len(first) == 16  # 15 answered, the 16th refused
    service.daily_quota = None
    service.reset_counts()
    answers = search_rows(_client(service, tmp_path), rows)
    second = [q for kind, q in service.log if kind == "api"]
    assert not set(first[:15]) & set(second)
    assert len(answers) == 40 and len(second) == len({r["title"] for r in rows}) - len(set(first[:15]))
    service.reset_counts()
    search_rows(_client(service, tmp_path), rows)
    assert service.counts["api"] == 0


@pytest.mark.parametrize(("fields", "kept", "problem"), [
    ({}, True, None),
    ({"pubDate": "", "userRating": "0.00", "subtitle": ""}, True, None),
    ({"link": "https://movie.naver.com/movie/bin/basic.nhn"}, False, "names no movie code"),
    ({"link": None}, False, "names no movie code"),
    ({"title": "<b></b>"}, False, "title"),
    ({"title": 7}, False, "title"),
    ({"pubDate": "20O1"}, True, "pubDate '20O1' is malformed"),
    ({"pubDate": "1492"}, True, "pubDate"),
    ({"userRating": "73.4"}, True, "userRating '73.4' is malformed"),
    ({"userRating": "7,34"}, True, "userRating"),
    ({"director": ["a", "b"]}, True, "director"),
])
def test_each_search_item_is_checked_field_by_field(fields, kept, problem):
    from cinepipe.naver.api import check_item

    item = {"title": "<b>괴물</b>", "link": "https://movie.naver.com/movie/bin/basic.nhn?code=39841",
            "subtitle": "The Host", "pubDate": "2006", "director": "봉준호|", "actor": "송강호|",
            "userRating": "8.32", **fields}
    checked, problems = check_item(item)
    assert (checked is not None) == kept
    if problem is None:
        assert problems == [] and checked == item
    else:
        assert len(problems) == 1 and problem in problems[0]
    if checked is not None and problems:
        bad = next(k for k in fields if k in problem)
        assert bad not in checked and checked["problems"] == problems  # the malformed value is never kept


def test_malformed_items_are_flagged_not_a_crash_and_never_auto_matched(service, small_catalogue, tmp_path):
    from cinepipe.naver import matching

    movie = next(m for m in small_catalogue if m.family == "single")
    gone = next(m for m in small_catalogue if m.family == "single" and m.code != movie.code)
    service.item_fields[movie.code] = {"userRating": "734", "pubDate": "two thousand"}
    service.item_fields[gone.code] = {"link": "https://movie.naver.com/"}
    answers = search_rows(_client(service, tmp_path), [
        {"input_row": 2, "title": movie.title, "english_title": None},
        {"input_row": 3, "title": gone.title, "english_title": None},
    ])
    first, second = answers
    item = next(i for i in first["items"] if i["link"].endswith(f"code={movie.code}"))
    assert "userRating" not in item and "pubDate" not in item and len(item["problems"]) == 2
    assert any("userRating '734'" in e for e in first["errors"])
    assert not any(i["link"] == "https://movie.naver.com/" for i in second["items"])
    assert any("names no movie code" in e for e in second["errors"])
    query = matching.TitleQuery(2, movie.title, movie.year)
    found = matching.match_row(query, matching.parse_search_items({"items": first["items"]}), 0.8)
    assert found.method == matching.REVIEW and found.candidates[0]["naver_code"] == movie.code
    assert found.candidates[0]["problems"] == item["problems"]
