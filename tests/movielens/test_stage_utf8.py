"""A title with bytes that are not UTF-8 is repaired and flagged, not rejected with its ratings."""

from __future__ import annotations

from cinepipe.movielens import load, stage
from cinepipe.movielens.source import resolve
from cinepipe.storage import warehouse

BAD = b"\xff\xfe"


def _spoil_titles(release_dir, n: int) -> list[int]:
    """Put bad bytes into the first ``n`` titles; their movie ids."""
    path = release_dir / "movies.csv"
    lines = path.read_bytes().split(b"\n")
    ids = []
    for i in range(1, n + 1):
        movie_id, rest = lines[i].split(b",", 1)
        lines[i] = movie_id + b"," + rest[:3] + BAD + rest[3:]
        ids.append(int(movie_id))
    path.write_bytes(b"\n".join(lines))
    return ids


def test_bad_bytes_in_titles_keep_the_movie_its_ratings_and_tags(home, small_csv_dir):
    ids = _spoil_titles(small_csv_dir, 4)
    release = resolve(str(small_csv_dir), home)
    sd = stage.stage_dir_for(home, release.content_key)
    parsed = stage.parse_release(release.root, release.layout, sd, home)
    assert parsed["repaired_lines"] == 4 and parsed["rejected_lines"] == 0
    checked = stage.check_release(sd, release.layout, home, source="test", max_bad_fraction=home.max_bad_fraction,
                                  gx_max_rows=home.gx_max_rows)
    assert checked.rows_quarantined == 0
    stage.dedupe_and_filter(sd, home, 0, 0)
    loaded = load.load_release(sd, dataset=release.dataset, content_key=release.content_key, source="test",
                               run_id="run-1", settings=home)
    assert loaded["quarantined"] == 0
    with warehouse.connect(home, read_only=True) as con:
        movies = con.execute("select movie_id, title, title_repaired from movielens_movies order by movie_id").fetchall()
        flagged = {m for m, _, repaired in movies if repaired}
        assert flagged == set(ids)
        assert all("\ufffd" in title for m, title, _ in movies if m in flagged)
        assert not any("\ufffd" in title for m, title, _ in movies if m not in flagged)
        kept = con.execute("select count(*) from movielens_ratings where movie_id in (select unnest(?))",
                           [ids]).fetchone()[0]
        quarantined = con.execute("select count(*) from quarantine").fetchone()[0]
    source_ratings = [line.split(",") for line in (small_csv_dir / "ratings.csv").read_text().splitlines()[1:]]
    assert kept == sum(int(r[1]) in ids for r in source_ratings) > 0
    assert quarantined == 0


def test_a_clean_file_is_read_in_place_and_an_unparseable_line_is_quarantined_alone(home, small_csv_dir, tmp_path):
    assert stage.repair_utf8(small_csv_dir / "movies.csv", tmp_path / "copy.csv") == (small_csv_dir / "movies.csv", [])
    assert not (tmp_path / "copy.csv").exists()
    path = small_csv_dir / "movies.csv"
    path.write_bytes(path.read_bytes() + b"not-a-number,Broken \xff (2001),Drama\n")
    release = resolve(str(small_csv_dir), home)
    sd = stage.stage_dir_for(home, release.content_key)
    parsed = stage.parse_release(release.root, release.layout, sd, home)
    assert parsed["repaired_lines"] == 1 and parsed["rejected_lines"] == 1  # repaired, yet still no movie id
    with stage.stage_db(sd, home, read_only=True) as con:
        (raw, reason), = con.execute("select raw, reason from rejects").fetchall()
    assert raw.startswith("not-a-number,Broken \ufffd") and "unparseable line" in reason
