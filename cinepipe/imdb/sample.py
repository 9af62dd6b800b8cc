"""Generated review data in the real layouts, for ``make run`` and the tests.

The reviews are our own random sentences from small word lists (no real review text), with
positive reviews leaning on positive words, so a model has something to learn.
"""

from __future__ import annotations

import gzip
import io
import json
import tarfile
from pathlib import Path

import numpy as np

from cinepipe.imdb.vocab import build_vocabulary, tokenize

SAMPLE_TARBALL = "aclImdb_sample.tar.gz"
_NEUTRAL = ["the", "a", "and", "of", "to", "it", "this", "film", "movie", "plot", "story", "actor", "actress", "scene", "scenes", "director", "was", "is", "with", "for", "as", "on", "its", "script", "camera", "music", "ending", "cast", "character", "characters", "about", "time", "watch", "watched", "really", "quite", "rather", "very", "some", "one", "two", "first", "last", "then"]
_POSITIVE = ["great", "wonderful", "brilliant", "superb", "moving", "delightful", "charming", "excellent", "beautiful", "gripping", "touching", "funny", "clever", "memorable", "masterpiece", "loved", "enjoyable"]
_NEGATIVE = ["awful", "boring", "dull", "terrible", "poor", "clumsy", "tedious", "weak", "predictable", "lifeless", "bland", "mess", "disappointing", "waste", "hated", "unwatchable"]
_MTIME = 1306886400  # 2011-06-01, as the shared archives


def generate_review(rng: np.random.Generator, positive: bool) -> str:
    """Two to five sentences; about a fifth of the polar words come from the other side."""
    own, other = (_POSITIVE, _NEGATIVE) if positive else (_NEGATIVE, _POSITIVE)
    sentences = []
    for _ in range(rng.integers(2, 6)):
        words = list(rng.choice(_NEUTRAL, size=rng.integers(5, 12)))
        for _ in range(rng.integers(1, 3)):
            pool = other if rng.random() < 0.2 else own
            words.insert(int(rng.integers(0, len(words) + 1)), str(rng.choice(pool)))
        sentences.append(" ".join(words).capitalize() + rng.choice([".", "!", "..."]))
    return rng.choice([" ", "<br /><br />"]).join(sentences)


def generate_reviews(n_per_class: int, seed: int) -> dict[str, str]:
    """Archive member name -> review text, ``n_per_class`` per (split, polarity)."""
    rng = np.random.default_rng(seed)
    members = {}
    for split in ("train", "test"):
        for polarity in ("pos", "neg"):
            for review_no in range(n_per_class):
                rating = int(rng.integers(7, 11) if polarity == "pos" else rng.integers(1, 5))
                members[f"aclImdb/{split}/{polarity}/{review_no}_{rating}.txt"] = generate_review(
                    rng, polarity == "pos"
                )
    return members


def write_tarball(path: Path, members: dict[str, bytes]) -> Path:
    """A reproducible .tar.gz (sorted names, fixed owner and times) holding ``members``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.GNU_FORMAT) as archive:
        for name in sorted(members):
            info = tarfile.TarInfo(name)
            info.size, info.mtime, info.mode = len(members[name]), _MTIME, 0o644
            archive.addfile(info, io.BytesIO(members[name]))
    with path.open("wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as gz:
        gz.write(buffer.getvalue())
    return path


def write_sample(
    dest_dir: Path, n_per_class: int = 200, seed: int = 42, extra_members: dict[str, bytes] | None = None
) -> Path:
    """Write ``aclImdb_sample.tar.gz`` (aclImdb/{train,test}/{pos,neg}/<id>_<rating>.txt).

    Args:
        n_per_class: reviews per split and polarity (4 * n_per_class in all).
        extra_members: more members (name -> bytes), e.g. broken ones for tests.
    Returns:
        The tarball's path.
    """
    members = {name: text.encode() for name, text in generate_reviews(n_per_class, seed).items()}
    members.update(extra_members or {})
    return write_tarball(Path(dest_dir) / SAMPLE_TARBALL, members)


def write_keras_sample(dest_dir: Path, n_per_class: int = 50, seed: int = 42) -> Path:
    """Write ``imdb.npz`` + ``imdb_word_index.json`` as Keras publishes them (plain word ranks).

    Returns the ``imdb.npz`` path.
    """
    dest_dir = Path(dest_dir)
    dest_dir.mkdir(parents=True, exist_ok=True)
    reviews = generate_reviews(n_per_class, seed)
    tokens = {name: tokenize(text) for name, text in reviews.items()}
    word_index = build_vocabulary(tokens.values()).word_index
    arrays = {}
    for split in ("train", "test"):
        names = sorted(n for n in reviews if f"/{split}/" in n)
        arrays[f"x_{split}"] = np.array([[word_index[t] for t in tokens[n]] for n in names], dtype=object)
        arrays[f"y_{split}"] = np.array([int("/pos/" in n) for n in names], dtype=np.int64)
    np.savez(dest_dir / "imdb.npz", **arrays)
    (dest_dir / "imdb_word_index.json").write_text(json.dumps(word_index))
    return dest_dir / "imdb.npz"
