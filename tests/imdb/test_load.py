"""The IMDB ingest steps as plain functions (no Prefect): locate, read, check, load twice."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from cinepipe.errors import ValidationFailed
from cinepipe.imdb.checks import Validated, check_reviews, validate_read
from cinepipe.imdb.fetch import fetch_source
from cinepipe.imdb.load import load_reviews
from cinepipe.imdb.sample import write_sample
from cinepipe.imdb.sources import ReadLimits, read_reviews, stage_reviews

EMPTY = {"aclImdb/train/pos/900_9.txt": b""}


def test_a_source_reloaded_replaces_its_rows_quarantines_and_records_each_load(home, tmp_path):
    tarball = write_sample(tmp_path / "a", n_per_class=10, seed=2, extra_members=EMPTY)
    fetched = fetch_source(str(tarball), home)
    checked = check_reviews(read_reviews(Path(fetched["path"])).reviews)
    checked.good.to_parquet(tmp_path / "good.parquet", index=False)
    checked.bad.to_parquet(tmp_path / "quarantined.parquet", index=False)
    validated = Validated(dir=str(tmp_path), key="v-a", summary={})
    first = load_reviews(validated, fetched, "aclImdb", "run-1", home)
    again = load_reviews(validated, fetched, "aclImdb", "run-2", home)
    assert first == {"replaced": 0, "loaded": 40, "quarantined": 1}
    assert again == {"replaced": 40, "loaded": 40, "quarantined": 1}
    con = duckdb.connect(str(home.warehouse_path), read_only=True)
    try:
        assert con.execute("select count(*), min(source_uri), min(load_run_id) from imdb_reviews").fetchone() == (
            40, str(tarball), "run-2")
        assert con.execute("select source, table_name, run_id from quarantine order by run_id").fetchall() == [
            ("imdb:aclImdb", "imdb_reviews", "run-1"), ("imdb:aclImdb", "imdb_reviews", "run-2")]
        assert con.execute("select run_id, partition_key, content_key, rows_loaded, rows_quarantined from load_log "
                           "where table_name = 'imdb_reviews' order by loaded_at").fetchall() == [
            ("run-1", "aclImdb", "v-a", 40, 1), ("run-2", "aclImdb", "v-a", 40, 1)]
    finally:
        con.close()


def test_too_many_bad_reviews_stop_before_anything_is_staged(home, tmp_path):
    empty = {f"aclImdb/train/pos/{900 + i}_9.txt": b"" for i in range(8)}
    tarball = write_sample(tmp_path / "b", n_per_class=2, seed=3, extra_members=empty)
    out = tmp_path / "read"
    out.mkdir()
    read = stage_reviews(Path(fetch_source(str(tarball), home)["path"]), ReadLimits(), out, "r-b")
    with pytest.raises(ValidationFailed, match=r"8 of 16 reviews failed their checks \(50\.0%; .+: 8\)"):
        validate_read(read, "v-b", 0.4, 100, home.staging_dir)
    assert not (home.staging_dir / "imdb" / "validated").exists()
