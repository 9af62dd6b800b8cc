"""The IMDB review-sentiment branch: ingest, validate, load, prepare, train, evaluate."""

from __future__ import annotations

from prefect import flow

from cinepipe.imdb.baselines import LINEAR_SPECS
from cinepipe.promotion import IMDB
from cinepipe.runtime.runs import tag_run, task_runner, timed_run_name
from cinepipe.settings import get_settings
from cinepipe.storage import warehouse
from cinepipe.tasks.evaluate.imdb import evaluate_imdb, majority_baseline_imdb
from cinepipe.tasks.evaluate.promotion import judge_candidates, record_promotion
from cinepipe.tasks.ingest.imdb import fetch_imdb, load_imdb, read_imdb
from cinepipe.tasks.train.imdb import train_imdb_keras, train_imdb_linear
from cinepipe.tasks.transform.imdb import prepare_imdb, tfidf_imdb
from cinepipe.tasks.validate.imdb import validate_imdb

KERAS_MODELS = ("dense_multihot", "rnn_onehot", "rnn_embedding", "lstm")


@flow(name="ingest-imdb", flow_run_name=timed_run_name("ingest-imdb"), task_runner=task_runner())
def ingest_imdb_flow(source: str) -> dict:
    """Source to ``imdb_reviews``: returns the dataset, counts, validation summary and load counts."""
    return _ingest(source, warehouse.new_run_id())


def _ingest(source: str, run_id: str) -> dict:
    fetched = fetch_imdb(source)
    settings = get_settings()
    read = read_imdb(fetched, settings.archive_max_member_bytes, settings.archive_max_total_bytes,
                     settings.archive_max_ratio, settings.imdb_max_review_bytes)
    validated = validate_imdb(read, settings.max_bad_fraction, settings.gx_max_rows)
    loaded = load_imdb(validated, fetched, read["dataset"], run_id)
    return {"dataset": read["dataset"], "sha256": fetched["sha256"], "read": read["counts"],
            "validation": validated["summary"], "load": loaded, "validated": validated}


@flow(name="imdb", flow_run_name=timed_run_name("imdb"), task_runner=task_runner())
def imdb_flow(source: str, quick: bool = False) -> dict:
    """The whole branch; returns counts, duplicates dropped, per-model test accuracy and timings."""
    settings = get_settings()
    seed = settings.seed
    run_id = warehouse.new_run_id()
    ingested = _ingest(source, run_id)
    tag_run(f"dataset:{ingested['dataset']}")
    prepared = prepare_imdb(ingested.pop("validated"), quick, seed)
    features = tfidf_imdb(prepared)
    trained = [train_imdb_linear(features, m, seed, run_id) for m in LINEAR_SPECS]
    trained += [train_imdb_keras(prepared, m, quick, seed, run_id) for m in KERAS_MODELS]
    accuracy = evaluate_imdb(trained, prepared, features, ingested["dataset"], run_id)
    baseline = majority_baseline_imdb(prepared)
    decision = judge_candidates(IMDB, ingested["dataset"], {**accuracy, IMDB.baseline_model: baseline},
                                settings.promotion_tolerance)
    promoted = record_promotion(decision, run_id, {t.model: t.dir for t in trained})
    return {
        **ingested,
        "run_id": run_id,
        "quick": quick,
        "parts": prepared["counts"],
        "vocabulary_size": prepared["vocabulary_size"],
        "tfidf_features": features["features"],
        "duplicates_dropped": sum(ingested["validation"]["duplicate_texts_dropped"].values()),
        "test_accuracy": accuracy,
        "best_model": max(accuracy, key=accuracy.get),
        "promotion": promoted,
        "train_seconds": {t.model: t.train_seconds for t in trained},
        "train_cpu_seconds": {t.model: t.train_cpu_seconds for t in trained},
    }
