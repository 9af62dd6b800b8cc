"""Ingest tasks of the MovieLens branch: fetch and parse a release."""

from __future__ import annotations

from prefect import task

from cinepipe.io.archives import ArchiveLimits
from cinepipe.movielens import stage
from cinepipe.movielens.source import Fetched, fetch_release
from cinepipe.settings import get_settings
from cinepipe.tasks._common import NETWORK, STAGED, step_key


@task(name="fetch-movielens", task_run_name="fetch-movielens", **NETWORK)
def fetch_movielens(source: str, archive_max_member_bytes: int, archive_max_total_bytes: int,
                    archive_max_ratio: float) -> Fetched:
    """Download (conditionally) or locate a release, a zip extracted within the archive caps;
    returns where it is and its content key."""
    limits = ArchiveLimits(archive_max_member_bytes, archive_max_total_bytes, archive_max_ratio)
    return fetch_release(source, get_settings(), limits)


@task(name="parse-movielens", task_run_name="parse-movielens[{release[dataset]}]", cache_policy=STAGED)
def parse_movielens(release: Fetched) -> stage.Parsed:
    """Parse the release's files into the typed staging tables of its staging database."""
    return stage.parse_fetched(release, step_key(parse_movielens, release), get_settings())
