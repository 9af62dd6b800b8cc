"""Errors that help: a refused file names its first bad lines; an unknown dataset lists the known ones."""

from __future__ import annotations

import pytest

from cinepipe.errors import CinepipeError, ValidationFailed
from cinepipe.movielens.recommend import latest_list
from cinepipe.ops.inbox import add_ratings
from cinepipe.storage import warehouse


def test_a_refused_file_names_its_first_bad_lines(home, small_csv_dir, tmp_path, ingest_release):
    ingest_release(home, small_csv_dir)
    bad = tmp_path / "bad.csv"
    bad.write_text("user_id,movie_id,rating,timestamp\n1,1,9.0,1600000000\n2,99999999,4.0,1600000000\n"
                   "3,1,4.0,1600000000\n")
    with pytest.raises(ValidationFailed) as refused:
        add_ratings(home, bad)
    message = str(refused.value)
    assert "first bad:" in message
    assert "'1,1,9.0,1600000000'" in message and "99999999" in message


def test_an_unknown_dataset_lists_the_known_ones(home, small_csv_dir, ingest_release):
    ingest_release(home, small_csv_dir)
    with warehouse.transaction(home) as con:
        con.execute("insert into recommendations (run_id, dataset, user_id, rank, movie_id, title, score)"
                    " values ('r', 'ml-latest-small', 1, 1, 1, 'Toy Story', 4.5)")
    with pytest.raises(CinepipeError, match="no lists for dataset 'nope'.*Known datasets: ml-latest-small"):
        latest_list(home, user_id=1, dataset="nope")
    with pytest.raises(CinepipeError, match="user 99 has no list"):
        latest_list(home, user_id=99, dataset="ml-latest-small")
