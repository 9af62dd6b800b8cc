"""Saving and loading models: a JSON config that explains the checkpoint, and a numpy weights file.

Inference runs in numpy from the saved arrays, so serving a list needs no TensorFlow session.
"""

from __future__ import annotations

import importlib
import json
from dataclasses import asdict
from pathlib import Path
from typing import ClassVar

import numpy as np

from cinepipe.errors import ModelError
from cinepipe.recsys.base import IdIndex, RatingModel

CONFIG_FILE = "config.json"
WEIGHTS_FILE = "weights.npz"
FORMAT_VERSION = 1


class SavableModel(RatingModel):
    """A model whose whole inference state is ``index`` plus named numpy arrays."""

    description: ClassVar[str] = ""  # one line for the saved config: what the weights are
    index: IdIndex

    def _state(self) -> dict[str, np.ndarray]:
        """Every array inference needs (scalars as 0-d arrays)."""
        raise NotImplementedError

    def _set_state(self, state: dict[str, np.ndarray]) -> None:
        raise NotImplementedError

    def _save_extra(self, directory: Path) -> None:
        """Models made of other models write them here (beside config and weights)."""

    def _load_extra(self, directory: Path) -> None:
        """Counterpart of ``_save_extra``."""

    def _require_fitted(self) -> None:
        if not hasattr(self, "index"):
            raise ModelError(self.name, "the model is not fitted", "Call fit() or load() first.")

    def save(self, directory: Path) -> None:
        """Write ``config.json`` (model, class, hyperparameters, shapes) and ``weights.npz``."""
        self._require_fitted()
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        state = self._state()
        config = {
            "format": FORMAT_VERSION,
            "model": self.name,
            "class": f"{type(self).__module__}.{type(self).__qualname__}",
            "description": self.description,
            "params": asdict(self.params),
            "n_users": self.index.n_users,
            "n_items": self.index.n_items,
            "arrays": {key: list(np.shape(value)) for key, value in state.items()},
        }
        np.savez(
            directory / WEIGHTS_FILE, index_users=self.index.users, index_items=self.index.items, **state
        )
        (directory / CONFIG_FILE).write_text(json.dumps(config, indent=2) + "\n")
        self._save_extra(directory)

    @classmethod
    def load(cls, directory: Path) -> SavableModel:
        """Rebuild a model saved by ``save``; works on the base class too (dispatches on the config)."""
        directory = Path(directory)
        config = json.loads((directory / CONFIG_FILE).read_text())
        target = _model_class(config["class"])
        if not issubclass(target, cls):
            raise ModelError(
                str(directory), f"holds a {config['class']}, not a {cls.__name__}", "Load it with its class."
            )
        model = target(target.Params(**config["params"]))
        with np.load(directory / WEIGHTS_FILE) as weights:
            arrays = {key: weights[key] for key in weights.files}
        model.index = IdIndex(arrays.pop("index_users"), arrays.pop("index_items"))
        model._set_state(arrays)
        model._load_extra(directory)
        return model


def _model_class(path: str) -> type:
    module, _, name = path.rpartition(".")
    if not module.startswith("cinepipe.recsys."):
        raise ModelError(path, "is not a cinepipe model class", "Load only directories written by cinepipe.")
    return getattr(importlib.import_module(module), name)


def load_model(directory: Path) -> SavableModel:
    """Load any model saved by ``SavableModel.save``."""
    return SavableModel.load(directory)
