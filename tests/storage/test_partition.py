"""The one partition load: replace, write, quarantine, ledger in one transaction, then the lake."""

from __future__ import annotations

import pandas as pd
import pytest

from cinepipe.storage import lake, warehouse
from cinepipe.storage.partition import Partition, load_partition

PART = Partition("imdb_reviews", "aclImdb", "source")


def _reviews(n: int, source: str = "aclImdb") -> pd.DataFrame:
    return pd.DataFrame({"review_id": [f"pos_{i}" for i in range(n)], "split": "train", "label": 1,
                         "text": [f"review {i}" for i in range(n)], "source": source})


BAD = pd.DataFrame({"raw": ["pos_x"], "reason": ["text is empty"]})


def _ledger(home) -> list[tuple]:
    with warehouse.connect(home, read_only=True) as con:
        return con.execute("select table_name, partition_key, content_key, rows_loaded, rows_quarantined "
                           "from load_log order by loaded_at").fetchall()


def test_a_load_replaces_its_partition_quarantines_records_and_copies_to_the_lake(home):
    load_partition(home, Partition("imdb_reviews", "other", "source"), _reviews(2, "other"), content_key="o",
                   run_id="r0")
    first = load_partition(home, PART, _reviews(3), content_key="k1", run_id="r1", bad=BAD, source="imdb:aclImdb")
    again = load_partition(home, PART, _reviews(2), content_key="k2", run_id="r2", bad=BAD, source="imdb:aclImdb")
    assert (first.replaced, first.loaded, first.quarantined) == (0, 3, 1)
    assert (again.replaced, again.loaded, again.quarantined, again.skipped) == (3, 2, 1, False)
    with warehouse.connect(home, read_only=True) as con:
        by_source = dict(con.execute("select source, count(*) from imdb_reviews group by 1").fetchall())
        quarantine = con.execute("select source, table_name, reason, run_id from quarantine order by run_id").fetchall()
    assert by_source == {"aclImdb": 2, "other": 2}  # the other partition is untouched
    assert quarantine == [("imdb:aclImdb", "imdb_reviews", "text is empty", "r1"),
                          ("imdb:aclImdb", "imdb_reviews", "text is empty", "r2")]
    assert _ledger(home)[-1] == ("imdb_reviews", "aclImdb", "k2", 2, 1)
    assert lake.read_stamp(home, "imdb_reviews") is not None and lake.read_stamp(home, "quarantine") is not None


def test_a_failing_write_changes_nothing(home):
    load_partition(home, PART, _reviews(3), content_key="k1", run_id="r1")

    def broken(con):
        con.execute("insert into imdb_reviews (review_id, split, label, text, source) values ('a', 'train', 1, 't', 'aclImdb')")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        load_partition(home, PART, broken, content_key="k2", run_id="r2", bad=BAD, source="imdb:aclImdb")
    with warehouse.connect(home, read_only=True) as con:
        assert con.execute("select count(*) from imdb_reviews").fetchone() == (3,)
        assert con.execute("select count(*) from quarantine").fetchone() == (0,)
    assert [row[2] for row in _ledger(home)] == ["k1"]


def test_skip_keeps_an_unchanged_partition_and_ledger_once_records_content_once(home):
    load_partition(home, PART, _reviews(3), content_key="k1", run_id="r1", unchanged="skip")
    kept = load_partition(home, PART, _reviews(1), content_key="k1", run_id="r2", unchanged="skip")
    assert kept.skipped and kept.rows == {"imdb_reviews": 3}
    everything = Partition("naver_scores", "list.csv")  # no column: the load replaces the whole table
    rows = pd.DataFrame({"title": ["t"], "my_score": [4.0], "match_confidence": [1.0], "match_method": ["auto"],
                         "source": ["naver"], "list_title": ["t"], "input_row": [1]})
    for run in ("r3", "r4"):
        loaded = load_partition(home, everything, rows, content_key="same", run_id=run, bad=BAD, source="naver:x",
                                unchanged="ledger-once", lake=False)
    assert (loaded.replaced, loaded.loaded, loaded.quarantined) == (1, 1, 0)
    assert [row[:3] for row in _ledger(home)] == [("imdb_reviews", "aclImdb", "k1"), ("naver_scores", "list.csv", "same")]
    assert lake.read_stamp(home, "naver_scores") is None
