"""Ingest tasks of the IMDB branch: fetch or locate the source, read reviews, load the warehouse."""

from __future__ import annotations

from pathlib import Path

from prefect import task

from cinepipe.imdb.checks import Validated
from cinepipe.imdb.fetch import Fetched, fetch_source
from cinepipe.imdb.load import Loaded, load_reviews
from cinepipe.imdb.sources import Read, ReadLimits, stage_reviews
from cinepipe.io.archives import ArchiveLimits
from cinepipe.settings import get_settings
from cinepipe.tasks._common import NETWORK, STAGED, content_dir, step_key


@task(name="fetch-imdb", task_run_name="fetch-imdb", **NETWORK)
def fetch_imdb(source: str) -> Fetched:
    """Download (conditionally, cached under downloads/) or locate the source; checksum it."""
    return fetch_source(source, get_settings())


@task(name="read-imdb", task_run_name="read-imdb", cache_policy=STAGED)
def read_imdb(fetched: Fetched, archive_max_member_bytes: int, archive_max_total_bytes: int, archive_max_ratio: float,
              imdb_max_review_bytes: int) -> Read:
    """Every review as read, and the members that could not be used, as Parquet under staging/."""
    limits = ReadLimits(ArchiveLimits(archive_max_member_bytes, archive_max_total_bytes, archive_max_ratio),
                        imdb_max_review_bytes)
    key = step_key(read_imdb, fetched["key"], limits)
    out = content_dir(get_settings().staging_dir / "imdb" / "read", key)
    return stage_reviews(Path(fetched["path"]), limits, out, key)


@task(name="load-imdb", task_run_name="load-imdb[{dataset}]")
def load_imdb(validated: Validated, fetched: Fetched, dataset: str, run_id: str) -> Loaded:
    """Replace the source's rows of ``imdb_reviews`` and record its quarantine, in one transaction."""
    return load_reviews(validated, fetched, dataset, run_id, get_settings())
