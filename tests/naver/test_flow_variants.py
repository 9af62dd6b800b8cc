"""The whole Naver branch against the stand-in drawing a mix of page variants, some to be refused."""

import shutil
from dataclasses import replace

import duckdb
import pytest

from cinepipe.sample.naver_catalogue import (
    READABLE_VARIANTS,
    make_catalogue,
    make_personal_list,
)


@pytest.fixture(scope="module")
def small_catalogue():
    """The conftest's catalogue, with one page in ten drawn so the parser must refuse it."""
    return make_catalogue(150, seed=3, changed_layout_fraction=0.03, flagged_page_fraction=0.1)


@pytest.fixture
def score_list(tmp_path, small_catalogue):
    path = tmp_path / "my_scores.csv"
    frame = make_personal_list(small_catalogue, 80, seed=5, not_on_naver_fraction=0.04)
    path.write_text(frame.drop(columns="true_code").to_csv(index=False, lineterminator="\n"), encoding="utf-8")
    return path


def _query(settings, sql):
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_every_loaded_score_is_the_services_and_every_unread_page_waits_with_its_reason(
        naver_env, service, small_catalogue, score_list, prefect_harness):
    from cinepipe.flows.naver import ingest_naver_flow

    result = ingest_naver_flow(str(score_list))
    by_code = {m.code: m for m in small_catalogue}
    crawled = {int(path.split("code=")[1]) for kind, path in service.log if kind == "page"}
    assert {by_code[c].page_variant for c in crawled} >= set(READABLE_VARIANTS)  # a real mix
    must_flag = {c for c in crawled if by_code[c].page_must_be_flagged}
    assert len(must_flag) >= 5

    loaded = _query(naver_env, "select naver_code, netizen_score, critic_score, audience_score, netizen_votes "
                               "from naver_scores where source = 'naver'")
    assert len(loaded) > 40
    for code, netizen, critic, audience, votes in loaded:
        m = by_code[code]
        assert (netizen, critic, audience, votes) == (m.netizen_score, m.critic_score, m.audience_score,
                                                      m.netizen_votes), m.page_variant

    waiting = _query(naver_env, "select reason, chosen_code, decision from naver_match_review "
                                "where reason like 'page %'")
    queued = {int(reason.split()[1].rstrip(":")) for reason, _, _ in waiting}
    assert queued == must_flag and not queued & {code for code, *_ in loaded}
    assert all(len(reason) > 20 and code is None and decision is None for reason, code, decision in waiting)
    assert result["pages_unread"] == len(must_flag)
    assert result["crawl_status"]["layout-changed"] == len(must_flag)
    csv_text = (naver_env.exports_dir / "naver_match_review.csv").read_text(encoding="utf-8")
    assert all(reason in csv_text for reason, _, _ in waiting)

    # the site fixed (or the parser): the next run reads those pages, loads them, and nothing waits for them
    for code in must_flag:
        service.by_code[code] = replace(by_code[code], layout="basic", page_variant="real-2022")
    shutil.rmtree(naver_env.http_cache_dir / "naver-web")
    ingest_naver_flow(str(score_list))
    assert _query(naver_env, "select count(*) from naver_match_review where reason like 'page %'") == [(0,)]
    fixed = _query(naver_env, f"select naver_code, netizen_score, critic_score from naver_scores "
                              f"where naver_code in ({', '.join(map(str, must_flag))})")
    assert {code for code, *_ in fixed} == must_flag
    assert all((n, c) == (by_code[code].netizen_score, by_code[code].critic_score) for code, n, c in fixed)


def test_more_unread_pages_than_allowed_stop_the_branch_naming_what_broke(
        naver_env, service, score_list, prefect_harness, monkeypatch):
    from cinepipe.errors import CinepipeError
    from cinepipe.flows.naver import ingest_naver_flow
    from cinepipe.settings import reset_settings

    monkeypatch.setenv("CINEPIPE_NAVER_MAX_LAYOUT_FAILURES", "0.02")
    reset_settings()
    with pytest.raises(CinepipeError, match=r"movie pages \(\d+%\) could not be read.* like code \d+: ") as info:
        ingest_naver_flow(str(score_list))
    assert "CINEPIPE_NAVER_MAX_LAYOUT_FAILURES" in str(info.value)
    assert _query(naver_env, "select count(*) from naver_scores") == [(0,)]
