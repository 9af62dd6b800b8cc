"""What a run shows in the Prefect UI, in a form that opens there.

A page served over http cannot load ``file://`` links, so images travel inside the artifact as
``data:image/png;base64,...`` URIs (the UI renders an image artifact as ``<img src=...>``), tables
inline as markdown, and file paths as text. Validation reports share one narrow layout that fits
the UI's width: one row per expectation, a short rule instead of the raw kwargs.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Iterable
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)


def data_uri(png: Path | str) -> str:
    """The file as a ``data:`` URI the browser shows without another request."""
    path = Path(png)
    kind = "jpeg" if path.suffix.lower() in (".jpg", ".jpeg") else "png"
    return f"data:image/{kind};base64," + base64.b64encode(path.read_bytes()).decode("ascii")


def artifact_dir(*parts: str) -> Path:
    """``artifacts/<parts...>`` under the home, made on first use (models, plots, reports)."""
    from cinepipe.settings import get_settings

    path = get_settings().artifacts_dir.joinpath(*parts)
    path.mkdir(parents=True, exist_ok=True)
    return path


def artifact_key(*parts: str) -> str:
    """A Prefect artifact key (lowercase letters, digits and dashes) from free text."""
    text = "-".join(str(p) for p in parts if p)
    return "-".join(filter(None, "".join(ch if ch.isalnum() else "-" for ch in text.lower()).split("-")))


def _publish(kind: str, content: Any, key: str, description: str) -> None:
    """One artifact of ``kind`` (image, markdown, table) under the slug of ``key``; a plain call
    outside a Prefect run publishes nothing."""
    from prefect import artifacts
    from prefect.context import FlowRunContext, TaskRunContext

    if FlowRunContext.get() is None and TaskRunContext.get() is None:
        log.debug("%s %s not published: not in a Prefect run", kind, key)  # a plain call: no API to ask
        return
    create, slug = getattr(artifacts, f"create_{kind}_artifact"), artifact_key(key)
    try:
        create(content, key=slug, description=description)
    except Exception as exc:  # noqa: BLE001 - the API is gone: the files are on disk, the run goes on
        log.warning("%s artifact %s not published (%s); its files are under the home's artifacts/", kind, slug, exc)


def publish_image(png: Path | str, key: str, description: str) -> None:
    """One image artifact, embedded."""
    _publish("image", data_uri(png), key, description)


def publish_images(pngs: Iterable[Path | str], key_prefix: str, description: str) -> None:
    for png in pngs:
        publish_image(png, f"{key_prefix}-{Path(png).stem}", f"{description}: {Path(png).stem.replace('_', ' ')}")


def publish_markdown(markdown: str, key: str, description: str) -> None:
    _publish("markdown", markdown, key, description)


def publish_table(rows: list[dict], key: str, description: str) -> None:
    """A table artifact, one dict per row (the metrics tables of every branch)."""
    _publish("table", rows, key, description)


# ---- validation reports -----------------------------------------------------------------------
def _rule(kwargs: dict[str, Any]) -> str:
    """An expectation's parameters in a few words (the full kwargs stay in the JSON report)."""
    if "min_value" in kwargs or "max_value" in kwargs:
        low, high = kwargs.get("min_value"), kwargs.get("max_value")
        if low is not None and high is not None:
            return f"= {low}" if low == high else f"{low} … {high}"
        return f"≥ {low}" if low is not None else f"≤ {high}"
    if "value_set" in kwargs:
        values = kwargs["value_set"]
        if isinstance(values, list) and len(values) <= 5:
            return "in {" + ", ".join(str(v) for v in values) + "}"
        return f"in a set of {len(values)}" if isinstance(values, list) else "in a set"
    if "regex" in kwargs:
        regex = str(kwargs["regex"])
        return f"matches {regex[:24]}{'…' if len(regex) > 24 else ''}"
    if "type_" in kwargs:
        return f"type {kwargs['type_']}"
    if "column_list" in kwargs:
        return "unique together"
    return ""


def expectation_rows(results: Iterable[dict]) -> list[tuple[str, str, str, str]]:
    """(check, column, rule, result) per expectation of a GX result or a suite's list."""
    rows = []
    for r in results:
        cfg = r.get("expectation_config", r)
        kwargs = cfg.get("kwargs", {})
        column = kwargs.get("column") or ", ".join(kwargs.get("column_list", [])) or "(table)"
        check = str(cfg.get("type", "")).removeprefix("expect_").replace("column_values_to_", "").replace("_", " ")
        if "success" in r:
            unexpected = (r.get("result") or {}).get("unexpected_count")
            result = "✓" if r["success"] else f"✗ {unexpected:,} rows" if unexpected else "✗"
        else:
            result = r.get("outcome", "")
        rows.append((check, str(column), _rule(kwargs), result))
    return rows


def validation_markdown(title: str, facts: list[str], failures: dict[str, int],
                        tables: dict[str, Iterable[dict]]) -> str:
    """A validation report: the facts, the row checks that failed, then one narrow table per table."""
    lines = [f"## {title}", "", *[f"- {fact}" for fact in facts], ""]
    if failures:
        lines += ["| row check | rows failed |", "|---|---:|",
                  *[f"| {reason} | {n:,} |" for reason, n in sorted(failures.items())], ""]
    else:
        lines += ["Every row passed the row checks.", ""]
    for table, results in tables.items():
        rows = expectation_rows(results)
        if not rows:
            continue
        lines += [f"### {table}", "", "| check | column | rule | result |", "|---|---|---|---|",
                  *[f"| {c} | {col} | {rule} | {res} |" for c, col, rule, res in rows], ""]
    return "\n".join(lines)


def suite_results(suite: dict, failures: dict[str, int]) -> list[dict]:
    """A suite's expectations as results of the SQL row checks: ✓, or ✗ with the rows that failed."""
    out = []
    for expectation in suite.get("expectations", []):
        reason = (expectation.get("meta") or {}).get("reason")
        failed = failures.get(reason, 0) if reason else 0
        out.append({**expectation, "outcome": "✓" if not failed else f"✗ {failed:,} rows"})
    return out
