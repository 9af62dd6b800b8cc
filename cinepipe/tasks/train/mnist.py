"""Train tasks of the MNIST branch: the CNN and the scikit-learn baselines (``mnist/train.py``)."""

from __future__ import annotations

from prefect import task

from cinepipe.mnist import train
from cinepipe.mnist.store import Staged
from cinepipe.mnist.train import TrainedModel
from cinepipe.tasks._common import CACHED_ACROSS_RUNS


@task(name="train-mnist-cnn", task_run_name="train-mnist[cnn]", cache_policy=CACHED_ACROSS_RUNS)
def train_mnist_cnn(staged: Staged, quick: bool, seed: int, run_id: str) -> TrainedModel:
    """Fit the CNN on the train split (a subset when quick); save it with its history and curves."""
    return train.train_cnn(staged["dataset"], staged["dir"], staged["key"], quick, seed, run_id)


@task(name="train-mnist-baseline", task_run_name="train-mnist[{model}]", cache_policy=CACHED_ACROSS_RUNS)
def train_mnist_baseline(staged: Staged, model: str, quick: bool, seed: int, run_id: str) -> TrainedModel:
    """Fit one scikit-learn baseline on the pixels; save it with joblib."""
    return train.train_baseline(model, staged["dataset"], staged["dir"], staged["key"], quick, seed, run_id)
