"""The personal score list: read CSV / TSV / ``title::my::netizen::critic::`` lines, write lines.

Pure text in, frames out: the caller reads the file. Every rejected line comes back with its reason
(for ``quarantine``) instead of stopping the run.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass

import pandas as pd

from cinepipe.naver.columns import (
    CRITIC,
    ENGLISH_TITLE,
    INPUT_ROW,
    MY_SCORE,
    NETIZEN,
    NOTE,
    TITLE,
    YEAR,
)

LIST_COLUMNS = (INPUT_ROW, TITLE, MY_SCORE, YEAR, ENGLISH_TITLE, NOTE, NETIZEN, CRITIC)
REQUIRED_HEADER = (TITLE, MY_SCORE)
MY_SCORE_RANGE = (0.5, 5.0)
CROWD_SCORE_RANGE = (0.0, 10.0)
YEAR_RANGE = (1880, 2100)


@dataclass
class ParsedList:
    """Good rows (``LIST_COLUMNS``) and rejected lines (``raw``, ``reason``)."""

    rows: pd.DataFrame
    bad: pd.DataFrame
    format: str  # "csv", "tsv" or "lines"


class _BadRow(ValueError):
    pass


def _number(text: str, name: str) -> float | None:
    text = text.strip()
    if not text:
        return None
    try:
        value = float(text)
    except ValueError as exc:
        raise _BadRow(f"{name} {text!r} is not a number") from exc
    if not math.isfinite(value):
        raise _BadRow(f"{name} {text!r} is not a finite number")
    return value


def _my_score(text: str) -> float:
    value = _number(text, MY_SCORE)
    if value is None:
        raise _BadRow("my_score is empty")
    lo, hi = MY_SCORE_RANGE
    if not lo <= value <= hi:
        raise _BadRow(f"my_score {value:g} is outside {lo:g}-{hi:g}")
    if value * 2 != round(value * 2):
        raise _BadRow(f"my_score {value:g} is not in half steps")
    return value


def _crowd_score(text: str, name: str) -> float | None:
    value = _number(text, name)
    lo, hi = CROWD_SCORE_RANGE
    if value is not None and not lo <= value <= hi:
        raise _BadRow(f"{name} {value:g} is outside {lo:g}-{hi:g}")
    return value


def _year(text: str) -> int | None:
    text = text.strip()
    if not text:
        return None
    if not text.isdigit():
        raise _BadRow(f"year {text!r} is not a year")
    value = int(text)
    if not YEAR_RANGE[0] <= value <= YEAR_RANGE[1]:
        raise _BadRow(f"year {value} is outside {YEAR_RANGE[0]}-{YEAR_RANGE[1]}")
    return value


def _row(line_no: int, fields: dict[str, str]) -> dict:
    title = " ".join((fields.get(TITLE) or "").split())
    if not title:
        raise _BadRow("title is empty")
    return {
        INPUT_ROW: line_no,
        TITLE: title,
        MY_SCORE: _my_score(fields.get(MY_SCORE) or ""),
        YEAR: _year(fields.get(YEAR) or ""),
        ENGLISH_TITLE: " ".join((fields.get(ENGLISH_TITLE) or "").split()) or None,
        NOTE: (fields.get(NOTE) or "").strip() or None,
        NETIZEN: _crowd_score(fields.get(NETIZEN) or "", NETIZEN),
        CRITIC: _crowd_score(fields.get(CRITIC) or "", CRITIC),
    }


def _parse_lines(lines: list[tuple[int, str]]) -> tuple[list[dict], list[dict]]:
    good, bad = [], []
    for line_no, line in lines:
        parts = line.split("::")
        if parts[-1].strip() == "" and len(parts) == 5:
            parts = parts[:4]
        try:
            if len(parts) != 4:
                raise _BadRow(f"expected title::my::netizen::critic::, found {len(parts)} fields")
            fields = dict(zip((TITLE, MY_SCORE, NETIZEN, CRITIC), parts, strict=True))
            good.append(_row(line_no, fields))
        except _BadRow as exc:
            bad.append({"raw": line, "reason": str(exc)})
    return good, bad


def _parse_table(text: str, delimiter: str) -> tuple[list[dict], list[dict]]:
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    header = [h.strip().lower() for h in next(reader)]
    missing = [c for c in REQUIRED_HEADER if c not in header]
    if missing:
        raise ValueError(f"the header lacks {', '.join(missing)} (found: {', '.join(header)})")
    good, bad = [], []
    for values in reader:
        line_no = reader.line_num
        if not any(v.strip() for v in values):
            continue
        raw = delimiter.join(values)
        try:
            if len(values) > len(header):
                raise _BadRow(f"{len(values)} fields for a {len(header)}-column header")
            fields = dict(zip(header, values, strict=False))
            good.append(_row(line_no, fields))
        except _BadRow as exc:
            bad.append({"raw": raw, "reason": str(exc)})
    return good, bad


def detect_format(text: str) -> str:
    """``lines`` for ``title::my::...::`` files, else ``tsv`` or ``csv`` by the header."""
    first = next((ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")), "")
    if "::" in first:
        return "lines"
    return "tsv" if "\t" in first else "csv"


def parse_score_list(text: str) -> ParsedList:
    """Parse a personal score list.

    Args:
        text: the file's text: CSV or TSV with a header holding ``title,my_score`` and optionally
            ``year``, ``english_title``, ``note``; or ``title::my::netizen::critic::`` lines
            (``#`` starts a comment line).
    Returns:
        ``ParsedList``: one row per good line, ``input_row`` its line number.
    Raises:
        ValueError: the header lacks a required column (nothing in the file can be read).
    """
    text = text.lstrip("\ufeff")
    fmt = detect_format(text)
    if fmt == "lines":
        numbered = [
            (i, line.rstrip("\r\n"))
            for i, line in enumerate(text.splitlines(), start=1)
            if line.strip() and not line.lstrip().startswith("#")
        ]
        good, bad = _parse_lines(numbered)
    else:
        good, bad = _parse_table(text, "\t" if fmt == "tsv" else ",")
    rows = pd.DataFrame(good, columns=list(LIST_COLUMNS))
    rows = rows.astype(
        {
            INPUT_ROW: "int64",
            TITLE: "string",
            MY_SCORE: "float64",
            YEAR: "Int64",
            ENGLISH_TITLE: "string",
            NOTE: "string",
            NETIZEN: "Float64",
            CRITIC: "Float64",
        }
    )
    return ParsedList(rows=rows, bad=pd.DataFrame(bad, columns=["raw", "reason"]), format=fmt)


def _fmt(value: object, digits: int) -> str:
    if value is None or pd.isna(value):
        return ""
    return f"{round(float(value), digits):g}"


def format_score_lines(df: pd.DataFrame) -> str:
    """``title::my::netizen::critic::`` lines, one per row; a missing score is an empty field."""
    out = []
    for row in df.itertuples(index=False):
        title = str(getattr(row, TITLE)).replace("::", ":")
        fields = (
            title,
            _fmt(getattr(row, MY_SCORE), 1),
            _fmt(getattr(row, NETIZEN), 2),
            _fmt(getattr(row, CRITIC), 2),
        )
        out.append("::".join(fields) + "::")
    return "\n".join(out) + ("\n" if out else "")
