"""The one HTTP layer against a server on 127.0.0.1: retry policy, Retry-After, answer cache."""

from __future__ import annotations

import hashlib
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
import requests
from werkzeug import Response

from cinepipe.errors import DownloadError
from cinepipe.io.download import fetch
from cinepipe.io.files import atomic_path, write_atomic
from cinepipe.io.http import (
    AnswerCache,
    HttpClient,
    RetriesExhausted,
    RetryPolicy,
    retry_after_s,
)

PAYLOAD = b"userId,movieId,rating,timestamp\n" + b"1,1,4.0,964982703\n" * 5_000


def _rate_limited_for(seconds: float, retry_after: str):
    """A handler answering 429 with ``Retry-After`` until ``seconds`` after the first request."""
    state = {"first": None, "times": []}

    def handler(request):
        now = time.monotonic()
        state["first"] = state["first"] or now
        state["times"].append(now)
        if now - state["first"] < seconds:
            return Response("slow down", status=429, headers={"Retry-After": retry_after})
        return Response(PAYLOAD, headers={"ETag": '"v1"'})

    return handler, state


@pytest.mark.slow
def test_a_download_waits_out_ten_seconds_of_429_retry_after_10(httpserver, tmp_path):
    handler, state = _rate_limited_for(10.0, "10")
    httpserver.expect_request("/r.csv").respond_with_handler(handler)
    got = fetch(httpserver.url_for("/r.csv"), tmp_path / "r.csv", sha256=hashlib.sha256(PAYLOAD).hexdigest())
    assert got.path.read_bytes() == PAYLOAD
    gaps = [b - a for a, b in zip(state["times"], state["times"][1:])]
    assert len(state["times"]) == 2 and gaps[0] >= 10.0  # asked once, waited as told, got it


def test_a_download_waits_out_retry_after_1(httpserver, tmp_path):
    handler, state = _rate_limited_for(1.0, "1")
    httpserver.expect_request("/r.csv").respond_with_handler(handler)
    got = fetch(httpserver.url_for("/r.csv"), tmp_path / "r.csv", backoff_base_s=0.01)
    assert got.path.read_bytes() == PAYLOAD
    gaps = [b - a for a, b in zip(state["times"], state["times"][1:])]
    assert len(state["times"]) == 2 and gaps[0] >= 1.0


def test_retry_after_as_an_http_date_is_honoured(httpserver):
    when = datetime.now(UTC) + timedelta(seconds=2)
    handler, state = _rate_limited_for(1.0, format_datetime(when, usegmt=True))
    httpserver.expect_request("/a").respond_with_handler(handler)
    resp = HttpClient(RetryPolicy(backoff_base_s=0.01)).get(httpserver.url_for("/a"))
    assert resp.status_code == 200
    assert state["times"][1] - state["times"][0] >= 0.9  # the date has whole seconds


def test_retry_after_is_capped_and_never_shortens_the_backoff():
    policy = RetryPolicy(backoff_base_s=0.5, retry_after_max_s=5.0)
    assert policy.delay_s(0, 3600.0) == 5.0
    assert all(0 <= policy.delay_s(3, 0.0) <= 4.0 for _ in range(100))
    assert max(policy.delay_s(3, None) for _ in range(200)) > 1.0  # jittered up to 0.5 * 2**3
    assert all(policy.delay_s(20, None) <= policy.backoff_max_s for _ in range(50))
    resp = requests.Response()
    resp.headers["Retry-After"] = "not a number"
    assert retry_after_s(resp) is None


def test_exhausted_retries_say_how_many_attempts_over_how_long(httpserver, tmp_path):
    httpserver.expect_request("/r.csv").respond_with_data("down", status=503)
    slept: list[float] = []
    client = HttpClient(RetryPolicy(retries=3, backoff_base_s=0.01), sleep=slept.append)
    with pytest.raises(RetriesExhausted, match=r"still failing after 4 attempts over \d+\.\d s \(last: HTTP 503\)"):
        client.get(httpserver.url_for("/r.csv"))
    assert len(httpserver.log) == 4 and len(slept) == 3
    with pytest.raises(DownloadError, match=r"download failed after 2 attempts over \d+\.\d s") as info:
        fetch(httpserver.url_for("/r.csv"), tmp_path / "r.csv", retries=1, backoff_base_s=0)
    assert "kept" not in info.value.action  # nothing was received, so nothing is said to be kept
    assert not list(tmp_path.iterdir())


def test_a_kept_partial_download_is_named(httpserver, tmp_path):
    def handler(request):
        resp = Response(PAYLOAD[:1000])
        resp.headers["Content-Length"] = str(len(PAYLOAD))
        resp.automatically_set_content_length = False
        return resp

    httpserver.expect_request("/r.csv").respond_with_handler(handler)
    with pytest.raises(DownloadError) as info:
        fetch(httpserver.url_for("/r.csv"), tmp_path / "r.csv", retries=1, backoff_base_s=0)
    part = tmp_path / "r.csv.part"
    assert part.exists() and str(part) in info.value.action and "resumes" in info.value.action


@pytest.mark.parametrize("status", [400, 401, 403, 404, 410])
def test_client_errors_are_not_retried(httpserver, status):
    httpserver.expect_request("/x").respond_with_data("no", status=status)
    resp = HttpClient(RetryPolicy(backoff_base_s=0)).get(httpserver.url_for("/x"))
    assert resp.status_code == status and len(httpserver.log) == 1


def test_connection_errors_are_retried_then_reported():
    slept: list[float] = []
    client = HttpClient(RetryPolicy(retries=2, backoff_base_s=0.01), timeout_s=1, sleep=slept.append)
    with pytest.raises(RetriesExhausted, match="3 attempts .*ConnectionError"):
        client.get("http://127.0.0.1:9/nothing-listens-here")
    assert len(slept) == 2


def test_answer_cache_serves_without_a_call_and_revalidates_with_a_conditional_get(httpserver, tmp_path):
    seen = []

    def handler(request):
        seen.append((request.headers.get("If-None-Match"), request.headers.get("If-Modified-Since")))
        if request.headers.get("If-None-Match") == '"e1"':
            return Response(status=304)
        return Response(b"{\"a\": 1}", headers={"ETag": '"e1"', "Last-Modified": "Wed, 01 Jun 2011 00:00:00 GMT",
                                               "Content-Type": "application/json; charset=utf-8"})

    httpserver.expect_request("/q").respond_with_handler(handler)
    cache = AnswerCache(tmp_path / "cache")
    client = HttpClient(RetryPolicy(backoff_base_s=0))
    url = httpserver.url_for("/q")
    first = client.cached_get(cache, url, params={"query": "x"})
    again = client.cached_get(cache, url, params={"query": "x"})
    checked = client.cached_get(cache, url, params={"query": "x"}, revalidate=True)
    assert first.json() == again.json() == checked.json() == {"a": 1}
    assert seen == [(None, None), ('"e1"', "Wed, 01 Jun 2011 00:00:00 GMT")]
    assert client.stats.cache_hits == 2 and client.stats.calls == 2


def test_answer_cache_ignores_a_record_whose_body_does_not_match(tmp_path):
    from cinepipe.io.http import Answer

    cache = AnswerCache(tmp_path)
    key = cache.key("http://h/x")
    cache.store(key, Answer(200, b"whole"), url="http://h/x")
    assert cache.lookup(key).body == b"whole"
    next(tmp_path.rglob("*.body")).write_bytes(b"who")  # a body from another answer
    assert cache.lookup(key) is None


def test_atomic_write_leaves_the_old_file_when_the_writer_fails(tmp_path):
    path = write_atomic(tmp_path / "pointer.json", "old")
    with pytest.raises(RuntimeError), atomic_path(path) as tmp:
        tmp.write_text("half")
        raise RuntimeError("killed")
    assert path.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["pointer.json"]


def test_an_answer_kept_by_the_former_api_cache_is_still_served(tmp_path):
    import json

    cache = AnswerCache(tmp_path)
    key = cache.key("http://h/v1/search/movie.json", {"query": "괴물"})
    old = tmp_path / key[:2] / f"{key}.json"
    old.parent.mkdir(parents=True)
    old.write_text(json.dumps({"request": {}, "status": 200, "body": {"items": [{"title": "괴물"}]}}))
    assert cache.lookup(key).json() == {"items": [{"title": "괴물"}]}
