"""Times and scores every lecture method on random-70-30: an ml-100k-sized generated set or a ratings.csv.

    flock /tmp/cinepipe-heavy.lock .venv/bin/python benchmarks/lecture_compare.py --synthetic
    flock /tmp/cinepipe-heavy.lock .venv/bin/python benchmarks/lecture_compare.py --ratings ../shared/data/ml-latest-small/ratings.csv

Prints one line per method (rmse, mae, fit seconds) and the comparison table with the lecture's figures.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from cinepipe.recsys.lecture.compare import (
    comparison_markdown,
    comparison_table,
    lecture_models,
    run_comparison,
)
from cinepipe.recsys.metrics import rmse
from cinepipe.recsys.splits import random_split
from cinepipe.recsys.synthetic import planted_ratings
from cinepipe.storage.columns import ITEM, RATING, USER


def main() -> None:
    parser = argparse.ArgumentParser()
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--synthetic", action="store_true", help="943 users x 1,682 movies, 100k ratings")
    source.add_argument("--ratings", help="a GroupLens ratings.csv (userId,movieId,rating,timestamp)")
    parser.add_argument("--models", nargs="*", default=None)
    args = parser.parse_args()
    if args.synthetic:
        ratings, dataset = planted_ratings(943, 1_682, 100_000, rank=5, noise=0.6, seed=0), "ml-100k-shaped synthetic"
    else:
        raw = pd.read_csv(args.ratings)
        ratings = raw.rename(columns={"userId": USER, "movieId": ITEM, "rating": RATING})[[USER, ITEM, RATING]]
        dataset = args.ratings
    train, test = random_split(ratings, 0.3, 42)
    base = rmse(test[RATING], np.full(len(test), train[RATING].mean()))
    print(f"{dataset}: {len(train)} train / {len(test)} test, global mean rmse {base:.4f}", flush=True)
    started = time.perf_counter()
    results = run_comparison(train, test, lecture_models(args.models), log=lambda line: print(line, flush=True))
    print(f"whole comparison: {time.perf_counter() - started:.1f}s")
    print(results.to_string(index=False))
    print(comparison_markdown(comparison_table(dict(zip(results["method"], results["rmse"])), dataset, base)))


if __name__ == "__main__":
    main()
