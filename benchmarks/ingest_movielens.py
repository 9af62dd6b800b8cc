"""Ingest speed and memory: our parse + validate + dedup + load against DuckDB's bare read_csv.

Prints, for ml-latest-small (when ../shared/data is there) and for a generated ratings file in the
ml-25m layout (10 million rows by default), both times, their ratio and each run's peak memory; and
the ratio against a bare read of all four CSV files our ingest reads (ratings, movies, links, tags).
Each measurement runs in its own process so peaks do not mix. Target: ratio <= 3, peak < 4 GiB.

    python benchmarks/ingest_movielens.py [--rows 10000000] [--keep DIR] [--repeat 5]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("CINEPIPE_SHARED_DATA", REPO.parent / "shared" / "data"))


def _peak_mib() -> float:
    """This process's peak resident memory. Linux's VmHWM starts afresh at exec; ru_maxrss does
    not (a child started after the parent generated the 10M release reported the parent's peak)."""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure_ours(release: str, home: str) -> dict:
    os.environ["CINEPIPE_HOME"] = home
    from cinepipe.movielens import load, source, stage
    from cinepipe.settings import get_settings

    settings = get_settings()
    settings.ensure_dirs()
    start = time.perf_counter()
    rel = source.resolve(release, settings)
    sd = stage.stage_dir_for(settings, rel.content_key)
    stage.parse_release(rel.root, rel.layout, sd, settings)
    stage.check_release(sd, rel.layout, settings, source=release, max_bad_fraction=settings.max_bad_fraction,
                        gx_max_rows=settings.gx_max_rows)
    stage.dedupe_and_filter(sd, settings, 0, 0)
    out = load.load_release(sd, dataset=rel.dataset, content_key=rel.content_key, source=release,
                            run_id="bench", settings=settings)
    seconds = time.perf_counter() - start
    # the Great Expectations report runs beside dedupe and load in the flow; timed on its own here
    start = time.perf_counter()
    stage.gx_report(sd, rel.layout, sd / "gx.json")
    return {"seconds": seconds, "gx_seconds": time.perf_counter() - start, "peak_mib": _peak_mib(),
            "rows": out["rows"]["movielens_ratings"]}


def measure_bare(release: str, home: str, every_file: bool = False) -> dict:
    """DuckDB's bare ``read_csv`` of ratings.csv into a table (the issue's baseline); with
    ``every_file``, of each CSV file our ingest reads (ratings, movies, links, tags), one table each."""
    import duckdb

    Path(home).mkdir(parents=True, exist_ok=True)
    names = ["ratings", "movies", "links", "tags"] if every_file else ["ratings"]
    files = [Path(release) / f"{name}.csv" for name in names if (Path(release) / f"{name}.csv").exists()]
    start = time.perf_counter()
    con = duckdb.connect(str(Path(home) / "bare.duckdb"))
    for path in files:
        con.execute(f"create table {path.stem} as select * from read_csv('{path}')")
    rows = con.execute("select count(*) from ratings").fetchone()[0]
    con.close()
    return {"seconds": time.perf_counter() - start, "peak_mib": _peak_mib(), "rows": rows}


def _child(kind: str, release: str, home: str) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", kind, release, home],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def compare(name: str, release: str, workdir: Path, repeat: int) -> None:
    """``repeat`` rounds of bare, bare-all-files and ours, interleaved so drift in the machine's speed
    hits each alike; the ratio is of the medians (sub-second runs on a shared VM vary by +-30%)."""
    runs: dict[str, list[dict]] = {"bare": [], "bare-all": [], "ours": []}
    for i in range(repeat):
        for kind in runs:
            runs[kind].append(_child(kind, release, str(workdir / f"{name}-{kind}-{i}")))
    med = {kind: statistics.median(r["seconds"] for r in rs) for kind, rs in runs.items()}
    spread = {kind: f"{min(r['seconds'] for r in rs):.2f}-{max(r['seconds'] for r in rs):.2f}" for kind, rs in runs.items()}
    peak = {kind: max(r["peak_mib"] for r in rs) for kind, rs in runs.items()}
    ours = runs["ours"][0]
    ratio = med["ours"] / med["bare"]
    per_m = med["ours"] / (ours["rows"] / 1e6)
    gx = statistics.median(r["gx_seconds"] for r in runs["ours"])
    print(f"{name:>18}: {ours['rows']:>11,} rows, median of {repeat} | ours {med['ours']:6.2f}s ({spread['ours']}, "
          f"peak {peak['ours']:5.0f} MiB) | bare read_csv {med['bare']:6.2f}s ({spread['bare']}, peak {peak['bare']:5.0f} MiB) | "
          f"ratio {ratio:4.2f}x | bare read_csv of all four files {med['bare-all']:6.2f}s, ratio "
          f"{med['ours'] / med['bare-all']:4.2f}x | {per_m:5.2f} s per million rows | GX report {gx:5.1f}s", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--keep", type=Path, help="Reuse/keep the generated release here.")
    parser.add_argument("--repeat", type=int, default=5, help="Rounds per release (medians are printed).")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, release, home = args.child
        if kind == "ours":
            result = measure_ours(release, home)
        else:
            result = measure_bare(release, home, every_file=kind == "bare-all")
        print(json.dumps(result))
        return
    from make_synthetic_movielens import shape_for

    from cinepipe.movielens.synthetic import write_csv_release

    with tempfile.TemporaryDirectory(prefix="cinepipe-bench-") as tmp:
        work = Path(tmp)
        if (SHARED / "ml-latest-small").is_dir():
            compare("ml-latest-small", str(SHARED / "ml-latest-small"), work, args.repeat)
        else:
            print(f"ml-latest-small: skipped ({SHARED} is absent)")
        release = args.keep or work / "ml-25m-synthetic"
        if not (release / "ratings.csv").exists():
            start = time.perf_counter()
            write_csv_release(release, shape_for(args.rows), seed=25)
            print(f"generated {args.rows:,} ratings in the ml-25m layout in {time.perf_counter() - start:.1f}s")
        compare(f"synthetic {args.rows / 1e6:g}M", str(release), work, args.repeat)


if __name__ == "__main__":
    main()
