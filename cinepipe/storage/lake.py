"""The Parquet lake: a local directory or an ``s3://`` URL, written and read with pyarrow.

Tables stream out of DuckDB as Arrow record batches, so a 25M-row table never sits in memory
whole. Local copies are written beside the old one and swapped in with a rename; on object
storage each partition's objects are replaced (readers see whole objects only).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from urllib.parse import urlparse

import duckdb
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.fs as pafs

from cinepipe.settings import Settings

BATCH_ROWS = 1_000_000


def filesystem(settings: Settings) -> tuple[pafs.FileSystem, str]:
    """The lake's filesystem and its root path within it."""
    url = settings.lake_location
    parsed = urlparse(url)
    if parsed.scheme == "s3":
        fs = pafs.S3FileSystem(
            endpoint_override=settings.s3_endpoint_url,
            access_key=settings.s3_access_key_id,
            secret_key=settings.s3_secret_access_key.get_secret_value() if settings.s3_secret_access_key else None,
            region=settings.s3_region,
            scheme="http" if (settings.s3_endpoint_url or "").startswith("http://") else "https",
        )
        return fs, f"{parsed.netloc}{parsed.path}".rstrip("/")
    return pafs.LocalFileSystem(), str(Path(url).expanduser().resolve())


STAMP_FILE = "_cinepipe_stamp"  # readers skip names that start with "_"


def location(settings: Settings, table: str) -> str:
    fs, root = filesystem(settings)
    return f"{root}/{table}" if isinstance(fs, pafs.LocalFileSystem) else f"s3://{root}/{table}"


def read_stamp(settings: Settings, table: str) -> str | None:
    """The warehouse stamp the lake copy of ``table`` was written from (None: no complete copy)."""
    fs, root = filesystem(settings)
    try:
        with fs.open_input_stream(f"{root}/{table}/{STAMP_FILE}") as fh:
            return fh.read().decode().strip()
    except (FileNotFoundError, OSError):
        return None


def write_table(con: duckdb.DuckDBPyConnection, settings: Settings, table: str,
                partition_col: str | None = None, stamp: str | None = None) -> str:
    """Copy ``table`` from the connection to ``<lake>/<table>/`` as Parquet, replacing the old copy;
    ``stamp`` (the table's :func:`cinepipe.storage.warehouse.table_stamp`) is written last, once the copy is whole."""
    fs, root = filesystem(settings)
    reader = con.sql(f"select * from {table}").to_arrow_reader(BATCH_ROWS)
    partitioning = ds.partitioning(pa.schema([reader.schema.field(partition_col)]), flavor="hive") if partition_col else None
    target = f"{root}/{table}"
    if isinstance(fs, pafs.LocalFileSystem):
        final = Path(target)
        tmp = final.with_name(f".{final.name}.tmp-{os.getpid()}")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)  # an empty table writes no file, but its directory still stands
        ds.write_dataset(reader, str(tmp), format="parquet", partitioning=partitioning,
                         basename_template="part-{i}.parquet", filesystem=fs,
                         existing_data_behavior="overwrite_or_ignore")
        if stamp:
            (tmp / STAMP_FILE).write_text(stamp)  # swapped in with the data: both or neither
        old = final.with_name(f".{final.name}.old-{os.getpid()}")
        if final.exists():
            final.rename(old)
        tmp.rename(final)
        shutil.rmtree(old, ignore_errors=True)
        return str(final)
    ds.write_dataset(reader, target, format="parquet", partitioning=partitioning,
                     basename_template="part-{i}.parquet", filesystem=fs,
                     existing_data_behavior="delete_matching")
    if stamp:
        with fs.open_output_stream(f"{target}/{STAMP_FILE}") as fh:
            fh.write(stamp.encode())
    return f"s3://{target}"


def read_table(settings: Settings, table: str) -> pa.Table:
    """A lake table back as Arrow (tests and small tables; big readers should use ``dataset``)."""
    return dataset(settings, table).to_table()


def dataset(settings: Settings, table: str) -> ds.Dataset:
    fs, root = filesystem(settings)
    return ds.dataset(f"{root}/{table}", format="parquet", partitioning="hive", filesystem=fs)
