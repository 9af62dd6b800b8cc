"""Every recommender on a MovieLens ratings file, on the protocols of INTERFACE.md, next to its baseline.

    flock /tmp/cinepipe-heavy.lock .venv/bin/python benchmarks/recsys_quality.py [--ratings PATH]
        [--top-movies 1682] [--until-year 2000] [--synthetic-100k]
        [--protocols random-70-30 ml100k-u1 stratified-75-25]

Prints rmse/mae on random-70-30 (and on ml100k-u1) for the rating models (baseline: global mean) and
precision, recall, ndcg and map at 10 on stratified-75-25 for the ranking models (baseline:
popularity), with fit times. ml-100k itself is not redistributable here, so two stand-ins:
``--top-movies 1682`` keeps a real release's 1,682 most-rated movies (ml-100k's catalogue size), and
``--until-year`` keeps the ratings given up to that year (``2000``: the MovieLens site of ml-100k's
time), and ``--synthetic-100k`` generates a seeded release in the ml-100k layout with its own u1
split. Timestamps are kept (``rated_at_epoch_s``): the time-aware ranking models order each user's
ratings by them. On a release without u1 files, ``ml100k-u1`` is stood in for by a seeded random
80/20 split (u1's sizes).
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

import pandas as pd

from cinepipe.recsys.evaluate import run_protocol
from cinepipe.recsys.registry import RANKING_MODELS, RATING_MODELS
from cinepipe.recsys.splits import (
    ML100K_U1,
    RANDOM_70_30,
    STRATIFIED_75_25,
    random_split,
)
from cinepipe.storage.columns import ITEM, RATED_AT_EPOCH_S, RATING, USER

U1_COLUMNS = [USER, ITEM, RATING, RATED_AT_EPOCH_S]


def _read_100k(directory: Path) -> tuple[pd.DataFrame, tuple[pd.DataFrame, pd.DataFrame]]:
    read = lambda name: pd.read_csv(directory / name, sep="\t", names=U1_COLUMNS)
    return read("u.data"), (read("u1.base"), read("u1.test"))


def load(args: argparse.Namespace) -> tuple[str, pd.DataFrame, tuple[pd.DataFrame, pd.DataFrame] | None]:
    """(label, ratings, the u1 pair or None) as the arguments ask."""
    if args.synthetic_100k:
        from cinepipe.movielens.synthetic import write_100k_release

        with tempfile.TemporaryDirectory() as tmp:
            write_100k_release(Path(tmp), seed=args.seed)
            ratings, u1 = _read_100k(Path(tmp))
        return "synthetic ml-100k (write_100k_release, seed 42)", ratings, u1
    ratings = pd.read_csv(args.ratings).rename(columns={"userId": USER, "movieId": ITEM, "timestamp": RATED_AT_EPOCH_S})
    ratings = ratings[[USER, ITEM, RATING, RATED_AT_EPOCH_S]]
    label = str(args.ratings)
    if args.until_year:
        year = pd.to_datetime(ratings[RATED_AT_EPOCH_S], unit="s").dt.year
        ratings = ratings[year <= args.until_year].reset_index(drop=True)
        label += f", ratings given up to {args.until_year}"
    if args.top_movies:
        top = ratings[ITEM].value_counts().index[: args.top_movies]
        ratings = ratings[ratings[ITEM].isin(top)].reset_index(drop=True)
        label += f", its {args.top_movies:,} most-rated movies"
    return label, ratings, None


def main() -> None:
    shared = Path(os.environ.get("CINEPIPE_SHARED_DATA", "/work/shared/data"))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ratings", type=Path, default=shared / "ml-latest-small" / "ratings.csv")
    parser.add_argument("--top-movies", type=int, default=0, help="keep only this many most-rated movies")
    parser.add_argument("--until-year", type=int, default=0, help="keep only the ratings given up to this year")
    parser.add_argument("--synthetic-100k", action="store_true", help="a generated ml-100k release instead")
    parser.add_argument("--protocols", nargs="*", default=[RANDOM_70_30, ML100K_U1, STRATIFIED_75_25])
    parser.add_argument("--rating-models", nargs="*", default=list(RATING_MODELS))
    parser.add_argument("--ranking-models", nargs="*", default=list(RANKING_MODELS))
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    label, ratings, u1 = load(args)
    print(f"{label}: {len(ratings):,} ratings, {ratings[USER].nunique():,} users, {ratings[ITEM].nunique():,} movies")
    for protocol in args.protocols:
        models = args.ranking_models if protocol == STRATIFIED_75_25 else args.rating_models
        if not models:
            continue
        title = protocol
        if protocol == ML100K_U1:
            if u1 is None:
                u1 = random_split(ratings, 0.2, args.seed)
                title += " (stand-in: seeded random 80/20 split)"
            rows = run_protocol(models, protocol, train=u1[0], test=u1[1], seed=args.seed)
        else:
            rows = run_protocol(models, protocol, ratings, seed=args.seed)
        table = rows.pivot_table(index=["model", "fit_seconds"], columns="metric", values="value", sort=False)
        print(f"\n{title} (n_train {rows.n_train.iloc[0]:,}, n_test {rows.n_test.iloc[0]:,})")
        print(table.round(4).to_string(), flush=True)


if __name__ == "__main__":
    main()
