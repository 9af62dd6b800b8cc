"""Peak memory of refusing archive bombs, against baselines measured in the same run.

    flock /tmp/cinepipe-heavy.lock .venv/bin/python benchmarks/archive_limits.py [--bomb-mib 1024]

Builds, in a temporary directory: an IMDB tarball whose one "review" is ``--bomb-mib`` MiB of zeros
(about 1 MB compressed), a MovieLens zip whose ratings.csv is the same, and genuine-looking
counterparts (generated reviews, a generated release). Each case runs in its own Python process and
reports its peak resident memory (``ru_maxrss``), so the figures do not share an allocator:

- ``interpreter``: the imports alone;
- ``read genuine tarball`` / ``extract genuine zip``: what the new readers cost on good input;
- ``refuse tar bomb`` / ``refuse zip bomb``: the new readers on the bombs;
- ``old tar reader on bomb``: the reader before the limits (every review member read whole).

Prints each case and the ratios bomb / genuine and old / new.
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import resource
import subprocess
import sys
import tarfile
import tempfile
import time
import zipfile
from pathlib import Path

MiB = 1 << 20


def _zeros(n_bytes: int):
    class Zeros(io.RawIOBase):
        left = n_bytes

        def read(self, n: int = -1) -> bytes:
            n = min(self.left, MiB if n < 0 else n)
            self.left -= n
            return bytes(n)

    return Zeros()


def build(root: Path, bomb_mib: int) -> dict[str, str]:
    from cinepipe.imdb.sample import generate_reviews, write_tarball
    from cinepipe.movielens.synthetic import Shape, write_csv_release

    reviews = {k: v.encode() for k, v in generate_reviews(500, seed=1).items()}
    genuine_tar = write_tarball(root / "genuine" / "aclImdb_v1.tar.gz", reviews)
    bomb_tar = root / "bomb" / "aclImdb_v1.tar.gz"
    bomb_tar.parent.mkdir(parents=True)
    with bomb_tar.open("wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=9) as gz, \
            tarfile.open(fileobj=gz, mode="w|") as archive:
        for name, data in reviews.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
        info = tarfile.TarInfo("aclImdb/train/pos/99999_10.txt")
        info.size = bomb_mib * MiB
        archive.addfile(info, _zeros(info.size))

    release = root / "release" / "ml-latest-small"
    write_csv_release(release, Shape(n_users=600, n_items=9_000, n_ratings=100_000), seed=1)
    genuine_zip = root / "genuine" / "ml-latest-small.zip"
    with zipfile.ZipFile(genuine_zip, "w", zipfile.ZIP_DEFLATED) as zf:
        for f in sorted(release.iterdir()):
            zf.write(f, f"ml-latest-small/{f.name}")
    bomb_zip = root / "bomb" / "ml-latest-small.zip"
    with zipfile.ZipFile(bomb_zip, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.write(release / "movies.csv", "ml-latest-small/movies.csv")
        info = zipfile.ZipInfo("ml-latest-small/ratings.csv")
        info.compress_type = zipfile.ZIP_DEFLATED
        with zf.open(info, "w", force_zip64=True) as out:
            for _ in range(bomb_mib):
                out.write(bytes(MiB))
    return {"genuine_tar": str(genuine_tar), "bomb_tar": str(bomb_tar),
            "genuine_zip": str(genuine_zip), "bomb_zip": str(bomb_zip)}


def _old_tar_reader(path: Path) -> int:
    """The IMDB tar reader before the limits: every review member read whole."""
    from cinepipe.imdb.sources import parse_member

    held = 0
    with tarfile.open(path, "r:*") as archive:
        for member in archive:
            if member.isfile() and parse_member(member.name) is not None:
                held = max(held, len(archive.extractfile(member).read()))
    return held


def run_case(case: str, path: str, work: str) -> None:
    """One case, in this process; prints its outcome and peak memory as JSON."""
    from cinepipe.errors import CinepipeError
    from cinepipe.imdb.sources import read_reviews
    from cinepipe.movielens.source import resolve
    from cinepipe.settings import Settings

    settings = Settings(home=Path(work) / case.replace(" ", "-"))
    start = time.perf_counter()
    outcome = "ok"
    try:
        if case == "interpreter":
            pass
        elif case in ("read genuine tarball", "refuse tar bomb"):
            outcome = f"ok: {len(read_reviews(Path(path)).reviews)} reviews"
        elif case in ("extract genuine zip", "refuse zip bomb"):
            outcome = f"ok: {resolve(path, settings).dataset}"
        elif case == "old tar reader on bomb":
            outcome = f"ok: largest review held {_old_tar_reader(Path(path)) / MiB:.0f} MiB"
    except CinepipeError as exc:
        outcome = f"refused: {exc.problem}"
    elapsed = time.perf_counter() - start
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB
    print(json.dumps({"case": case, "peak_mib": peak_mib, "seconds": elapsed, "outcome": outcome}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bomb-mib", type=int, default=1024, help="expanded size of each bomb")
    parser.add_argument("--case")
    parser.add_argument("--path", default="")
    parser.add_argument("--work", default="")
    args = parser.parse_args()
    if args.case:
        run_case(args.case, args.path, args.work)
        return
    with tempfile.TemporaryDirectory(prefix="cinepipe-archive-bench-") as tmp:
        root = Path(tmp)
        t0 = time.perf_counter()
        paths = build(root, args.bomb_mib)
        sizes = {k: Path(v).stat().st_size for k, v in paths.items()}
        print(f"built in {time.perf_counter() - t0:.1f} s: tar bomb {sizes['bomb_tar'] / MiB:.2f} MiB -> "
              f"{args.bomb_mib} MiB review; zip bomb {sizes['bomb_zip'] / MiB:.2f} MiB -> {args.bomb_mib} MiB ratings.csv; "
              f"genuine tarball {sizes['genuine_tar'] / MiB:.2f} MiB, genuine zip {sizes['genuine_zip'] / MiB:.2f} MiB")
        cases = [("interpreter", ""), ("read genuine tarball", paths["genuine_tar"]),
                 ("refuse tar bomb", paths["bomb_tar"]), ("old tar reader on bomb", paths["bomb_tar"]),
                 ("extract genuine zip", paths["genuine_zip"]), ("refuse zip bomb", paths["bomb_zip"])]
        results = {}
        for case, path in cases:
            out = subprocess.run([sys.executable, __file__, "--case", case, "--path", path, "--work", str(root / "home")],
                                 capture_output=True, text=True, check=True).stdout
            results[case] = json.loads(out.strip().splitlines()[-1])
            r = results[case]
            print(f"{case:<24} peak {r['peak_mib']:8.1f} MiB  {r['seconds']:6.2f} s  {r['outcome'][:110]}")
        peak = {k: v["peak_mib"] for k, v in results.items()}
        # the interpreter with its imports is in every figure; what a case adds is what it read
        extra = {k: max(v - peak["interpreter"], 0.0) for k, v in peak.items()}
        for bomb, base in (("refuse tar bomb", "read genuine tarball"), ("old tar reader on bomb", "refuse tar bomb"),
                           ("refuse zip bomb", "extract genuine zip")):
            print(f"{bomb} / {base}: {peak[bomb] / peak[base]:.2f}x peak "
                  f"(+{extra[bomb]:.1f} MiB vs +{extra[base]:.1f} MiB above the interpreter)")
        leftovers = [p for p in (root / "home").rglob("*") if p.is_file() and "release-files" in str(p)
                     and "refuse" in str(p)]
        print(f"files left behind by the refusals: {len(leftovers)}")


if __name__ == "__main__":
    main()
