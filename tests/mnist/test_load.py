"""The MNIST ingest steps as plain functions (no Prefect): locate, stage, load twice."""

from __future__ import annotations

import duckdb

from cinepipe.io.archives import ArchiveLimits
from cinepipe.mnist import sample, validate
from cinepipe.mnist.load import load_images
from cinepipe.mnist.sources import fetch_files
from cinepipe.mnist.store import load_split, stage_images
from cinepipe.storage import lake


def test_a_data_set_reloaded_replaces_its_rows_and_records_each_load(home, tmp_path, monkeypatch):
    reports = []  # outside a flow run Prefect would look for a server to publish to
    monkeypatch.setattr(validate, "publish_validation", lambda subject, key, *rest: reports.append((subject, key)))
    source = sample.write_sample(tmp_path / "sample")
    fetched = fetch_files(str(source), "digits-sample", ArchiveLimits(), home)
    staged = stage_images(fetched, "s-1", home.staging_dir)
    assert reports == [("mnist[digits-sample]", "validation-mnist-digits-sample")]
    images, labels = load_split(staged["dir"], "test")
    assert staged["counts"] == {"train": len(load_split(staged["dir"], "train")[1]), "test": len(labels)}
    assert images.shape[1:] == (28, 28)
    first = load_images(staged, "run-1", home)
    again = load_images(staged, "run-2", home)
    total = sum(staged["counts"].values())
    assert first == {"replaced": 0, "loaded": total} and again == {"replaced": total, "loaded": total}
    con = duckdb.connect(str(home.warehouse_path), read_only=True)
    try:
        assert con.execute("select count(*), min(load_run_id) from mnist_images").fetchone() == (total, "run-2")
        assert con.execute("select run_id, partition_key, content_key, rows_loaded, rows_quarantined from load_log "
                           "order by loaded_at").fetchall() == [
            ("run-1", "digits-sample", "s-1", total, 0), ("run-2", "digits-sample", "s-1", total, 0)]
    finally:
        con.close()
    assert lake.read_stamp(home, "mnist_images") is not None
    assert lake.read_stamp(home, "quarantine") is None  # nothing quarantined: its copy is not touched
