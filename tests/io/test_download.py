"""The real download code against an HTTP server on 127.0.0.1."""

from __future__ import annotations

import hashlib
import io
import zipfile

import pytest
from werkzeug import Response

from cinepipe.errors import DownloadError
from cinepipe.io.download import check_zip, fetch

PAYLOAD = b"userId,movieId,rating,timestamp\n" + b"1,1,4.0,964982703\n" * 40_000


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_good_file_is_streamed_verified_and_renamed(httpserver, tmp_path):
    httpserver.expect_request("/r.csv").respond_with_data(PAYLOAD, headers={"ETag": '"v1"'})
    got = fetch(httpserver.url_for("/r.csv"), tmp_path / "r.csv", sha256=_sha(PAYLOAD), backoff_base_s=0)
    assert got.path.read_bytes() == PAYLOAD
    assert got.sha256 == _sha(PAYLOAD)
    assert not (tmp_path / "r.csv.part").exists()


def test_unchanged_remote_file_is_not_fetched_again(httpserver, tmp_path):
    calls = []

    def handler(request):
        calls.append(request.headers.get("If-None-Match"))
        if request.headers.get("If-None-Match") == '"v1"':
            return Response(status=304)
        return Response(PAYLOAD, headers={"ETag": '"v1"'})

    httpserver.expect_request("/r.csv").respond_with_handler(handler)
    url = httpserver.url_for("/r.csv")
    first = fetch(url, tmp_path / "r.csv", backoff_base_s=0)
    second = fetch(url, tmp_path / "r.csv", backoff_base_s=0)
    assert calls == [None, '"v1"']
    assert second.not_modified and second.sha256 == first.sha256


def test_server_error_then_success_is_retried(httpserver, tmp_path):
    state = {"n": 0}

    def handler(request):
        state["n"] += 1
        return Response("busy", status=500) if state["n"] == 1 else Response(PAYLOAD)

    httpserver.expect_request("/r.csv").respond_with_handler(handler)
    got = fetch(httpserver.url_for("/r.csv"), tmp_path / "r.csv", backoff_base_s=0)
    assert state["n"] == 2 and got.path.read_bytes() == PAYLOAD


def test_dropped_connection_resumes_with_a_range_request(httpserver, tmp_path):
    ranges = []

    def handler(request):
        ranges.append(request.headers.get("Range"))
        if request.headers.get("Range"):
            start = int(request.headers["Range"].split("=")[1].rstrip("-"))
            return Response(PAYLOAD[start:], status=206, headers={"ETag": '"v1"'})
        # announce the whole length, send half: the client sees a short read
        resp = Response(PAYLOAD[: len(PAYLOAD) // 2], headers={"ETag": '"v1"'})
        resp.headers["Content-Length"] = str(len(PAYLOAD))
        resp.automatically_set_content_length = False
        return resp

    httpserver.expect_request("/r.csv").respond_with_handler(handler)
    got = fetch(httpserver.url_for("/r.csv"), tmp_path / "r.csv", sha256=_sha(PAYLOAD), backoff_base_s=0)
    assert got.path.read_bytes() == PAYLOAD
    assert ranges[0] is None and ranges[-1] is not None and ranges[-1].startswith("bytes=")


def test_wrong_checksum_is_rejected_and_nothing_is_kept(httpserver, tmp_path):
    httpserver.expect_request("/r.csv").respond_with_data(PAYLOAD)
    with pytest.raises(DownloadError, match="checksum mismatch"):
        fetch(httpserver.url_for("/r.csv"), tmp_path / "r.csv", sha256="0" * 64, backoff_base_s=0)
    assert not (tmp_path / "r.csv").exists() and not (tmp_path / "r.csv.part").exists()


def test_persistent_failure_names_the_url_and_gives_up(httpserver, tmp_path):
    httpserver.expect_request("/r.csv").respond_with_data("down", status=503)
    url = httpserver.url_for("/r.csv")
    with pytest.raises(DownloadError, match="failed after 2 attempts") as info:
        fetch(url, tmp_path / "r.csv", retries=1, backoff_base_s=0)
    assert url in str(info.value)


def test_not_found_is_not_retried(httpserver, tmp_path):
    httpserver.expect_request("/missing.zip").respond_with_data("no", status=404)
    with pytest.raises(DownloadError, match="HTTP 404"):
        fetch(httpserver.url_for("/missing.zip"), tmp_path / "m.zip", backoff_base_s=0)
    assert len(httpserver.log) == 1


def test_truncated_zip_fails_the_integrity_check(tmp_path):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("ml-x/ratings.csv", PAYLOAD)
    path = tmp_path / "ml-x.zip"
    path.write_bytes(buf.getvalue()[:-40])
    with pytest.raises(DownloadError, match="truncated or corrupt"):
        check_zip(path, "test")
