"""Warehouse DDL: created on first connect, skipped while complete, restored when a table is missing."""

from __future__ import annotations

from cinepipe import warehouse


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
