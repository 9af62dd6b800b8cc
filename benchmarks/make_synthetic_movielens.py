"""Write a synthetic MovieLens release in the exact ml-25m layout, at a chosen size.

    python benchmarks/make_synthetic_movielens.py DEST [--ratings 25000000] [--seed 25]

Users and movies scale with the ratings like ml-25m (162,541 users and 59,047 rated movies for
25,000,095 ratings); long-tailed popularity and activity, half-star ratings around the real mean
3.53, timestamps over 1995-2019 and a planted low-rank taste structure. Seeded: the same arguments
write the same bytes.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from cinepipe.movielens.synthetic import Shape, write_csv_release

ML25M = {"users": 162_541, "movies": 59_047, "ratings": 25_000_095}


def shape_for(n_ratings: int) -> Shape:
    scale = n_ratings / ML25M["ratings"]
    return Shape(
        n_users=max(100, int(ML25M["users"] * scale)),
        # the movie catalogue grows slower than the ratings (a larger release rates older films too)
        n_items=max(100, int(ML25M["movies"] * min(1.0, scale ** 0.5))),
        n_ratings=n_ratings,
        start_year=1995,
        end_year=2019,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dest", type=Path)
    parser.add_argument("--ratings", type=int, default=ML25M["ratings"])
    parser.add_argument("--seed", type=int, default=25)
    args = parser.parse_args()
    shape = shape_for(args.ratings)
    start = time.perf_counter()
    counts = write_csv_release(args.dest, shape, seed=args.seed)
    elapsed = time.perf_counter() - start
    size_mib = (args.dest / "ratings.csv").stat().st_size / 2**20
    print(f"wrote {counts['ratings']:,} ratings ({shape.n_users:,} users, {shape.n_items:,} movies, "
          f"{size_mib:,.0f} MiB) to {args.dest} in {elapsed:.1f}s")


if __name__ == "__main__":
    main()
