"""`cinepipe status`: the last runs, table counts, the latest metrics and the model serving each dataset."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from cinepipe import promotion
from cinepipe.settings import Settings
from cinepipe.storage import warehouse

LATEST_METRICS_SQL = """
select target, dataset, model, protocol, metric, value, created_at
from eval_metrics
qualify row_number() over (partition by target, dataset, model, protocol, metric order by created_at desc) = 1
order by target, dataset, protocol, metric, value
"""


def render_status(settings: Settings, console: Console) -> None:
    if not settings.warehouse_path.exists():
        console.print(f"no warehouse yet at {settings.warehouse_path}: run `cinepipe nightly --sample`")
        return
    with warehouse.connect(settings, read_only=True) as con:
        runs = con.execute(
            "select run_name, flow_name, partition_day, state, started_at,"
            " extract(epoch from ended_at - started_at) from pipeline_runs order by started_at desc limit 10"
        ).fetchall()
        metrics = con.execute(LATEST_METRICS_SQL).fetchall()
        serving = _serving(con)
        rows = warehouse.row_counts(con)  # one open of the file: each costs a tenth of a second
    table = Table(title="last runs")
    for col in ("run", "flow", "day", "state", "started (UTC)", "duration s"):
        table.add_column(col)
    for name, flow, day, state, started, dur in runs:
        color = {"completed": "green", "failed": "red"}.get(state, "yellow")
        table.add_row(str(name), flow, str(day or ""), f"[{color}]{state}[/]",
                      started.strftime("%Y-%m-%d %H:%M:%S"), f"{dur:.1f}" if dur is not None else "")
    console.print(table)
    counts = Table(title="tables")
    counts.add_column("table")
    counts.add_column("rows", justify="right")
    for name, n in rows.items():
        counts.add_row(name, f"{n:,}")
    console.print(counts)
    mt = Table(title="latest metrics")
    for col in ("target", "dataset", "model", "protocol", "metric", "value"):
        mt.add_column(col)
    for target, dataset, model, protocol, metric, value, _ in metrics:
        mt.add_row(target, dataset, model, protocol, metric, f"{value:.4f}")
    console.print(mt)
    st = Table(title="serving models")
    for col in ("target", "dataset", "model", "protocol", "metric", "value", "promoted (UTC)", "last decision"):
        st.add_column(col)
    for r in serving:
        st.add_row(r.target, r.dataset, r.model, r.protocol, r.metric, f"{r.value:.4f}",
                   r.created_at.strftime("%Y-%m-%d %H:%M:%S"), f"{r.last_decision}: {r.last_reason}")
    console.print(st)


def _serving(con) -> list[tuple]:
    """The model in service per (target, dataset), with the latest decision and its reason; none on a
    warehouse made before the gate existed (a read-only connection does not create the table)."""
    exists = con.execute("select count(*) from duckdb_tables() where database_name = current_database()"
                         " and table_name = 'model_promotions'").fetchone()[0]
    if not exists:
        return []
    return promotion.serving_models(con)


def last_run_summary(settings: Settings, flow_name: str) -> dict | None:
    """The JSON summary the latest run of ``flow_name`` left in ``pipeline_runs``."""
    import json

    with warehouse.connect(settings, read_only=True) as con:
        row = con.execute("select summary from pipeline_runs where flow_name = ? order by started_at desc limit 1",
                          [flow_name]).fetchone()
    return json.loads(row[0]) if row and row[0] else None
