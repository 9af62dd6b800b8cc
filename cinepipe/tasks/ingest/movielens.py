"""Ingest tasks of the MovieLens branch: fetch and parse a release."""

from __future__ import annotations

from pathlib import Path

from prefect import task

from cinepipe.io.archives import ArchiveLimits
from cinepipe.movielens import source as ml_source
from cinepipe.movielens import stage
from cinepipe.reporting.progress import download_bar
from cinepipe.settings import get_settings
from cinepipe.tasks._common import (
    NETWORK,
    STAGED,
    step_key,
)


@task(name="fetch-movielens", task_run_name="fetch-movielens", **NETWORK)
def fetch_movielens(source: str, archive_max_member_bytes: int, archive_max_total_bytes: int,
                    archive_max_ratio: float) -> dict:
    """Download (conditionally) or locate a release, a zip extracted within the archive caps;
    returns where it is and its content key."""
    limits = ArchiveLimits(archive_max_member_bytes, archive_max_total_bytes, archive_max_ratio)
    with download_bar(f"download {source}") as progress:
        release = ml_source.resolve(source, get_settings(), progress, limits)
    return {
        "source": source,
        "root": str(release.root),
        "dataset": release.dataset,
        "layout": release.layout.kind,
        "content_key": release.content_key,
    }


@task(name="parse-movielens", task_run_name="parse-movielens[{release[dataset]}]", cache_policy=STAGED)
def parse_movielens(release: dict) -> dict:
    """Parse the release's files into the typed staging tables of its staging database."""
    settings = get_settings()
    stage_dir = stage.stage_dir_for(settings, release["content_key"])
    layout = ml_source.ML100K_LAYOUT if release["layout"] == "ml-100k" else ml_source.CSV_LAYOUT
    counts = stage.parse_release(Path(release["root"]), layout, stage_dir, settings)
    return {"stage_dir": str(stage_dir), "key": step_key(parse_movielens, release), "counts": counts}
