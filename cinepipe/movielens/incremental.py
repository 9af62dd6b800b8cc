"""Apply the ratings inbox to the warehouse: only new rows, exactly once."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import TypedDict

from cinepipe.settings import Settings
from cinepipe.storage import duck, warehouse
from cinepipe.storage.contracts import statements as sql_statements

FAR_FUTURE_EPOCH_S = 2**62


class Applied(TypedDict):
    """What one pass over the inbox added: new ratings and the users who gave them, per dataset."""

    applied: dict[str, int]
    touched_users: dict[str, list[int]]


def pending_files(settings: Settings, dataset: str | None = None) -> list[tuple[str, str, str]]:
    """(sha256, dataset, parquet path) of inbox files not yet fully applied, oldest first."""
    if not settings.warehouse_path.exists():
        return []
    with warehouse.connect(settings, read_only=True) as con:
        return con.execute(
            "select content_sha256, dataset, path from inbox_files where processed_at is null"
            " and (? is null or dataset = ?) order by added_at",
            [dataset, dataset],
        ).fetchall()


def apply_inbox(settings: Settings, *, run_id: str, dataset: str | None = None, until_day: date | None = None) -> Applied:
    """Apply pending inbox files, each in one transaction with its bookkeeping.

    Args:
        until_day: apply only ratings rated before the end of this day (a backfill partition);
            a file is marked processed once none of its rows is left beyond that bound.
    Returns:
        Rows applied per dataset and the touched user ids per dataset.
    """
    until = (FAR_FUTURE_EPOCH_S if until_day is None else
             int(datetime.combine(until_day + timedelta(days=1), time(), tzinfo=UTC).timestamp()))
    applied: dict[str, int] = {}
    touched: dict[str, set[int]] = {}
    statements = sql_statements("apply_inbox")
    for sha, ds_name, path in pending_files(settings, dataset):
        with warehouse.transaction(settings) as con:
            con.execute(f"create or replace temp view inbox_rows as select * from read_parquet({duck.quote(path)})")
            params = {"dataset": ds_name, "sha": sha[:16], "until_epoch_s": until, "run_id": run_id}
            for statement in statements:
                con.execute(statement, {k: v for k, v in params.items() if f"${k}" in statement})
            users = [r[0] for r in con.execute("select distinct user_id from new_ratings").fetchall()]
            con.execute("insert into list_refresh_pending (dataset, user_id, run_id) "
                        "select distinct ?, user_id, ? from new_ratings", [ds_name, run_id])
            applied[ds_name] = applied.get(ds_name, 0) + con.execute("select count(*) from new_ratings").fetchone()[0]
            touched.setdefault(ds_name, set()).update(users)
            left = con.execute("select count(*) from inbox_rows where rated_at_epoch_s >= ?", [until]).fetchone()[0]
            if left == 0:
                con.execute("update inbox_files set processed_at = now(), processed_run_id = ? where content_sha256 = ?",
                            [run_id, sha])
    return {"applied": applied, "touched_users": {k: sorted(v) for k, v in touched.items()}}


def pending_list_users(settings: Settings, dataset: str | None = None) -> dict[str, list[int]]:
    """Users whose applied ratings are not yet reflected in their exported list, per dataset
    (this run's and any that an interrupted update left behind)."""
    if not settings.warehouse_path.exists():
        return {}
    with warehouse.connect(settings, read_only=True) as con:
        rows = con.execute(
            "select dataset, list(distinct user_id order by user_id) from list_refresh_pending"
            " where ? is null or dataset = ? group by dataset order by dataset", [dataset, dataset]).fetchall()
    return {name: [int(u) for u in users] for name, users in rows}


def lists_refreshed(settings: Settings, dataset: str, users: list[int]) -> None:
    """Record that ``users``' lists of ``dataset`` now reflect their applied ratings."""
    with warehouse.transaction(settings) as con:
        con.execute("delete from list_refresh_pending where dataset = ? and user_id in (select unnest(?))",
                    [dataset, [int(u) for u in users]])
