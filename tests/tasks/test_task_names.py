"""Every task names its runs, so the Prefect UI shows no random suffixes (validate-imdb, not validate-imdb-b5b)."""

from __future__ import annotations

import importlib
import pkgutil

from prefect import Task

import cinepipe.tasks


def test_every_task_sets_a_task_run_name():
    unnamed = []
    for info in pkgutil.walk_packages(cinepipe.tasks.__path__, "cinepipe.tasks."):
        module = importlib.import_module(info.name)
        for name, value in vars(module).items():
            if isinstance(value, Task) and value.__module__ == module.__name__ and not value.task_run_name:
                unnamed.append(f"{info.name}.{name}")
    assert not unnamed, f"tasks without task_run_name: {unnamed}"
