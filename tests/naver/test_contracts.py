import pandas as pd

from cinepipe.storage.validation import check_frame, load_suite


def test_suite_rejects_bad_scores():
    frame = pd.DataFrame({
        "naver_code": pd.array([1, 2, 3, None], dtype="Int64"),
        "imdb_id": [None, None, None, "tt1"],
        "title": ["a", "b", "c", "d"],
        "my_score": [4.5, 3.3, 5.0, 0.5],
        "netizen_score": pd.array([8.5, 7.0, 11.0, None], dtype="Float64"),
        "critic_score": pd.array([None, 6.0, 5.0, None], dtype="Float64"),
        "netizen_votes": pd.array([10, 5, 3, 100], dtype="Int64"),
        "match_confidence": [0.9, 1.0, 0.85, 0.75],
        "match_method": ["auto", "manual", "auto", "imdb-title"],
        "source": ["naver", "naver", "naver", "imdb"],
    })
    result = check_frame(frame, "naver_scores")
    assert result.good["title"].tolist() == ["a", "d"]  # nulls are missing, not wrong
    assert sorted(result.bad["reason"]) == ["my_score is not 0.5-5 in half steps", "netizen_score is outside 0-10"]
    assert load_suite("naver_scores")["name"] == "naver_scores"
