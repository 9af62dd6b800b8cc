"""The version of the code a step runs, as a key.

A step's result stands for the code that made it: the module that defines the step and every
``cinepipe`` module it imports, directly or through others (lazy imports inside functions included),
plus the table contracts (``schemas/``, ``warehouse/``). Thin tasks call domain functions, so the
task's own source alone would let a changed domain function reuse results it no longer makes.
"""

from __future__ import annotations

import ast
import hashlib
from functools import lru_cache
from pathlib import Path

from cinepipe.io.hashing import content_key, fingerprint_path
from cinepipe.storage.contracts import schemas_dir, warehouse_sql_dir

PACKAGE = Path(__file__).resolve().parents[1]


def _file(module: str) -> Path | None:
    """The file of ``cinepipe`` module ``module``; None for a module outside the package."""
    if module != "cinepipe" and not module.startswith("cinepipe."):
        return None
    parts = module.split(".")[1:]
    base = PACKAGE.joinpath(*parts)
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


@lru_cache(maxsize=None)
def _imports(module: str) -> frozenset[str]:
    """The ``cinepipe`` modules ``module`` imports anywhere in its text."""
    path = _file(module)
    if path is None:
        return frozenset()
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").startswith("cinepipe"):
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name.startswith("cinepipe"))
    return frozenset(name for name in found if _file(name) is not None)


def closure(module: str) -> list[str]:
    """``module`` and every ``cinepipe`` module it reaches through imports, sorted."""
    seen: set[str] = set()
    todo = [module]
    while todo:
        name = todo.pop()
        if name not in seen and _file(name) is not None:
            seen.add(name)
            todo.extend(_imports(name))
    return sorted(seen)


@lru_cache(maxsize=None)
def _module_hash(module: str) -> str:
    """One module's name and source, hashed once a process (many closures share a module)."""
    return hashlib.sha256(module.encode() + b"\0" + _file(module).read_bytes()).hexdigest()


@lru_cache(maxsize=1)
def _contracts_key() -> str:
    return content_key(fingerprint_path(schemas_dir()), fingerprint_path(warehouse_sql_dir()))


def _digest(modules: list[str]) -> str:
    return content_key(_contracts_key(), *(_module_hash(name) for name in modules))


@lru_cache(maxsize=None)
def module_key(module: str) -> str:
    """The code version of what ``module`` runs: its import closure and the contracts."""
    return _digest(closure(module))


@lru_cache(maxsize=1)
def package_key() -> str:
    """The code version of the whole package (``.py`` only: bytecode caches come and go)."""
    modules = sorted("cinepipe." + ".".join(p.relative_to(PACKAGE).with_suffix("").parts) for p in PACKAGE.rglob("*.py"))
    return _digest(modules)
