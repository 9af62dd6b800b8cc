"""What a user waits for: whole `cinepipe` commands, timed from outside, ratios measured in one run.

Each on a fresh CINEPIPE_HOME whose Prefect server `cinepipe server start` starts first (timed apart:
a new user's first command pays it once):
- the bundled sample: `cinepipe nightly --sample` cold, then again with nothing new (target <= 3%);
  then `cinepipe --help`, `status` and `recommend` against `python -c "import duckdb"`, the median of
  --repeat runs each (target <= 3x);
- with --movielens PATH: `cinepipe run movielens --source PATH`, then `cinepipe ratings add` of
  --new-ratings new ratings plus `cinepipe update` (target <= 5%).

    flock /tmp/cinepipe-heavy.lock python benchmarks/nightly_cache.py [--movielens ../shared/data/ml-latest-small]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CINEPIPE = str(Path(sys.executable).with_name("cinepipe"))


def timed(home: Path, *args: str, command: tuple[str, ...] = (CINEPIPE,)) -> float:
    """Seconds the whole command took; fails loudly if it failed."""
    env = {**os.environ, "CINEPIPE_HOME": str(home)}
    env.pop("PREFECT_API_URL", None)
    start = time.perf_counter()
    done = subprocess.run([*command, *args], env=env, capture_output=True, text=True)
    took = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"`cinepipe {' '.join(args)}` failed:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}")
    return took


def last_summary(home: Path) -> dict:
    import duckdb

    with duckdb.connect(str(home / "warehouse" / "cinepipe.duckdb"), read_only=True) as con:
        return json.loads(con.execute("select summary from pipeline_runs order by started_at desc limit 1").fetchone()[0])


def write_new_ratings(home: Path, n: int) -> Path:
    """``n`` new ratings by existing users of existing movies, as a file a user would add."""
    import duckdb
    import numpy as np
    import pandas as pd

    with duckdb.connect(str(home / "warehouse" / "cinepipe.duckdb"), read_only=True) as con:
        users = [r[0] for r in con.execute("select distinct user_id from movielens_ratings").fetchall()]
        movies = [r[0] for r in con.execute("select movie_id from movielens_movies").fetchall()]
    rng = np.random.default_rng(7)
    new = pd.DataFrame({"user_id": rng.choice(users, 2 * n), "movie_id": rng.choice(movies, 2 * n),
                        "rating": rng.choice(np.arange(1, 11) / 2, 2 * n),
                        "timestamp": int(time.time()) - rng.integers(0, 3600, 2 * n)})
    path = home / "new-ratings.csv"
    new.drop_duplicates(["user_id", "movie_id"]).head(n).to_csv(path, index=False)
    return path


def startup(home: Path, repeat: int) -> None:
    """Commands that run no flow against importing DuckDB, interleaved so load changes hit all alike."""
    import duckdb

    with duckdb.connect(str(home / "warehouse" / "cinepipe.duckdb"), read_only=True) as con:
        user = con.execute("select min(user_id) from recommendations").fetchone()[0]
    cases = {"import duckdb": ((sys.executable, "-c", "import duckdb"), ()), "--help": ((CINEPIPE,), ("--help",)),
             "status": ((CINEPIPE,), ("status",)), "recommend": ((CINEPIPE,), ("recommend", "--user", str(user)))}
    runs: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(repeat):
        for name, (command, args) in cases.items():
            runs[name].append(timed(home, *args, command=command))
    median = {name: statistics.median(times) for name, times in runs.items()}
    base = median.pop("import duckdb")
    print(f"start-up (median of {repeat}): python -c 'import duckdb' {base:.3f}s | " + " | ".join(
        f"{name} {t:.3f}s = {t / base:.2f}x" for name, t in median.items()) + " (target <= 3x)", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--movielens", help="A MovieLens release for the ratings add + update measurement.")
    parser.add_argument("--new-ratings", type=int, default=1000)
    parser.add_argument("--skip-sample", action="store_true", help="Only the MovieLens measurement.")
    parser.add_argument("--repeat", type=int, default=7, help="Runs per start-up measurement (median).")
    args = parser.parse_args()
    homes = []
    if not args.skip_sample:
        home = Path(tempfile.mkdtemp(prefix="cinepipe-bench-sample-"))
        homes.append(home)
        server = timed(home, "server", "start")
        cold = timed(home, "nightly", "--sample")
        warm = timed(home, "nightly", "--sample")
        skipped = sorted(b for b, r in last_summary(home)["branches"].items() if r.get("skipped"))
        print(f"server start {server:5.1f}s | nightly --sample cold {cold:6.1f}s | nothing new {warm:5.2f}s | "
              f"ratio {warm / cold:6.1%} (target <= 3%; {warm / (server + cold):.1%} of cold + server start) | "
              f"skipped whole: {', '.join(skipped) or 'none'}", flush=True)
        startup(home, args.repeat)
    if args.movielens:
        home = Path(tempfile.mkdtemp(prefix="cinepipe-bench-movielens-"))
        homes.append(home)
        server = timed(home, "server", "start")
        full = timed(home, "run", "movielens", "--source", args.movielens)
        new = write_new_ratings(home, args.new_ratings)
        add = timed(home, "ratings", "add", str(new))
        update = timed(home, "update")
        print(f"server start {server:5.1f}s | run movielens {full:6.1f}s | ratings add {args.new_ratings:,} "
              f"{add:5.2f}s + update {update:5.2f}s = {add + update:5.2f}s | ratio {(add + update) / full:6.1%} "
              f"(target <= 5%)", flush=True)
    for home in homes:
        subprocess.run([CINEPIPE, "server", "stop"], env={**os.environ, "CINEPIPE_HOME": str(home)},
                       capture_output=True)


if __name__ == "__main__":
    main()
