"""A crowd score from the IMDb non-commercial files for titles Naver does not have.

``title.basics.tsv`` and ``title.ratings.tsv`` (optionally gzipped): TAB-separated, a header line,
``\\N`` for null, no quoting, and no newline after the last row. ``read_rated_titles`` reads them
(IO); ``imdb_crowd_scores`` is the pure match. IMDb has no critic score: it stays missing.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd

from cinepipe.naver.columns import (
    CONFIDENCE,
    ENGLISH_TITLE,
    IMDB_ID,
    IMDB_TITLE,
    IMDB_TITLE_YEAR,
    INPUT_ROW,
    METHOD,
    NETIZEN,
    NETIZEN_VOTES,
    TITLE,
    YEAR,
)
from cinepipe.naver.matching import title_similarity

EXCLUDED_TYPES = ("tvEpisode",)
RESULT_COLUMNS = [INPUT_ROW, IMDB_ID, "imdb_title", "imdb_year", NETIZEN, NETIZEN_VOTES, CONFIDENCE, METHOD]


# letters and digits only, lowercased: a cheap pre-filter before the exact match in Python
LOOSE_KEY_SQL = "regexp_replace(lower({}), '[^\\pL\\pN]+', '', 'g')"


def _tsv(path: Path) -> str:
    return (
        f"read_csv('{str(path).replace(chr(39), chr(39) * 2)}', delim='\\t', header=true, quote='', "
        "escape='', nullstr='\\N', all_varchar=true)"
    )


def read_rated_titles(basics: Path, ratings: Path, wanted: list[str]) -> pd.DataFrame:
    """Rated titles whose primary or original title loosely equals one of ``wanted``.

    Returns:
        One row per title: tconst, primaryTitle, originalTitle, startYear (Int64), averageRating,
        numVotes. Runs in DuckDB, so the full files (millions of rows) are not held in memory.
    """
    con = duckdb.connect()
    try:
        con.register("wanted_titles", pd.DataFrame({"t": pd.Series(wanted, dtype="string")}))
        con.execute(f"create temp table wanted as select distinct {LOOSE_KEY_SQL.format('t')} as k from wanted_titles")
        frame = con.execute(
            f"""
            with basics as (select * from {_tsv(basics)}),
                 ratings as (select * from {_tsv(ratings)})
            select b.tconst, b.primaryTitle, b.originalTitle,
                   try_cast(b.startYear as integer) as startYear,
                   try_cast(r.averageRating as double) as averageRating,
                   try_cast(r.numVotes as bigint) as numVotes
            from basics as b
            join ratings as r on r.tconst = b.tconst
            where b.titleType not in {EXCLUDED_TYPES + ('',)}
              and ({LOOSE_KEY_SQL.format('b.primaryTitle')} in (select k from wanted)
                or {LOOSE_KEY_SQL.format('b.originalTitle')} in (select k from wanted))
            order by b.tconst
            """
        ).df()
    finally:
        con.close()
    return frame.astype({"startYear": "Int64"})


def imdb_crowd_scores(rows: pd.DataFrame, titles: pd.DataFrame) -> pd.DataFrame:
    """Match list rows (input_row, title, english_title, year) to rated IMDb titles.

    A row matches a title whose primary or original title equals its title or English title
    (normalised); with a year, the nearest start year within one year; without, the only such
    title. Ties stay unmatched rather than guessed. Returns ``RESULT_COLUMNS``, one row per match.
    """
    out = []
    for row in rows.itertuples(index=False):
        names = [n for n in (getattr(row, TITLE), getattr(row, ENGLISH_TITLE)) if isinstance(n, str) and n]
        year = getattr(row, YEAR)
        year = None if pd.isna(year) else int(year)
        hits = [
            t for t in titles.itertuples(index=False)
            if any(title_similarity(n, x) == 1.0 for n in names for x in (t.primaryTitle, t.originalTitle))
        ]
        if year is not None:
            hits = [t for t in hits if not pd.isna(t.startYear) and abs(int(t.startYear) - year) <= 1]
            if hits:
                best = min(abs(int(t.startYear) - year) for t in hits)
                hits = [t for t in hits if abs(int(t.startYear) - year) == best]
        if len(hits) != 1:
            continue
        t = hits[0]
        if year is not None:
            confidence, method = (1.0 if int(t.startYear) == year else 0.9), IMDB_TITLE_YEAR
        else:
            confidence, method = 0.75, IMDB_TITLE
        out.append({
            INPUT_ROW: getattr(row, INPUT_ROW), IMDB_ID: t.tconst, "imdb_title": t.primaryTitle,
            "imdb_year": None if pd.isna(t.startYear) else int(t.startYear),
            NETIZEN: t.averageRating, NETIZEN_VOTES: t.numVotes, CONFIDENCE: confidence, METHOD: method,
        })
    frame = pd.DataFrame(out, columns=RESULT_COLUMNS)
    return frame.astype({"imdb_year": "Int64", NETIZEN: "Float64", NETIZEN_VOTES: "Int64"})
