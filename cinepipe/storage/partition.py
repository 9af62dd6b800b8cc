"""One partition load, the way every branch writes the warehouse.

In one warehouse transaction: replace a partition (the rows of a table that one source or data set
owns), write the good rows, quarantine the bad ones with their reasons and record the load in
``load_log``; then bring the lake's Parquet copies up to date. A run killed part-way leaves the
tables as they were, and the ledger is written in the transaction that does the work.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import duckdb

from cinepipe.settings import Settings
from cinepipe.storage import warehouse

if TYPE_CHECKING:
    import pandas as pd

Writer = Callable[[duckdb.DuckDBPyConnection], "int | Mapping[str, int]"]


@dataclass(frozen=True)
class Partition:
    """The rows of ``table`` whose ``column`` holds ``key`` (``column`` None: every row of it).

    ``key`` is also the load's ``partition_key`` in ``load_log``, and ``column`` the column the
    lake copy is partitioned by."""

    table: str
    key: str
    column: str | None = None


@dataclass(frozen=True)
class PartitionLoad:
    """What a load did: rows deleted from the partition, rows now loaded per table, rows quarantined."""

    replaced: int
    rows: dict[str, int]
    quarantined: int
    skipped: bool = False

    @property
    def loaded(self) -> int:
        return next(iter(self.rows.values()))


def load_partition(
    settings: Settings,
    partition: Partition,
    rows: pd.DataFrame | Writer,
    *,
    content_key: str,
    run_id: str,
    bad: pd.DataFrame | int | None = None,
    source: str = "",
    replace: bool = True,
    unchanged: Literal["reload", "skip", "ledger-once"] = "reload",
    tables: tuple[str, ...] = (),
    lake: bool = True,
) -> PartitionLoad:
    """Load one partition in one transaction; then refresh its lake copies (``lake``).

    Args:
        rows: the good rows, appended to the table by column name; or a function that writes them
            (into the emptied partition) and returns how many, or the count per table when it fills
            several (``partition.table`` first): each table gets its ``load_log`` row.
        bad: the rejected rows (columns ``raw``, ``reason``), quarantined under ``source``; or how
            many rows ``rows`` quarantined itself; None: the load quarantines nothing (and leaves the
            quarantine's lake copy alone).
        replace: delete the partition's rows first; False when ``rows`` replaces them itself.
        unchanged: when the ledger's latest load of this partition is ``content_key``: ``reload``
            loads and records it again; ``skip`` does nothing while the partition still has rows
            (``tables`` name the tables whose rows are counted then); ``ledger-once`` loads the rows
            but neither quarantines nor records the same content twice.
    """
    with warehouse.transaction(settings) as con:
        seen = unchanged != "reload" and warehouse.already_loaded(con, partition.table, partition.key, content_key)
        result = _kept(con, partition, tables or (partition.table,)) if seen and unchanged == "skip" else None
        if result is None:
            result = _write(con, partition, rows, content_key=content_key, run_id=run_id, bad=bad, source=source,
                            replace=replace, record=not (seen and unchanged == "ledger-once"))
    if lake:
        for table in result.rows:
            warehouse.export_to_lake(settings, table, partition_col=partition.column)
        if bad is not None:
            warehouse.export_to_lake(settings, "quarantine")
    return result


def _write(con: duckdb.DuckDBPyConnection, partition: Partition, rows: pd.DataFrame | Writer, *, content_key: str,
           run_id: str, bad: pd.DataFrame | int | None, source: str, replace: bool, record: bool) -> PartitionLoad:
    replaced = 0
    if replace:
        where, args = (f" where {partition.column} = ?", [partition.key]) if partition.column else ("", [])
        replaced = con.execute(f"delete from {partition.table}{where}", args).fetchone()[0]
    written = rows(con) if callable(rows) else warehouse.append_df(con, partition.table, rows)
    counts = dict(written) if isinstance(written, Mapping) else {partition.table: int(written)}
    quarantined = 0
    if record:
        if isinstance(bad, int):
            quarantined = bad
        elif bad is not None:
            quarantined = warehouse.record_quarantine(con, bad, source=source, table_name=partition.table,
                                                      run_id=run_id)
        for table, n in counts.items():
            warehouse.log_load(con, run_id=run_id, table_name=table, partition_key=partition.key,
                               content_key=content_key, rows_loaded=n,
                               rows_quarantined=quarantined if table == partition.table else 0)
    return PartitionLoad(int(replaced), counts, quarantined)


def _kept(con: duckdb.DuckDBPyConnection, partition: Partition, tables: tuple[str, ...]) -> PartitionLoad | None:
    """The partition as it is, when it still has rows (else None: the load runs)."""
    counts = partition_rows(con, partition, tables)
    return PartitionLoad(0, counts, 0, skipped=True) if counts[partition.table] > 0 else None


def partition_rows(con: duckdb.DuckDBPyConnection, partition: Partition, tables: tuple[str, ...]) -> dict[str, int]:
    """Rows of the partition's key in each of ``tables`` (each has the partition's column)."""
    counts = con.execute(
        "select " + ", ".join(f"(select count(*) from {t} where {partition.column} = $key)" for t in tables),
        {"key": partition.key}).fetchone()
    return dict(zip(tables, counts, strict=True))
