"""Reading parts of the snapshot for the top-N parts and the incremental refresh."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cinepipe.movielens.export import read_part_ratings, read_users_ratings
from cinepipe.movielens.snapshot import _compact_ids


def _snapshot(tmp_path):
    users = np.repeat(np.arange(1, 2001), 5)
    ratings = pd.DataFrame({"user_id": users, "movie_id": np.tile(np.arange(10, 15), 2000),
                            "rating": np.tile([1.0, 2.5, 3.0, 4.5, 5.0], 2000)})
    ratings.to_parquet(tmp_path / "ratings.parquet", index=False, row_group_size=1000)
    return ratings


def test_read_users_ratings_reads_exactly_those_users(tmp_path):
    ratings = _snapshot(tmp_path)
    got = read_users_ratings(tmp_path, [1500, 3, 3, 999_999])
    expected = ratings[ratings.user_id.isin([3, 1500])].reset_index(drop=True)
    pd.testing.assert_frame_equal(got.sort_values(["user_id", "movie_id"]).reset_index(drop=True), expected)
    assert read_users_ratings(tmp_path, []).empty
    assert len(read_part_ratings(tmp_path, 10, 19)) == 50


def test_ids_are_narrowed_only_where_they_fit():
    small = _compact_ids(pd.DataFrame({"user_id": [1, 2], "movie_id": [3, 4], "rating": [1.0, 2.0]}))
    assert small.user_id.dtype == np.int32 and small.movie_id.dtype == np.int32 and small.rating.dtype == np.float64
    wide = _compact_ids(pd.DataFrame({"user_id": [1, 2**40], "movie_id": [3, 4], "rating": [1.0, 2.0]}))
    assert wide.user_id.dtype == np.int64 and wide.user_id.iloc[1] == 2**40 and wide.movie_id.dtype == np.int32


def test_partial_snapshot_holds_the_users_ratings_and_every_movies_count(home, small_csv_dir, ingest_release):
    from cinepipe.movielens.export import movie_popularity
    from cinepipe.movielens.snapshot import (
        read_ratings,
        snapshot_for_users,
        snapshot_ratings,
    )

    ingest_release(home, small_csv_dir)
    full = snapshot_ratings(home, "ml-latest-small")
    part = snapshot_for_users(home, "ml-latest-small", [7, 3, 3, 50])
    assert part["partial"] and part["key"] == full["key"] and part["n_ratings"] == full["n_ratings"]
    everything = read_ratings(full)
    mine = read_ratings(part)
    assert "rated_at_epoch_s" in everything  # time_ease orders each user's ratings by it
    expected = everything[everything.user_id.isin([3, 7, 50])].reset_index(drop=True)
    pd.testing.assert_frame_equal(mine.reset_index(drop=True), expected)
    items = np.array(sorted(everything.movie_id.unique()) + [999_999])
    counts = everything.movie_id.value_counts().reindex(items, fill_value=0).to_numpy(np.float64)
    assert np.array_equal(movie_popularity(part["dir"], items), counts)
    assert np.array_equal(movie_popularity(full["dir"], items), counts)  # the same from the full snapshot


def test_old_snapshots_are_pruned_beyond_the_newest_kept(home, small_csv_dir, ingest_release, monkeypatch):
    """Each new rating state writes a snapshot: past ``keep_snapshots`` the oldest go, but never
    one used within the last hour (a running flow may read it); a reused one counts as new."""
    import os
    import time
    from pathlib import Path

    from cinepipe.movielens import snapshot as snap
    from cinepipe.storage import warehouse

    def rate(value):  # a new state of the dataset's ratings, so a new snapshot key
        with warehouse.transaction(home) as con:
            con.execute("update movielens_ratings set rating = ? where rowid = (select min(rowid) from movielens_ratings)",
                        [value])

    def take(hours_ago=0.0):
        out = Path(snap.snapshot_ratings(home, "ml-latest-small")["dir"])
        if hours_ago:
            then = time.time() - hours_ago * 3600
            os.utime(out, (then, then))
        return out

    monkeypatch.setattr(home, "keep_snapshots", 2)
    ingest_release(home, small_csv_dir)
    made = [take(5)]
    rate(0.5)
    made.append(take(4))
    rate(1.0)
    made.append(take(3))
    rate(1.5)
    fresh = take()
    assert [d.exists() for d in made] == [False, False, True] and fresh.exists()
    rate(2.0)
    second = take()
    assert not made[2].exists()
    rate(2.5)
    third = take()
    part = Path(snap.snapshot_for_users(home, "ml-latest-small", [3])["dir"])
    assert all(d.exists() for d in (fresh, second, third, part))  # beyond two, but used this hour
    for d in (fresh, second):
        then = time.time() - 2 * 3600
        os.utime(d, (then, then))
    rate(1.5)  # back to fresh's ratings: the snapshot is reused, and that use makes it new
    assert take() == fresh
    assert fresh.exists() and not second.exists() and third.exists() and part.exists()
