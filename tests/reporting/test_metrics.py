"""The one ``eval_metrics`` row every branch records."""

from __future__ import annotations

from cinepipe.reporting.metrics import (
    MetricRow,
    accuracy_line,
    by_model,
    record_metrics,
)
from cinepipe.storage import warehouse


def test_rows_are_recorded_in_the_table_under_the_run(home):
    rows = [MetricRow("mnist", "mnist", "cnn", "official-test", "accuracy", 0.98765, 2000, 100),
            MetricRow("mnist", "mnist", "majority_class", "official-test", "accuracy", 0.1, 2000, 100)]
    assert record_metrics(home, rows, run_id="run-1") == 2
    with warehouse.connect(home, read_only=True) as con:
        found = con.execute("select run_id, target, dataset, model, protocol, metric, value, n_train, n_test"
                            " from eval_metrics order by model").fetchall()
    assert found == [("run-1", *row.as_dict().values()) for row in rows]
    assert record_metrics(home, [], run_id="run-2") == 0


def test_rows_read_as_the_table_columns_and_summaries():
    row = MetricRow("imdb", "aclImdb", "lstm", "official-test", "accuracy", 0.876543, 20000, 25000)
    assert list(row.as_dict()) == ["target", "dataset", "model", "protocol", "metric", "value", "n_train", "n_test"]
    assert row.as_dict(digits=4)["value"] == 0.8765 and row.as_dict()["value"] == 0.876543
    other = MetricRow("imdb", "aclImdb", "nbsvm", "official-test", "accuracy", 0.9, 20000, 25000)
    assert by_model([row, other]) == {"lstm": 0.8765, "nbsvm": 0.9}
    assert accuracy_line([row, other]) == "nbsvm 0.9000, lstm 0.8765"
