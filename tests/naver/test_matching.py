import pandas as pd
import pytest
from pydantic import SecretStr

from cinepipe.naver import matching
from cinepipe.naver.api import SearchClient, search_rows
from cinepipe.sample.naver_catalogue import make_catalogue, make_personal_list
from cinepipe.sample.naver_service import FakeNaver


def _cand(code, title, year, english=None):
    return matching.Candidate(naver_code=code, title=title, english_title=english, year=year)


def test_normalise_title_removes_markup_punctuation_and_roman_numerals():
    assert matching.normalise_title("<b>어벤져스</b>: 엔드게임!") == "어벤져스 엔드게임"
    assert matching.normalise_title("Rocky II &amp; Friends") == "rocky 2 and friends"
    assert matching.title_similarity("어벤져스:엔드게임", "어벤져스 - 엔드 게임") == 1.0
    assert matching.title_similarity("에일리언", "에일리언 2") < 0.5


def test_parse_search_items_reads_codes_years_and_strips_markup():
    answer = {"items": [{"title": "<b>괴물</b>", "link": "https://movie.naver.com/movie/bin/basic.nhn?code=39841",
                         "subtitle": "The Host", "pubDate": "2006", "director": "봉준호|",
                         "actor": "송강호|", "userRating": "8.29"},
                        {"title": "x", "link": "https://example.com/other"}]}
    [c] = matching.parse_search_items(answer)
    assert (c.naver_code, c.title, c.year, c.director, c.user_rating) == (39841, "괴물", 2006, "봉준호", 8.29)


def test_remakes_need_a_year_or_a_person():
    cands = [_cand(1, "올드보이", 2003, "Oldboy"), _cand(2, "올드보이", 2013, "Oldboy")]
    unsure = matching.match_row(matching.TitleQuery(1, "올드보이"), cands, 0.8)
    assert unsure.method == matching.REVIEW and unsure.naver_code is None
    assert [c["naver_code"] for c in unsure.candidates] == [1, 2]
    sure = matching.match_row(matching.TitleQuery(1, "올드보이", year=2013), cands, 0.8)
    assert (sure.method, sure.naver_code) == ("auto", 2)


def test_sequels_and_near_duplicates_do_not_steal_the_match():
    cands = [_cand(1, "에일리언", 1979), _cand(2, "에일리언 2", 1986), _cand(3, "에일리언들", 1990)]
    assert matching.match_row(matching.TitleQuery(1, "에일리언"), cands, 0.8).naver_code == 1
    assert matching.match_row(matching.TitleQuery(1, "에일리언 II"), cands, 0.8).naver_code == 2


def test_a_title_that_is_only_similar_is_never_accepted_alone():
    match = matching.match_row(matching.TitleQuery(1, "여름 비밀"), [_cand(1, "여름의 비밀들", 2001)], 0.8)
    assert match.method == matching.REVIEW
    assert matching.match_row(matching.TitleQuery(1, "전혀 다른"), [_cand(1, "여름", 2001)], 0.8).method == "no-match"


def test_english_title_and_netizen_score_are_evidence():
    cands = [_cand(1, "작은 별", 2007, "Little Star"), _cand(2, "작은 별", 2022, "Tiny Star")]
    by_english = matching.match_row(matching.TitleQuery(1, "작은 별", english_title="Tiny Star"), cands, 0.8)
    assert (by_english.method, by_english.naver_code) == ("auto", 2)
    by_title_in_english = matching.match_row(matching.TitleQuery(1, "Little Star"), cands, 0.8)
    assert by_title_in_english.naver_code == 1


def test_a_persons_decision_overrides():
    q = matching.TitleQuery(7, "올드보이")
    cands = {7: [{"title": "올드보이", "link": "x?code=1", "pubDate": "2003"},
                 {"title": "올드보이", "link": "x?code=2", "pubDate": "2013"}]}
    [pending] = matching.match_all([q], cands, {}, 0.8)
    [chosen] = matching.match_all([q], cands, {q.key: 2}, 0.8)
    [rejected] = matching.match_all([q], cands, {q.key: None}, 0.8)
    assert pending.method == "review"
    assert (chosen.method, chosen.naver_code, chosen.confidence) == ("manual", 2, 1.0)
    assert (rejected.method, rejected.naver_code) == ("rejected", None)
    assert matching.parse_choice(" 123 ") == (True, 123) and matching.parse_choice("none") == (True, None)
    assert matching.parse_choice("") == (False, None)
    with pytest.raises(ValueError):
        matching.parse_choice("the second one")


def test_a_thousand_titles_match_automatically_and_never_silently_wrong(tmp_path):
    """1,000 list rows against the stand-in: >= 95% auto and right, every other one asked."""
    catalogue = make_catalogue(1200, seed=7)
    listed = make_personal_list(catalogue, 1000, seed=11, not_on_naver_fraction=0.02)
    assert len(listed) == 1000
    rows = [{"input_row": i, "title": r.title,
             "english_title": r.english_title if isinstance(r.english_title, str) else None}
            for i, r in enumerate(listed.itertuples())]
    queries = [matching.TitleQuery(i, r.title, None if pd.isna(r.year) else int(r.year),
                                   r.english_title if isinstance(r.english_title, str) else None)
               for i, r in enumerate(listed.itertuples())]
    with FakeNaver(catalogue, "id", "secret") as service:
        client = SearchClient(service.url, "id", SecretStr("secret"), tmp_path / "api")
        answers = {a["input_row"]: a["items"] for a in search_rows(client, rows)}
        calls = service.counts["api"]
        service.reset_counts()
        search_rows(SearchClient(service.url, "id", SecretStr("secret"), tmp_path / "api"), rows)
        assert service.counts["api"] == 0, "a rerun must make no calls"
    matches = matching.match_all(queries, answers, {}, threshold=0.8)
    truth = listed["true_code"].tolist()
    auto = [(m, t) for m, t in zip(matches, truth, strict=True) if m.method == "auto"]
    wrong = [(m.input_row, m.naver_code, t) for m, t in auto if pd.isna(t) or m.naver_code != t]
    assert wrong == [], "an automatic match must never be wrong"
    right = len(auto)
    assert right / 1000 >= 0.95, f"only {right} of 1000 matched automatically"
    # every row Naver has that was not matched automatically waits for a person
    for m, t in zip(matches, truth, strict=True):
        if m.method != "auto" and not pd.isna(t):
            assert m.method == "review" and t in [c["naver_code"] for c in m.candidates]
    print(f"auto-correct {right}/1000, review {sum(m.method == 'review' for m in matches)}, "
          f"no-match {sum(m.method == 'no-match' for m in matches)}, api calls {calls}")
