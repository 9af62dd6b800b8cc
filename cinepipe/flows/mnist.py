"""The MNIST / Fashion-MNIST image branch: fetch, check, stage, load, train, evaluate."""

from __future__ import annotations

from prefect import flow

from cinepipe.mnist.models import BASELINES
from cinepipe.promotion import MNIST
from cinepipe.runtime.runs import task_runner, timed_run_name
from cinepipe.settings import get_settings
from cinepipe.storage import warehouse
from cinepipe.tasks.evaluate.mnist import evaluate_mnist, majority_baseline_mnist
from cinepipe.tasks.evaluate.promotion import judge_candidates, record_promotion
from cinepipe.tasks.ingest.mnist import fetch_mnist, load_mnist, stage_mnist
from cinepipe.tasks.train.mnist import train_mnist_baseline, train_mnist_cnn


@flow(name="ingest-mnist", flow_run_name=timed_run_name("ingest-mnist", "dataset"), task_runner=task_runner())
def ingest_mnist_flow(source: str, dataset: str = "mnist") -> dict:
    """IDX files to ``mnist_images``: returns counts, duplicates, checksum status and load counts."""
    ingested = _ingest(source, dataset, warehouse.new_run_id())
    ingested.pop("staged")
    return ingested


def _ingest(source: str, dataset: str, run_id: str) -> dict:
    settings = get_settings()
    fetched = fetch_mnist(source, dataset, settings.archive_max_member_bytes, settings.archive_max_total_bytes,
                          settings.archive_max_ratio)
    staged = stage_mnist(fetched)
    loaded = load_mnist(staged, run_id)
    return {"dataset": dataset, "source": source, "checksums": fetched["checksums"],
            "images": staged["counts"], "duplicate_images": staged["duplicates"], "load": loaded,
            "staged": staged}


@flow(name="mnist", flow_run_name=timed_run_name("mnist", "dataset"), task_runner=task_runner())
def mnist_flow(source: str, dataset: str = "mnist", quick: bool = False) -> dict:
    """The whole branch; returns counts, duplicates, per-model test accuracy and timings."""
    settings = get_settings()
    quick = quick or settings.quick
    run_id = warehouse.new_run_id()
    ingested = _ingest(source, dataset, run_id)
    staged = ingested.pop("staged")
    trained = [train_mnist_cnn(staged, quick, settings.seed, run_id)]
    trained += [train_mnist_baseline(staged, m, quick, settings.seed, run_id) for m in BASELINES]
    accuracy = evaluate_mnist(trained, staged, run_id)
    baseline = majority_baseline_mnist(staged)
    decision = judge_candidates(MNIST, dataset, {**accuracy, MNIST.baseline_model: baseline}, settings.promotion_tolerance)
    promoted = record_promotion(decision, run_id, {t.model: t.dir for t in trained})
    return {
        **ingested,
        "run_id": run_id,
        "quick": quick,
        "test_accuracy": accuracy,
        "best_model": max(accuracy, key=accuracy.get),
        "promotion": promoted,
        "train_seconds": {t.model: t.train_seconds for t in trained},
        "artifacts": {t.model: t.dir for t in trained},
    }
