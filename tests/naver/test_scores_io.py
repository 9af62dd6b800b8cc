import pandas as pd
import pytest

from cinepipe.naver.scores_io import format_score_lines, parse_score_list


def test_csv_with_optional_columns_and_bad_lines():
    text = (
        "title,my_score,year,english_title,note\n"
        "기생충,5,2019,Parasite,\n"
        "올드보이,4.5,,Oldboy,remake exists\n"
        "너무 좋은 영화,7,2010,,\n"
        "이상한 점수,3.3,2010,,\n"
        ",3,2000,,\n"
        "옛날 영화,3.5,1492,,\n"
        "네 번째,four,,,\n"
    )
    parsed = parse_score_list(text)
    assert parsed.format == "csv"
    assert parsed.rows["title"].tolist() == ["기생충", "올드보이"]
    assert parsed.rows["input_row"].tolist() == [2, 3]
    assert parsed.rows["year"].tolist()[0] == 2019 and pd.isna(parsed.rows["year"].iloc[1])
    reasons = parsed.bad["reason"].tolist()
    assert reasons == [
        "my_score 7 is outside 0.5-5",
        "my_score 3.3 is not in half steps",
        "title is empty",
        "year 1492 is outside 1880-2100",
        "my_score 'four' is not a number",
    ]
    assert parsed.bad["raw"].iloc[0] == "너무 좋은 영화,7,2010,,"


def test_tsv_and_header_only_required_columns():
    parsed = parse_score_list("title\tmy_score\n괴물\t4\nThe Host\t3.5\n")
    assert parsed.format == "tsv"
    assert parsed.rows["my_score"].tolist() == [4.0, 3.5]
    assert parsed.rows["english_title"].isna().all()


def test_missing_header_column_is_an_error():
    with pytest.raises(ValueError, match="my_score"):
        parse_score_list("title,score\n괴물,4\n")


def test_line_format_reads_and_writes_back():
    text = "# my list\n기생충::5::9.07::7.6::\n괴물::4::::::\n망작::1::2.5::\n틀린::x::1::2::\n많은::1::2::3::4::5::\n"
    parsed = parse_score_list(text)
    assert parsed.format == "lines"
    assert parsed.rows["title"].tolist() == ["기생충", "괴물", "망작"]
    assert pd.isna(parsed.rows["netizen_score"].iloc[1])  # empty field: missing, not 0
    assert parsed.rows["critic_score"].iloc[2] is pd.NA or pd.isna(parsed.rows["critic_score"].iloc[2])
    assert parsed.bad["reason"].str.contains("expected title::my::netizen::critic::").sum() == 1
    assert parsed.bad["reason"].str.contains("my_score 'x'").sum() == 1
    out = format_score_lines(parsed.rows)
    assert out.splitlines() == ["기생충::5::9.07::7.6::", "괴물::4::::::", "망작::1::2.5::::"]
    again = parse_score_list(out)
    assert again.bad.empty and again.rows["my_score"].tolist() == [5.0, 4.0, 1.0]
