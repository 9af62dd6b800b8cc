"""Parse, check, dedupe and load on real DuckDB files."""

from __future__ import annotations

import duckdb
import pytest

from cinepipe.errors import ValidationFailed
from cinepipe.movielens import load, stage
from cinepipe.movielens.source import resolve
from cinepipe.storage import warehouse


def _stage(home, path, min_user=0, min_movie=0):
    release = resolve(str(path), home)
    sd = stage.stage_dir_for(home, release.content_key)
    parsed = stage.parse_release(release.root, release.layout, sd, home)
    checked = stage.check_release(sd, release.layout, home, source=str(path), max_bad_fraction=home.max_bad_fraction,
                                   gx_max_rows=home.gx_max_rows)
    deduped = stage.dedupe_and_filter(sd, home, min_user, min_movie)
    return release, sd, parsed, checked, deduped


def _load(home, release, sd, run_id="run-1", key=None):
    return load.load_release(sd, dataset=release.dataset, content_key=key or release.content_key,
                             source="test", run_id=run_id, settings=home)


def test_ml100k_layout_loads_every_rating_and_movie(home, ml100k_dir):
    release, sd, parsed, checked, _ = _stage(home, ml100k_dir)
    assert parsed["ratings"] == 100_000 and parsed["movies"] == 1_682
    assert checked.rows_quarantined == 0
    result = _load(home, release, sd)
    assert result["rows"]["movielens_ratings"] == 100_000
    assert result["rows"]["movielens_movies"] == 1_682
    with warehouse.connect(home, read_only=True) as con:
        title, year, genres = con.execute(
            "select title, year, genres from movielens_movies where movie_id = 1").fetchone()
        assert (title, year) == ("Café Crème, Le", 1995)  # latin-1 decoded, year split off
        assert genres == sorted(genres) and all(g == g.lower() for g in genres)
        tz = con.execute("select typeof(rated_at) from movielens_ratings limit 1").fetchone()[0]
        assert tz == "TIMESTAMP WITH TIME ZONE"
    with duckdb.connect(str(sd / stage.STAGE_DB), read_only=True) as con:
        assert con.execute("select count(*) from split_u1").fetchone()[0] == 100_000


def test_csv_titles_with_commas_and_quotes_and_years(home, small_csv_dir):
    movies = small_csv_dir / "movies.csv"
    movies.write_text(movies.read_text() + '999001,"11\'09""01 - September 11 (2002)",Drama\n'
                      '999002,"Matrix, The (1999)",Action|Sci-Fi\n999003,Untitled Project,(no genres listed)\n'
                      '999004,Babylon 5 (1994) ,Sci-Fi\n')
    release, sd, parsed, _, _ = _stage(home, small_csv_dir)
    with duckdb.connect(str(sd / stage.STAGE_DB), read_only=True) as con:
        rows = dict((r[0], r[1:]) for r in con.execute(
            "select movie_id, title, year, genres from stg_movies where movie_id > 999000").fetchall())
    assert rows[999001][:2] == ("11'09\"01 - September 11", 2002)
    assert rows[999002] == ("Matrix, The", 1999, ["action", "sci-fi"])
    assert rows[999003] == ("Untitled Project", None, [])
    assert rows[999004][:2] == ("Babylon 5", 1994)


def test_bad_rows_are_quarantined_with_their_reason(home, small_csv_dir):
    with (small_csv_dir / "ratings.csv").open("a") as fh:
        fh.write("1,1,9.5,1300000000\nabc,1,4.0,1300000000\n2,123456789,4.0,1300000000\n")
    release, sd, _, checked, _ = _stage(home, small_csv_dir)
    assert checked.rows_quarantined == 3
    _load(home, release, sd)
    with warehouse.connect(home, read_only=True) as con:
        reasons = {r[0]: r[1] for r in con.execute("select raw, reason from quarantine").fetchall()}
    assert "scale" in reasons["1,1,9.5,1300000000"]
    assert "unparseable" in reasons["abc,1,4.0,1300000000"]
    assert "not in the release's movie table" in reasons["2,123456789,4.0,1300000000"]


def test_too_many_bad_rows_fail_before_loading_and_keep_the_warehouse(home, small_csv_dir, ml100k_dir):
    good, gsd, *_ = _stage(home, ml100k_dir)
    _load(home, good, gsd)
    before = warehouse.table_counts(home)
    with (small_csv_dir / "ratings.csv").open("a") as fh:
        for i in range(100):
            fh.write(f"{i + 1},1,11.0,1300000000\n")
    with pytest.raises(ValidationFailed, match=r"100 rows: rating is outside") as info:
        _stage(home, small_csv_dir)
    assert "nothing was loaded" in str(info.value)
    assert warehouse.table_counts(home) == before
    # the rows the message points at are kept in the staging database (the checks' step committed)
    sd = stage.stage_dir_for(home, resolve(str(small_csv_dir), home).content_key)
    assert str(sd / stage.STAGE_DB) in str(info.value)
    with duckdb.connect(str(sd / stage.STAGE_DB), read_only=True) as con:
        assert con.execute("select count(*) from rejects where reason like '%rating is outside%'").fetchone()[0] == 100


def test_duplicates_keep_the_latest_rating(home, small_csv_dir):
    lines = (small_csv_dir / "ratings.csv").read_text().splitlines()
    u, m, _, ts = lines[1].split(",")
    with (small_csv_dir / "ratings.csv").open("a") as fh:
        fh.write(lines[1] + "\n" + lines[1] + "\n")        # exact duplicates
        fh.write(f"{u},{m},0.5,{int(ts) + 10}\n")           # a later re-rating wins
    release, sd, _, _, deduped = _stage(home, small_csv_dir)
    assert deduped["exact_duplicates_dropped"] == 2
    assert deduped["superseded_ratings_dropped"] == 1
    _load(home, release, sd)
    with warehouse.connect(home, read_only=True) as con:
        rating, n = con.execute(
            "select max(rating), count(*) from movielens_ratings where user_id = ? and movie_id = ?", [int(u), int(m)]
        ).fetchone()
    assert (rating, n) == (0.5, 1)


def test_activity_filters_drop_sparse_users_and_movies(home, small_csv_dir):
    *_, deduped = _stage(home, small_csv_dir, min_user=40, min_movie=20)
    assert deduped["filtered_out"] > 0
    sd = stage.stage_dir_for(home, resolve(str(small_csv_dir), home).content_key)
    with duckdb.connect(str(sd / stage.STAGE_DB), read_only=True) as con:
        assert con.execute("select min(c) from (select count(*) c from final_ratings group by movie_id)").fetchone()[0] >= 20


def test_check_and_dedupe_rerun_on_the_same_stage_file(home, small_csv_dir):
    """A changed filter or bad-row limit reruns the later steps on the cached parse: each step
    replaces what its last run left, a table where a view was and the other way round."""
    movies = small_csv_dir / "movies.csv"
    movies.write_text(movies.read_text() + "1,A repeated id (2001),Drama\n")
    release, sd, _, checked, filtered = _stage(home, small_csv_dir, min_user=40)
    assert checked.failures["movies: movie_id is repeated"] == 1
    plain = stage.dedupe_and_filter(sd, home, 0, 0)      # final_ratings: a table before, a view now
    assert plain["rows_out"] > filtered["rows_out"]
    assert stage.dedupe_and_filter(sd, home, 40, 0) == filtered
    movies.write_text("".join(movies.read_text().splitlines(keepends=True)[:-1]))
    stage.parse_release(release.root, release.layout, sd, home)
    stage.check_release(sd, release.layout, home, source="test", max_bad_fraction=0.01, gx_max_rows=1000)
    with duckdb.connect(str(sd / stage.STAGE_DB)) as con:  # an earlier run's copy stands where the view goes
        con.execute("drop view valid_movies")
        con.execute("create table valid_movies as select * from stg_movies")
    again = stage.check_release(sd, release.layout, home, source="test", max_bad_fraction=0.01, gx_max_rows=1000)
    assert "movies: movie_id is repeated" not in again.failures
    assert stage.dedupe_and_filter(sd, home, 0, 0)["rows_out"] == plain["rows_out"]


def test_a_failed_load_leaves_the_warehouse_as_it_was_and_a_rerun_converges(home, small_csv_dir, ml100k_dir, monkeypatch):
    first, fsd, *_ = _stage(home, ml100k_dir)
    _load(home, first, fsd)
    before = warehouse.table_counts(home)
    release, sd, *_ = _stage(home, small_csv_dir)

    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(warehouse, "log_load", boom)
    with pytest.raises(RuntimeError, match="disk full"):
        _load(home, release, sd)
    assert warehouse.table_counts(home) == before
    monkeypatch.undo()
    _load(home, release, sd)
    _load(home, release, sd, run_id="run-2")  # a second load of the same content is a no-op
    with warehouse.connect(home, read_only=True) as con:
        per_dataset = dict(con.execute(
            "select dataset, count(*) from movielens_ratings group by dataset").fetchall())
    assert per_dataset == {"ml-100k": 100_000, "ml-latest-small": 2_000}


def test_a_warehouse_from_the_earlier_schema_is_migrated_and_reloads_cleanly(home, ml100k_dir):
    # earlier versions wrote origin 'release' (NOT NULL) on every release row
    home.warehouse_path.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(home.warehouse_path)) as con:
        con.execute(
            "create table movielens_ratings (dataset varchar not null, user_id bigint not null, "
            "movie_id bigint not null, rating double not null, rated_at timestamptz not null, "
            "origin varchar not null default 'release', load_run_id varchar)")
        con.execute("insert into movielens_ratings values "
                    "('ml-100k', 1, 1, 3, '1998-01-01', 'release', 'old'), "
                    "('ml-100k', 999, 1, 5, '2030-01-01', 'inbox:abc', 'old')")
    release, sd, *_ = _stage(home, ml100k_dir)
    _load(home, release, sd)
    with warehouse.connect(home, read_only=True) as con:
        origins = dict(con.execute(
            "select coalesce(origin, 'release'), count(*) from movielens_ratings group by all").fetchall())
    # the old release row was replaced by the new release, the inbox rating survived
    assert origins == {"release": 100_000, "inbox:abc": 1}


@pytest.mark.shared_data
def test_real_ml_latest_small_loads_100836_ratings_and_9742_movies(home, shared_data):
    release, sd, _, checked, _ = _stage(home, shared_data / "ml-latest-small")
    result = _load(home, release, sd)
    assert checked.rows_quarantined == 0
    assert result["rows"]["movielens_ratings"] == 100_836
    assert result["rows"]["movielens_movies"] == 9_742


@pytest.mark.parametrize(
    ("pairs", "expected"),
    [
        ([(1, 1), (1, 5), (2, 1), (2, 2), (3, 9)], True),
        ([(1, 1), (1, 5), (1, 5), (2, 1)], False),  # a repeat right after itself
        ([(1, 1), (1, 5), (2, 1), (1, 7)], False),  # unsorted: the caller counts instead
        ([(1, 1), (2, 3), (2, 3)], False),  # a repeat across the batch boundary below
        ([], True),
    ],
)
def test_strictly_increasing_pairs_prove_uniqueness_across_batches(pairs, expected):
    with duckdb.connect() as con:
        con.execute("create table t (user_id bigint, movie_id bigint)")
        if pairs:
            con.executemany("insert into t values (?, ?)", pairs)
        assert stage._pairs_strictly_increase(con, "t", batch_rows=2) is expected


def test_an_unsorted_release_with_repeats_is_still_deduplicated(home, tmp_path):
    root = tmp_path / "ml-latest-small"
    root.mkdir()
    (root / "movies.csv").write_text("movieId,title,genres\n1,A (1999),Drama\n2,B (2000),Comedy\n")
    (root / "ratings.csv").write_text(
        "userId,movieId,rating,timestamp\n2,1,4.0,900000000\n1,2,3.0,900000000\n2,1,5.0,900000200\n1,1,1.0,900000050\n")
    release, sd, _, _, deduped = _stage(home, root)
    assert deduped["superseded_ratings_dropped"] == 1 and deduped["rows_out"] == 3


def test_a_home_and_a_release_whose_paths_hold_a_quote(tmp_path, monkeypatch, small_csv_dir):
    """Paths go into DuckDB's SQL as string literals: an apostrophe in them must not break it."""
    from cinepipe.movielens import snapshot
    from cinepipe.settings import get_settings, reset_settings

    monkeypatch.setenv("CINEPIPE_HOME", str(tmp_path / "o'brien's home"))
    reset_settings()
    try:
        settings = get_settings()
        settings.ensure_dirs()
        release_dir = small_csv_dir.rename(tmp_path / "it's ml-latest-small")
        release, sd, parsed, checked, _ = _stage(settings, release_dir)
        assert (sd / stage.GX_SAMPLE / "ratings.parquet").is_file()
        assert _load(settings, release, sd)["rows"]["movielens_ratings"] == parsed["ratings"] - checked.rows_quarantined
        snap = snapshot.snapshot_ratings(settings, release.dataset)
        assert snap["n_ratings"] == parsed["ratings"] - checked.rows_quarantined
    finally:
        reset_settings()


def test_a_line_with_several_bad_fields_is_one_rejected_row(home, small_csv_dir):
    """0.5% of the lines unparseable, each with two or three bad fields: the release loads, and
    the quarantine and the bad fraction count lines, not fields."""
    ratings = small_csv_dir / "ratings.csv"
    n_good = len(ratings.read_text().splitlines()) - 1
    n_bad = max(1, n_good // 200)
    bad_lines = [("abc,xyz,4.0,1300000000", "x1,y1,z1,1300000000", "u,v,4.5,t")[i % 3] for i in range(n_bad)]
    with ratings.open("a") as fh:
        fh.write("".join(f"{line}\n" for line in bad_lines))
    release, sd, parsed, checked, _ = _stage(home, small_csv_dir)
    assert parsed["rejected_lines"] == n_bad
    assert checked.rows_quarantined == n_bad
    assert checked.rows_in == n_good + n_bad
    assert checked.bad_fraction == pytest.approx(n_bad / (n_good + n_bad))
    _load(home, release, sd)
    with warehouse.connect(home, read_only=True) as con:
        rows = con.execute("select raw, reason from quarantine where reason like 'unparseable%'").fetchall()
    assert len(rows) == n_bad
    assert sorted(r[0] for r in rows) == sorted(bad_lines)
    three_fields = next(reason for raw, reason in rows if raw == "x1,y1,z1,1300000000")
    assert three_fields.count("Could not convert") == 3  # every reason of the line, in one row
