"""The imdb_reviews suite applied per polarity, and dedup within a split."""

from __future__ import annotations

import pandas as pd

from cinepipe.imdb.checks import check_reviews, gx_report
from cinepipe.imdb.columns import REVIEW_COLUMNS


def _frame(rows):
    frame = pd.DataFrame(rows, columns=REVIEW_COLUMNS)
    return frame.astype({"rating": "Int64", "label": "int64"})


def _row(review_id, split, label, rating, text):
    return (review_id, split, label, rating, text, "aclImdb", f"aclImdb/{split}/{review_id}")


def test_rating_outside_the_polarity_band_and_empty_text_are_quarantined():
    checked = check_reviews(_frame([
        _row("pos_0", "train", 1, 9, "fine"),
        _row("pos_1", "train", 1, 3, "a positive review rated 3"),
        _row("neg_0", "train", 0, 2, "poor"),
        _row("neg_1", "train", 0, 8, "a negative review rated 8"),
        _row("neg_2", "test", 0, 1, "  \n "),
        _row("neg_3", "test", 5, 1, "label five"),
        _row("neg_4", "test", 0, None, "no rating: the Keras form"),
    ]))
    assert sorted(checked.good["review_id"]) == ["neg_0", "neg_4", "pos_0"]
    assert len(checked.bad) == 4
    reasons = " | ".join(checked.bad["reason"])
    assert "polarity's band" in reasons and "text is empty" in reasons and "label is not 0 or 1" in reasons
    assert all(r.startswith("{") for r in checked.bad["raw"])


def test_duplicate_texts_within_a_split_are_dropped_and_counted():
    checked = check_reviews(_frame([
        _row("pos_0", "train", 1, 9, "same words"),
        _row("pos_1", "train", 1, 8, "same words"),
        _row("pos_0", "test", 1, 9, "same words"),  # another split: kept
        _row("pos_1", "test", 1, 10, "other words"),
        _row("pos_1", "test", 1, 10, "other words, repeated id"),
    ]))
    assert checked.duplicate_texts == {"train": 1}
    assert checked.duplicate_ids == {"test": 1}
    assert len(checked.good) == 3
    assert checked.good.groupby(["split", "review_id"]).size().max() == 1
    copies = dict(zip(checked.good["split"] + "/" + checked.good["text"], checked.good["copies"], strict=True))
    assert copies == {"train/same words": 2, "test/same words": 1, "test/other words": 1}


def test_copies_weight_a_score_over_the_whole_official_split():
    from cinepipe.imdb.baselines import accuracy
    from cinepipe.imdb.prepare import encode_parts, split_parts

    checked = check_reviews(_frame([
        _row("pos_0", "test", 1, 9, "loved it"),
        _row("pos_1", "test", 1, 9, "loved it"),
        _row("pos_2", "test", 1, 9, "loved it"),
        _row("neg_0", "test", 0, 2, "hated it"),
        _row("neg_1", "train", 0, 2, "dull"),
        _row("pos_3", "train", 1, 8, "great"),
    ]))
    _, arrays = encode_parts(split_parts(checked.good, seed=0))
    labels, copies = arrays["test_labels"], arrays["test_copies"]
    assert int(copies.sum()) == 4  # four official test reviews, two distinct texts
    always_negative = (labels * 0).astype(float)
    assert accuracy(labels, always_negative, copies) == 0.25  # wrong on the three copies
    assert accuracy(labels, always_negative) == 0.5  # what scoring distinct texts alone would say


def test_gx_report_passes_on_good_rows():
    checked = check_reviews(_frame([_row("pos_0", "train", 1, 9, "fine"), _row("neg_0", "test", 0, 2, "poor")]))
    report = gx_report(checked.good, max_rows=100)
    assert set(report) == {"label=0", "label=1"} and all(r["success"] for r in report.values())
