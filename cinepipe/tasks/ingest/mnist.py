"""Ingest tasks of the MNIST branch: fetch or locate the IDX files, check and stage them, load."""

from __future__ import annotations

from prefect import task

from cinepipe.io.archives import ArchiveLimits
from cinepipe.mnist.load import Loaded, load_images
from cinepipe.mnist.sources import Fetched, fetch_files
from cinepipe.mnist.store import Staged, stage_images
from cinepipe.settings import get_settings
from cinepipe.tasks._common import NETWORK, STAGED, step_key


@task(name="fetch-mnist", task_run_name="fetch-mnist[{dataset}]", **NETWORK)
def fetch_mnist(source: str, dataset: str, archive_max_member_bytes: int, archive_max_total_bytes: int,
                archive_max_ratio: float) -> Fetched:
    """Download (cached under downloads/) or locate the four files and compare them with the
    published md5 (a gzipped file expanded within the archive caps); a download that contradicts
    it is deleted and rejected."""
    limits = ArchiveLimits(archive_max_member_bytes, archive_max_total_bytes, archive_max_ratio)
    return fetch_files(source, dataset, limits, get_settings())


@task(name="stage-mnist", task_run_name="stage-mnist[{fetched[dataset]}]", cache_policy=STAGED)
def stage_mnist(fetched: Fetched) -> Staged:
    """Parse and check the IDX files; write one row per image to Parquet under staging/."""
    return stage_images(fetched, step_key(stage_mnist, fetched["key"]), get_settings().staging_dir)


@task(name="load-mnist", task_run_name="load-mnist[{staged[dataset]}]")
def load_mnist(staged: Staged, run_id: str) -> Loaded:
    """Replace the data set's rows of ``mnist_images`` in one transaction; copy to the lake."""
    return load_images(staged, run_id, get_settings())
