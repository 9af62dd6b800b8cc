"""Shared task decorations: the cache policies, and the (absent) task retries of network steps."""

from __future__ import annotations

import inspect
import os
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from prefect.cache_policies import INPUTS, TASK_SOURCE, CachePolicy

from cinepipe.io.hashing import content_dir, content_key, fingerprint_path
from cinepipe.runtime.code import module_key

__all__ = ["CACHED", "CACHED_ACROSS_RUNS", "NETWORK", "STAGED", "TRAINED", "content_dir", "content_key", "epoch",
           "fingerprint_path"]


EPOCH_FILE = ".cinepipe-epoch"


def epoch(root: Path) -> str:
    """A random id for this incarnation of the directory ``root``, made the first time it is asked
    for; clearing the directory clears the id, and the next one differs."""
    path = root / EPOCH_FILE
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        root.mkdir(parents=True, exist_ok=True)
        tmp = root / f"{EPOCH_FILE}.{uuid.uuid4().hex}"
        tmp.write_text(uuid.uuid4().hex)
        try:
            os.link(tmp, path)  # atomic: of two racing writers one wins and both read its id
        except FileExistsError:
            pass
        except OSError:  # a filesystem without hard links: a race costs one cache miss at worst
            tmp.replace(path)
        finally:
            tmp.unlink(missing_ok=True)
        return path.read_text().strip()


@dataclass
class HomePolicy(CachePolicy):
    """Keys a result to CINEPIPE_HOME (a cached path from another home may not exist there) and to
    the incarnation of the directories named in ``outputs`` (settings attributes) that the step
    writes into: once a user clears one, a cached result would name files that are gone, so the
    step runs again. Steps that write no files leave ``outputs`` empty and stay cached."""

    outputs: tuple[str, ...] = ()

    def compute_key(self, task_ctx: Any, inputs: dict[str, Any], flow_parameters: dict[str, Any],
                    **kwargs: Any) -> str | None:
        from cinepipe.settings import get_settings

        settings = get_settings()
        return content_key(str(settings.home_dir), *(epoch(getattr(settings, name)) for name in self.outputs))


@dataclass
class CodePolicy(CachePolicy):
    """Keys a result to the code the step runs: the task's module and every ``cinepipe`` module it
    imports (``runtime.code.module_key``), so a changed domain function reruns the thin task that
    calls it. ``TASK_SOURCE`` beside it tells apart two tasks of one module."""

    def compute_key(self, task_ctx: Any, inputs: dict[str, Any], flow_parameters: dict[str, Any],
                    **kwargs: Any) -> str | None:
        fn = getattr(getattr(task_ctx, "task", None), "fn", None)
        return module_key(fn.__module__) if fn is not None else None


# A step reruns when its inputs or its code change. Inputs are paths whose names carry the content
# hash of what they hold (see ``content_dir``), so "same input path" means "same content".
CODE = TASK_SOURCE + CodePolicy()
CACHED = INPUTS + CODE + HomePolicy()
# steps whose results name files under cache/staging, and under artifacts/
STAGED = INPUTS + CODE + HomePolicy(outputs=("staging_dir",))
TRAINED = INPUTS + CODE + HomePolicy(outputs=("artifacts_dir",))
# for training steps that also take the run id (to name where artifacts go): the run id must not
# make every night a cache miss
CACHED_ACROSS_RUNS = (INPUTS - "run_id") + CODE + HomePolicy(outputs=("artifacts_dir",))

# the decorations of every step that talks to the network. Retries happen in one place, the HTTP
# layer (``cinepipe.io.http``: backoff with jitter, Retry-After, transient errors only); a task retry
# on top of it would multiply the attempts and nest the backoffs, so network tasks do not retry.
NETWORK: dict[str, Any] = {"retries": 0}


def step_key(fn: Any, *inputs: Any) -> str:
    """A key for what a step produced: its inputs, its code (its source and the closure of the
    modules it imports) and the contracts it reads.

    Returned by each task and passed to the next, so a change upstream (code, SQL, suites or
    data) changes every downstream cache key, not just the step that changed.
    """
    plain = inspect.unwrap(getattr(fn, "fn", fn))
    return content_key(_source(fn), module_key(plain.__module__), *inputs)


def _source(fn: Any) -> str:
    """The source of ``fn``, also where it arrived pickled (a Dask worker sees ``<dynamic-code>``):
    then the same function is looked up by module and name in the installed package."""
    import importlib

    fn = inspect.unwrap(getattr(fn, "fn", fn))  # a Prefect task or the plain function
    try:
        return inspect.getsource(fn)
    except OSError:
        found = importlib.import_module(fn.__module__)
        for part in fn.__qualname__.split("."):
            found = getattr(found, part)
        return inspect.getsource(inspect.unwrap(getattr(found, "fn", found)))
