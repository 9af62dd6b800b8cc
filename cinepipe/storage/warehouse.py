"""The DuckDB warehouse: connections, DDL, atomic loads and Parquet copies in the lake.

Writers hold an inter-process file lock, so two runs never interleave their writes; every load is
one DuckDB transaction, so a run killed part-way leaves the tables as they were.
"""

from __future__ import annotations

import functools
import re
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from cinepipe.errors import CinepipeError
from cinepipe.io.hashing import content_key
from cinepipe.settings import Settings
from cinepipe.storage import duck
from cinepipe.storage.contracts import sql, warehouse_sql_dir

if TYPE_CHECKING:  # pandas costs half a second to import: `status` and `recommend` do without
    import pandas as pd

LAYER_ORDER = ("ops", "raw", "staging", "marts", "exports")
CHECKPOINT_THRESHOLD = "1MB"


class WarehouseBusy(CinepipeError):
    """Another run holds the warehouse write lock."""


def configure(con: duckdb.DuckDBPyConnection, settings: Settings) -> None:
    """Apply our DuckDB settings to a connection from :mod:`cinepipe.storage.duck` (they are instance-wide)."""
    settings.spill_dir.mkdir(parents=True, exist_ok=True)
    values = {
        "memory_limit": duck.quote(settings.duckdb_memory_limit),
        "temp_directory": duck.quote(str(settings.spill_dir)),
        "enable_progress_bar": "false",  # logs, not a terminal
        # a commit whose log would pass 1 MB (a bulk load) checkpoints straight into the file instead
        # of writing its rows twice, to the WAL now and into the file at close (the default is 16 MB);
        # small commits still go to the WAL. Measured on a 100k-row load: 67 ms of commit + close -> 45
        "checkpoint_threshold": duck.quote(CHECKPOINT_THRESHOLD),
    }
    if settings.duckdb_threads:
        values["threads"] = str(int(settings.duckdb_threads))
    duck.apply_settings(con, values)


def drop_relation(con: duckdb.DuckDBPyConnection, name: str) -> None:
    """Drop the table or view called ``name`` in the connection's database, whichever it is (DuckDB's
    ``drop view if exists`` fails on a table and the other way round). The catalogue says which, so
    this also works inside a transaction, where a failed statement would abort it."""
    is_table = con.execute(
        "select count(*) from duckdb_tables() where database_name = current_database() "
        "and schema_name = current_schema() and table_name = $name", {"name": name}).fetchone()[0]
    con.execute(f"drop {'table' if is_table else 'view if exists'} {name}")


@functools.cache
def _ddl() -> tuple[tuple[str, ...], frozenset[str] | None]:
    """The DDL files' statements in layer order, and the tables they declare; None instead of the
    tables when the DDL creates anything else (views, indexes), which is then always applied."""
    root = warehouse_sql_dir()
    texts = tuple(path.read_text() for layer in LAYER_ORDER for path in sorted((root / layer).glob("ddl_*.sql")))
    code = re.sub(r"--[^\n]*", "", "\n".join(texts))
    tables = re.findall(r"\bcreate\s+table\s+if\s+not\s+exists\s+(\w+)", code, re.IGNORECASE)
    only_tables = len(re.findall(r"\bcreate\b", code, re.IGNORECASE)) == len(tables)
    return texts, frozenset(tables) if only_tables else None


def apply_ddl(con: duckdb.DuckDBPyConnection) -> None:
    """Create every table that ``warehouse/*/ddl_*.sql`` declares (idempotent).

    The DDL is all ``create table if not exists``, so when every table is there it would change
    nothing; one catalogue query says so (every writer connection runs this).
    """
    texts, tables = _ddl()
    present = {r[0] for r in con.execute(
        "select table_name from duckdb_tables() where database_name = current_database()").fetchall()}
    if tables is None or not tables <= present:
        with duck.transaction(con):  # all or nothing, and one commit instead of one per table
            for text in texts:
                con.execute(text)
    _migrate(con)


def _migrate(con: duckdb.DuckDBPyConnection) -> None:
    """Bring a warehouse made by an earlier version to the current DDL (each step runs once)."""
    nullable = con.execute(
        "select is_nullable from duckdb_columns() where database_name = current_database() "
        "and table_name = 'movielens_ratings' and column_name = 'origin'"
    ).fetchone()
    if nullable and not nullable[0]:  # before: origin 'release' on every release row
        with duck.transaction(con):
            con.execute("alter table movielens_ratings alter column origin drop not null")
            con.execute("alter table movielens_ratings alter column origin drop default")
            con.execute("update movielens_ratings set origin = null where origin = 'release'")
    flagged = con.execute(
        "select count(*) from duckdb_columns() where database_name = current_database() "
        "and table_name = 'movielens_movies' and column_name = 'title_repaired'"
    ).fetchone()[0]
    if not flagged:  # before: titles with bytes that are not UTF-8 were rejected, not repaired
        con.execute("alter table movielens_movies add column title_repaired boolean")


def lock_path(settings: Settings) -> Path:
    return settings.warehouse_path.with_suffix(".lock")


@contextmanager
def write_lock(settings: Settings, timeout_s: float = 600.0) -> Iterator[None]:
    """Hold the warehouse's write lock; wait up to ``timeout_s`` for another run to finish."""
    # filelock loads asyncio: 0.1 s that readers (`status`) need not pay
    from filelock import FileLock, Timeout

    settings.warehouse_path.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(lock_path(settings)))
    try:
        lock.acquire(timeout=timeout_s)
    except Timeout as exc:
        raise WarehouseBusy(
            str(settings.warehouse_path),
            f"another cinepipe run has held the write lock for over {timeout_s:.0f}s",
            "Wait for it to finish (`cinepipe status`), then run again.",
        ) from exc
    try:
        yield
    finally:
        lock.release()


@contextmanager
def _open(path: Path, read_only: bool, timeout_s: float = 120.0) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open the DuckDB file, waiting while another process has it open (DuckDB allows one
    process at a time; ours hold it only for the length of one step)."""
    deadline = time.monotonic() + timeout_s
    with ExitStack() as stack:
        while True:
            try:
                con = stack.enter_context(duck.connect(path, read_only=read_only))
                break
            except duckdb.IOException as exc:
                if "lock" not in str(exc).lower():
                    raise CinepipeError(
                        str(path), f"DuckDB cannot open the warehouse file ({exc})",
                        "Restore it from a backup, or move it aside and run the flows again to rebuild it.",
                    ) from exc
                if time.monotonic() > deadline:
                    raise CinepipeError(
                        str(path), f"the warehouse is in use by another process ({exc})",
                        "Wait for the running cinepipe step to finish and try again.",
                    ) from exc
                time.sleep(0.2)
        yield con


@contextmanager
def connect(settings: Settings, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection to the warehouse with the DDL applied (writers) and settings set."""
    path = settings.warehouse_path
    if read_only and not path.exists():
        raise CinepipeError(
            str(path), "the warehouse does not exist yet", "Run `cinepipe nightly --sample` first."
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    with _open(path, read_only) as con:
        configure(con, settings)
        if not read_only:
            apply_ddl(con)
        yield con


@contextmanager
def transaction(settings: Settings) -> Iterator[duckdb.DuckDBPyConnection]:
    """One atomic write: lock, begin, yield, commit (or roll back on any error)."""
    with write_lock(settings), connect(settings) as con, duck.transaction(con):
        yield con


def new_run_id() -> str:
    """The current Prefect flow run id, or a fresh one outside a flow."""
    try:
        from prefect.runtime import flow_run

        run_id = flow_run.get_id()
    except Exception:  # prefect not initialised: plain function call
        run_id = None
    return str(run_id) if run_id else f"local-{uuid.uuid4()}"


def append_df(con: duckdb.DuckDBPyConnection, table: str, df: pd.DataFrame) -> int:
    """Insert a frame by column name (extra table columns take their defaults)."""
    if df.empty:
        return 0
    cols = ", ".join(f'"{c}"' for c in df.columns)
    con.register("_append_df", df)
    try:
        con.execute(f"insert into {table} ({cols}) select {cols} from _append_df")
    finally:
        con.unregister("_append_df")
    return len(df)


def record_quarantine(
    con: duckdb.DuckDBPyConnection, rows: pd.DataFrame, *, source: str, table_name: str, run_id: str
) -> int:
    """Append rejected rows (columns ``raw``, ``reason``) to ``quarantine``."""
    if rows.empty:
        return 0
    import pandas as pd

    frame = pd.DataFrame(
        {
            "source": source,
            "table_name": table_name,
            "raw": rows["raw"].astype("string"),
            "reason": rows["reason"].astype("string"),
            "run_id": run_id,
            "quarantined_at": datetime.now(UTC),
        }
    )
    return append_df(con, "quarantine", frame)


def record_metrics(
    settings: Settings,
    rows: Sequence[dict],
    *,
    run_id: str,
) -> int:
    """Append evaluation figures to ``eval_metrics`` (one dict per metric value)."""
    if not rows:
        return 0
    import pandas as pd

    frame = pd.DataFrame(list(rows))
    frame["run_id"] = run_id
    frame["created_at"] = datetime.now(UTC)
    with transaction(settings) as con:
        return append_df(con, "eval_metrics", frame)


def already_loaded(
    con: duckdb.DuckDBPyConnection, table_name: str, partition_key: str, content_key: str
) -> bool:
    """True when the latest load of this partition was this content and its rows are still there."""
    row = con.execute(
        """
        select content_key, rows_loaded from load_log
        where table_name = ? and partition_key = ?
        order by loaded_at desc limit 1
        """,
        [table_name, partition_key],
    ).fetchone()
    return row is not None and row[0] == content_key


def log_load(
    con: duckdb.DuckDBPyConnection,
    *,
    run_id: str,
    table_name: str,
    partition_key: str,
    content_key: str,
    rows_loaded: int,
    rows_quarantined: int = 0,
) -> None:
    con.execute(
        "insert into load_log (run_id, table_name, partition_key, content_key, rows_loaded,"
        " rows_quarantined) values (?, ?, ?, ?, ?, ?)",
        [run_id, table_name, partition_key, content_key, rows_loaded, rows_quarantined],
    )


def table_stamp(con: duckdb.DuckDBPyConnection, table: str, partition: tuple[str, str] | None = None) -> str:
    """What a table (or one partition, ``(column, value)``) holds now, as a key: its row count and
    its load history. Cheap (a count and a small ledger query), so every run can compare it with the
    stamp a derived copy was written from and repair a copy that a crash left behind."""
    where, args = (f" where {partition[0]} = ?", [partition[1]]) if partition else ("", [])
    rows = con.execute(f"select count(*) from {table}{where}", args).fetchall()[0][0]
    log = con.execute(
        "select count(*), max(loaded_at) from load_log where table_name = ?"
        + (" and partition_key = ?" if partition else ""), [table, *([partition[1]] if partition else [])]).fetchall()[0]
    return content_key(table, partition, rows, log[0], log[1])


def export_to_lake(settings: Settings, table: str, partition_col: str | None = None) -> str:
    """Bring the table's Parquet copy in the lake (a directory or ``s3://``) up to date with the
    warehouse: rewritten when the stamp it was written from differs from the table's, else left
    alone. Callers run it on every run, loads skipped or not, so a copy a crash missed is repaired."""
    from cinepipe.storage import lake

    with connect(settings, read_only=True) as con:
        stamp = table_stamp(con, table)
        if lake.read_stamp(settings, table) == stamp:
            return lake.location(settings, table)
        return lake.write_table(con, settings, table, partition_col, stamp=stamp)


def table_counts(settings: Settings) -> dict[str, int]:
    with connect(settings, read_only=True) as con:
        return row_counts(con)


def row_counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Rows per table of the connection's database, by table name."""
    names = [r[0] for r in con.execute(
        "select table_name from duckdb_tables() where database_name = current_database() order by 1").fetchall()]
    return {n: con.execute(f"select count(*) from {n}").fetchone()[0] for n in names}


__all__ = [
    "already_loaded",
    "append_df",
    "apply_ddl",
    "connect",
    "export_to_lake",
    "log_load",
    "new_run_id",
    "record_metrics",
    "record_quarantine",
    "row_counts",
    "sql",
    "table_counts",
    "transaction",
    "write_lock",
]
