"""Load a staged release into the warehouse: one partition load, skipped when already loaded."""

from __future__ import annotations

from pathlib import Path
from typing import TypedDict

import duckdb

from cinepipe.movielens.stage import STAGE_DB
from cinepipe.settings import Settings
from cinepipe.storage import duck
from cinepipe.storage.contracts import statements
from cinepipe.storage.partition import Partition, load_partition, partition_rows

TABLES = ("movielens_ratings", "movielens_movies", "movielens_tags")


class Loaded(TypedDict):
    skipped: bool
    rows: dict[str, int]  # the data set's rows per table, after the load
    quarantined: int


def load_release(
    stage_dir: Path, *, dataset: str, content_key: str, source: str, run_id: str, settings: Settings
) -> Loaded:
    """Replace ``dataset``'s rows with the staged release, atomically, and refresh the lake copies.

    A run killed part-way leaves the warehouse as it was (DuckDB rolls back the open transaction
    on the next start); a rerun of the same content is a no-op.
    """
    partition = Partition("movielens_ratings", dataset, "dataset")
    with duck.connect(stage_dir / STAGE_DB, read_only=True) as stage:
        stg = stage.execute("select current_database()").fetchone()[0]
        quarantined = stage.execute("select count(*) from rejects").fetchone()[0]

        def write(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
            # the SQL replaces the release's rows itself: ratings added through the inbox survive
            params = {"dataset": dataset, "run_id": run_id, "source": source}
            for statement in statements("load_movielens"):
                statement = statement.replace("{stg}", stg)
                con.execute(statement, {k: v for k, v in params.items() if f"${k}" in statement})
            return partition_rows(con, partition, TABLES)

        loaded = load_partition(settings, partition, write, content_key=content_key, run_id=run_id,
                                bad=quarantined, replace=False, unchanged="skip", tables=TABLES)
    return Loaded(skipped=loaded.skipped, rows=loaded.rows, quarantined=loaded.quarantined)
