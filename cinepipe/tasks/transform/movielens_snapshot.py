"""Snapshot task: the dataset's current ratings as a content-keyed Parquet file."""

from __future__ import annotations

from pathlib import Path

from prefect import task

from cinepipe.movielens.snapshot import attach_u1, snapshot_for_users, snapshot_ratings
from cinepipe.settings import get_settings


@task(name="snapshot-movielens", task_run_name="snapshot-movielens[{dataset}]")
def snapshot_movielens(dataset: str, stage_dir: str | None = None) -> dict:
    """Write (or reuse) the snapshot of ``dataset``'s ratings; its key changes with the ratings."""
    snapshot = snapshot_ratings(get_settings(), dataset)
    return attach_u1(snapshot, Path(stage_dir)) if stage_dir else snapshot


@task(name="snapshot-movielens-users", task_run_name="snapshot-movielens-users[{dataset}]")
def snapshot_movielens_users(dataset: str, users: list[int]) -> dict:
    """The partial snapshot an incremental refresh needs: the touched users' ratings and counts."""
    return snapshot_for_users(get_settings(), dataset, users)
