"""Parse, check and deduplicate one release inside its own staging DuckDB file.

Each function opens ``stage.duckdb`` in a release's staging directory, reads the tables the step
before it made and writes its own, so the warehouse is untouched until the load. DuckDB does the
parsing, checks and dedup out of core, so a 25M-row release never passes through pandas.
"""

from __future__ import annotations

import codecs
import csv
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, TypedDict

import duckdb

from cinepipe.io.files import atomic_path
from cinepipe.movielens.releases import ML100K_GENRES, Layout, layout_of
from cinepipe.settings import Settings
from cinepipe.storage import duck, validation
from cinepipe.storage.contracts import render
from cinepipe.storage.warehouse import configure, drop_relation

if TYPE_CHECKING:
    import pyarrow as pa

    from cinepipe.movielens.source import Fetched

STAGE_DB = "stage.duckdb"


def stage_dir_for(settings: Settings, content_key: str) -> Path:
    """Where a release's staging database lives (named by the release's content)."""
    return settings.staging_dir / "movielens" / content_key


def stage_exists(stage_dir: Path) -> bool:
    return (stage_dir / STAGE_DB).is_file()


@contextmanager
def stage_db(stage_dir: Path, settings: Settings, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    with duck.connect(stage_dir / STAGE_DB, read_only=read_only) as con:
        configure(con, settings)
        yield con


def _count(con: duckdb.DuckDBPyConnection, table: str) -> int:
    return con.execute(f"select count(*) from {table}").fetchone()[0]


def parse_release(root: Path, layout: Layout, stage_dir: Path, settings: Settings) -> dict[str, int]:
    """Read the release's files into typed ``raw_*`` tables; unparseable lines into ``rejects``.

    A movie title with bytes that are not UTF-8 is kept, decoded with U+FFFD in their place and
    flagged (``title_repaired``), rather than rejected with every rating and tag of the movie.

    Returns:
        Row counts: ratings, movies, tags, links, rejected lines and repaired (UTF-8) lines.
    """
    stage_dir.mkdir(parents=True, exist_ok=True)
    (stage_dir / STAGE_DB).unlink(missing_ok=True)
    movies_csv, repaired = (None, []) if layout.is_100k else repair_utf8(root / "movies.csv", stage_dir / REPAIRED_MOVIES)
    # one transaction: one log sync for the step, and a failure leaves nothing half-made
    with stage_db(stage_dir, settings) as con, duck.transaction(con):
        # keep the file's row order in raw_ratings: dedupe_and_filter proves pairs unique from it
        with duck.insertion_order_kept(con):
            read, genres_expr = _read_raw(con, root, layout, movies_csv)
        con.execute("create or replace table repaired_movies (movie_id bigint, line bigint, reason varchar)")
        if repaired:
            con.executemany("insert into repaired_movies values (?, ?, ?)",
                            [(movie_id, line, "bytes that are not UTF-8 replaced by U+FFFD") for movie_id, line in repaired])
        con.execute(render("stg_movielens_movies", genres_expr=genres_expr))
        con.execute(
            "create or replace table rejects (table_name varchar, raw varchar, reason varchar)"
        )
        targets = {"ratings": "movielens_ratings", "movies": "movielens_movies",
                   "links": "movielens_movies", "tags": "movielens_tags"}
        for table in read:
            # DuckDB keeps one reject per bad field: a line is one rejected row, with all its reasons
            con.execute(
                f"insert into rejects select '{targets[table]}', any_value(csv_line), "
                f"'unparseable line ' || line || ': ' || string_agg(error_message, '; ' order by column_idx) "
                f"from rejects_{table} group by scan_id, file_id, line order by line"
            )
        names = ("ratings", "movies", "tags", "links", "rejected_lines", "repaired_lines")
        tables = ("raw_ratings", "stg_movies", "raw_tags", "raw_links", "rejects", "repaired_movies")
        counts = con.execute("select " + ", ".join(f"(select count(*) from {t})" for t in tables)).fetchone()
        return dict(zip(names, counts, strict=True))


REPAIRED_MOVIES = "movies.utf8-repaired.csv"


def repair_utf8(src: Path, dest: Path) -> tuple[Path, list[tuple[int | None, int]]]:
    """``src`` itself when it is all UTF-8; else a copy at ``dest`` whose bad bytes are U+FFFD, and
    the (movie id, line number) of each repaired line. Read in chunks, then line by line only when
    a bad byte was seen."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        with src.open("rb") as fh:
            while chunk := fh.read(1 << 20):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        return src, []
    except UnicodeDecodeError:
        pass
    repaired = []
    with src.open("rb") as fh, atomic_path(dest) as tmp, tmp.open("w", encoding="utf-8", newline="") as out:
        for number, raw in enumerate(fh, start=1):
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                text = raw.decode("utf-8", errors="replace")
                first = next(csv.reader([text]), [""])[0] if text.strip() else ""
                repaired.append((int(first) if first.strip().isdigit() else None, number))
            out.write(text)
    return dest, repaired


def _read_raw(con: duckdb.DuckDBPyConnection, root: Path, layout: Layout,
              movies_csv: Path | None = None) -> tuple[list[str], str]:
    """The ``raw_*`` tables from the release's files (``movies_csv`` in place of the release's own,
    when given: its UTF-8 repair); returns the files read (each read_csv with store_rejects makes a
    temporary ``rejects_<file>`` table, empty when every line parsed) and the SQL expression that
    gives a movie's genre list."""
    read = ["ratings", "movies"]
    if layout.is_100k:
        genre_names = "[" + ", ".join(duck.quote(g) for g in ML100K_GENRES) + "]"
        con.execute(render("raw_movielens_100k",
            ratings=duck.quote(root / "u.data"), movies=duck.quote(root / "u.item"), genre_names=genre_names))
        genres_expr = "genre_list"
        con.execute("create or replace table raw_links as select movie_id, "
                    "regexp_extract(imdb_url, 'tt(\\d+)', 1) as imdb_num, null::bigint as tmdb_id from raw_movies where false")
        con.execute("create or replace table raw_tags (user_id bigint, movie_id bigint, tag varchar, tagged_at_epoch_s bigint)")
        _stage_u1(con, root)
    else:
        con.execute(render("raw_movielens_csv", ratings=duck.quote(root / "ratings.csv"),
                           movies=duck.quote(movies_csv or root / "movies.csv")))
        genres_expr = "string_split(genres_raw, '|')"
        if (root / "links.csv").is_file():
            con.execute(render("raw_movielens_links", links=duck.quote(root / "links.csv")))
            read.append("links")
        else:
            con.execute("create or replace table raw_links (movie_id bigint, imdb_num varchar, tmdb_id bigint)")
        if (root / "tags.csv").is_file():
            con.execute(render("raw_movielens_tags", tags=duck.quote(root / "tags.csv")))
            read.append("tags")
        else:
            con.execute("create or replace table raw_tags (user_id bigint, movie_id bigint, tag varchar, tagged_at_epoch_s bigint)")
    return read, genres_expr


def _stage_u1(con: duckdb.DuckDBPyConnection, root: Path) -> None:
    """ml-100k's official u1.base / u1.test split, where the release has it."""
    if not ((root / "u1.base").is_file() and (root / "u1.test").is_file()):
        return
    cols = "{'user_id': 'BIGINT', 'movie_id': 'BIGINT', 'rating': 'DOUBLE', 'ts': 'BIGINT'}"
    con.execute(
        "create or replace table split_u1 as "
        f"select 'train' as part, user_id, movie_id, rating from read_csv({duck.quote(root / 'u1.base')}, header=false, delim='\\t', columns={cols}) "
        f"union all select 'test', user_id, movie_id, rating from read_csv({duck.quote(root / 'u1.test')}, header=false, delim='\\t', columns={cols})"
    )


@dataclass
class CheckSummary:
    rows_in: int
    rows_valid: int
    rows_quarantined: int
    failures: dict[str, int]
    bad_fraction: float


def check_release(stage_dir: Path, layout: Layout, settings: Settings, *, source: str,
                  max_bad_fraction: float, gx_max_rows: int) -> CheckSummary:
    """Apply the suites: good rows to ``valid_*``, failing rows to ``rejects`` with the reason.

    ``settings`` gives the DuckDB resources only; the values that shape the outcome are arguments.

    Raises:
        ValidationFailed: when the rejected share of ratings exceeds ``max_bad_fraction``; the
            message says how many rows failed which check. Nothing has been loaded then.
    """
    now = datetime.now(UTC)
    params = {
        "rating_values": list(layout.rating_values),
        "max_timestamp": int(now.timestamp()) + 86_400,
        "known_movie_ids": validation.SqlRef("select movie_id from valid_movies"),
        "max_year": now.year + 2,
    }
    with stage_db(stage_dir, settings) as con:
        # one transaction: one log sync for the dozen tables and views, and a failure changes nothing
        with duck.transaction(con):
            summary = _apply_suites(con, params)
        detail = "; ".join(f"{n} rows: {reason}" for reason, n in sorted(summary.failures.items(), key=lambda kv: -kv[1]))
        validation.gate_bad_fraction(
            source, summary.rows_quarantined, summary.rows_in, max_bad_fraction,
            problem=lambda fraction: f"{summary.rows_quarantined} of {summary.rows_in} ratings ({fraction:.2%}) "
                                     f"failed their checks, above the allowed {max_bad_fraction:.2%} "
                                     f"({detail or 'no ratings at all'}); nothing was loaded",
            action=f"Inspect the rejected rows in {stage_dir / STAGE_DB} (table rejects), fix the source, "
                   "or raise CINEPIPE_MAX_BAD_FRACTION",
        )
        _write_gx_sample(con, stage_dir, gx_max_rows, summary.rows_valid)
    return summary


def _apply_suites(con: duckdb.DuckDBPyConnection, params: dict) -> CheckSummary:
    """The row checks of each table's suite over the staged release (see :func:`check_release`)."""
    con.execute("delete from rejects where reason not like 'unparseable line%'")
    movie_fail = validation.split_relation(
        con, "stg_movies", "movielens_movies", params,
        raw_expr="concat_ws(',', movie_id, title, year, array_to_string(genres, '|'))",
        good_table="valid_movies_all", bad_table="bad_movies", good_as_view=True)
    # movie ids are unique per release; a repeated id keeps its first row, the rest are rejected
    dup_movies = con.execute("select count(*) - count(distinct movie_id) from valid_movies_all").fetchone()[0]
    drop_relation(con, "valid_movies")
    if dup_movies:
        con.execute(
            "create table valid_movies as select * from valid_movies_all "
            "qualify row_number() over (partition by movie_id order by title) = 1")
        con.execute(
            "insert into bad_movies select concat_ws(',', movie_id, title, year), 'movie_id is repeated' "
            "from (select * from valid_movies_all qualify row_number() over (partition by movie_id order by title) > 1)")
    else:  # the usual case: no copy
        con.execute("create view valid_movies as select * from valid_movies_all")
    rating_fail = validation.split_relation(
        con, "raw_ratings", "movielens_ratings", params,
        raw_expr="concat_ws(',', user_id, movie_id, rating, rated_at_epoch_s)",
        good_table="valid_ratings", bad_table="bad_ratings", good_as_view=True)
    tag_fail = validation.split_relation(
        con, "raw_tags", "movielens_tags", params,
        raw_expr="concat_ws(',', user_id, movie_id, tag, tagged_at_epoch_s)",
        good_table="valid_tags", bad_table="bad_tags", good_as_view=True)
    for bad, target in (("bad_movies", "movielens_movies"), ("bad_ratings", "movielens_ratings"), ("bad_tags", "movielens_tags")):
        con.execute(f"insert into rejects select '{target}', raw, reason from {bad}")
    unparseable = con.execute(
        "select count(*) from rejects where table_name = 'movielens_ratings' and reason like 'unparseable line%'"
    ).fetchone()[0]
    bad_checked = _count(con, "bad_ratings")
    rows_valid = _count(con, "raw_ratings") - bad_checked  # no scan of the view
    bad = bad_checked + unparseable
    failures = {**{f"movies: {k}": v for k, v in movie_fail.items()}, **rating_fail,
                **{f"tags: {k}": v for k, v in tag_fail.items()}}
    if dup_movies:
        failures["movies: movie_id is repeated"] = dup_movies
    if unparseable:
        failures["unparseable ratings line"] = unparseable
    rows_in = rows_valid + bad
    fraction = bad / rows_in if rows_in else 1.0
    return CheckSummary(rows_in, rows_valid, bad, failures, fraction)


GX_SAMPLE = "gx_sample"


def _write_gx_sample(con: duckdb.DuckDBPyConnection, stage_dir: Path, gx_max_rows: int, n: int) -> None:
    """The valid rows (``n`` of them) Great Expectations will profile (a seeded sample beyond
    ``gx_max_rows``)."""
    out = stage_dir / GX_SAMPLE
    out.mkdir(exist_ok=True)
    # a block sample skips most of a large table instead of scanning it all
    share = 100.0 * gx_max_rows / max(n, 1)
    sample = "" if n <= gx_max_rows else f" using sample {share:.4f} percent (system, 42)"
    con.execute(f"copy (select * from valid_ratings{sample}) to {duck.quote(out / 'ratings.parquet')} (format parquet)")
    con.execute(f"copy (select movie_id, title, year, genres from valid_movies) to {duck.quote(out / 'movies.parquet')} (format parquet)")
    (out / "meta.json").write_text(json.dumps({"ratings_rows_total": n}))


def gx_report(stage_dir: Path, layout: Layout, path: Path) -> bool:
    """Run the suites with Great Expectations over the sample ``check_release`` kept; write JSON.

    Row checks already ran in SQL over every row; this is the report a person reads.
    """
    import pandas as pd

    sample = stage_dir / GX_SAMPLE
    ratings = pd.read_parquet(sample / "ratings.parquet")
    movies = pd.read_parquet(sample / "movies.parquet")
    now = datetime.now(UTC)
    params = {
        "rating_values": list(layout.rating_values),
        "max_timestamp": int(now.timestamp()) + 86_400,
        "known_movie_ids": movies["movie_id"].tolist(),
        "max_year": now.year + 2,
    }
    results = {
        "movielens_ratings": validation.gx_validate(ratings, "movielens_ratings", params),
        "movielens_movies": validation.gx_validate(movies, "movielens_movies", params),
        "_meta": {"ratings_rows_profiled": len(ratings),
                  **json.loads((sample / "meta.json").read_text())},
    }
    path.write_text(json.dumps(results, indent=1, default=str))
    # movie-id uniqueness is enforced before this sample is taken, so row-level outcomes decide
    return bool(results["movielens_ratings"]["success"])


def _pairs_strictly_increase(con: duckdb.DuckDBPyConnection, relation: str, batch_rows: int = 1 << 20) -> bool:
    """Whether (user_id, movie_id) strictly increase in storage order, which proves them unique.

    GroupLens writes its CSV releases sorted by user, then movie, so one streaming pass in file
    order (a few hundred ms for 10M rows) replaces a hash aggregate over every pair. Any other
    order (ml-100k's u.data is unsorted) returns False and the caller counts instead.
    """
    with duck.insertion_order_kept(con):
        return _increasing(con.sql(f"select user_id, movie_id from {relation}").to_arrow_reader(batch_rows))


def _increasing(reader: pa.RecordBatchReader) -> bool:
    """Whether the (user, movie) pairs of ``reader``'s batches strictly increase; closes it."""
    import numpy as np

    try:
        prev_user = prev_movie = None
        for batch in reader:
            if batch.num_rows == 0:
                continue
            users = batch.column(0).to_numpy(zero_copy_only=False)
            movies = batch.column(1).to_numpy(zero_copy_only=False)
            if prev_user is not None:
                users = np.concatenate(([prev_user], users))
                movies = np.concatenate(([prev_movie], movies))
            same_user = users[1:] == users[:-1]
            if not np.all((users[1:] > users[:-1]) | (same_user & (movies[1:] > movies[:-1]))):
                return False
            prev_user, prev_movie = users[-1], movies[-1]
        return True
    finally:
        reader.close()  # an early answer leaves rows unread; the connection needs them gone


def dedupe_and_filter(stage_dir: Path, settings: Settings, min_per_user: int, min_per_movie: int) -> dict[str, int]:
    """Drop exact duplicates, keep the latest rating per (user, movie), apply the filters.

    Returns:
        Counts before and after each stage; the result is ``final_ratings`` (a view over the valid
        rows when there is nothing to drop, so a clean release is not copied again).
    """
    with stage_db(stage_dir, settings) as con, duck.transaction(con):
        before = _count(con, "raw_ratings") - _count(con, "bad_ratings")
        if _pairs_strictly_increase(con, "valid_ratings"):
            latest = before  # sorted without a repeat: nothing to count
        else:  # one hash aggregate over the pairs; the full-row count below runs only on repeats
            latest = con.execute(
                "select count(*) from (select distinct user_id, movie_id from valid_ratings)").fetchone()[0]
        exact = latest if latest == before else con.execute(  # duplicates are rare: count them only then
            "select count(*) from (select distinct user_id, movie_id, rating, rated_at_epoch_s from valid_ratings)"
        ).fetchone()[0]
        drop_relation(con, "final_ratings")
        if latest == before and not min_per_user and not min_per_movie:
            con.execute("create view final_ratings as select * from valid_ratings")
        else:
            con.execute(render("stg_movielens_dedupe", min_per_user=int(min_per_user), min_per_movie=int(min_per_movie)))
            con.execute("alter table stg_ratings_dedup rename to final_ratings")
        after = _count(con, "final_ratings")
        con.execute("create or replace table final_tags as select distinct * from valid_tags")
    return {
        "rows_in": before,
        "exact_duplicates_dropped": before - int(exact),
        "superseded_ratings_dropped": int(exact) - latest,
        "filtered_out": latest - after,
        "rows_out": after,
    }


# ---- the steps, as the tasks call them: a staged release in, the same staging database out ---------------
class Parsed(TypedDict):
    stage_dir: str
    key: str
    counts: dict[str, int]


class Validated(TypedDict):
    stage_dir: str
    key: str
    summary: dict  # a CheckSummary as a dict


class Deduped(TypedDict):
    stage_dir: str
    key: str
    counts: dict[str, int]


class Report(TypedDict):
    gx_report: str
    gx_success: bool


def parse_fetched(release: Fetched, key: str, settings: Settings) -> Parsed:
    """Parse a fetched release's files into the typed tables of its staging database."""
    stage_dir = stage_dir_for(settings, release["content_key"])
    counts = parse_release(Path(release["root"]), layout_of(release["layout"]), stage_dir, settings)
    return Parsed(stage_dir=str(stage_dir), key=key, counts=counts)


def check_parsed(parsed: Parsed, release: Fetched, key: str, max_bad_fraction: float, gx_max_rows: int,
                 settings: Settings) -> Validated:
    """:func:`check_release` over a parsed release (valid rows and quarantined ones; the gate)."""
    summary = check_release(Path(parsed["stage_dir"]), layout_of(release["layout"]), settings, source=release["source"],
                            max_bad_fraction=max_bad_fraction, gx_max_rows=gx_max_rows)
    return Validated(stage_dir=parsed["stage_dir"], key=key, summary=asdict(summary))


def dedupe_checked(validated: Validated, key: str, min_per_user: int, min_per_movie: int,
                   settings: Settings) -> Deduped:
    """:func:`dedupe_and_filter` over a checked release."""
    counts = dedupe_and_filter(Path(validated["stage_dir"]), settings, min_per_user, min_per_movie)
    return Deduped(stage_dir=validated["stage_dir"], key=key, counts=counts)


def report_checked(validated: Validated, release: Fetched) -> Report:
    """Great Expectations over the valid rows: kept as JSON beside the staging database and shown in the UI."""
    stage_dir = Path(validated["stage_dir"])
    path = stage_dir / "gx_validation.json"
    success = gx_report(stage_dir, layout_of(release["layout"]), path)
    summary, gx = validated["summary"], json.loads(path.read_text())
    facts = [
        f"ratings checked (SQL, every row): {summary['rows_in']:,}; valid: {summary['rows_valid']:,}; "
        f"quarantined: {summary['rows_quarantined']:,} ({summary['bad_fraction']:.3%})",
        f"Great Expectations on {gx['_meta']['ratings_rows_profiled']:,} valid rows: "
        f"{'passed' if success else 'FAILED'} (full report: `{path}`)",
    ]
    tables = {suite: gx.get(suite, {}).get("results", []) for suite in ("movielens_ratings", "movielens_movies")}
    validation.publish_validation(f"movielens[{release['dataset']}]", f"validation-movielens-{release['dataset']}",
                                  facts, summary["failures"], tables)
    return Report(gx_report=str(path), gx_success=success)
