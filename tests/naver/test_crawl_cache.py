"""Pages kept by the crawler before the shared answer cache are served without a call."""

import hashlib

from cinepipe.naver.crawl import PoliteFetcher, basic_page_url


def test_a_page_kept_by_the_former_cache_is_served_without_a_call(service, small_catalogue, tmp_path):
    code = small_catalogue[0].code
    url = basic_page_url(service.url, code)
    digest = hashlib.sha256(url.encode()).hexdigest()
    old = tmp_path / "web" / digest[:2] / f"{digest}.html"
    old.parent.mkdir(parents=True)
    old.write_text("<html>kept 괴물</html>", encoding="utf-8")
    fetcher = PoliteFetcher(service.url, tmp_path / "web", pages_per_second=1000)
    assert fetcher.fetch_basic(code) == "<html>kept 괴물</html>"
    assert sum(service.counts.values()) == 0 and fetcher.cache_hits == 1
