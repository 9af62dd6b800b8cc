"""The MovieLens plots write a PNG each from frames shaped like the branch's."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cinepipe.movielens import plots


def test_every_plot_writes_an_image(tmp_path):
    rng = np.random.default_rng(0)
    ratings = pd.DataFrame({"user_id": rng.integers(1, 40, 600), "movie_id": rng.integers(1, 90, 600),
                            "rating": rng.choice([1.0, 2.5, 3.0, 4.5, 5.0], 600)})
    lists = pd.DataFrame({"user_id": np.repeat(np.arange(1, 11), 5), "movie_id": rng.integers(1, 90, 50)})
    metrics = pd.DataFrame({"model": ["popularity", "ease", "global_mean", "blend"],
                            "protocol": ["stratified-75-25", "stratified-75-25", "random-70-30", "random-70-30"],
                            "metric": ["ndcg_at_10", "ndcg_at_10", "rmse", "rmse"], "value": [0.3, 0.4, 1.0, 0.85]})
    history = pd.concat([metrics.assign(created_at=pd.Timestamp("2026-12-01")),
                         metrics.assign(created_at=pd.Timestamp("2026-12-02"), value=metrics["value"] * 1.01)])
    written = [
        plots.rating_distribution(ratings, tmp_path / "dist.png", "ratings"),
        plots.list_coverage(lists, ratings, tmp_path / "coverage.png", "coverage"),
        plots.metrics_vs_baselines(metrics, metrics.iloc[0:0], tmp_path / "vs.png", "vs baselines"),
        plots.metrics_over_runs(history, tmp_path / "runs.png", "over runs"),
    ]
    for path in written:
        assert path is not None and path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
