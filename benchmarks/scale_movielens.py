"""The whole MovieLens branch at scale: time and peak memory, ml-latest-small beside a large release.

    python benchmarks/scale_movielens.py [--ratings 25000000] [--release DIR] [--models a,b] [--new-ratings 10000]

Runs `cinepipe run movielens` in a child process per release (a fresh CINEPIPE_HOME each), samples
the peak resident memory of the whole process tree, and prints time and memory per million ratings
so the growth is visible; then adds ``--new-ratings`` (10,000) to the large warehouse and times
`cinepipe ratings add` + `cinepipe update` against the full run. Targets (issue 10): at most 30
minutes and 8 GiB for ml-25m size; the incremental update under 5% of the full run.

The commands use the home's Prefect server, as every command does; `cinepipe server start` starts it
first, timed apart, so the figures are the commands' own.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("CINEPIPE_SHARED_DATA", REPO.parent / "shared" / "data"))


def timed(cmd: list[str], home: str) -> tuple[float, float]:
    """Seconds and peak RSS (GiB, whole process tree) of one cinepipe command on ``home``."""
    env = {**os.environ, "CINEPIPE_HOME": home}
    env.pop("PREFECT_API_URL", None)
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    root, peak = psutil.Process(proc.pid), 0
    while proc.poll() is None:
        try:
            rss = sum(p.memory_info().rss for p in [root, *root.children(recursive=True)])
            peak = max(peak, rss)
        except psutil.Error:
            pass
        time.sleep(0.5)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd[1:])}: failed: {proc.stderr.read()[-2000:]}")
    return time.perf_counter() - start, peak / 2**30


def cinepipe(*args: str) -> list[str]:
    return [str(Path(sys.executable).with_name("cinepipe")), *args]


def run_branch(release: Path, models: str | None, home: str) -> tuple[float, float]:
    """`cinepipe run movielens` on ``home``: seconds and peak GiB."""
    cmd = cinepipe("run", "movielens", "--source", str(release))
    if models:
        cmd += ["--models", models]
    return timed(cmd, home)


def loaded_ratings(home: str) -> int:
    """Ratings in the home's warehouse after the run."""
    import duckdb

    with duckdb.connect(str(Path(home) / "warehouse" / "cinepipe.duckdb"), read_only=True) as con:
        return con.execute("select count(*) from movielens_ratings").fetchone()[0]


def new_ratings_file(home: str, n: int, seed: int = 7) -> Path:
    """``n`` new ratings by existing users of existing movies (half stars, the last hour), as a CSV."""
    import duckdb
    import numpy as np
    import pandas as pd

    con = duckdb.connect(str(Path(home) / "warehouse" / "cinepipe.duckdb"), read_only=True)
    users = con.execute("select distinct user_id from movielens_ratings").fetchnumpy()["user_id"]
    movies = con.execute("select movie_id from movielens_movies").fetchnumpy()["movie_id"]
    con.close()
    rng = np.random.default_rng(seed)
    draw = int(n * 1.05) + 10  # room for the few repeated pairs dropped below
    new = pd.DataFrame({"user_id": rng.choice(users, draw), "movie_id": rng.choice(movies, draw),
                        "rating": rng.choice(np.arange(1, 11) / 2, draw),
                        "timestamp": int(time.time()) - rng.integers(0, 3600, draw)})
    path = Path(home) / "new-ratings.csv"
    new.drop_duplicates(["user_id", "movie_id"]).head(n).to_csv(path, index=False)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ratings", type=int, default=25_000_000)
    parser.add_argument("--release", type=Path, help="An existing large release (else one is generated).")
    parser.add_argument("--models", help="Comma-separated models to evaluate (default: the branch's set).")
    parser.add_argument("--new-ratings", type=int, default=10_000,
                        help="Then add this many new ratings to the large warehouse and time the update (0: skip).")
    args = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).parent))
    from make_synthetic_movielens import shape_for

    from cinepipe.movielens.synthetic import write_csv_release

    releases = []
    if (SHARED / "ml-latest-small").is_dir():
        releases.append(("ml-latest-small", SHARED / "ml-latest-small"))
    big = args.release or Path(tempfile.mkdtemp(prefix="cinepipe-ml25m-")) / "ml-25m-synthetic"
    if not (big / "ratings.csv").exists():
        start = time.perf_counter()
        write_csv_release(big, shape_for(args.ratings), seed=25)
        print(f"generated {args.ratings:,} ratings in {time.perf_counter() - start:.0f}s", flush=True)
    releases.append((big.name, big))
    homes = []
    try:
        for name, path in releases:
            home = tempfile.mkdtemp(prefix="cinepipe-scale-")
            homes.append(home)
            timed(cinepipe("server", "start"), home)
            seconds, peak = run_branch(path, args.models, home)
            n = loaded_ratings(home)
            print(f"{name:>20}: {n:>11,} ratings | {seconds / 60:6.1f} min | peak {peak:5.2f} GiB | "
                  f"{seconds / (n / 1e6):7.1f} s and {peak / (n / 1e6):5.3f} GiB per million ratings", flush=True)
        if args.new_ratings:  # on the last (largest) warehouse: the inbox and the incremental flow
            added = new_ratings_file(home, args.new_ratings)
            add_s, add_peak = timed(cinepipe("ratings", "add", str(added)), home)
            update_s, update_peak = timed(cinepipe("update"), home)
            inc = add_s + update_s
            print(f"{'incremental':>20}: {args.new_ratings:>11,} new ratings on {name} | add {add_s:5.1f}s + "
                  f"update {update_s:6.1f}s = {inc:6.1f}s | peak {max(add_peak, update_peak):5.2f} GiB | "
                  f"{inc / seconds:6.1%} of the full run (target <= 5%)", flush=True)
    finally:
        for home in homes:
            subprocess.run(cinepipe("server", "stop"), env={**os.environ, "CINEPIPE_HOME": home}, capture_output=True)


if __name__ == "__main__":
    main()
