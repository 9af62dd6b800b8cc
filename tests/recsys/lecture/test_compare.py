import numpy as np
import pytest

from cinepipe.recsys.lecture.compare import (
    LECTURE,
    comparison_markdown,
    comparison_table,
    run_comparison,
    write_comparison_chart,
)


def test_lecture_figures_are_the_lecture_table():
    assert {m: s.rmse for m, s in LECTURE.items()} == {
        "user-knn": 1.0143, "user-knn-centred": 0.9477, "mf": 0.7808, "mf-scaled": 1.0200,
        "rbm-user": 0.9707, "rbm-item": 0.9466, "u-autorec": 1.0858, "i-autorec": 1.0415,
    }


def test_table_notes_only_differences_above_threshold():
    table = comparison_table({"mf": 0.92, "rbm-user": 0.99, "i-autorec": 0.88}, "ml-100k", global_mean_rmse=1.13)
    assert list(table["method"]) == ["mf", "rbm-user", "i-autorec", "global-mean"]
    by = table.set_index("method")
    assert by.loc["mf", "difference"] == pytest.approx(0.92 - 0.7808)
    assert "cannot be an out-of-sample figure" in by.loc["mf", "note"]
    assert by.loc["rbm-user", "note"] == ""  # 0.0193 apart
    assert "Sedhain" in by.loc["i-autorec", "note"] and "measured on" not in by.loc["i-autorec", "note"]
    assert np.isnan(by.loc["global-mean", "lecture_rmse"])


def test_other_datasets_are_flagged_in_notes():
    table = comparison_table({"mf": 0.88}, "ml-latest-small", global_mean_rmse=1.041)
    assert "not the lecture's ml-100k subset" in table.loc[0, "note"] and "1.041" in table.loc[0, "note"]


def test_markdown_and_chart(tmp_path):
    table = comparison_table({"mf": 0.92, "i-autorec": 0.88}, "ml-100k", global_mean_rmse=1.13)
    text = comparison_markdown(table)
    assert text.splitlines()[0].startswith("| method") and "| mf | Matrix factorisation | 0.9200 | 0.7808 | +0.1392 |" in text
    path = write_comparison_chart(table, tmp_path / "charts" / "rmse.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_run_comparison_fits_and_scores_each_model(planted):
    results = run_comparison(planted.train, planted.test, {"global-mean": "global_mean", "bias": "biases"})
    assert list(results["method"]) == ["global-mean", "bias"] and list(results["model"]) == ["global_mean", "biases"]
    assert results.loc[0, "rmse"] == pytest.approx(planted.global_mean_rmse, rel=1e-5)
    assert results.loc[1, "rmse"] < results.loc[0, "rmse"]
    assert (results["n_test"] == len(planted.test)).all()
