"""Apply the Great Expectations suites in ``schemas/`` to data.

Two uses of the same suite file:
- row checks, compiled to DuckDB SQL, split a relation into good rows and quarantined rows, each
  with the reason it failed. They run out of core over every row (ml-25m included);
- a Great Expectations run over the good rows (up to ``gx_max_rows`` of them) gives the report a
  person reads: kept as JSON beside the run and published as a Prefect artifact.

Suites may use ``{"$PARAMETER": name}`` values (GX suite parameters); the caller passes them. A
parameter bound to ``SqlRef`` is a subquery in SQL (a referential check) and a list in GX.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import duckdb
import pandas as pd

from cinepipe.errors import ValidationFailed
from cinepipe.storage import duck
from cinepipe.storage.contracts import schemas_dir
from cinepipe.storage.warehouse import drop_relation

log = logging.getLogger(__name__)

# Expectations that judge the table as a whole: GX reports them; dedup and load enforce them.
TABLE_LEVEL = {
    "expect_column_values_to_be_unique",
    "expect_compound_columns_to_be_unique",
    "expect_table_row_count_to_be_between",
    "expect_column_to_exist",
    "expect_table_columns_to_match_set",
}


@dataclass(frozen=True)
class SqlRef:
    """A parameter whose allowed values are the rows of a subquery (e.g. known movie ids)."""

    query: str


@dataclass
class CheckResult:
    """Rows split by the suite, and the per-check failure counts."""

    good: pd.DataFrame
    bad: pd.DataFrame  # columns raw, reason
    failures: dict[str, int] = field(default_factory=dict)


@lru_cache(maxsize=32)
def _load_suite_text(name: str) -> str:
    path = schemas_dir() / f"{name}.json"
    if not path.exists():
        raise FileNotFoundError(f"no suite schemas/{name}.json")
    return path.read_text()


def load_suite(name: str) -> dict:
    """The suite ``schemas/<name>.json`` as a dict (GX 1.x ExpectationSuite JSON)."""
    return json.loads(_load_suite_text(name))


def _literal(value: Any) -> str:
    if isinstance(value, str):
        return duck.quote(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(float(value)) if isinstance(value, float) else str(int(value))


def _resolve(value: Any, params: dict[str, Any]) -> Any:
    if isinstance(value, dict) and "$PARAMETER" in value:
        name = value["$PARAMETER"]
        if name not in params:
            raise KeyError(f"suite parameter {name!r} was not given")
        return params[name]
    return value


def _quote(column: str) -> str:
    return '"' + column.replace('"', '""') + '"'


def row_predicates(suite: dict, params: dict[str, Any] | None = None) -> list[tuple[str, str]]:
    """(reason, SQL predicate that is true for a failing row) for each row-level expectation."""
    params = params or {}
    out: list[tuple[str, str]] = []
    for exp in suite["expectations"]:
        kind, kw = exp["type"], exp.get("kwargs", {})
        if kind in TABLE_LEVEL:
            continue
        col = kw.get("column")
        c = _quote(col) if col else None
        reason = exp.get("meta", {}).get("reason") or f"{kind}({col})"
        if kind == "expect_column_values_to_not_be_null":
            pred = f"{c} is null"
        elif kind == "expect_column_values_to_be_between":
            lo, hi = _resolve(kw.get("min_value"), params), _resolve(kw.get("max_value"), params)
            parts = []
            if lo is not None:
                parts.append(f"{c} {'<=' if kw.get('strict_min') else '<'} {_literal(lo)}")
            if hi is not None:
                parts.append(f"{c} {'>=' if kw.get('strict_max') else '>'} {_literal(hi)}")
            pred = " or ".join(parts) if parts else "false"
        elif kind in ("expect_column_values_to_be_in_set", "expect_column_values_to_not_be_in_set"):
            values = _resolve(kw["value_set"], params)
            if isinstance(values, SqlRef):
                members = values.query
            else:
                members = ", ".join(_literal(v) for v in values) or "null"
            negate = "not " if kind.endswith("_be_in_set") else ""
            pred = f"{c} is not null and {negate}({c} in ({members}))"
        elif kind == "expect_column_values_to_match_regex":
            pred = f"{c} is not null and not regexp_matches({c}, {_literal(kw['regex'])})"
        elif kind == "expect_column_value_lengths_to_be_between":
            lo, hi = kw.get("min_value"), kw.get("max_value")
            parts = []
            if lo is not None:
                parts.append(f"length({c}) < {int(lo)}")
            if hi is not None:
                parts.append(f"length({c}) > {int(hi)}")
            pred = f"{c} is not null and ({' or '.join(parts) or 'false'})"
        else:
            raise ValueError(f"suite {suite['name']}: no SQL form for {kind}")
        out.append((reason, f"coalesce({pred}, false)"))
    return out


def required_columns(suite: dict) -> list[str]:
    cols = [e["kwargs"]["column"] for e in suite["expectations"] if e["type"] == "expect_column_to_exist"]
    return cols


def split_relation(
    con: duckdb.DuckDBPyConnection,
    relation: str,
    suite_name: str,
    params: dict[str, Any] | None = None,
    *,
    raw_expr: str,
    good_table: str,
    bad_table: str,
    good_as_view: bool = False,
) -> dict[str, int]:
    """Split ``relation`` into ``good_table`` and ``bad_table(raw, reason)`` inside DuckDB.

    Args:
        relation: a table, view or subquery in parentheses.
        raw_expr: SQL that renders a row as the text kept in quarantine.
        good_as_view: make the good rows a view over ``relation`` rather than a copy (large tables).
    Returns:
        Failure counts per reason (a row failing two checks counts under both).
    """
    suite = load_suite(suite_name)
    checks = row_predicates(suite, params)
    cols = {r[0] for r in con.execute(f"describe select * from {relation}").fetchall()}
    missing = [c for c in required_columns(suite) if c not in cols]
    if missing:
        raise ValueError(f"{suite_name}: columns {missing} are missing")
    reason_sql = "concat_ws('; ', " + ", ".join(
        f"case when {pred} then {_literal(reason)} end" for reason, pred in checks
    ) + ")" if checks else "''"
    failing = " or ".join(f"({pred})" for _, pred in checks) or "false"
    # two scans and no intermediate copy: scans are cheap in DuckDB, writes are not
    con.execute(
        f"create or replace table {bad_table} as "
        f"select cast({raw_expr} as varchar) as raw, {reason_sql} as reason from {relation} where {failing}"
    )
    drop_relation(con, good_table)
    kind = "view" if good_as_view else "table"
    clean = con.execute(f"select count(*) = 0 from {bad_table}").fetchone()[0]
    where = "" if clean else f" where not ({failing})"  # a clean view re-checks nothing on each scan
    con.execute(f"create {kind} {good_table} as select * from {relation}{where}")
    if clean or not checks:
        return {}
    # one scan of the (small) bad table counts every reason
    counts = con.execute(
        "select " + ", ".join(f"count(*) filter (where contains(reason, {_literal(r)}))" for r, _ in checks)
        + f" from {bad_table}").fetchone()
    return {reason: int(n) for (reason, _), n in zip(checks, counts) if n}


def check_frame(df: pd.DataFrame, suite_name: str, params: dict[str, Any] | None = None) -> CheckResult:
    """Row checks of ``suite_name`` over a DataFrame: good rows, bad rows (raw, reason), counts."""
    con = duckdb.connect()
    try:
        con.register("_frame", df)
        raw = "to_json(struct_pack(" + ", ".join(f"{_quote(c)} := {_quote(c)}" for c in df.columns) + "))"
        failures = split_relation(
            con, "_frame", suite_name, params, raw_expr=raw, good_table="_good", bad_table="_bad"
        )
        good = con.execute("select * from _good").df()
        bad = con.execute("select * from _bad").df()
    finally:
        con.close()
    return CheckResult(good=good, bad=bad, failures=failures)


def _gx_params(params: dict[str, Any] | None, con: duckdb.DuckDBPyConnection | None) -> dict[str, Any]:
    out = {}
    for key, value in (params or {}).items():
        if isinstance(value, SqlRef):
            if con is None:
                raise ValueError(f"parameter {key} is a SqlRef but no connection was given")
            value = [r[0] for r in con.execute(value.query).fetchall()]
        out[key] = value
    return out


def gx_validate(
    df: pd.DataFrame,
    suite_name: str,
    params: dict[str, Any] | None = None,
    con: duckdb.DuckDBPyConnection | None = None,
) -> dict:
    """Run the suite with Great Expectations on ``df``; returns the validation result as JSON."""
    import great_expectations as gx

    logging.getLogger("great_expectations").setLevel(logging.ERROR)
    suite_json = load_suite(suite_name)
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = {"globally": False, "metric_calculations": False}
    suite = gx.ExpectationSuite(
        name=suite_json["name"], expectations=suite_json["expectations"], meta=suite_json.get("meta")
    )
    source = context.data_sources.add_pandas(f"cinepipe_{suite_name}")
    asset = source.add_dataframe_asset(suite_name)
    batch = asset.add_batch_definition_whole_dataframe("whole").get_batch(
        batch_parameters={"dataframe": df}
    )
    result = batch.validate(
        suite, expectation_parameters=_gx_params(params, con), result_format="SUMMARY"
    )
    return result.to_json_dict()


def summarise_gx(result: dict) -> list[dict]:
    """One row per expectation: what it checks, success, unexpected count."""
    rows = []
    for r in result.get("results", []):
        cfg = r["expectation_config"]
        kwargs = {k: v for k, v in cfg["kwargs"].items() if k not in ("batch_id",)}
        shown = {k: v for k, v in kwargs.items() if not (isinstance(v, list) and len(v) > 12)}
        rows.append(
            {
                "expectation": cfg["type"],
                "kwargs": re.sub(r"\s+", " ", json.dumps(shown, default=str))[:200],
                "success": bool(r["success"]),
                "unexpected": (r.get("result") or {}).get("unexpected_count"),
            }
        )
    return rows


# ---- what every branch does with the checks' outcome ---------------------------------------------
def gate_bad_fraction(source: str, n_bad: int, n_in: int, max_bad_fraction: float, *,
                      problem: Callable[[float], str], action: str, empty_fails: bool = True) -> float:
    """The share of ``n_in`` rows that failed their checks; above ``max_bad_fraction`` (or with no
    rows at all, when ``empty_fails``) the run stops before anything is loaded.

    Raises:
        ValidationFailed: ``problem(fraction)`` (how many rows failed which checks), with ``action``.
    """
    fraction = n_bad / n_in if n_in else (1.0 if empty_fails else 0.0)
    if fraction > max_bad_fraction or (empty_fails and n_in == 0):
        raise ValidationFailed(source, problem(fraction), action)
    return fraction


def publish_validation(subject: str, key: str, facts: list[str], failures: dict[str, int],
                       tables: dict[str, Iterable[dict]]) -> None:
    """A branch's validation report in the Prefect UI: the facts, the row checks that failed, then
    the expectations of each table (``reporting.artifacts.validation_markdown``)."""
    from cinepipe.reporting.artifacts import publish_markdown, validation_markdown

    publish_markdown(validation_markdown(f"Validation of {subject}", facts, failures, tables), key=key,
                     description="Validation results")
