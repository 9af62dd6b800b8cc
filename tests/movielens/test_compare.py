"""`cinepipe compare movielens` without Prefect: each method's figures, then the table and eval_metrics."""

from __future__ import annotations

from pathlib import Path

from cinepipe.movielens.compare import score_method, write_comparison
from cinepipe.movielens.snapshot import snapshot_ratings
from cinepipe.recsys.lecture.compare import REFERENCE_METHOD, REFERENCE_MODEL
from cinepipe.recsys.splits import RANDOM_70_30
from cinepipe.storage import warehouse


def test_methods_are_scored_beside_the_global_mean_and_recorded(home, small_csv_dir, ingest_release, monkeypatch):
    published = []
    monkeypatch.setattr("cinepipe.movielens.compare.publish_markdown",
                        lambda markdown, key, description: published.append(key))
    ingest_release(home, small_csv_dir)
    snapshot = snapshot_ratings(home, "ml-latest-small")
    results = [score_method(snapshot, m, False, 42) for m in (REFERENCE_METHOD, "user-knn")]
    assert results[0].model == REFERENCE_MODEL and results[0].n_train + results[0].n_test > 0
    assert results[1].method == "user-knn" and results[1].rmse > 0
    assert score_method(snapshot, "user-knn", False, 42) == results[1]  # seeded

    comparison = write_comparison(home, results, "ml-latest-small")
    assert comparison.global_mean == results[0].rmse and comparison.rmse == {"user-knn": results[1].rmse}
    assert Path(comparison.csv).exists() and Path(comparison.png).exists()
    assert (Path(comparison.csv).parent / "lecture_comparison.md").exists()
    assert published == ["lecture-comparison-ml-latest-small"]
    with warehouse.connect(home, read_only=True) as con:
        found = con.execute("select model, protocol, metric, value from eval_metrics order by model, metric").fetchall()
    assert found == sorted((r.model, RANDOM_70_30, metric, getattr(r, metric))
                           for r in results for metric in ("mae", "rmse"))
