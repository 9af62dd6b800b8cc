"""New ratings: inbox checks, exactly-once apply, and reloads that keep added ratings."""

from __future__ import annotations

import pytest

from cinepipe.errors import ValidationFailed
from cinepipe.movielens import incremental
from cinepipe.ops.inbox import add_ratings
from cinepipe.storage import warehouse

pytestmark = pytest.mark.usefixtures("prefect_harness")


def _movies(settings, n=3):
    with warehouse.connect(settings, read_only=True) as con:
        return [r[0] for r in con.execute("select movie_id from movielens_movies order by movie_id limit ?", [n]).fetchall()]


def _count(settings, where="true"):
    with warehouse.connect(settings, read_only=True) as con:
        return con.execute(f"select count(*) from movielens_ratings where {where}").fetchone()[0]


def test_new_ratings_are_applied_exactly_once(home, small_csv_dir, tmp_path, ingest_release):
    ingest_release(home, small_csv_dir)
    before = _count(home)
    m = _movies(home)
    new = tmp_path / "new.csv"
    new.write_text("user_id,movie_id,rating,timestamp\n"
                   f"9001,{m[0]},4.5,1600000000\n9001,{m[1]},3.0,1600000100\n9002,{m[2]},5.0,1600000200\n")
    first = add_ratings(home, new)
    assert first["accepted"] == 3 and not first["already_added"]
    assert first["event"] == "cinepipe.ratings.added"  # the test harness is a Prefect server
    assert add_ratings(home, new)["already_added"] is True  # the same file twice: no-op
    out = incremental.apply_inbox(home, run_id="inc-1")
    assert out["applied"] == {"ml-latest-small": 3}
    assert out["touched_users"] == {"ml-latest-small": [9001, 9002]}
    again = incremental.apply_inbox(home, run_id="inc-2")  # a retry finds nothing to do
    assert again["applied"] == {}
    assert _count(home) == before + 3
    ingest_release(home, small_csv_dir)  # a reload of the release keeps the added ratings
    assert _count(home, "user_id in (9001, 9002)") == 3


def test_ml100k_lines_and_rejects(home, ml100k_dir, tmp_path, ingest_release):
    ingest_release(home, ml100k_dir)
    lines = tmp_path / "u.data"
    lines.write_text("".join(f"{900 + i}\t{1 + i}\t{1 + i % 5}\t890000000\n" for i in range(200)) + "1\t2\t4\n")
    out = add_ratings(home, lines, dataset="ml-100k")
    assert out["accepted"] == 200 and out["quarantined"] == 1
    with warehouse.connect(home, read_only=True) as con:
        assert con.execute("select count(*) from quarantine where source like 'inbox:%'").fetchone()[0] == 1


def test_a_mostly_bad_file_is_refused_and_nothing_is_added(home, small_csv_dir, tmp_path, ingest_release):
    ingest_release(home, small_csv_dir)
    bad = tmp_path / "bad.csv"
    bad.write_text("user_id,movie_id,rating,timestamp\n1,1,9.0,1600000000\n2,99999999,4.0,1600000000\n")
    with pytest.raises(ValidationFailed, match="nothing was added"):
        add_ratings(home, bad)
    assert incremental.pending_files(home) == []


def test_backfill_partitions_apply_days_in_order(home, small_csv_dir, tmp_path, ingest_release):
    from datetime import date

    ingest_release(home, small_csv_dir)
    m = _movies(home)
    new = tmp_path / "days.csv"
    # 2020-09-13 12:26:40 UTC and 2020-09-14 16:13:20 UTC
    new.write_text(f"user_id,movie_id,rating,timestamp\n9100,{m[0]},4.0,1600000000\n9100,{m[1]},2.0,1600100000\n")
    add_ratings(home, new)
    first = incremental.apply_inbox(home, run_id="d1", until_day=date(2020, 9, 13))
    assert first["applied"] == {"ml-latest-small": 1}
    assert len(incremental.pending_files(home)) == 1  # the later day is still due
    second = incremental.apply_inbox(home, run_id="d2", until_day=date(2020, 9, 14))
    assert second["applied"] == {"ml-latest-small": 1} and incremental.pending_files(home) == []



def test_a_line_with_several_bad_fields_is_one_rejected_rating(home, small_csv_dir, tmp_path, ingest_release):
    ingest_release(home, small_csv_dir)
    m = _movies(home, 1)[0]
    new = tmp_path / "new.csv"
    new.write_text("user_id,movie_id,rating,timestamp\n" + "".join(f"{9000 + i},{m},4.0,1600000000\n" for i in range(300))
                   + "abc,xyz,four,1600000000\n")
    out = add_ratings(home, new)
    assert out["accepted"] == 300 and out["quarantined"] == 1


def test_two_adds_of_the_same_file_at_once_add_it_once(home, small_csv_dir, tmp_path, ingest_release):
    from concurrent.futures import ThreadPoolExecutor

    ingest_release(home, small_csv_dir)
    m = _movies(home, 2)
    new = tmp_path / "new.csv"
    new.write_text("user_id,movie_id,rating,timestamp\n" + "".join(
        f"{9000 + i},{m[i % 2]},3.5,1600000000\n" for i in range(2000)))
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: add_ratings(home, new), range(4)))
    assert sorted(r["already_added"] for r in results) == [False, True, True, True]
    assert sum(r["accepted"] for r in results) == 2000
    assert len(incremental.pending_files(home)) == 1
    assert not list((home.staging_dir / "inbox").iterdir())  # no scratch left behind
