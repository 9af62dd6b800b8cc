"""DuckDB files opened through one in-process DuckDB instance.

Starting a DuckDB instance costs 15-30 ms (it builds its catalogue of built-in functions each time);
attaching a file to a running instance costs about 1 ms. An ingest step opens two or three files
(the staging database, the warehouse) and a MovieLens ingest runs four steps, so on a 100k-row
release opening instances was a fifth of the time. Here every file is attached to one
instance per process and each caller gets its own cursor with that file as its default database.

Rules this module keeps:
- A file is attached once, under a generated alias, and detached (which checkpoints it and
  releases its lock for other processes) when its last user is done, as closing a connection did.
- A file attached read-write also serves read-only callers; a file attached read-only cannot be
  opened read-write until its readers are done (DuckDB refused the same mix between connections).
- Instance-wide settings are applied when they change. ``preserve_insertion_order`` is one of them
  (DuckDB has it GLOBAL only), so code that needs row order holds :func:`insertion_order_kept`,
  which keeps it on until the last such holder is done.
- A forked child starts its own instance; it never touches its parent's.
"""

from __future__ import annotations

import itertools
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb

_guard = threading.RLock()
_aliases = itertools.count()


@dataclass
class _Attached:
    alias: str
    read_only: bool
    users: int = 0


@dataclass
class _Instance:
    pid: int
    con: duckdb.DuckDBPyConnection
    files: dict[str, _Attached]
    settings: dict[str, str]
    order_holders: int = 0


_state: _Instance | None = None


def _instance() -> _Instance:
    """This process's instance (call with ``_guard`` held)."""
    global _state
    if _state is None or _state.pid != os.getpid():
        con = duckdb.connect()
        con.execute("set preserve_insertion_order = false")  # less memory; see insertion_order_kept
        _state = _Instance(pid=os.getpid(), con=con, files={}, settings={})
    return _state


def quote(text: str | Path) -> str:
    """``text`` (a path, say) as a SQL string literal."""
    return "'" + str(text).replace("'", "''") + "'"


@contextmanager
def attached(path: Path | str, read_only: bool = False) -> Iterator[str]:
    """Attach the DuckDB file at ``path`` (made if missing, unless ``read_only``) for the length of
    the block; yields its alias in this process's instance, for qualified names (``alias.table``).

    Raises:
        duckdb.Error: DuckDB's own errors (a file locked by another process, a corrupt file).
        duckdb.ConnectionException: ``read_only=False`` while this process has the file open read-only.
    """
    key = str(Path(path).resolve())
    with _guard:
        state = _instance()
        entry = state.files.get(key)
        if entry is None:
            entry = _Attached(alias=f"db{next(_aliases)}", read_only=read_only)
            mode = " (read_only)" if read_only else ""
            state.con.execute(f"attach {quote(key)} as {entry.alias}{mode}")
            state.files[key] = entry
        elif entry.read_only and not read_only:
            raise duckdb.ConnectionException(
                f"{key} is open read-only in this process; it can be opened for writing once those readers are done"
            )
        entry.users += 1
    try:
        yield entry.alias
    finally:
        with _guard:
            entry.users -= 1
            if entry.users == 0 and state.files.get(key) is entry:
                state.con.execute(f"detach {entry.alias}")  # a failed detach leaves the entry for reuse
                del state.files[key]


@contextmanager
def connect(path: Path | str, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection whose default database is the DuckDB file at ``path`` (see :func:`attached`).

    The connection is this caller's own (its transactions and temporary tables are not shared);
    the file and the instance-wide settings are.
    """
    with attached(path, read_only) as alias:
        with _guard:
            con = _instance().con.cursor()
        try:
            con.execute(f"use {alias}")
            yield con
        finally:
            con.close()


def apply_settings(con: duckdb.DuckDBPyConnection, values: dict[str, str]) -> None:
    """``set name = value`` for each setting whose value differs from what this instance has.

    Every setting given here is instance-wide in DuckDB, so an unchanged value is not set again
    (setting ``temp_directory`` again while another query spills to it is an error).
    """
    with _guard:
        state = _instance()
        for name, value in values.items():
            if state.settings.get(name) != value:
                con.execute(f"set {name} = {value}")
                state.settings[name] = value


@contextmanager
def insertion_order_kept(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """Keep DuckDB's ``preserve_insertion_order`` on for the block (for reads and writes that must
    keep a file's row order); it goes back off when the last holder in the process is done."""
    with _guard:
        state = _instance()
        state.order_holders += 1
        if state.order_holders == 1:
            con.execute("set preserve_insertion_order = true")
    try:
        yield
    finally:
        with _guard:
            state.order_holders -= 1
            if state.order_holders == 0:
                con.execute("set preserve_insertion_order = false")


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """The block's statements as one transaction: committed at the end (one write-ahead-log sync
    instead of one per statement), rolled back on any error."""
    con.execute("begin transaction")
    try:
        yield con
    except BaseException:
        con.execute("rollback")
        raise
    con.execute("commit")
