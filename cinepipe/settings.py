"""The one typed settings object: the only code that reads the environment.

Every path a run writes is derived from ``home`` (``CINEPIPE_HOME``), so a run writes nowhere else.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Settings read from ``CINEPIPE_*`` variables and a ``.env`` file."""

    model_config = SettingsConfigDict(env_prefix="CINEPIPE_", env_file=".env", extra="ignore")

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
    retrain_fraction: float = Field(
        0.05, ge=0, le=1, description="New/old ratings above which an update retrains fully."
    )

    # running
    task_runner: Literal["thread", "dask"] = "thread"
    dask_address: str | None = None
    lake_url: str | None = Field(None, description="Lake location: a directory or s3:// URL.")
    s3_endpoint_url: str | None = None
    nightly_cron: str = "0 3 * * *"
    nightly_timezone: str = "Asia/Seoul"

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


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()


def reset_settings() -> None:
    """Forget the cached settings (tests change the environment between cases)."""
    get_settings.cache_clear()


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
