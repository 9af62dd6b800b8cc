"""The layout writers: the one planted-ratings generator's draws, in each GroupLens layout, within the
table contracts of ``schemas/``."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from cinepipe.movielens import stage
from cinepipe.movielens.source import resolve
from cinepipe.movielens.synthetic import Shape, write_100k_release, write_csv_release
from cinepipe.recsys.synthetic import PlantedRatings

LAYOUTS = {
    "ml-latest-small": lambda dest: write_csv_release(dest, Shape(n_users=80, n_items=120, n_ratings=3_000), seed=5),
    # ml-25m's path: ratings written in user-range blocks (here four), dates of its years
    "ml-25m": lambda dest: write_csv_release(
        dest, Shape(n_users=150, n_items=100, n_ratings=4_000, start_year=1995, end_year=2019), seed=25,
        chunk_ratings=1_000),
    "ml-100k": lambda dest: write_100k_release(
        dest, Shape(100, 140, 2_500, half_stars=False, start_year=1997, end_year=1998), seed=42),
}


@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_each_layout_writer_passes_the_table_contracts(home, tmp_path, layout):
    dest = tmp_path / layout
    counts = LAYOUTS[layout](dest)
    release = resolve(str(dest), home)
    stage_dir = stage.stage_dir_for(home, release.content_key)
    parsed = stage.parse_release(release.root, release.layout, stage_dir, home)
    assert (parsed["ratings"], parsed["movies"]) == (counts["ratings"], counts["movies"])
    # the row checks of schemas/movielens_{ratings,movies,tags}.json over every row
    checked = stage.check_release(stage_dir, release.layout, home, source=layout, max_bad_fraction=0.0,
                                  gx_max_rows=home.gx_max_rows)
    assert checked.failures == {} and checked.rows_quarantined == 0
    # the grain, one rating per (user, movie): nothing to deduplicate
    assert stage.dedupe_and_filter(stage_dir, home, 0, 0)["rows_out"] == counts["ratings"]
    # and the Great Expectations run of the same suites
    report = tmp_path / "gx.json"
    assert stage.gx_report(stage_dir, release.layout, report)
    assert json.loads(report.read_text())["movielens_movies"]["success"]


def test_the_100k_writer_writes_what_the_generator_draws(tmp_path):
    shape = Shape(60, 90, 1_200, half_stars=False)
    write_100k_release(tmp_path, shape, seed=9, with_u1=False)
    users, items, ratings = PlantedRatings(shape, np.random.default_rng(9)).draw(shape.n_ratings)
    written = pd.read_csv(tmp_path / "u.data", sep="\t", header=None, names=["user", "item", "rating", "ts"])
    assert (written["user"].to_numpy() == users + 1).all() and (written["item"].to_numpy() == items + 1).all()
    assert (written["rating"].to_numpy() == ratings).all()


def test_ratings_written_in_blocks_are_distinct_pairs_and_as_many_as_asked(tmp_path):
    shape = Shape(n_users=90, n_items=70, n_ratings=2_000)
    write_csv_release(tmp_path, shape, seed=3, chunk_ratings=500)
    ratings = pd.read_csv(tmp_path / "ratings.csv")
    assert not ratings.duplicated(["userId", "movieId"]).any()
    assert set(ratings["rating"]) <= {k / 2 for k in range(1, 11)}
    # four blocks of users in turn, each with its share of the ratings by user activity
    assert ratings["userId"].is_monotonic_increasing and abs(len(ratings) - shape.n_ratings) <= 4
