"""Restricted Boltzmann Machine for collaborative filtering (Salakhutdinov, Mnih & Hinton 2007).

One training case is one user (``kind="user"``) or one item (``kind="item"``, the same machine on
the transposed matrix). Its visible layer has one softmax group of K units per item (per user in the
item variant); only the groups of the entries it rated are present, so each case is its own RBM and
all of them share the weights W[visible, level, hidden], visible biases b[visible, level] and hidden
biases c[hidden]. K is the number of distinct rating values in the training data, one unit per
value: 5 for ml-100k's integer stars, 10 for the half stars 0.5..5.0 of the CSV releases (a half
star is its own level rather than being rounded). Training is contrastive divergence CD-T with
momentum and weight decay; a prediction is the expected rating sum_k value_k p(v_k = 1 | p_hat),
p_hat the hidden probabilities given the case's observed ratings.

Visible data are kept as a sparse one-hot matrix (cases x visible*K), so every step is a sparse or
dense matrix product over the observed entries only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from scipy import sparse as sp

from cinepipe.recsys.lecture._common import LectureModel


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * x))  # overflow-free logistic


def one_hot_cases(case: np.ndarray, visible: np.ndarray, level: np.ndarray, n_cases: int, n_visible: int, k: int) -> sp.csr_matrix:
    """Cases x (visible*k) sparse one-hot: entry (case, visible*k + level) = 1 per observed rating."""
    data = np.ones(len(case), dtype=np.float32)
    return sp.csr_matrix((data, (case, visible * k + level)), shape=(n_cases, n_visible * k))


def hidden_probs(v: sp.csr_matrix | np.ndarray, weights: np.ndarray, hidden_bias: np.ndarray) -> np.ndarray:
    """p(h_f = 1 | v) for each case: sigmoid(c_f + sum_{i,k} v_ik W_ikf); ``v`` is cases x (visible*K)."""
    flat = weights.reshape(-1, weights.shape[-1])
    return sigmoid(hidden_bias + np.asarray(v @ flat))


def visible_probs(h: np.ndarray, weights: np.ndarray, visible_bias: np.ndarray, visible: np.ndarray) -> np.ndarray:
    """p(v_ik = 1 | h) over the K levels of visible group ``visible[n]`` given hidden row ``h[n]``.

    ``h`` is (n, F) and ``visible`` (n,) names one observed group per row; returns (n, K), rows sum to 1.
    """
    logits = visible_bias[visible] + np.einsum("nf,nkf->nk", h, weights[visible])
    logits -= logits.max(axis=1, keepdims=True)
    e = np.exp(logits)
    return e / e.sum(axis=1, keepdims=True)


def free_energy(v: sp.csr_matrix | np.ndarray, weights: np.ndarray, visible_bias: np.ndarray, hidden_bias: np.ndarray) -> np.ndarray:
    """F(v) = -sum_ik v_ik b_ik - sum_f log(1 + exp(c_f + sum_ik v_ik W_ikf)), one value per case."""
    flat = weights.reshape(-1, weights.shape[-1])
    act = hidden_bias + np.asarray(v @ flat)
    return -np.asarray(v @ visible_bias.ravel()).ravel() - np.logaddexp(0.0, act).sum(axis=1)


def sample_levels(probs: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One categorical draw per row of ``probs`` (n, K): the index of the sampled level."""
    cumulative = probs.cumsum(axis=1)
    draws = rng.random((len(probs), 1)) * cumulative[:, -1:]
    return np.minimum((draws > cumulative).sum(axis=1), probs.shape[1] - 1)


@dataclass
class Gradients:
    weights: np.ndarray
    visible_bias: np.ndarray
    hidden_bias: np.ndarray


def cd_gradients(
    v_data: sp.csr_matrix,
    weights: np.ndarray,
    visible_bias: np.ndarray,
    hidden_bias: np.ndarray,
    rng: np.random.Generator,
    steps: int = 1,
    sample_visible: bool = True,
) -> Gradients:
    """CD-``steps`` estimate of the log-likelihood gradient, averaged over the cases of ``v_data``.

    Data statistics <v h>_data use p(h|v_data); the chain alternates a hidden sample and a visible
    reconstruction restricted to each case's observed groups (sampled one-hot, or the probabilities
    themselves with ``sample_visible=False``); model statistics use p(h|v_T).
    """
    n_cases, width = v_data.shape
    k = visible_bias.shape[1]
    v_data = v_data.tocsr()
    rows = np.repeat(np.arange(n_cases), np.diff(v_data.indptr))
    groups = v_data.indices // k
    h_data = hidden_probs(v_data, weights, hidden_bias)
    h = h_data
    for _ in range(steps):
        h_sample = (rng.random(h.shape) < h).astype(np.float32)
        probs = visible_probs(h_sample[rows], weights, visible_bias, groups)
        if sample_visible:
            v_model = sp.csr_matrix((np.ones(len(rows), np.float32), (rows, groups * k + sample_levels(probs, rng))), shape=(n_cases, width))
        else:
            cols = (groups[:, None] * k + np.arange(k)).ravel()
            v_model = sp.csr_matrix((probs.ravel().astype(np.float32), (np.repeat(rows, k), cols)), shape=(n_cases, width))
        h = hidden_probs(v_model, weights, hidden_bias)
    d_weights = (v_data.T @ h_data - v_model.T @ h) / n_cases
    d_visible = (np.asarray(v_data.sum(axis=0)) - np.asarray(v_model.sum(axis=0))).reshape(visible_bias.shape) / n_cases
    d_hidden = (h_data.sum(axis=0) - h.sum(axis=0)) / n_cases
    return Gradients(np.asarray(d_weights).reshape(weights.shape), d_visible, d_hidden)


@dataclass
class RBMParams:
    """Hyperparameters of ``RBMCF``; defaults chosen on ml-latest-small (see docs/lecture-comparison.md)."""

    kind: Literal["user", "item"] = "user"  # what one training case is
    hidden: int = 50  # binary hidden units F; 100 overfits ml-latest-small's 610 users
    epochs: int = 30  # passes over the cases
    batch_size: int = 32  # cases per CD step
    learning_rate: float = 0.3  # on the batch-mean gradient; 0.6 oscillates, 0.05 barely moves
    momentum: float = 0.9
    weight_decay: float = 0.01  # L2 on W; the paper's 0.001 overfits at this size
    cd_steps: int = 1  # T of CD-T
    block_pairs: int = 8192  # pairs scored at once at prediction: memory ~ block_pairs x K x F
    seed: int = 42


class RBMCF(LectureModel):
    """RBM-CF; ``kind="user"`` makes each user a case, ``kind="item"`` each item."""

    Params = RBMParams
    description = "weights[visible, level, hidden], visible_bias, hidden_bias, levels; case_hidden: p(h|case)."

    @property
    def name(self) -> str:
        return f"rbm_{self.params.kind}"

    def fit(self, train: pd.DataFrame) -> RBMCF:
        users, items, values = self._begin_fit(train)
        p = self.params
        self.levels, level = np.unique(values, return_inverse=True)
        k = len(self.levels)
        case, visible = (users, items) if p.kind == "user" else (items, users)
        n_cases, n_visible = (self.index.n_users, self.index.n_items)[:: 1 if p.kind == "user" else -1]
        cases = one_hot_cases(case, visible, level, n_cases, n_visible, k)

        rng = np.random.default_rng(p.seed)
        self.weights = rng.normal(0.0, 0.01, (n_visible, k, p.hidden)).astype(np.float32)
        # Visible biases start at the log of each group's level frequencies, smoothed towards the
        # overall ones (Hinton's practical guide), so an untrained machine predicts a damped mean.
        overall = np.bincount(level, minlength=k) / len(level)
        counts = np.asarray(cases.sum(axis=0)).reshape(n_visible, k) + k * overall
        self.visible_bias = np.log(counts / counts.sum(axis=1, keepdims=True)).astype(np.float32)
        self.hidden_bias = np.zeros(p.hidden, np.float32)

        params = (self.weights, self.visible_bias, self.hidden_bias)
        velocity = [np.zeros_like(x) for x in params]
        for _ in range(p.epochs):
            order = rng.permutation(n_cases)
            for start in range(0, n_cases, p.batch_size):
                batch = cases[order[start : start + p.batch_size]]
                grad = cd_gradients(batch, *params, rng, p.cd_steps)
                steps = (grad.weights - p.weight_decay * self.weights, grad.visible_bias, grad.hidden_bias)
                for param, vel, step in zip(params, velocity, steps):
                    vel *= p.momentum
                    vel += p.learning_rate * step
                    param += vel
        self.case_hidden = hidden_probs(cases, self.weights, self.hidden_bias)
        return self

    def predict(self, users: np.ndarray, items: np.ndarray) -> np.ndarray:
        u, i = self._lookup(users, items)
        out = self._baseline(u, i)
        known = np.flatnonzero((u >= 0) & (i >= 0))
        case, visible = (u, i) if self.params.kind == "user" else (i, u)
        for start in range(0, len(known), self.params.block_pairs):
            rows = known[start : start + self.params.block_pairs]
            probs = visible_probs(self.case_hidden[case[rows]], self.weights, self.visible_bias, visible[rows])
            out[rows] = probs @ self.levels
        return self._clip(out)

    def _state(self) -> dict[str, np.ndarray]:
        return {
            **self._base_state(),
            "weights": self.weights, "visible_bias": self.visible_bias, "hidden_bias": self.hidden_bias,
            "levels": self.levels, "case_hidden": self.case_hidden,
        }

    def _set_state(self, state: dict[str, np.ndarray]) -> None:
        self._set_base_state(state)
        keys = ("weights", "visible_bias", "hidden_bias", "levels", "case_hidden")
        self.weights, self.visible_bias, self.hidden_bias, self.levels, self.case_hidden = (state[k] for k in keys)
