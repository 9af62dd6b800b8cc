"""The Naver part of the bundled sample: a generated personal list, IMDb files, a stand-in service.

Naver closed its movie site and search API in 2023, so the sample run searches and crawls
``naver_service.FakeNaver`` on 127.0.0.1 instead: a stand-in serving the real shapes from a seeded
catalogue. The personal list has a few bad lines (to show the quarantine) and a few titles Naver
lacks, which the generated IMDb files (real layout: TAB, ``\\N``, no final newline) cover.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import SecretStr

from cinepipe.settings import Settings, get_settings, settings_scope

if TYPE_CHECKING:  # pandas and the service load only when the sample is written or served
    import pandas as pd

    from cinepipe.sample.naver_service import FakeNaver

CATALOGUE_SEED = 7
LIST_SEED = 11
CATALOGUE_SIZE = 600
LIST_ROWS = 300
STAND_IN_PORT = 47_811  # fixed, so the HTTP cache (keyed by URL) serves reruns of the sample
STAND_IN_URL = f"http://127.0.0.1:{STAND_IN_PORT}"
CLIENT_ID, CLIENT_SECRET = "sample-client-id", "sample-client-secret"
BAD_LINES = ["네 번째 영화,four,2001,,", ",3.5,1999,,", "너무 좋은 영화,7,2010,,", "옛날 영화,3.5,1492,,"]
BASICS_HEADER = "tconst\ttitleType\tprimaryTitle\toriginalTitle\tisAdult\tstartYear\tendYear\truntimeMinutes\tgenres"


def _imdb_files(dest: Path, missing: pd.DataFrame, seed: int) -> tuple[Path, Path]:
    import pandas as pd

    rng = random.Random(seed)
    basics, ratings = [BASICS_HEADER], ["tconst\taverageRating\tnumVotes"]
    for i, row in enumerate(missing.itertuples(index=False), start=1):
        tconst = f"tt{9_000_000 + i:07d}"
        year = "\\N" if pd.isna(row.year) else str(int(row.year))
        basics.append(f"{tconst}\tmovie\tChronicle No. {i}\t{row.title}\t0\t{year}\t\\N\t{rng.randint(80, 140)}\tDrama")
        ratings.append(f"{tconst}\t{rng.uniform(4, 9):.1f}\t{rng.randint(5, 5000)}")
    for j in range(20):  # titles nobody asked about, and one without a rating
        tconst = f"tt{9_100_000 + j:07d}"
        basics.append(f"{tconst}\tshort\tFiller Film {j}\tFiller Film {j}\t0\t{1900 + j}\t\\N\t\\N\tShort")
        if j:
            ratings.append(f"{tconst}\t{rng.uniform(4, 9):.1f}\t{rng.randint(5, 500)}")
    b, r = dest / "title.basics.tsv", dest / "title.ratings.tsv"
    b.write_text("\n".join(basics), encoding="utf-8")  # the real files end without a newline
    r.write_text("\n".join(ratings), encoding="utf-8")
    return b, r


def write_naver_sample(dest: Path) -> dict:
    """Write ``scores.csv`` and the two IMDb files under ``dest``; returns their paths and counts."""
    from cinepipe.sample.naver_catalogue import make_catalogue, make_personal_list

    dest.mkdir(parents=True, exist_ok=True)
    frame = make_personal_list(make_catalogue(CATALOGUE_SIZE, CATALOGUE_SEED), LIST_ROWS, LIST_SEED,
                               not_on_naver_fraction=0.04)
    missing = frame[frame["true_code"].isna()].drop_duplicates("title")
    basics, ratings = _imdb_files(dest, missing, LIST_SEED)
    scores = dest / "scores.csv"
    body = frame.drop(columns="true_code").to_csv(index=False, lineterminator="\n")
    scores.write_text(body + "\n".join(BAD_LINES) + "\n", encoding="utf-8")
    return {"scores": str(scores), "imdb_basics_tsv": str(basics), "imdb_ratings_tsv": str(ratings),
            "rows": len(frame) + len(BAD_LINES), "bad_rows": len(BAD_LINES), "not_on_naver": len(missing)}


@contextmanager
def stand_in_scope(sample: dict, settings: Settings, pages_per_second: float = 50.0) -> Iterator[Settings]:
    """The Naver and IMDb settings pointing at the stand-in's fixed port, for the code run meanwhile
    (a :func:`settings_scope`; the environment is left alone). The crawl pace is raised: the
    stand-in is our own process. The service itself starts in :func:`running_stand_in`, only for a
    run that searches and crawls (a night whose Naver branch is unchanged never starts it)."""
    scoped = settings.model_copy(update={
        "naver_client_id": CLIENT_ID,
        "naver_client_secret": SecretStr(CLIENT_SECRET),
        "naver_pages_per_second": pages_per_second,
        "naver_api_base": STAND_IN_URL,
        "naver_web_base": STAND_IN_URL,
        "imdb_basics_tsv": sample["imdb_basics_tsv"],
        "imdb_ratings_tsv": sample["imdb_ratings_tsv"],
    })
    with settings_scope(scoped):
        yield scoped


@contextmanager
def running_stand_in() -> Iterator[FakeNaver]:
    """The stand-in serving the sample's catalogue on its fixed port (another port when that one is
    taken: the settings in scope then follow it)."""
    from cinepipe.sample.naver_catalogue import make_catalogue
    from cinepipe.sample.naver_service import FakeNaver

    with FakeNaver(make_catalogue(CATALOGUE_SIZE, CATALOGUE_SEED), CLIENT_ID, CLIENT_SECRET,
                   port=STAND_IN_PORT) as service:
        if service.url == STAND_IN_URL:
            yield service
            return
        moved = get_settings().model_copy(update={"naver_api_base": service.url, "naver_web_base": service.url})
        with settings_scope(moved):
            yield service
