"""cinepipe.storage.duck: DuckDB files attached to one instance per process."""

from __future__ import annotations

import multiprocessing
import subprocess
import sys
import threading

import duckdb
import pytest

from cinepipe.storage import duck


def _order_setting(con: duckdb.DuckDBPyConnection) -> bool:
    return con.execute("select current_setting('preserve_insertion_order')").fetchone()[0]


def test_each_connection_sees_its_file_as_the_default_database(tmp_path):
    with duck.connect(tmp_path / "a.duckdb") as a, duck.connect(tmp_path / "b.duckdb") as b:
        a.execute("create table t as select 1 as x")
        b.execute("create table t as select 2 as x")
        assert a.execute("select x from t").fetchone() == (1,)
        assert b.execute("select x from t").fetchone() == (2,)
        # catalogue queries must name the database: the instance holds both files
        assert a.execute("select count(*) from duckdb_tables() where database_name = current_database()").fetchone() == (1,)


def test_two_users_of_one_file_share_it_and_the_last_one_releases_it(tmp_path):
    path = tmp_path / "w.duckdb"
    with duck.connect(path) as first:
        first.execute("create table t (x int)")
        with duck.connect(path, read_only=True) as second:  # a writer's file serves readers too
            first.execute("insert into t values (7)")
            assert second.execute("select x from t").fetchone() == (7,)
        first.execute("insert into t values (8)")  # still attached for the first user
    # detached: another process can open the file, and sees every row (detaching checkpointed them)
    out = subprocess.run(
        [sys.executable, "-c", f"import duckdb; print(duckdb.connect({str(path)!r}).execute('select sum(x) from t').fetchone()[0])"],
        capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "15"
    assert not path.with_suffix(".duckdb.wal").exists()


def test_a_file_open_read_only_is_not_opened_for_writing_meanwhile(tmp_path):
    path = tmp_path / "r.duckdb"
    with duck.connect(path) as con:
        con.execute("create table t as select 1 as x")
    with duck.connect(path, read_only=True) as reader:
        with pytest.raises(duckdb.ConnectionException, match="read-only in this process"):
            with duck.connect(path):
                pass
        assert reader.execute("select x from t").fetchone() == (1,)
    with duck.connect(path) as writer:  # the readers are done
        writer.execute("insert into t values (2)")


def test_transactions_and_temporary_tables_belong_to_each_connection(tmp_path):
    path = tmp_path / "t.duckdb"
    with duck.connect(path) as a, duck.connect(path) as b:
        a.execute("create table t (x int)")
        a.execute("begin transaction")
        a.execute("insert into t values (1)")
        assert b.execute("select count(*) from t").fetchone() == (0,)  # not committed yet
        a.execute("rollback")
        a.execute("create temp table scratch as select 1")
        with pytest.raises(duckdb.CatalogException):
            b.execute("select * from scratch")


def test_a_failed_statement_leaves_the_file_usable(tmp_path):
    path = tmp_path / "e.duckdb"
    with pytest.raises(duckdb.CatalogException):
        with duck.connect(path) as con:
            con.execute("select * from missing_table")
    with duck.connect(path) as con:
        assert con.execute("select 42").fetchone() == (42,)


def test_insertion_order_stays_kept_until_the_last_holder_is_done(tmp_path):
    with duck.connect(tmp_path / "o.duckdb") as a, duck.connect(tmp_path / "p.duckdb") as b:
        assert _order_setting(a) is False
        with duck.insertion_order_kept(a):
            assert _order_setting(b) is True  # instance-wide
            with duck.insertion_order_kept(b):
                pass
            assert _order_setting(a) is True  # another holder is still inside
        assert _order_setting(a) is False


def test_settings_are_applied_and_an_unchanged_value_is_not_set_again(tmp_path):
    with duck.connect(tmp_path / "s.duckdb") as con:
        duck.apply_settings(con, {"temp_directory": duck.quote(str(tmp_path / "spill"))})
        con.execute("set temp_directory = '/elsewhere'")  # behind the module's back
        duck.apply_settings(con, {"temp_directory": duck.quote(str(tmp_path / "spill"))})
        assert con.execute("select current_setting('temp_directory')").fetchone()[0] == "/elsewhere"
        duck.apply_settings(con, {"temp_directory": duck.quote(str(tmp_path / "other"))})
        assert con.execute("select current_setting('temp_directory')").fetchone()[0] == str(tmp_path / "other")


def test_threads_writing_one_file_at_once_lose_nothing(tmp_path):
    path = tmp_path / "c.duckdb"
    with duck.connect(path) as con:
        con.execute("create table t (worker int, i int)")
    errors = []

    def work(worker: int) -> None:
        try:
            for i in range(20):
                with duck.connect(path) as con:
                    con.execute("insert into t values (?, ?)", [worker, i])
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(w,)) for w in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with duck.connect(path, read_only=True) as con:
        assert con.execute("select count(*), count(distinct (worker, i)) from t").fetchone() == (80, 80)


def _child(path: str, queue) -> None:
    with duck.connect(path) as con:
        con.execute("create table t as select 3 as x")
    queue.put("ok")


def test_a_forked_child_uses_its_own_instance(tmp_path):
    with duck.connect(tmp_path / "parent.duckdb") as con:  # the parent's instance exists and holds a file
        con.execute("create table p as select 1 as x")
        ctx = multiprocessing.get_context("fork")
        queue = ctx.Queue()
        child = ctx.Process(target=_child, args=(str(tmp_path / "child.duckdb"), queue))
        child.start()
        child.join(60)
        assert child.exitcode == 0 and queue.get(timeout=5) == "ok"
        assert con.execute("select x from p").fetchone() == (1,)
    with duck.connect(tmp_path / "child.duckdb", read_only=True) as con:
        assert con.execute("select x from t").fetchone() == (3,)
