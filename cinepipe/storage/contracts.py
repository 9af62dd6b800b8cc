"""Where the contracts live: ``schemas/`` (GX suites) and ``warehouse/`` (SQL), as data files.

In a checkout they sit beside the package; in a wheel they are packaged under ``_contracts``.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parents[1]  # cinepipe/, this file being cinepipe/storage/contracts.py


def _root(name: str) -> Path:
    for candidate in (_PACKAGE / "_contracts" / name, _PACKAGE.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"cinepipe's {name}/ directory is missing from the installation")


def schemas_dir() -> Path:
    return _root("schemas")


def warehouse_sql_dir() -> Path:
    return _root("warehouse")


def sql(name: str) -> str:
    """The text of ``warehouse/<layer>/<name>.sql``, found by name across the layers."""
    matches = sorted(warehouse_sql_dir().glob(f"*/{name}.sql"))
    if len(matches) != 1:
        raise FileNotFoundError(f"expected one warehouse/*/{name}.sql, found {len(matches)}")
    return matches[0].read_text()


def render(name: str, **values: object) -> str:
    """``sql(name)`` with each ``{key}`` placeholder replaced (other braces are left alone)."""
    text = sql(name)
    for key, value in values.items():
        text = text.replace("{" + key + "}", str(value))
    return text


def statements(name: str) -> list[str]:
    """The statements of a multi-statement SQL file (our files keep ';' out of literals)."""
    lines = [ln for ln in sql(name).splitlines() if not ln.strip().startswith("--")]
    return [s.strip() for s in "\n".join(lines).split(";") if s.strip()]
