"""A real flow run against the stand-in: tables, exports, review round trip, zero-call rerun."""

import csv
import logging

import duckdb
import pytest

from cinepipe.sample.naver_catalogue import make_personal_list

from .conftest import SECRET


@pytest.fixture
def score_list(tmp_path, small_catalogue):
    frame = make_personal_list(small_catalogue, 70, seed=5, not_on_naver_fraction=0.04)
    path = tmp_path / "my_scores.csv"
    body = frame.drop(columns="true_code").to_csv(index=False, lineterminator="\n")
    path.write_text(body + "좋은 영화,9,2001,,\n", encoding="utf-8")
    return path


def _query(settings, sql):
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_naver_flow_end_to_end(naver_env, service, score_list, prefect_harness):
    from cinepipe.flows.naver import ingest_naver_flow, naver_flow

    result = naver_flow(str(score_list), quick=True)
    settings = naver_env
    assert result["load"]["quarantined"] == 1
    assert result["matched_auto"] > 50
    codes = _query(settings, "select naver_code, count(*) from naver_scores where source = 'naver' group by 1 having count(*) > 1")
    assert codes == []
    # missing scores are NULL, never 0
    assert _query(settings, "select count(*) from naver_scores where netizen_score = 0 or critic_score = 0") == [(0,)]
    assert _query(settings, "select count(*) from naver_scores where critic_score is null")[0][0] > 0
    assert _query(settings, "select reason from quarantine where source like 'naver:%'") == [("my_score 9 is outside 0.5-5",)]
    metrics = _query(settings, "select model, metric from eval_metrics where target = 'naver' and protocol = 'kfold-5'")
    assert {m for m, _ in metrics} == {"mean", "linear", "logistic-balanced", "ordinal-logistic", "keras-mlp"}
    assert {m for _, m in metrics} == {"rmse", "mae", "accuracy"}
    # the first run promotes the model with the lowest rmse if it beats the mean, else the mean
    rmse = {m: v["rmse"] for m, v in result["study"]["metrics"].items()}
    best = min((m for m in rmse if m != "mean"), key=rmse.get)
    assert result["promotion"]["serves"] == (best if rmse[best] < rmse["mean"] else "mean")
    assert _query(settings, "select decision, baseline_model from model_promotions where target = 'naver'") == [
        ("promoted", "mean")]
    assert all(p.endswith(".png") for p in result["study"]["figures"])
    lines = (settings.exports_dir / "naver_scores.txt").read_text().splitlines()
    assert len(lines) == result["naver_scores_rows"] and all(line.endswith("::") for line in lines)

    # a rerun makes no HTTP calls at all
    service.reset_counts()
    again = ingest_naver_flow(str(score_list))
    assert sum(service.counts.values()) == 0
    assert again["naver_scores_rows"] == result["naver_scores_rows"]

    # a person settles the review queue in the CSV; the next run applies it
    review_csv = settings.exports_dir / "naver_match_review.csv"
    rows = list(csv.DictReader(review_csv.open(encoding="utf-8")))
    assert len(rows) == result["review_pending"] > 0 and all(r["reason"] for r in rows)
    rows.sort(key=lambda r: r["reason"].startswith("page "))  # a page that could not be read stays unread
    first_code = rows[0]["candidates"].split(":")[0]
    rows[0]["chosen_code"] = first_code
    if len(rows) > 1:
        rows[1]["chosen_code"] = "none"
    with review_csv.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    settled = ingest_naver_flow(str(score_list))
    assert settled["matched_manual"] == 1 and settled["review_pending"] == result["review_pending"] - len(rows[:2])
    assert _query(settings, f"select match_method, match_confidence from naver_scores where naver_code = {first_code}") == [("manual", 1.0)]
    decided = _query(settings, "select decision, decided_at is not null from naver_match_review where decision is not null order by 1")
    assert decided[0] == ("chosen", True)


def test_wrong_secret_stops_the_flow_with_a_clear_message(naver_env, service, score_list, prefect_harness,
                                                          monkeypatch, caplog, capsys):
    from cinepipe.errors import CinepipeError
    from cinepipe.flows.naver import ingest_naver_flow
    from cinepipe.settings import reset_settings

    wrong = "Wr0ng-secret-for-the-test-55"
    monkeypatch.setenv("CINEPIPE_NAVER_CLIENT_SECRET", wrong)
    reset_settings()
    caplog.set_level(logging.DEBUG)
    with pytest.raises(CinepipeError, match="HTTP 401") as info:
        ingest_naver_flow(str(score_list))
    assert service.counts["api"] == 1  # stopped at once, not retried per row or per task
    out = capsys.readouterr()
    for text in (str(info.value), caplog.text, out.out, out.err):
        assert wrong not in text and SECRET not in text
    for path in naver_env.home_dir.rglob("*"):
        if path.is_file() and path.suffix in (".json", ".csv", ".txt", ".parquet", ".html"):
            assert wrong.encode() not in path.read_bytes()
