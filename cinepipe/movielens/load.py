"""Load a staged release into the warehouse: one transaction, skipped when already loaded."""

from __future__ import annotations

from pathlib import Path

from cinepipe.movielens.stage import STAGE_DB
from cinepipe.settings import Settings
from cinepipe.storage import duck, warehouse
from cinepipe.storage.contracts import statements

TABLES = ("movielens_ratings", "movielens_movies", "movielens_tags")


def load_release(
    stage_dir: Path, *, dataset: str, content_key: str, source: str, run_id: str, settings: Settings
) -> dict:
    """Replace ``dataset``'s rows with the staged release, atomically.

    A run killed part-way leaves the warehouse as it was (DuckDB rolls back the open transaction
    on the next start); a rerun of the same content is a no-op.

    Returns:
        ``{"skipped": bool, "rows": {table: count}}``.
    """
    stage_file = stage_dir / STAGE_DB
    with warehouse.write_lock(settings), warehouse.connect(settings) as con:
        if warehouse.already_loaded(con, "movielens_ratings", dataset, content_key):
            rows = _rows(con, dataset)
            if rows["movielens_ratings"] > 0:
                return {"skipped": True, "rows": rows, "quarantined": 0}
        with duck.attached(stage_file, read_only=True) as stg:
            quarantined = con.execute(f"select count(*) from {stg}.rejects").fetchone()[0]
            with duck.transaction(con):
                params = {"dataset": dataset, "run_id": run_id, "source": source}
                for statement in statements("load_movielens"):
                    statement = statement.replace("{stg}", stg)
                    con.execute(statement, {k: v for k, v in params.items() if f"${k}" in statement})
                rows = _rows(con, dataset)
                for table in TABLES:
                    warehouse.log_load(
                        con, run_id=run_id, table_name=table, partition_key=dataset,
                        content_key=content_key, rows_loaded=rows[table],
                        rows_quarantined=quarantined if table == "movielens_ratings" else 0,
                    )
    return {"skipped": False, "rows": rows, "quarantined": quarantined}


def _rows(con, dataset: str) -> dict[str, int]:
    counts = con.execute(
        "select " + ", ".join(f"(select count(*) from {t} where dataset = $dataset)" for t in TABLES),
        {"dataset": dataset}).fetchone()
    return dict(zip(TABLES, counts, strict=True))
