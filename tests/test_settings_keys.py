"""Every setting that shapes an output is part of the cache key of exactly the steps that use it.

Generated from the ``Settings`` model: a setting added without saying which steps it shapes (or
why it shapes none) fails here, and so does a step that reads such a setting itself instead of
taking it from its flow as a parameter (then a changed value would not change its key).
"""

from __future__ import annotations

import asyncio
import importlib
import inspect
import pkgutil
import re

import pytest
from prefect import Task
from prefect.cache_policies import INPUTS

import cinepipe.tasks
from cinepipe.settings import RUN_SETTINGS, STEP_SETTINGS, Settings


def _tasks() -> dict[str, Task]:
    found: dict[str, Task] = {}
    for info in pkgutil.walk_packages(cinepipe.tasks.__path__, "cinepipe.tasks."):
        module = importlib.import_module(info.name)
        for value in vars(module).values():
            if isinstance(value, Task) and value.fn.__module__ == module.__name__:
                found[value.name] = value
    return found


TASKS = _tasks()
STEP_USES = sorted((setting, step) for setting, steps in STEP_SETTINGS.items() for step in steps)


def _reads(task: Task, setting: str) -> bool:
    """Whether the task's own code reads the setting from the settings object."""
    return re.search(rf"\bsettings\(?\)?\.{setting}\b", inspect.getsource(task.fn)) is not None


def test_every_setting_says_which_steps_it_shapes():
    fields = set(Settings.model_fields)
    unclassified = fields - set(STEP_SETTINGS) - set(RUN_SETTINGS)
    assert not unclassified, (
        f"settings {sorted(unclassified)} are in neither settings.STEP_SETTINGS (the steps whose output "
        "they shape, which take them as parameters) nor settings.RUN_SETTINGS (with the reason they shape none)")
    assert not set(STEP_SETTINGS) & set(RUN_SETTINGS)
    assert not (set(STEP_SETTINGS) | set(RUN_SETTINGS)) - fields, "the tables name settings that do not exist"


@pytest.mark.parametrize(("setting", "step"), STEP_USES)
def test_a_step_takes_each_setting_it_uses_as_a_parameter_of_its_key(setting, step):
    assert step in TASKS, f"{setting}: no task named {step!r}"
    task = TASKS[step]
    params = inspect.signature(task.fn).parameters
    assert setting in params, f"{step} must take {setting} from its flow as a parameter"
    assert not _reads(task, setting), f"{step} reads {setting} itself: its cache key would not see a change"
    # a changed value changes the key Prefect caches the step under (INPUTS is part of every policy)
    inputs = {name: f"<{name}>" for name in params}
    keys = {INPUTS.compute_key(task_ctx=None, inputs={**inputs, setting: value}, flow_parameters={})
            for value in (1, 2)}
    assert len(keys) == 2


@pytest.mark.parametrize("setting", sorted(STEP_SETTINGS))
def test_steps_that_do_not_use_a_setting_neither_take_nor_read_it(setting):
    users = set(STEP_SETTINGS[setting])
    for name, task in TASKS.items():
        if name in users:
            continue
        assert setting not in inspect.signature(task.fn).parameters, f"{name} takes {setting}: list it in STEP_SETTINGS"
        assert not _reads(task, setting), f"{name} reads {setting}: take it as a parameter and list it"


def test_an_empty_environment_value_means_unset(monkeypatch):
    monkeypatch.setenv("CINEPIPE_LAKE_URL", "")
    monkeypatch.setenv("CINEPIPE_MOVIELENS_SOURCE", "")
    settings = Settings()
    assert settings.lake_url is None and settings.movielens_source is None


def test_lake_credentials_are_secret_settings(monkeypatch):
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "do-not-print-me")
    settings = Settings()
    assert settings.s3_secret_access_key.get_secret_value() == "do-not-print-me"
    assert "do-not-print-me" not in repr(settings) and "do-not-print-me" not in str(settings.model_dump())


def _task_states(flow_run_id) -> dict[str, str]:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    async def read():
        async with get_client() as client:
            runs = await client.read_task_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id])))
            return {r.name.split("[")[0]: r.state.name for r in runs}

    return asyncio.run(read())


@pytest.mark.usefixtures("prefect_harness")
def test_a_tightened_bad_fraction_reruns_the_check_and_refuses(home, small_csv_dir, monkeypatch):
    """0.15% bad rows pass at the default 1%; tightened to 0.1%, the same release is refused, as it
    is on a fresh home, while a setting the checks do not use leaves them cached."""
    from cinepipe.errors import ValidationFailed
    from cinepipe.flows.movielens import ingest_movielens_flow
    from cinepipe.settings import reset_settings

    with (small_csv_dir / "ratings.csv").open("a") as fh:
        fh.write("1,1,9.5,1300000000\n2,1,11.0,1300000000\n3,1,0.1,1300000000\n")
    assert ingest_movielens_flow(str(small_csv_dir))["rows_quarantined"] == 3

    monkeypatch.setenv("CINEPIPE_TOP_N", "20")  # shapes the lists, not the checks
    reset_settings()
    state = ingest_movielens_flow(str(small_csv_dir), return_state=True)
    assert _task_states(state.state_details.flow_run_id)["validate-movielens"] == "Cached"

    monkeypatch.setenv("CINEPIPE_MAX_BAD_FRACTION", "0.001")
    reset_settings()
    with pytest.raises(ValidationFailed, match="above the allowed 0.10%"):
        ingest_movielens_flow(str(small_csv_dir))
