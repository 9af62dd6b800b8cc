"""Load a staged data set into ``mnist_images``: one partition load per data set."""

from __future__ import annotations

from pathlib import Path
from typing import TypedDict

import duckdb

from cinepipe.mnist.store import STAGED_FILE, Staged
from cinepipe.settings import Settings
from cinepipe.storage.contracts import sql
from cinepipe.storage.partition import Partition, load_partition

TABLE = "mnist_images"


class Loaded(TypedDict):
    replaced: int
    loaded: int


def load_images(staged: Staged, run_id: str, settings: Settings) -> Loaded:
    """Replace the data set's rows of ``mnist_images`` in one transaction; then refresh the lake copy."""
    parquet = str(Path(staged["dir"]) / STAGED_FILE)

    def insert(con: duckdb.DuckDBPyConnection) -> int:
        return con.execute(sql("load_mnist_images"), {"parquet": parquet, "run_id": run_id}).fetchone()[0]

    done = load_partition(settings, Partition(TABLE, staged["dataset"], "dataset"), insert,
                          content_key=staged["key"], run_id=run_id)
    return Loaded(replaced=done.replaced, loaded=done.loaded)
