"""The Naver load as a plain function: the scores replaced on every run, the review queue settled,
the list's bad lines quarantined and the load recorded once per list content."""

from __future__ import annotations

import json

import duckdb
import pandas as pd

from cinepipe.naver.combine import Assembled
from cinepipe.naver.load import load_scores, recorded_decisions
from cinepipe.storage import lake


def _files(tmp_path, titles: list[str], decisions: list[str | None]) -> tuple[str, Assembled]:
    staged = tmp_path / "staging" / "naver" / "content-1"
    staged.mkdir(parents=True, exist_ok=True)
    pd.DataFrame({"raw": ["좋은 영화,9"], "reason": ["my_score 9 is outside 0.5-5"]}).to_parquet(staged / "bad.parquet")
    (staged / "source.json").write_text(json.dumps({"source": str(tmp_path / "my_scores.csv"), "format": "csv"}))
    scores = pd.DataFrame({"naver_code": range(1, len(titles) + 1), "title": titles, "my_score": 4.0,
                           "match_confidence": 1.0, "match_method": "auto", "source": "naver",
                           "list_title": titles, "input_row": range(2, len(titles) + 2)})
    review = pd.DataFrame({"input_row": [90, 91], "title": ["a", "b"], "year": [None, None], "english_title": None,
                           "query_key": ["a||", "b||"], "candidates": "[]",
                           "chosen_code": [7 if d == "chosen" else None for d in decisions], "decision": decisions,
                           "reason": "no certain candidate"})
    scores.to_parquet(tmp_path / f"scores-{len(titles)}.parquet")
    review.astype({"chosen_code": "Int64"}).to_parquet(tmp_path / "review.parquet")
    return str(staged), Assembled(scores=str(tmp_path / f"scores-{len(titles)}.parquet"),
                                  review=str(tmp_path / "review.parquet"), counts={})


def test_a_rerun_replaces_the_scores_and_records_the_list_once(home, tmp_path):
    staged, assembled = _files(tmp_path, ["x", "y", "z"], [None, None])
    first = load_scores(staged, assembled, home)
    assert first == {"naver_scores": 3, "naver_match_review": 2, "review_pending": 2, "quarantined": 1}
    staged, assembled = _files(tmp_path, ["x", "y"], ["chosen", None])
    again = load_scores(staged, assembled, home)
    assert again == {"naver_scores": 2, "naver_match_review": 2, "review_pending": 1, "quarantined": 0}
    con = duckdb.connect(str(home.warehouse_path), read_only=True)
    try:
        assert con.execute("select count(*) from naver_scores").fetchone() == (2,)
        assert con.execute("select reason from quarantine").fetchall() == [("my_score 9 is outside 0.5-5",)]
        assert con.execute("select table_name, partition_key, content_key, rows_loaded, rows_quarantined "
                           "from load_log").fetchall() == [("naver_scores", "my_scores.csv", "content-1", 3, 1)]
        assert con.execute("select query_key, decision from naver_match_review order by 1").fetchall() == [
            ("a||", "chosen"), ("b||", None)]
        # decided rows carry when; a row still waiting has none (read back from Parquet it holds NaN)
        assert con.execute("select query_key, decided_at is not null from naver_match_review order by 1"
                           ).fetchall() == [("a||", True), ("b||", False)]
    finally:
        con.close()
    assert recorded_decisions(home) == {"a||": 7}
    assert lake.read_stamp(home, "naver_scores") is None  # the Naver tables have no lake copy
