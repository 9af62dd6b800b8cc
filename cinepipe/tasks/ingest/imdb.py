"""Ingest tasks of the IMDB branch: fetch or locate the source, read reviews, load the warehouse."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from prefect import task

from cinepipe.errors import LayoutError
from cinepipe.imdb.columns import LOADED_COLUMNS, SOURCE, TABLE
from cinepipe.imdb.sources import ReadLimits, read_reviews
from cinepipe.io.archives import ArchiveLimits
from cinepipe.io.download import fetch, is_remote, local_path, sha256_file
from cinepipe.reporting.progress import download_bar
from cinepipe.settings import get_settings
from cinepipe.storage import warehouse
from cinepipe.tasks._common import (
    NETWORK,
    STAGED,
    content_dir,
    content_key,
    fingerprint_path,
    step_key,
)

WORD_INDEX = "imdb_word_index.json"


@task(name="fetch-imdb", task_run_name="fetch-imdb", **NETWORK)
def fetch_imdb(source: str) -> dict:
    """Download (conditionally, cached under downloads/) or locate the source; checksum it."""
    settings = get_settings()
    if is_remote(source):
        name = source.rstrip("/").rsplit("/", 1)[-1]
        with download_bar(f"download {source}") as progress:
            got = fetch(source, settings.downloads_dir / "imdb" / name, timeout_s=settings.http_timeout_s,
                        retries=settings.http_retries, progress=progress)
        digests = [got.sha256]
        if name.endswith(".npz"):  # Keras publishes the word index beside the arrays
            index_url = source.rstrip("/").rsplit("/", 1)[0] + "/" + WORD_INDEX
            digests.append(fetch(index_url, got.path.with_name(WORD_INDEX), timeout_s=settings.http_timeout_s,
                                 retries=settings.http_retries).sha256)
        path = got.path
    else:
        path = local_path(source).resolve()
        if not path.exists():
            raise LayoutError(source, "no such file or directory", "Check the path given as --source.")
        digests = [sha256_file(path) if path.is_file() else fingerprint_path(path)]
        if path.suffix == ".npz" and path.with_name(WORD_INDEX).is_file():
            digests.append(sha256_file(path.with_name(WORD_INDEX)))
    return {"source": source, "path": str(path), "sha256": digests[0], "key": content_key(*digests)}


@task(name="read-imdb", task_run_name="read-imdb", cache_policy=STAGED)
def read_imdb(fetched: dict, archive_max_member_bytes: int, archive_max_total_bytes: int, archive_max_ratio: float,
              imdb_max_review_bytes: int) -> dict:
    """Every review as read, and the members that could not be used, as Parquet under staging/."""
    limits = ReadLimits(ArchiveLimits(archive_max_member_bytes, archive_max_total_bytes, archive_max_ratio),
                        imdb_max_review_bytes)
    key = step_key(read_imdb, fetched["key"], limits)
    out = content_dir(get_settings().staging_dir / "imdb" / "read", key)
    result = read_reviews(Path(fetched["path"]), limits)
    result.reviews.to_parquet(out / "reviews.parquet", index=False)
    result.bad.to_parquet(out / "unreadable.parquet", index=False)
    return {"dir": str(out), "key": key, "dataset": result.dataset,
            "counts": {"reviews": len(result.reviews), "unreadable": len(result.bad)}}


@task(name="load-imdb", task_run_name="load-imdb[{dataset}]")
def load_imdb(validated: dict, fetched: dict, dataset: str, run_id: str) -> dict:
    """Replace the source's rows of ``imdb_reviews`` and record its quarantine, in one transaction."""
    settings = get_settings()
    good = pd.read_parquet(Path(validated["dir"]) / "good.parquet")[LOADED_COLUMNS]
    bad = pd.read_parquet(Path(validated["dir"]) / "quarantined.parquet")
    rows = good.assign(source_uri=fetched["source"], source_sha256=fetched["sha256"], load_run_id=run_id)
    with warehouse.transaction(settings) as con:
        deleted = con.execute(f"delete from {TABLE} where {SOURCE} = ?", [dataset]).fetchone()[0]
        loaded = warehouse.append_df(con, TABLE, rows)
        quarantined = warehouse.record_quarantine(
            con, bad, source=f"imdb:{dataset}", table_name=TABLE, run_id=run_id
        )
        warehouse.log_load(con, run_id=run_id, table_name=TABLE, partition_key=dataset,
                           content_key=validated["key"], rows_loaded=loaded, rows_quarantined=quarantined)
    warehouse.export_to_lake(settings, TABLE, partition_col=SOURCE)
    warehouse.export_to_lake(settings, "quarantine")
    return {"replaced": int(deleted), "loaded": loaded, "quarantined": quarantined}
