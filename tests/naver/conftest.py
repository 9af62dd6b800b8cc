"""Fixtures of the Naver tests: a seeded fake catalogue and the stand-in service on 127.0.0.1."""

from __future__ import annotations

import pytest

from cinepipe.sample.naver_catalogue import make_catalogue
from cinepipe.sample.naver_service import FakeNaver

CLIENT_ID = "test-client-id"
SECRET = "S3cr3t-never-print-me-7f2a"


@pytest.fixture(scope="session")
def small_catalogue():
    return make_catalogue(150, seed=3, changed_layout_fraction=0.03)


@pytest.fixture
def service(small_catalogue):
    with FakeNaver(small_catalogue, CLIENT_ID, SECRET) as svc:
        yield svc


@pytest.fixture
def naver_env(home, service, monkeypatch):
    """Settings pointing at the stand-in, with a fast crawl pace; returns the settings."""
    from cinepipe.settings import get_settings, reset_settings

    monkeypatch.setenv("CINEPIPE_NAVER_API_BASE", service.url)
    monkeypatch.setenv("CINEPIPE_NAVER_WEB_BASE", service.url)
    monkeypatch.setenv("CINEPIPE_NAVER_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("CINEPIPE_NAVER_CLIENT_SECRET", SECRET)
    monkeypatch.setenv("CINEPIPE_NAVER_PAGES_PER_SECOND", "500")
    monkeypatch.setenv("CINEPIPE_HTTP_RETRIES", "2")
    reset_settings()
    yield get_settings()
    reset_settings()
