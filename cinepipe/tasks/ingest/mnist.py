"""Ingest tasks of the MNIST branch: fetch or locate the IDX files, check and stage them, load."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from prefect import task

from cinepipe.errors import DownloadError, ValidationFailed
from cinepipe.io.archives import ArchiveLimits
from cinepipe.io.download import fetch, is_remote, local_path, sha256_file
from cinepipe.mnist import idx, sources, store, validate
from cinepipe.settings import Settings, get_settings
from cinepipe.storage import warehouse
from cinepipe.storage.contracts import sql
from cinepipe.tasks._common import (
    NETWORK,
    STAGED,
    content_dir,
    content_key,
    step_key,
)

TABLE = "mnist_images"
SUITE = "mnist_images"


def _download(base_url: str, stem: str, dest_dir: Path, settings: Settings) -> Path:
    """The gzipped file where the server has it, else the plain one."""
    last: DownloadError | None = None
    for url in sources.remote_candidates(base_url, stem):
        try:
            return fetch(url, dest_dir / url.rsplit("/", 1)[-1], timeout_s=settings.http_timeout_s,
                         retries=settings.http_retries).path
        except DownloadError as exc:
            if not exc.problem.startswith("HTTP 404"):
                raise
            last = exc
    raise DownloadError(base_url, f"neither {stem}.gz nor {stem} is there ({last.problem})",
                        "Check the URL base: it must hold the four MNIST-style IDX files.")


@task(name="fetch-mnist", task_run_name="fetch-mnist[{dataset}]", **NETWORK)
def fetch_mnist(source: str, dataset: str, archive_max_member_bytes: int, archive_max_total_bytes: int,
                archive_max_ratio: float) -> dict:
    """Download (cached under downloads/) or locate the four files and compare them with the
    published md5 (a gzipped file expanded within the archive caps); a download that contradicts
    it is deleted and rejected."""
    settings = get_settings()
    limits = ArchiveLimits(archive_max_member_bytes, archive_max_total_bytes, archive_max_ratio)
    paths: dict[str, str] = {}
    checksums: dict[str, str] = {}
    if is_remote(source):
        dest_dir = settings.downloads_dir / "mnist" / dataset / content_key(source)
        for (split, kind), stem in sources.FILES.items():
            path = _download(source, stem, dest_dir, settings)
            try:
                checksums[stem] = sources.require_published(dataset, stem, path, source, limits)
            except DownloadError:
                path.unlink(missing_ok=True)
                raise
            paths[f"{split}_{kind}"] = str(path)
    else:
        for (split, kind), found in sources.find_local(local_path(source).resolve()).items():
            path = Path(found.location)
            checksums[found.stem] = sources.checksum_status(dataset, found.stem, path.read_bytes(), limits)
            paths[f"{split}_{kind}"] = str(path)
    key = content_key(dataset, *(sha256_file(Path(paths[k])) for k in sorted(paths)))
    return {"source": source, "dataset": dataset, "files": paths, "checksums": checksums, "key": key,
            "limits": [archive_max_member_bytes, archive_max_total_bytes, archive_max_ratio]}


@task(name="stage-mnist", task_run_name="stage-mnist[{fetched[dataset]}]", cache_policy=STAGED)
def stage_mnist(fetched: dict) -> dict:
    """Parse and check the IDX files; write one row per image to Parquet under staging/."""
    dataset = fetched["dataset"]
    key = step_key(stage_mnist, fetched["key"])
    out = content_dir(get_settings().staging_dir / "mnist", key)
    tables, counts, duplicates = [], {}, {}
    for split in ("train", "test"):
        limits = ArchiveLimits(*fetched["limits"])  # the caps the fetch checked the files within
        images = idx.read_idx(Path(fetched["files"][f"{split}_images"]), "images", limits)
        labels = idx.read_idx(Path(fetched["files"][f"{split}_labels"]), "labels", limits)
        validate.check_split(images, labels, split=split, source=fetched["source"])
        tables.append(store.images_table(dataset, split, images, labels))
        counts[split] = len(labels)
        duplicates[split] = validate.duplicate_count(images)
    table = pa.concat_tables(tables)
    _check_rows(table, fetched["source"])
    pq.write_table(table, out / store.STAGED_FILE)
    _publish_validation(fetched, counts, duplicates)
    return {"dir": str(out), "key": key, "dataset": dataset, "counts": counts,
            "duplicates": duplicates}


def _check_rows(table: pa.Table, source: str) -> None:
    """The suite's row checks; a failing row means a corrupt file, so it stops the run."""
    from cinepipe.storage.validation import check_frame

    frame = table.select(["dataset", "split", "idx", "label"]).to_pandas()
    frame["pixel_bytes"] = pc.binary_length(table["pixels"]).to_numpy()
    result = check_frame(frame, SUITE)
    if len(result.bad):
        raise ValidationFailed(source, f"{len(result.bad)} images fail {SUITE}: {result.failures}",
                               "The files are corrupt or not an MNIST-style release.")


def _publish_validation(fetched: dict, counts: dict, duplicates: dict) -> None:
    """The checks the images passed (a failing one stops the run before this), as a UI report."""
    from cinepipe.reporting.artifacts import (
        publish_markdown,
        suite_results,
        validation_markdown,
    )
    from cinepipe.storage.validation import load_suite

    dataset = fetched["dataset"]
    facts = [
        "images: " + ", ".join(f"{split} {n:,}" for split, n in counts.items()),
        "duplicate images (same pixels): " + ", ".join(f"{split} {n:,}" for split, n in duplicates.items()),
        "IDX files: magic numbers, sizes (28x28), label range and class coverage checked on the bytes",
        "checksums against the published ones: "
        + ", ".join(f"{stem} {status}" for stem, status in fetched.get("checksums", {}).items()),
    ]
    report = validation_markdown(f"Validation of mnist[{dataset}]", facts, {},
                                 {TABLE: suite_results(load_suite(SUITE), {})})
    publish_markdown(report, key=f"validation-mnist-{dataset}", description="Validation results")


@task(name="load-mnist", task_run_name="load-mnist[{staged[dataset]}]")
def load_mnist(staged: dict, run_id: str) -> dict:
    """Replace the data set's rows of ``mnist_images`` in one transaction; copy to the lake."""
    settings = get_settings()
    dataset = staged["dataset"]
    parquet = str(Path(staged["dir"]) / store.STAGED_FILE)
    with warehouse.transaction(settings) as con:
        deleted = con.execute(f"delete from {TABLE} where dataset = ?", [dataset]).fetchone()[0]
        loaded = con.execute(sql("load_mnist_images"), {"parquet": parquet, "run_id": run_id}).fetchone()[0]
        warehouse.log_load(con, run_id=run_id, table_name=TABLE, partition_key=dataset,
                           content_key=staged["key"], rows_loaded=loaded)
    warehouse.export_to_lake(settings, TABLE, partition_col="dataset")
    return {"replaced": int(deleted), "loaded": int(loaded)}
