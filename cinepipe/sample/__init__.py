"""The bundled sample: small, realistic files in every source's real format, made by our code."""

from __future__ import annotations

import json
from pathlib import Path

SAMPLE_SEED = 42
MANIFEST = "manifest.json"


def write_movielens_sample(dest: Path) -> dict:
    """A few hundred users and movies in the ml-latest-small layout, with demo faults."""
    from cinepipe.movielens.synthetic import Shape, add_demo_faults, write_csv_release

    release = dest / "ml-sample"
    counts = write_csv_release(release, Shape(n_users=300, n_items=400, n_ratings=15_000), seed=SAMPLE_SEED)
    counts.update(add_demo_faults(release))
    return {"path": str(release), **counts}


def write_sample(dest: Path) -> dict:
    """Write every source's sample under ``dest`` (idempotent: kept when already complete)."""
    manifest = dest / MANIFEST
    if manifest.exists():
        return json.loads(manifest.read_text())
    dest.mkdir(parents=True, exist_ok=True)
    from cinepipe.imdb.sample import write_sample as write_imdb_sample
    from cinepipe.mnist.sample import write_sample as write_mnist_sample
    from cinepipe.sample.naver import write_naver_sample

    written = {
        "movielens": write_movielens_sample(dest / "movielens"),
        # digits from scikit-learn's bundled load_digits, upscaled to 28x28, as real IDX files
        "mnist": {"path": str(write_mnist_sample(dest / "mnist"))},
        # generated review text in the real aclImdb tarball layout
        "imdb": {"path": str(write_imdb_sample(dest / "imdb"))},
        "naver": write_naver_sample(dest / "naver"),
    }
    manifest.write_text(json.dumps(written, indent=2))
    return written
