"""Validate task of the IMDB branch: suite checks, quarantine, dedup, GX report."""

from __future__ import annotations

from prefect import task

from cinepipe.imdb.checks import Validated, validate_read
from cinepipe.imdb.sources import Read
from cinepipe.settings import get_settings
from cinepipe.tasks._common import STAGED, step_key


@task(name="validate-imdb", task_run_name="validate-imdb", cache_policy=STAGED)
def validate_imdb(read: Read, max_bad_fraction: float, gx_max_rows: int) -> Validated:
    """Good, deduplicated reviews and quarantined rows as Parquet; fails above the bad fraction."""
    key = step_key(validate_imdb, read["key"], max_bad_fraction, gx_max_rows)
    return validate_read(read, key, max_bad_fraction, gx_max_rows, get_settings().staging_dir)
