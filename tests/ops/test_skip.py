"""Branch-level skipping: a branch is skipped only when nothing it read has changed."""

from __future__ import annotations

from cinepipe.ops import skip
from cinepipe.storage import warehouse


def _warehouse(home):
    with warehouse.connect(home):
        pass


def _log(home, table, key):
    with warehouse.transaction(home) as con:
        warehouse.log_load(con, run_id="r", table_name=table, partition_key="d", content_key=key, rows_loaded=1)


def test_fingerprint_follows_the_source_the_loads_and_the_parameters(home, tmp_path):
    _warehouse(home)
    source = tmp_path / "release"
    source.mkdir()
    (source / "ratings.csv").write_text("userId,movieId,rating,timestamp\n1,1,4.0,900000000\n")
    first = skip.fingerprint(home, "movielens", str(source), {"quick": True})
    assert first == skip.fingerprint(home, "movielens", str(source), {"quick": True})
    assert first != skip.fingerprint(home, "movielens", str(source), {"quick": False})
    _log(home, "naver_scores", "n1")  # another branch's load changes nothing here
    assert skip.fingerprint(home, "movielens", str(source), {"quick": True}) == first
    _log(home, "movielens_ratings", "k1")
    after_load = skip.fingerprint(home, "movielens", str(source), {"quick": True})
    assert after_load != first
    (source / "ratings.csv").write_text("userId,movieId,rating,timestamp\n1,1,5.0,900000000\n")
    assert skip.fingerprint(home, "movielens", str(source), {"quick": True}) != after_load


def test_an_applied_inbox_file_changes_the_movielens_fingerprint_only(home, tmp_path):
    _warehouse(home)
    source = tmp_path / "reviews.tar.gz"
    source.write_bytes(b"not really a tarball")
    before = {b: skip.fingerprint(home, b, str(source), {}) for b in ("movielens", "imdb")}
    with warehouse.transaction(home) as con:
        con.execute("insert into inbox_files (content_sha256, dataset, path, rows) values ('abc', 'd', 'p', 3)")
    after = {b: skip.fingerprint(home, b, str(source), {}) for b in ("movielens", "imdb")}
    assert after["movielens"] != before["movielens"] and after["imdb"] == before["imdb"]


def test_urls_and_unknown_branches_are_never_skipped(home, tmp_path):
    _warehouse(home)
    assert skip.fingerprint(home, "movielens", "https://files.grouplens.org/datasets/movielens/ml-latest-small.zip", {}) is None
    assert skip.fingerprint(home, "compare", str(tmp_path), {}) is None
    assert skip.unchanged_since(home, "movielens", None) is None


def test_remembered_runs_are_matched_by_their_latest_fingerprint(home, tmp_path):
    _warehouse(home)
    skip.remember(home, "imdb", "k1", "run-1", {"metrics": {"nbsvm": 0.92}})
    found = skip.unchanged_since(home, "imdb", "k1")
    assert found["run_id"] == "run-1" and found["summary"] == {"metrics": {"nbsvm": 0.92}}
    skip.remember(home, "imdb", "k2", "run-2", {})
    assert skip.unchanged_since(home, "imdb", "k1") is None  # the latest run read something else
    assert skip.unchanged_since(home, "mnist", "k2") is None


def test_the_image_branches_follow_their_own_dataset(home, tmp_path):
    _warehouse(home)
    source = tmp_path / "idx"
    source.mkdir()
    (source / "train-labels-idx1-ubyte").write_bytes(b"\x00\x00\x08\x01")
    before = {b: skip.fingerprint(home, b, str(source), {}) for b in ("mnist", "fashion-mnist")}
    with warehouse.transaction(home) as con:
        warehouse.log_load(con, run_id="r", table_name="mnist_images", partition_key="fashion-mnist",
                           content_key="k", rows_loaded=70_000)
    after = {b: skip.fingerprint(home, b, str(source), {}) for b in ("mnist", "fashion-mnist")}
    assert after["mnist"] == before["mnist"] and after["fashion-mnist"] != before["fashion-mnist"]


def test_only_settings_that_shape_outputs_count(home, tmp_path):
    """What `cinepipe serve` hands its worker (an empty lake URL, its schedule) and the CLI's
    environment agree; a setting some step's key uses does change the fingerprint."""
    _warehouse(home)
    source = tmp_path / "release"
    source.mkdir()
    (source / "ratings.csv").write_text("userId,movieId,rating,timestamp\n1,1,4.0,900000000\n")
    first = skip.fingerprint(home, "movielens", str(source), {"quick": True})
    for update in ({"lake_url": None}, {"nightly_cron": "0 4 * * *"}, {"duckdb_memory_limit": "1GB"},
                   {"http_retries": 9}, {"keep_models": 5}):
        assert skip.fingerprint(home.model_copy(update=update), "movielens", str(source), {"quick": True}) == first
    tightened = home.model_copy(update={"max_bad_fraction": 0.0001})
    assert skip.fingerprint(tightened, "movielens", str(source), {"quick": True}) != first


def test_the_naver_fingerprint_follows_the_list_and_a_persons_decisions(home, tmp_path):
    """The service's answers come from the answer cache on a rerun; what can change the branch's
    result is the list, the review decisions (recorded, or waiting in exports/) and the loads."""
    _warehouse(home)
    scores = tmp_path / "scores.csv"
    scores.write_text("title,my_score\n기생충,9\n")
    first = skip.fingerprint(home, "naver", str(scores), {"quick": True})
    assert first is not None and first == skip.fingerprint(home, "naver", str(scores), {"quick": True})
    review = home.exports_dir / "naver_match_review.csv"
    review.write_text("input_row,title,candidates,chosen_code\n1,기생충,[],161967\n")
    decided = skip.fingerprint(home, "naver", str(scores), {"quick": True})
    assert decided != first
    _log(home, "naver_scores", "n1")
    loaded = skip.fingerprint(home, "naver", str(scores), {"quick": True})
    assert loaded != decided
    scores.write_text("title,my_score\n기생충,10\n")
    assert skip.fingerprint(home, "naver", str(scores), {"quick": True}) != loaded


def test_the_imdb_fallback_files_count_for_naver_only_when_set(home, tmp_path, monkeypatch):
    _warehouse(home)
    monkeypatch.chdir(tmp_path)  # an unset path must not stand for the working directory
    scores = tmp_path / "scores.csv"
    scores.write_text("title,my_score\n기생충,9\n")
    unset = skip.fingerprint(home, "naver", str(scores), {})
    (tmp_path / "unrelated.txt").write_text("changes nothing")
    assert skip.fingerprint(home, "naver", str(scores), {}) == unset
    basics = tmp_path / "title.basics.tsv"
    basics.write_text("tconst\tprimaryTitle\n")
    with_file = home.model_copy(update={"imdb_basics_tsv": str(basics), "imdb_ratings_tsv": str(basics)})
    before = skip.fingerprint(with_file, "naver", str(scores), {})
    basics.write_text("tconst\tprimaryTitle\ntt1\tParasite\n")
    assert skip.fingerprint(with_file, "naver", str(scores), {}) != before
