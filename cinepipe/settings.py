"""The one typed settings object: the only code that reads the environment.

Every path a run writes is derived from ``home`` (``CINEPIPE_HOME``), so a run writes nowhere else.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Settings read from ``CINEPIPE_*`` variables and a ``.env`` file."""

    # an empty value means unset: `CINEPIPE_LAKE_URL=` and no CINEPIPE_LAKE_URL are the same home
    model_config = SettingsConfigDict(env_prefix="CINEPIPE_", env_file=".env", extra="ignore",
                                      env_ignore_empty=True)

    home: Path = Field(Path(".cinepipe"), description="Where everything a run writes lives.")

    # sources for `cinepipe nightly` (unset means: branch not configured)
    movielens_source: str | None = Field(None, description="MovieLens release: URL, dir or .zip.")
    imdb_source: str | None = Field(None, description="aclImdb tarball/dir or Keras imdb.npz.")
    mnist_source: str | None = Field(None, description="Directory or URL base of MNIST IDX files.")
    fashion_mnist_source: str | None = Field(
        None, description="Directory or URL base of Fashion-MNIST IDX files."
    )
    naver_scores: str | None = Field(None, description="Personal score list for the Naver branch.")
    imdb_basics_tsv: str | None = Field(None, description="IMDb title.basics.tsv(.gz) for fallback.")
    imdb_ratings_tsv: str | None = Field(None, description="IMDb title.ratings.tsv(.gz) for fallback.")

    # Naver
    naver_client_id: str | None = None
    naver_client_secret: SecretStr | None = None
    naver_api_base: str = "https://openapi.naver.com"
    naver_web_base: str = "https://movie.naver.com"
    naver_pages_per_second: float = Field(1.0, gt=0, description="Crawl pace, pages per second.")
    naver_obey_robots: bool = Field(True, description="Obey robots.txt of the web base.")
    naver_match_threshold: float = Field(0.8, ge=0, le=1, description="Auto-accept confidence.")
    naver_max_layout_failures: float = Field(
        0.2, ge=0, le=1, description="Largest share of crawled movie pages that may be unreadable (each goes "
                                     "to the review queue) before the Naver branch fails, naming what broke.")

    # validation, filters, loading
    max_bad_fraction: float = Field(
        0.01, ge=0, le=1, description="Largest share of quarantined rows before a run fails."
    )
    min_ratings_per_user: int = Field(0, ge=0, description="Filter: drop users with fewer ratings.")
    min_ratings_per_movie: int = Field(0, ge=0, description="Filter: drop movies with fewer ratings.")
    gx_max_rows: int = Field(
        200_000, ge=1, description="Rows GX profiles for its report; row checks run in SQL on all."
    )
    duckdb_memory_limit: str = Field(
        "4GB", description="DuckDB memory_limit for the whole process (one instance serves every file); it spills beyond.")
    duckdb_threads: int | None = Field(None, ge=1, description="DuckDB threads for the whole process (default: cores).")

    # downloads
    http_timeout_s: float = 60.0
    http_retries: int = Field(4, ge=0)

    # archives and source files: caps that the largest real releases (ml-32m's 0.9 GB ratings.csv,
    # aclImdb's 13.7 KB longest review, CSV zips expanding 3-5x, aclImdb 2.4x) fit with room to spare
    archive_max_member_bytes: int = Field(
        2 << 30, ge=1, description="Largest archive member read or extracted (bytes); a bigger one refuses the archive.")
    archive_max_total_bytes: int = Field(
        8 << 30, ge=1, description="Most bytes an archive may expand to; beyond it the archive is refused.")
    archive_max_ratio: float = Field(
        100.0, gt=1, description="Largest expansion ratio (expanded / compressed) of an archive or member.")
    imdb_max_review_bytes: int = Field(
        1 << 20, ge=1, description="Longest IMDB review read; a longer one is quarantined without being read whole.")

    # models and exports
    top_n: int = Field(10, ge=1, description="Length of each recommendation list.")
    cold_start_min_ratings: int = Field(5, ge=0, description="Fewer ratings: popularity list.")
    topn_users_per_task: int = Field(
        50_000, ge=1, description="Users per top-N scoring task (parts run in parallel on the task runner)."
    )
    parallel_eval_max_ratings: int = Field(
        5_000_000, ge=0,
        description="Above this many ratings the evaluation protocols run one after another on the thread "
                    "runner (each holds its own copy of the ratings); on Dask they stay parallel.",
    )
    quick: bool = Field(False, description="Fewer epochs and rows, for tests and the sample run.")
    seed: int = 42
    keep_snapshots: int = Field(
        3, ge=1, description="Rating snapshots kept per dataset under cache/snapshots (newest by last use); "
                             "older ones are removed once unused for an hour.",
    )
    keep_models: int = Field(
        2, ge=1, description="Trained recommender models kept per dataset and model under artifacts/ "
                             "(besides the one whose lists are out); older ones go once an hour old.",
    )
    promotion_tolerance: float = Field(
        0.01, ge=0, le=1,
        description="A candidate that beats the baseline is promoted unless it falls behind the serving "
                    "model's figure by more than this share of it (0.01: 1%); then the serving model stays.",
    )
    retrain_fraction: float = Field(
        0.05, ge=0, le=1, description="New/old ratings above which an update retrains fully."
    )

    # running
    task_runner: Literal["thread", "dask"] = "thread"
    dask_address: str | None = None
    lake_url: str | None = Field(None, description="Lake location: a directory or s3:// URL.")
    s3_endpoint_url: str | None = None
    s3_access_key_id: str | None = Field(
        None, validation_alias=AliasChoices("CINEPIPE_S3_ACCESS_KEY_ID", "AWS_ACCESS_KEY_ID"),
        description="Access key of an s3:// lake (AWS_ACCESS_KEY_ID is read too).")
    s3_secret_access_key: SecretStr | None = Field(
        None, validation_alias=AliasChoices("CINEPIPE_S3_SECRET_ACCESS_KEY", "AWS_SECRET_ACCESS_KEY"),
        description="Secret key of an s3:// lake (AWS_SECRET_ACCESS_KEY is read too); never logged.")
    s3_region: str = Field(
        "us-east-1", validation_alias=AliasChoices("CINEPIPE_S3_REGION", "AWS_DEFAULT_REGION"),
        description="Region of an s3:// lake (AWS_DEFAULT_REGION is read too).")
    nightly_cron: str = "0 3 * * *"
    nightly_timezone: str = "Asia/Seoul"
    server_idle_s: float = Field(
        1800, gt=0, description="The home's background Prefect server stops itself after this many seconds "
                                "with no command using it and no request (UI included).",
    )
    server_start_timeout_s: float = Field(
        180, gt=0, description="How long a command waits for the home's Prefect server to start "
                               "(two busy cores can take a minute).",
    )

    # ---- the CINEPIPE_HOME layout -------------------------------------------------------------
    @property
    def home_dir(self) -> Path:
        return self.home.expanduser().resolve()

    @property
    def warehouse_path(self) -> Path:
        return self.home_dir / "warehouse" / "cinepipe.duckdb"

    @property
    def lake_dir(self) -> Path:
        return self.home_dir / "lake"

    @property
    def lake_location(self) -> str:
        return self.lake_url or str(self.lake_dir)

    @property
    def cache_dir(self) -> Path:
        return self.home_dir / "cache"

    @property
    def downloads_dir(self) -> Path:
        return self.cache_dir / "downloads"

    @property
    def http_cache_dir(self) -> Path:
        return self.cache_dir / "http"

    @property
    def staging_dir(self) -> Path:
        return self.cache_dir / "staging"

    @property
    def results_dir(self) -> Path:
        return self.cache_dir / "prefect-results"

    @property
    def spill_dir(self) -> Path:
        return self.cache_dir / "duckdb-spill"

    @property
    def exports_dir(self) -> Path:
        return self.home_dir / "exports"

    @property
    def artifacts_dir(self) -> Path:
        return self.home_dir / "artifacts"

    @property
    def inbox_dir(self) -> Path:
        return self.home_dir / "inbox"

    @property
    def prefect_home(self) -> Path:
        return self.home_dir / "prefect"

    @property
    def sample_dir(self) -> Path:
        return self.home_dir / "sample"

    def ensure_dirs(self) -> None:
        for d in (
            self.warehouse_path.parent,
            self.lake_dir,
            self.downloads_dir,
            self.http_cache_dir,
            self.staging_dir,
            self.results_dir,
            self.spill_dir,
            self.exports_dir,
            self.artifacts_dir,
            self.inbox_dir,
        ):
            d.mkdir(parents=True, exist_ok=True)


_scoped: ContextVar[Settings | None] = ContextVar("cinepipe_settings", default=None)


def get_settings() -> Settings:
    """The settings of this run: those of an enclosing :func:`settings_scope`, else the environment's."""
    return _scoped.get() or _from_environment()


@lru_cache(maxsize=1)
def _from_environment() -> Settings:
    return Settings()


@contextmanager
def settings_scope(settings: Settings) -> Iterator[Settings]:
    """Run the enclosed code (flows, and the tasks they submit: Prefect copies the context into
    task threads) with ``settings`` instead of the environment's; nothing global is rewritten."""
    token = _scoped.set(settings)
    try:
        yield settings
    finally:
        _scoped.reset(token)


def reset_settings() -> None:
    """Forget the cached settings (tests change the environment between cases)."""
    _from_environment.cache_clear()


# ---- which settings shape which steps' outputs --------------------------------------------------
# A step's cache key is its inputs, its code and the values of the settings that shape what it
# produces. Flows pass those values to the step as parameters named like the setting, so they are
# part of its key (tests/test_settings_keys.py holds every setting to this table). Every other
# setting changes where things are written (paths under the home), how fast or with what
# resources a run goes, or which sources a night covers (the flows' own inputs): never a step's
# output, so a step may read those from the home's settings.
STEP_SETTINGS: dict[str, tuple[str, ...]] = {
    "max_bad_fraction": ("validate-movielens", "validate-imdb"),
    "gx_max_rows": ("validate-movielens", "validate-imdb"),
    "min_ratings_per_user": ("dedupe-movielens",),
    "min_ratings_per_movie": ("dedupe-movielens",),
    "top_n": ("score-recommendations", "export-recommendations", "refresh-recommendations"),
    "cold_start_min_ratings": ("evaluate-movielens", "score-recommendations", "export-recommendations",
                               "refresh-recommendations"),
    "retrain_fraction": ("refresh-recommendations",),
    "naver_match_threshold": ("match-naver",),
    "imdb_basics_tsv": ("imdb-fallback-naver",),
    "imdb_ratings_tsv": ("imdb-fallback-naver",),
    "naver_obey_robots": ("crawl-naver",),
    "naver_web_base": ("crawl-naver",),
    "naver_api_base": ("search-naver",),
    "naver_max_layout_failures": ("crawl-naver",),
    "archive_max_member_bytes": ("read-imdb", "fetch-movielens", "fetch-mnist"),
    "archive_max_total_bytes": ("read-imdb", "fetch-movielens", "fetch-mnist"),
    "archive_max_ratio": ("read-imdb", "fetch-movielens", "fetch-mnist"),
    "imdb_max_review_bytes": ("read-imdb",),
    "quick": ("evaluate-movielens", "train-movielens", "prepare-imdb", "train-imdb-keras", "train-mnist-cnn",
              "train-mnist-baseline", "study-naver"),
    "seed": ("evaluate-movielens", "train-movielens", "compare-method", "prepare-imdb", "train-imdb-keras",
             "train-imdb-linear", "train-mnist-cnn", "train-mnist-baseline", "study-naver"),
}

# the settings that shape no step's output, and why
RUN_SETTINGS: dict[str, str] = {
    "home": "where everything is written; cache keys carry the home itself",
    "movielens_source": "a flow input: the source is the ingest's parameter",
    "imdb_source": "a flow input: the source is the ingest's parameter",
    "mnist_source": "a flow input: the source is the ingest's parameter",
    "fashion_mnist_source": "a flow input: the source is the ingest's parameter",
    "naver_scores": "a flow input: the score list is the ingest's parameter",
    "naver_client_id": "a credential: it decides whether the API answers, not what",
    "naver_client_secret": "a credential: it decides whether the API answers, not what",
    "naver_pages_per_second": "the crawl's pace",
    "duckdb_memory_limit": "resources",
    "duckdb_threads": "resources",
    "http_timeout_s": "how long a request may take",
    "http_retries": "how often a transient failure is retried",
    "topn_users_per_task": "how the scoring is split into tasks; the lists are the same",
    "parallel_eval_max_ratings": "whether evaluations run at once or in turn",
    "keep_snapshots": "retention of old snapshots",
    "keep_models": "retention of old models",
    "promotion_tolerance": "decided after the steps, from their recorded metrics, on every run",
    "task_runner": "where tasks run",
    "dask_address": "where tasks run",
    "lake_url": "where the lake copies go; each copy carries the stamp it was written from",
    "s3_endpoint_url": "where the lake copies go",
    "s3_access_key_id": "a credential of the lake",
    "s3_secret_access_key": "a credential of the lake",
    "s3_region": "where the lake copies go",
    "nightly_cron": "when the schedule runs",
    "nightly_timezone": "when the schedule runs",
    "server_idle_s": "the background Prefect server's lifetime",
    "server_start_timeout_s": "how long a command waits for the Prefect server",
}


def configure_prefect(settings: Settings, quiet_console: bool = False) -> None:
    """Point Prefect at ``CINEPIPE_HOME`` before it is imported.

    Local mode (no server to start by hand) unless the user already set ``PREFECT_HOME`` or
    ``PREFECT_API_URL``. Task results, which make the cache, go under ``cache/``. With
    ``quiet_console``, Prefect's own console lines (tracebacks included) are left out; the logs
    still reach the Prefect API and UI.
    """
    env = os.environ
    if "PREFECT_HOME" not in env and "PREFECT_API_URL" not in env:
        settings.prefect_home.mkdir(parents=True, exist_ok=True)
        env["PREFECT_HOME"] = str(settings.prefect_home)
    env.setdefault("PREFECT_LOCAL_STORAGE_PATH", str(settings.results_dir))
    env.setdefault("PREFECT_RESULTS_PERSIST_BY_DEFAULT", "true")
    env.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    env.setdefault("DO_NOT_TRACK", "1")
    env.setdefault("PREFECT_LOGGING_LEVEL", "INFO")
    if quiet_console:
        env.setdefault("PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL", "CRITICAL")
    # two busy cores can take longer than Prefect's default 20 s to start its local API
    env.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "180")
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
