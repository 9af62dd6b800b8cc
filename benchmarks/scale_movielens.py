"""The whole MovieLens branch at scale: time and peak memory, ml-latest-small beside a large release.

    python benchmarks/scale_movielens.py [--ratings 25000000] [--release DIR] [--models a,b]

Runs `cinepipe run movielens` in a child process per release (a fresh CINEPIPE_HOME each), samples
the peak resident memory of the whole process tree, and prints time and memory per million ratings
so the growth is visible. Targets (issue 10): at most 30 minutes and 8 GiB for ml-25m size.
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


def run_branch(release: Path, models: str | None) -> tuple[float, float]:
    """Seconds and peak RSS (GiB, whole process tree) of one `cinepipe run movielens`."""
    home = tempfile.mkdtemp(prefix="cinepipe-scale-")
    cmd = [str(Path(sys.executable).with_name("cinepipe")), "run", "movielens", "--source", str(release)]
    if models:
        cmd += ["--models", models]
    env = {**os.environ, "CINEPIPE_HOME": home}
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
        raise SystemExit(f"{release}: failed: {proc.stderr.read()[-2000:]}")
    return time.perf_counter() - start, peak / 2**30


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ratings", type=int, default=25_000_000)
    parser.add_argument("--release", type=Path, help="An existing large release (else one is generated).")
    parser.add_argument("--models", help="Comma-separated models to evaluate (default: the branch's set).")
    args = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).parent))
    from make_synthetic_movielens import shape_for

    from cinepipe.movielens.synthetic import write_csv_release

    releases = []
    if (SHARED / "ml-latest-small").is_dir():
        releases.append(("ml-latest-small", SHARED / "ml-latest-small", 100_836))
    big = args.release or Path(tempfile.mkdtemp(prefix="cinepipe-ml25m-")) / "ml-25m-synthetic"
    if not (big / "ratings.csv").exists():
        start = time.perf_counter()
        write_csv_release(big, shape_for(args.ratings), seed=25)
        print(f"generated {args.ratings:,} ratings in {time.perf_counter() - start:.0f}s", flush=True)
    releases.append((big.name, big, args.ratings))
    for name, path, n in releases:
        seconds, peak = run_branch(path, args.models)
        print(f"{name:>20}: {n:>11,} ratings | {seconds / 60:6.1f} min | peak {peak:5.2f} GiB | "
              f"{seconds / (n / 1e6):7.1f} s and {peak / (n / 1e6):5.3f} GiB per million ratings", flush=True)


if __name__ == "__main__":
    main()
