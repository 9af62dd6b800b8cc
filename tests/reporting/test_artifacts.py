"""What the Prefect UI shows: images embedded (no file:// links) and narrow validation reports."""

from __future__ import annotations

import base64

from cinepipe.reporting.artifacts import (
    artifact_key,
    data_uri,
    expectation_rows,
    suite_results,
    validation_markdown,
)
from cinepipe.storage.validation import load_suite


def test_images_travel_inside_the_artifact(tmp_path):
    png = tmp_path / "curves.png"
    png.write_bytes(b"\x89PNG\r\n\x1a\nfake")
    uri = data_uri(png)
    assert uri.startswith("data:image/png;base64,")
    assert base64.b64decode(uri.split(",", 1)[1]) == png.read_bytes()
    assert artifact_key("movielens", "ml-latest_small", "Metrics vs baselines") == "movielens-ml-latest-small-metrics-vs-baselines"


def test_validation_report_is_narrow_one_row_per_expectation():
    gx = [
        {"success": True, "expectation_config": {"type": "expect_column_values_to_be_between",
                                                 "kwargs": {"column": "rating", "min_value": 0.5, "max_value": 5,
                                                            "batch_id": "x" * 80}}},
        {"success": False, "result": {"unexpected_count": 12},
         "expectation_config": {"type": "expect_column_values_to_be_in_set",
                                "kwargs": {"column": "genre", "value_set": list(range(40))}}},
        {"success": True, "expectation_config": {"type": "expect_compound_columns_to_be_unique",
                                                 "kwargs": {"column_list": ["dataset", "user_id", "movie_id"]}}},
    ]
    assert expectation_rows(gx) == [
        ("be between", "rating", "0.5 … 5", "✓"),
        ("be in set", "genre", "in a set of 40", "✗ 12 rows"),
        ("compound columns to be unique", "dataset, user_id, movie_id", "unique together", "✓"),
    ]
    md = validation_markdown("Validation of x", ["rows: 10"], {"rating is outside the scale": 2}, {"t": gx})
    assert "| rating is outside the scale | 2 |" in md and "### t" in md
    assert max(len(line) for line in md.splitlines()) < 100  # fits the UI's width, no kwargs dump


def test_a_suite_checked_in_sql_reads_as_a_report():
    rows = expectation_rows(suite_results(load_suite("mnist_images"), {"label is outside 0-9": 3}))
    assert ("be between", "label", "0 … 9", "✗ 3 rows") in rows
    assert ("be between", "pixel_bytes", "= 784", "✓") in rows


def test_publishing_outside_a_run_asks_no_api_and_inside_a_run_a_failure_is_a_warning(prefect_harness, monkeypatch):
    import logging

    from prefect import artifacts, flow

    from cinepipe.reporting.artifacts import publish_markdown

    calls: list[str] = []

    def broken(content, key, description):
        calls.append(key)
        raise ConnectionError("API gone")

    monkeypatch.setattr(artifacts, "create_markdown_artifact", broken)
    publish_markdown("# report", "Some Report", "outside")
    assert calls == []  # a plain call: nothing to publish to, so nothing is asked

    @flow
    def one_report():
        publish_markdown("# report", "Some Report", "inside")
        return "done"

    warnings: list[str] = []
    handler = logging.Handler(logging.WARNING)
    handler.emit = lambda record: warnings.append(record.getMessage())
    logger = logging.getLogger("cinepipe.reporting.artifacts")
    logger.addHandler(handler)
    try:
        assert one_report() == "done"  # the run goes on
    finally:
        logger.removeHandler(handler)
    assert calls == ["some-report"]
    assert any("some-report not published (API gone)" in w for w in warnings), warnings
