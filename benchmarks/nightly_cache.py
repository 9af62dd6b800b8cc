"""A night with no new data against a cold night, on the same data, in one process.

Runs the nightly flow twice on a fresh CINEPIPE_HOME (the bundled sample by default, or the
configured sources with --configured) and prints both durations and their ratio (target <= 5%).
Also times the incremental flow for new ratings on the MovieLens data against the cold run
(target <= 20% for 1,000 new ratings on ml-latest-small: pass --movielens PATH).

    python benchmarks/nightly_cache.py [--movielens ../shared/data/ml-latest-small] [--new-ratings 1000]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--movielens", help="A MovieLens release to run instead of the whole sample.")
    parser.add_argument("--new-ratings", type=int, default=1000)
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="cinepipe-nightly-bench-"))
    os.environ["CINEPIPE_HOME"] = str(home)
    if args.movielens:
        os.environ["CINEPIPE_MOVIELENS_SOURCE"] = args.movielens
    from cinepipe.settings import configure_prefect, get_settings

    settings = get_settings()
    settings.ensure_dirs()
    configure_prefect(settings, quiet_console=True)
    from cinepipe.flows.incremental import incremental_flow
    from cinepipe.flows.nightly import nightly_flow

    sample = not args.movielens
    start = time.perf_counter()
    nightly_flow(sample=sample, quick=sample)
    cold = time.perf_counter() - start
    start = time.perf_counter()
    second = nightly_flow(sample=sample, quick=sample)
    warm = time.perf_counter() - start
    skipped = sorted(b for b, r in second["branches"].items() if r.get("skipped"))
    print(f"nightly cold {cold:7.1f}s | no new data {warm:6.1f}s | ratio {warm / cold:6.1%} (target <= 5%) | "
          f"branches skipped whole: {', '.join(skipped) or 'none'}")
    if args.movielens:
        import numpy as np
        import pandas as pd

        from cinepipe import warehouse
        from cinepipe.ops.inbox import add_ratings

        with warehouse.connect(settings, read_only=True) as con:
            users = [r[0] for r in con.execute("select distinct user_id from movielens_ratings").fetchall()]
            movies = [r[0] for r in con.execute("select movie_id from movielens_movies").fetchall()]
        rng = np.random.default_rng(7)
        new = pd.DataFrame({"user_id": rng.choice(users, args.new_ratings), "movie_id": rng.choice(movies, args.new_ratings),
                            "rating": rng.choice(np.arange(1, 11) / 2, args.new_ratings),
                            "timestamp": int(time.time()) - rng.integers(0, 3600, args.new_ratings)})
        path = home / "new.csv"
        new.drop_duplicates(["user_id", "movie_id"]).to_csv(path, index=False)
        start = time.perf_counter()
        add_ratings(settings, path)
        result = incremental_flow()
        inc = time.perf_counter() - start
        modes = {k: v.get("mode") for k, v in result["datasets"].items()}
        print(f"incremental {args.new_ratings:,} new ratings {inc:6.1f}s | ratio to cold {inc / cold:6.1%} "
              f"(target <= 20%) | {modes}")


if __name__ == "__main__":
    main()
