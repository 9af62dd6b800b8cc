import pandas as pd

from cinepipe.naver.imdb_fallback import imdb_crowd_scores, read_rated_titles


def _rows(*rows):
    frame = pd.DataFrame(rows, columns=["input_row", "title", "english_title", "year"])
    return frame.astype({"year": "Int64"})


def test_real_sample_files(shared_data):
    folder = shared_data / "imdb-noncommercial-sample"
    titles = read_rated_titles(folder / "title.basics.tsv", folder / "title.ratings.tsv",
                               ["Carmencita", "le clown et ses chiens!", "Nothing Like This"])
    assert titles["tconst"].tolist() == ["tt0000001", "tt0000002"]
    got = imdb_crowd_scores(_rows((5, "카르멘시타", "Carmencita", 1894), (6, "Le clown et ses chiens", None, None)), titles)
    assert got["imdb_id"].tolist() == ["tt0000001", "tt0000002"]
    assert got["netizen_score"].tolist() == [5.6, 6.1]
    assert got["match_method"].tolist() == ["imdb-title-year", "imdb-title"]


def test_generated_files_in_the_real_layout(tmp_path):
    basics = tmp_path / "title.basics.tsv"
    ratings = tmp_path / "title.ratings.tsv"
    basics.write_text(
        "tconst\ttitleType\tprimaryTitle\toriginalTitle\tisAdult\tstartYear\tendYear\truntimeMinutes\tgenres\n"
        "tt1\tmovie\tThe Host\t괴물\t0\t2006\t\\N\t120\tDrama\n"
        "tt2\tmovie\tThe Host\tThe Host\t0\t2013\t\\N\t\\N\t\\N\n"
        "tt3\ttvEpisode\tThe Host\tThe Host\t0\t2006\t\\N\t\\N\t\\N\n"
        'tt4\tmovie\t"Quoted" Title\t"Quoted" Title\t0\t\\N\t\\N\t\\N\t\\N'  # no final newline
    )
    ratings.write_text("tconst\taverageRating\tnumVotes\ntt1\t7.1\t150000\ntt2\t5.9\t90000\ntt3\t9.9\t5\ntt4\t6.0\t10")
    titles = read_rated_titles(basics, ratings, ["괴물", "The Host", '"Quoted" Title'])
    assert sorted(titles["tconst"]) == ["tt1", "tt2", "tt4"]  # episodes are not movies
    got = imdb_crowd_scores(
        _rows((1, "괴물", None, 2006), (2, "The Host", None, None), (3, "The Host", None, 2012),
              (4, '"Quoted" Title', None, None)),
        titles,
    )
    by_row = got.set_index("input_row")
    assert by_row.loc[1, "imdb_id"] == "tt1"
    assert 2 not in by_row.index  # two movies called The Host and no year: not guessed
    assert by_row.loc[3, "imdb_id"] == "tt2" and by_row.loc[3, "match_confidence"] == 0.9
    assert pd.isna(by_row.loc[4, "imdb_year"])
