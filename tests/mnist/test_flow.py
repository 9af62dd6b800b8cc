import duckdb
import pytest

from cinepipe.mnist import sample


@pytest.fixture
def sample_dir(tmp_path):
    return sample.write_sample(tmp_path / "mnist-sample")


def test_quick_flow_on_the_sample_writes_images_metrics_and_plots(home, prefect_harness, sample_dir):
    from cinepipe.flows.mnist import mnist_flow
    from cinepipe.mnist.models import BASELINES

    summary = mnist_flow(source=str(sample_dir), dataset="mnist", quick=True)

    assert summary["images"] == {"train": 1437, "test": 360}
    assert summary["load"]["loaded"] == 1797
    assert set(summary["duplicate_images"]) == {"train", "test"}
    assert set(summary["test_accuracy"]) == {"cnn", *BASELINES}
    assert summary["test_accuracy"]["cnn"] > 0.8
    with duckdb.connect(str(home.warehouse_path), read_only=True) as con:
        rows = con.execute(
            "select model, value, n_test from eval_metrics where target = 'mnist' and dataset = 'mnist'"
            " and protocol = 'official-test' and metric = 'accuracy'"
        ).fetchall()
        images = con.execute(
            "select split, count(*), min(octet_length(pixels)), max(label) from mnist_images"
            " where dataset = 'mnist' group by split order by split"
        ).fetchall()
    assert {r[0] for r in rows} == {"cnn", *BASELINES} and {r[2] for r in rows} == {360}
    assert images == [("test", 360, 784, 9), ("train", 1437, 784, 9)]
    cnn = home.artifacts_dir / "mnist" / "mnist" / "cnn" / summary["run_id"]
    for name in ("architecture.json", "model.weights.h5", "history.json", "curves.png", "confusion.png"):
        assert (cnn / name).stat().st_size > 0, name
    for model in BASELINES:
        assert (home.artifacts_dir / "mnist" / "mnist" / model / summary["run_id"] / "confusion.png").exists()
    assert list((home.lake_dir / "mnist_images").rglob("*.parquet"))
    # the first run promotes its best model over the majority class, with the model's directory
    best = summary["best_model"]
    assert summary["promotion"]["decision"] == "promoted" and summary["promotion"]["serves"] == best
    with duckdb.connect(str(home.warehouse_path), read_only=True) as con:
        promoted = con.execute("select model, baseline_model, baseline_value, model_dir from model_promotions"
                               " where target = 'mnist' and dataset = 'mnist'").fetchall()
    [(model, baseline, baseline_accuracy, model_dir)] = promoted
    assert (model, baseline, model_dir) == (best, "majority_class", summary["artifacts"][best])
    assert baseline_accuracy < 0.2  # ten digits, about as many of each

    from cinepipe.flows.mnist import ingest_mnist_flow

    again = ingest_mnist_flow(source=str(sample_dir), dataset="mnist")
    assert again["load"] == {"replaced": 1797, "loaded": 1797}


@pytest.mark.slow
def test_quick_flow_on_real_fashion_mnist(home, prefect_harness):
    from pathlib import Path

    real = Path("/usr/share/datasets/fashion-mnist")
    if not real.is_dir():
        pytest.skip("dataset-fashion-mnist is not installed (make install adds it as root)")
    from cinepipe.flows.mnist import mnist_flow

    summary = mnist_flow(source=str(real), dataset="fashion-mnist", quick=True)

    assert summary["images"] == {"train": 60_000, "test": 10_000}
    assert set(summary["checksums"].values()) == {"verified"}
    assert summary["load"]["loaded"] == 70_000
    assert summary["test_accuracy"]["cnn"] > 0.7  # 2,000 training images, a few epochs
    with duckdb.connect(str(home.warehouse_path), read_only=True) as con:
        n_test = con.execute(
            "select distinct n_test from eval_metrics where dataset = 'fashion-mnist'"
        ).fetchall()
    assert n_test == [(10_000,)]
