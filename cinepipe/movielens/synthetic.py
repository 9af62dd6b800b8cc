"""Seeded MovieLens releases in the real layouts: ml-latest-small / ml-25m CSVs and ml-100k files.

The ratings are those of the one planted-ratings generator (``recsys.synthetic.PlantedRatings``:
long-tailed popularity and activity, a low-rank taste structure so models have something to learn,
the release's rating scale); each writer adds what its layout holds (timestamps spread over years,
titles, genres, links, tags) and writes it in that layout. Used for the bundled sample, the test
fixtures (ml-100k is not redistributable here) and the scale benchmark.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from cinepipe.movielens.releases import ML100K_GENRES
from cinepipe.recsys.synthetic import Planted, PlantedRatings

GENRES = ("Action", "Adventure", "Animation", "Children", "Comedy", "Crime", "Documentary", "Drama",
          "Fantasy", "Film-Noir", "Horror", "Musical", "Mystery", "Romance", "Sci-Fi", "Thriller",
          "War", "Western")
WORDS = ("Night", "River", "Star", "Last", "Secret", "City", "Love", "Dark", "Summer", "Road",
         "King", "Ghost", "Blue", "Hour", "Dream", "Fire", "Silent", "Wild", "Paper", "Moon")


@dataclass(frozen=True)
class Shape(Planted):
    """Size and character of a generated release: its planted ratings and the years they span."""

    start_year: int = 1996
    end_year: int = 2018


def _titles(rng: np.random.Generator, n: int, years: np.ndarray) -> list[str]:
    a = rng.integers(0, len(WORDS), n)
    b = rng.integers(0, len(WORDS), n)
    return [f"{WORDS[i]} {WORDS[j]} {k + 1} ({y})" for k, (i, j, y) in enumerate(zip(a, b, years))]


_STAR_TEXT = np.array([f"{k / 2:.1f}" for k in range(11)])


def _star_text(ratings: np.ndarray) -> pa.Array:
    """Ratings as the releases print them ("4.0", "3.5")."""
    return pa.array(_STAR_TEXT[np.round(ratings * 2).astype(int)])


def _timestamps(shape: Shape, rng, n: int) -> np.ndarray:
    lo = pd.Timestamp(f"{shape.start_year}-01-01", tz="UTC").timestamp()
    hi = pd.Timestamp(f"{shape.end_year}-12-31", tz="UTC").timestamp()
    return rng.integers(int(lo), int(hi), n)


def write_csv_release(dest: Path, shape: Shape, seed: int = 42, chunk_ratings: int = 5_000_000,
                      with_tags: bool = True) -> dict[str, int]:
    """Write ``ratings.csv``, ``movies.csv``, ``links.csv``, ``tags.csv`` like ml-latest / ml-25m.

    Ratings are written in user-range chunks, so memory stays flat at any size; pairs are unique.
    """
    dest.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    planted = PlantedRatings(shape, rng)
    movie_ids = np.sort(rng.choice(np.arange(1, shape.n_items * 3 + 1), shape.n_items, replace=False))
    years = rng.integers(1920, shape.end_year + 1, shape.n_items)
    written = 0
    with (dest / "ratings.csv").open("wb") as fh:
        fh.write(b"userId,movieId,rating,timestamp\n")
        for users, items, ratings in planted.blocks(chunk_ratings):
            table = pa.table({
                "userId": users + 1,
                "movieId": movie_ids[items],
                "rating": _star_text(ratings),
                "timestamp": _timestamps(shape, rng, len(users)),
            })
            pacsv.write_csv(table, fh, pacsv.WriteOptions(include_header=False, quoting_style="none"))
            written += len(users)
    genres = ["|".join(sorted(rng.choice(GENRES, rng.integers(1, 4), replace=False))) for _ in range(shape.n_items)]
    pd.DataFrame({"movieId": movie_ids, "title": _titles(rng, shape.n_items, years), "genres": genres}).to_csv(
        dest / "movies.csv", index=False)
    pd.DataFrame({"movieId": movie_ids, "imdbId": [f"{i:07d}" for i in rng.integers(1, 9_999_999, shape.n_items)],
                  "tmdbId": rng.integers(1, 999_999, shape.n_items)}).to_csv(dest / "links.csv", index=False)
    if with_tags:
        n_tags = max(1, shape.n_ratings // 30)
        pd.DataFrame({
            "userId": rng.integers(1, shape.n_users + 1, n_tags),
            "movieId": movie_ids[rng.choice(shape.n_items, n_tags, p=planted.item_p)],
            "tag": rng.choice(["funny", "dark", "classic", "slow, but good", "twist ending"], n_tags),
            "timestamp": _timestamps(shape, rng, n_tags),
        }).to_csv(dest / "tags.csv", index=False)
    return {"ratings": written, "movies": shape.n_items}


def write_100k_release(dest: Path, shape: Shape | None = None, seed: int = 42, with_u1: bool = True) -> dict[str, int]:
    """Write ``u.data`` (tab), ``u.item`` (pipe, latin-1, 19 genre flags) and ``u1.base/u1.test``."""
    shape = shape or Shape(943, 1682, 100_000, half_stars=False, start_year=1997, end_year=1998)
    dest.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    users, items, ratings = PlantedRatings(shape, rng).draw(shape.n_ratings)
    data = pd.DataFrame({
        "user": users + 1, "item": items + 1,
        "rating": ratings.astype(int),
        "ts": rng.integers(874_724_710, 893_286_638, len(users)),
    })
    data.to_csv(dest / "u.data", sep="\t", header=False, index=False)
    years = rng.integers(1922, 1999, shape.n_items)
    titles = _titles(rng, shape.n_items, years)
    titles[0] = "Café Crème, Le (1995)"  # latin-1 text, as in the real u.item
    with (dest / "u.item").open("w", encoding="latin-1") as fh:
        for i in range(shape.n_items):
            flags = np.zeros(len(ML100K_GENRES), int)
            flags[rng.choice(np.arange(1, len(ML100K_GENRES)), rng.integers(1, 3), replace=False)] = 1
            fh.write(f"{i + 1}|{titles[i]}|01-Jan-{years[i]}||http://us.imdb.com/M/title-exact?x|"
                     + "|".join(map(str, flags)) + "\n")
    if with_u1:
        test = rng.random(len(data)) < 0.2
        data[~test].to_csv(dest / "u1.base", sep="\t", header=False, index=False)
        data[test].to_csv(dest / "u1.test", sep="\t", header=False, index=False)
    return {"ratings": len(data), "movies": shape.n_items}


def add_demo_faults(release_dir: Path, seed: int = 7) -> dict[str, int]:
    """Append a few duplicates and bad rows to a CSV release, so a demo shows dedup and quarantine.

    Returns:
        How many of each kind were added.
    """
    rng = np.random.default_rng(seed)
    ratings = pd.read_csv(release_dir / "ratings.csv", dtype=str)
    picks = ratings.sample(10, random_state=seed)
    exact = picks.iloc[:5]
    rerated = picks.iloc[5:].copy()
    rerated["timestamp"] = (rerated["timestamp"].astype(int) + 86_400).astype(str)
    rerated["rating"] = rng.choice(["1.0", "2.5", "4.5"], len(rerated))
    bad_lines = [
        "1,{m},7.0,1300000000", "2,{m},-1.0,1300000000", "3,{m},3.7,1300000000",  # off the scale
        "abc,{m},4.0,1300000000", "4,x1,3.0,1300000000",                        # non-numeric ids
        "5,99999999,4.0,1300000000",                                             # unknown movie
        "6,{m},4.0",                                                             # missing column
    ]
    movie = ratings["movieId"].iloc[0]
    with (release_dir / "ratings.csv").open("a") as fh:
        for frame in (exact, rerated):
            for row in frame.itertuples(index=False):
                fh.write(",".join(row) + "\n")
        for line in bad_lines:
            fh.write(line.format(m=movie) + "\n")
    return {"exact_duplicates": len(exact), "re_ratings": len(rerated), "bad_rows": len(bad_lines)}
