"""Every recommender on a MovieLens ratings file, on both protocols, next to its baseline.

    flock /tmp/cinepipe-heavy.lock .venv/bin/python benchmarks/recsys_quality.py [--ratings PATH]

Prints rmse/mae on random-70-30 for the rating models (baseline: global mean) and precision, recall,
ndcg and map at 10 on stratified-75-25 for the ranking models (baseline: popularity), with fit times.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import pandas as pd

from cinepipe.recsys.evaluate import run_protocol
from cinepipe.recsys.registry import RANKING_MODELS, RATING_MODELS


def main() -> None:
    shared = Path(os.environ.get("CINEPIPE_SHARED_DATA", "/work/shared/data"))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ratings", type=Path, default=shared / "ml-latest-small" / "ratings.csv")
    parser.add_argument("--rating-models", nargs="*", default=list(RATING_MODELS))
    parser.add_argument("--ranking-models", nargs="*", default=list(RANKING_MODELS))
    args = parser.parse_args()
    ratings = pd.read_csv(args.ratings).rename(columns={"userId": "user_id", "movieId": "movie_id"})
    print(
        f"{args.ratings}: {len(ratings)} ratings, {ratings.user_id.nunique()} users, {ratings.movie_id.nunique()} movies"
    )
    for models, protocol in ((args.rating_models, "random-70-30"), (args.ranking_models, "stratified-75-25")):
        if not models:
            continue
        rows = run_protocol(models, protocol, ratings)
        table = rows.pivot_table(index=["model", "fit_seconds"], columns="metric", values="value", sort=False)
        print(f"\n{protocol} (n_train {rows.n_train.iloc[0]}, n_test {rows.n_test.iloc[0]})")
        print(table.round(4).to_string(), flush=True)


if __name__ == "__main__":
    main()
