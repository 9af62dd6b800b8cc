"""The package's import rules (the picture in CONTRIBUTING.md), read from the code itself."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "cinepipe"
DOMAIN = ("movielens", "imdb", "mnist", "naver", "recsys")
DRIVERS = ("flows", "tasks", "ops", "cli")
FOUNDATION = ("storage", "io", "reporting", "runtime")  # shared by every branch; beside them at the root
ROOT_MODULES = {"__init__", "cli", "settings", "errors", "promotion"}


def _module(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, top_level_only: bool = False) -> set[str]:
    """The modules ``path`` imports (``cinepipe.*`` and ``prefect``); with ``top_level_only``, only
    those imported when the module loads (not inside functions)."""
    tree = ast.parse(path.read_text())
    nodes = tree.body if top_level_only else ast.walk(tree)
    found: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        else:
            continue
        for name in names:
            if name.split(".")[0] == "prefect":
                found.add("prefect")
            elif name.startswith("cinepipe") and name in MODULES:
                found.add(name)
    return found


def _area(module: str) -> str:
    """``tasks``, ``flows``, a domain package, ... ; ``root`` for the loose modules."""
    parts = module.split(".")
    if len(parts) == 2 and parts[1] == "cli":
        return "cli"
    return parts[1] if len(parts) > 2 or (PACKAGE / parts[-1]).is_dir() else "root"


FILES = {_module(p): p for p in sorted(PACKAGE.rglob("*.py"))}
MODULES = set(FILES)


def _violations(rule) -> list[str]:
    return [f"{m} imports {d}" for m, path in FILES.items() for d in sorted(_imports(path)) if rule(m, d)]


def test_domain_code_knows_no_prefect_and_nothing_above_it():
    def above(m, d):
        return _area(m) in DOMAIN and (d == "prefect" or _area(d) in DRIVERS)
    assert _violations(above) == []


def test_no_task_imports_another_task_module():
    def other_task(m, d):
        return _area(m) == "tasks" and _area(d) == "tasks" and d != m and not d.split(".")[-1].startswith("_")
    assert _violations(other_task) == []


def test_tasks_ops_and_loose_modules_do_not_import_what_drives_them():
    drivers = {"tasks": ("flows", "ops", "cli"), "ops": ("flows", "tasks", "cli"),
               "root": ("flows", "tasks", "ops", "cli"), "flows": ("cli",),
               **{area: ("flows", "tasks", "ops", "cli") for area in FOUNDATION}}

    def upwards(m, d):
        return _area(d) in drivers.get(_area(m), ())
    assert _violations(upwards) == []


def test_the_foundation_knows_no_branch():
    """storage, io, reporting, runtime and the root modules serve every branch, so they import none."""
    def into_a_branch(m, d):
        return (_area(m) in FOUNDATION or _area(m) == "root") and _area(d) in DOMAIN
    assert _violations(into_a_branch) == []


def test_the_package_root_holds_only_its_entry_points():
    loose = {p.stem for p in PACKAGE.glob("*.py")}
    assert loose == ROOT_MODULES, f"group new modules under {FOUNDATION} or a branch: {sorted(loose - ROOT_MODULES)}"


def test_no_import_cycles_when_modules_load():
    graph = {m: {d for d in _imports(p, top_level_only=True) if d != "prefect" and d != m} for m, p in FILES.items()}
    done: set[str] = set()
    path: list[str] = []

    def visit(m: str) -> None:
        if m in path:
            pytest.fail("import cycle: " + " -> ".join(path[path.index(m):] + [m]))
        if m in done:
            return
        path.append(m)
        for d in sorted(graph.get(m, ())):
            visit(d)
        path.pop()
        done.add(m)

    for module in sorted(graph):
        visit(module)


def test_the_rules_see_real_imports():
    """The rules above would pass on a parser that saw nothing: check it sees the known arrows."""
    assert "cinepipe.flows.movielens" in _imports(FILES["cinepipe.cli"])
    assert "prefect" in _imports(FILES["cinepipe.tasks._common"])
    assert _area("cinepipe.recsys.ease") == "recsys" and _area("cinepipe.storage.warehouse") == "storage"
    assert _area("cinepipe.settings") == "root"


MAX_TASK_BODY_LINES = 15


def _task_bodies() -> dict[str, int]:
    """``module.function`` -> lines of its body (docstring excluded) for every ``@task`` in tasks/."""
    bodies: dict[str, int] = {}
    for module, path in FILES.items():
        if _area(module) != "tasks":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.FunctionDef) or not any(
                    getattr(d.func if isinstance(d, ast.Call) else d, "id", None) == "task" for d in node.decorator_list):
                continue
            body = node.body
            if isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
                    and isinstance(body[0].value.value, str):
                body = body[1:]
            bodies[f"{module}.{node.name}"] = body[-1].end_lineno - body[0].lineno + 1 if body else 0
    return bodies


def test_every_task_is_thin():
    """A task reads its inputs, calls one domain function and returns a path, key or small record;
    the work lives in the branch's modules, where tests call it without Prefect."""
    bodies = _task_bodies()
    assert "cinepipe.tasks.export.movielens.score_recommendations" in bodies and len(bodies) > 30
    fat = {name: n for name, n in bodies.items() if n > MAX_TASK_BODY_LINES}
    assert fat == {}, f"move the work of these tasks into their branch's modules: {fat}"
