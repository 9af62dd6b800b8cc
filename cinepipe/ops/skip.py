"""Skip a whole branch on a night when nothing it depends on has changed.

Every task is cached already, but a branch of a dozen cached tasks still costs Prefect a few
seconds of bookkeeping each night. So a branch that completes remembers a fingerprint of what it
read: its source (file contents), our code, suites and SQL, the settings, its parameters, and the
warehouse's load history of its tables (release loads and applied inbox files). The settings are
those of ``settings.STEP_SETTINGS``, the ones that enter the steps' own cache keys. The next night
compares before it starts; equal means every task would be a cache hit, so the branch is skipped
and the run says so. A source behind a URL is never skipped here: only the download's conditional
GET can tell whether it changed.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from cinepipe.io.hashing import content_key, fingerprint_path
from cinepipe.naver.columns import REVIEW_CSV
from cinepipe.runtime.code import package_key
from cinepipe.settings import STEP_SETTINGS, Settings
from cinepipe.storage import warehouse

# the load_log tables whose history a branch's results depend on (inbox files: movielens only)
BRANCH_TABLES = {
    "movielens": ("movielens_ratings", "movielens_movies", "movielens_tags", "recommendations"),
    "imdb": ("imdb_reviews",),
    "mnist": ("mnist_images",),
    "fashion-mnist": ("mnist_images",),
    "naver": ("naver_scores",),
}


def _local(source: str) -> Path | None:
    if "://" in source and not source.startswith("file://"):
        return None
    path = Path(source.removeprefix("file://")).expanduser()
    return path if path.exists() else None


def fingerprint(settings: Settings, branch: str, source: str, params: dict) -> str | None:
    """What the branch's results depend on, as one key; None when it cannot be known up front."""
    path = _local(source)
    if branch not in BRANCH_TABLES or path is None or not settings.warehouse_path.exists():
        return None
    tables = list(BRANCH_TABLES[branch])
    with warehouse.connect(settings, read_only=True) as con:
        # the two image branches share a table: each follows its own dataset's loads only
        partition = branch if branch in ("mnist", "fashion-mnist") else None
        history = con.execute(
            "select table_name, partition_key, content_key, rows_loaded from load_log"
            " where list_contains(?, table_name) and (? is null or partition_key = ?) order by all",
            [tables, partition, partition]).fetchall()
        inbox = con.execute(
            "select content_sha256, processed_run_id from inbox_files order by all").fetchall() if branch == "movielens" else []
        decided = _naver_decisions(settings, con) if branch == "naver" else []
    # the settings that shape some step's output, as the steps' own keys see them; where things are
    # written and how a run goes (lake URL, resources, schedule, credentials) do not count
    config = {name: settings.model_dump(mode="json", include={name})[name] for name in sorted(STEP_SETTINGS)}
    # Naver's answers come from the HTTP answer cache on a rerun, so the list, a person's review
    # decisions and the IMDb fallback files are what can change the branch's result
    fallback = (settings.imdb_basics_tsv, settings.imdb_ratings_tsv) if branch == "naver" else ()
    files = [fingerprint_path(p) for p in (_local(f) for f in fallback if f) if p is not None]
    return content_key(package_key(), branch, params, config, fingerprint_path(path), history, inbox, decided, files)


def _naver_decisions(settings: Settings, con) -> list:
    """A person's review decisions, recorded and waiting in exports/ (both change the matches)."""
    recorded = con.execute("select query_key, chosen_code, decision from naver_match_review"
                           " where decision is not null order by all").fetchall()
    review = settings.exports_dir / REVIEW_CSV
    return [recorded, fingerprint_path(review) if review.is_file() else None]


def unchanged_since(settings: Settings, branch: str, key: str | None) -> dict | None:
    """The last completed run of ``branch`` whose fingerprint was ``key``, if it was the last one."""
    if key is None:
        return None
    with warehouse.connect(settings, read_only=True) as con:
        row = con.execute(
            "select fingerprint, run_id, finished_at, summary from branch_runs where branch = ?"
            " order by finished_at desc limit 1", [branch]).fetchone()
    if row is None or row[0] != key:
        return None
    return {"run_id": row[1], "finished_at": str(row[2]), "summary": json.loads(row[3])}


def remember(settings: Settings, branch: str, key: str | None, run_id: str, summary: dict) -> None:
    """Record a completed branch run with the fingerprint of what it left behind."""
    if key is None:
        return
    with warehouse.transaction(settings) as con:
        con.execute(
            "insert into branch_runs (branch, fingerprint, run_id, finished_at, summary) values (?, ?, ?, ?, ?)",
            [branch, key, run_id, datetime.now(UTC), json.dumps(summary, default=str)])
