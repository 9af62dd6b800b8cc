"""The recommender model whose lists are out, per dataset: a pointer file beside its models."""

from __future__ import annotations

import json
from pathlib import Path

from cinepipe.io.files import write_atomic
from cinepipe.settings import Settings
from cinepipe.storage.retention import prune_dirs

LATEST = "latest.json"


def _pointer(settings: Settings, dataset: str) -> Path:
    return settings.artifacts_dir / "movielens" / dataset / LATEST


def latest_model(settings: Settings, dataset: str) -> dict | None:
    """The model whose lists were exported last for ``dataset`` (written by train and refresh)."""
    pointer = _pointer(settings, dataset)
    return json.loads(pointer.read_text()) if pointer.exists() else None


def remember_model(settings: Settings, trained: dict) -> None:
    """Record ``trained`` as the model whose lists are out (after they are written)."""
    write_atomic(_pointer(settings, trained["dataset"]), json.dumps(trained, indent=2))


def prune_models(settings: Settings, model_root: Path, dataset: str) -> list[Path]:
    """Old models of one kind beyond ``keep_models``; never the one whose lists are out."""
    current = latest_model(settings, dataset)
    return prune_dirs(model_root, settings.keep_models, protect=[current["dir"]] if current else [])
