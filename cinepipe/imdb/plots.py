"""Training curves as matplotlib figures (the caller saves them)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
from matplotlib.figure import Figure


def curve_figure(history: dict[str, list[float]], metric: str, title: str) -> Figure:
    """Train and validation ``metric`` per epoch (``loss`` or ``accuracy``)."""
    fig, ax = plt.subplots(figsize=(6, 4))
    for key, style in ((metric, "o-"), (f"val_{metric}", "s--")):
        values = history.get(key)
        if values:
            ax.plot(range(1, len(values) + 1), values, style, label="validation" if key.startswith("val_") else "train")
    ax.set_xlabel("epoch")
    ax.set_ylabel(metric)
    ax.set_title(title)
    ax.legend()
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def c_search_figure(history: dict[str, list[float]], title: str) -> Figure:
    """Validation accuracy against the regularisation strength C (log scale)."""
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.semilogx(history["c"], history["val_accuracy"], "o-")
    ax.set_xlabel("C")
    ax.set_ylabel("validation accuracy")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def close(fig: Figure) -> None:
    plt.close(fig)
