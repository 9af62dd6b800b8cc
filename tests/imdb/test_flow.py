"""The IMDB flows end to end on generated samples, with a real Prefect API and DuckDB file."""

from __future__ import annotations

import duckdb
import pytest

from cinepipe.errors import CinepipeError
from cinepipe.imdb.sample import write_sample


def _count(settings, sql):
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        return con.execute(sql).fetchone()[0]


def test_quick_flow_on_the_sample_loads_reviews_and_records_metrics(home, prefect_harness, tmp_path):
    from cinepipe.flows.imdb import imdb_flow

    broken = {"aclImdb/train/pos/readme.txt": b"wrong name"}
    tarball = write_sample(tmp_path / "sample", n_per_class=60, seed=1, extra_members=broken)
    summary = imdb_flow(source=str(tarball), quick=True)

    assert summary["load"]["loaded"] == 240 and summary["load"]["quarantined"] == 1
    assert _count(home, "select count(*) from imdb_reviews where source = 'aclImdb'") == 240
    assert _count(home, "select count(*) from quarantine where table_name = 'imdb_reviews'") == 1
    models = {"tfidf_lr", "nbsvm", "nbsvm_ending", "ensemble_nbsvm_lr", "dense_multihot", "rnn_onehot", "rnn_embedding", "lstm"}
    assert set(summary["test_accuracy"]) == models
    assert _count(
        home, "select count(distinct model) from eval_metrics where target = 'imdb' and dataset = 'aclImdb'"
        " and protocol = 'official-test' and metric = 'accuracy' and n_test = 120",
    ) == len(models)
    assert summary["test_accuracy"][summary["best_model"]] > 0.8  # the sample is learnable
    # the first run promotes its best model over the majority label (half the balanced test split)
    best = max(summary["test_accuracy"].values())
    assert summary["promotion"]["decision"] == "promoted" and summary["test_accuracy"][summary["promotion"]["serves"]] == best
    assert summary["promotion"]["baseline_model"] == "majority_class"
    assert summary["promotion"]["baseline_value"] == pytest.approx(0.5, abs=0.05)
    assert _count(home, "select count(*) from model_promotions where target = 'imdb' and dataset = 'aclImdb'") == 1
    run_dir = home.artifacts_dir / "imdb" / "lstm" / summary["run_id"]
    for name in ("architecture.json", "model.weights.h5", "history.json", "loss.png", "accuracy.png"):
        assert (run_dir / name).is_file(), name
    assert (home.artifacts_dir / "imdb" / "nbsvm" / summary["run_id"] / "c_search.png").is_file()


def test_corrupt_tarball_changes_nothing_in_the_warehouse(home, prefect_harness, tmp_path):
    from cinepipe.flows.imdb import ingest_imdb_flow

    good = write_sample(tmp_path / "good", n_per_class=10, seed=2)
    assert ingest_imdb_flow(source=str(good))["load"]["loaded"] == 40
    before = _count(home, "select count(*) from imdb_reviews") , _count(home, "select count(*) from quarantine")

    corrupt = tmp_path / "bad" / "aclImdb_v1.tar.gz"
    corrupt.parent.mkdir()
    corrupt.write_bytes(write_sample(tmp_path / "tmp", n_per_class=40).read_bytes()[:3000])
    with pytest.raises(CinepipeError, match="truncated or corrupt"):
        ingest_imdb_flow(source=str(corrupt))
    wrong = tmp_path / "wrong"
    (wrong / "reviews").mkdir(parents=True)
    (wrong / "reviews" / "1.txt").write_text("no layout")
    with pytest.raises(CinepipeError, match="no train/test reviews"):
        ingest_imdb_flow(source=str(wrong))

    after = _count(home, "select count(*) from imdb_reviews"), _count(home, "select count(*) from quarantine")
    assert after == before


def test_too_many_bad_members_fail_validation_and_load_nothing(home, prefect_harness, tmp_path):
    from cinepipe.flows.imdb import ingest_imdb_flow

    bad = {f"aclImdb/train/neg/{i}_9.txt": b"a negative review rated 9" for i in range(100, 110)}
    tarball = write_sample(tmp_path, n_per_class=10, seed=3, extra_members=bad)
    with pytest.raises(CinepipeError, match="failed their checks"):
        ingest_imdb_flow(source=str(tarball))
    with duckdb.connect(str(home.warehouse_path)) as con:
        tables = {r[0] for r in con.execute("select table_name from duckdb_tables()").fetchall()}
        assert "imdb_reviews" not in tables or con.execute("select count(*) from imdb_reviews").fetchone()[0] == 0


def test_keras_npz_source_loads(home, prefect_harness, tmp_path):
    from cinepipe.flows.imdb import ingest_imdb_flow
    from cinepipe.imdb.sample import write_keras_sample

    npz = write_keras_sample(tmp_path, n_per_class=5, seed=4)
    summary = ingest_imdb_flow(source=str(npz))
    assert summary["dataset"] == "keras-imdb" and summary["load"]["loaded"] == 20
    assert _count(home, "select count(*) from imdb_reviews where source = 'keras-imdb' and rating is null") == 20
