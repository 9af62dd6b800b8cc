"""Warehouse connections: DDL created on first connect, skipped while complete, restored when a
table is missing; clear errors for a file that is no database or is held by another process."""

from __future__ import annotations

import subprocess
import sys

import pytest

from cinepipe.errors import CinepipeError
from cinepipe.storage import warehouse


def _tables(con) -> set[str]:
    return {r[0] for r in con.execute(
        "select table_name from duckdb_tables() where database_name = current_database()").fetchall()}


def test_ddl_creates_every_table_and_restores_a_dropped_one(home):
    _, declared = warehouse._ddl()
    assert declared is not None and {"movielens_ratings", "recommendations", "quarantine"} <= declared
    with warehouse.connect(home) as con:
        assert declared <= _tables(con)
        con.execute("insert into quarantine (source, table_name, raw, reason, run_id, quarantined_at) "
                    "values ('t', 'x', 'raw', 'why', 'r', now())")
        con.execute("drop table recommendations")
    with warehouse.connect(home) as con:  # the missing table comes back; the others keep their rows
        assert declared <= _tables(con)
        assert con.execute("select count(*) from quarantine").fetchone()[0] == 1


def test_a_file_that_is_no_duckdb_database_gets_a_clear_error(home):
    home.warehouse_path.parent.mkdir(parents=True, exist_ok=True)
    home.warehouse_path.write_bytes(b"not a database, e.g. a truncated copy" * 200)
    with pytest.raises(CinepipeError, match="cannot open the warehouse file") as err:
        with warehouse.connect(home):
            pass
    assert str(home.warehouse_path) in str(err.value) and "backup" in str(err.value)


def test_a_warehouse_held_by_another_process_is_waited_for_then_reported(home):
    with warehouse.connect(home):
        pass
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('ready', flush=True); time.sleep(30)",
         str(home.warehouse_path)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ready"
        with pytest.raises(CinepipeError, match="in use by another process"):
            with warehouse._open(home.warehouse_path, read_only=True, timeout_s=0.5):
                pass
    finally:
        holder.kill()
        holder.wait()
    with warehouse.connect(home, read_only=True) as con:  # released: open again, nothing left attached
        assert con.execute("select count(*) from quarantine").fetchone() == (0,)
