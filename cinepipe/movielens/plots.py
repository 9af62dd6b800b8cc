"""MovieLens figures as PNG files: metrics against the baselines and over runs, the rating
distribution, and how much of the catalogue the lists cover. Frames in, files out."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

# the one figure per protocol a person looks at first, and the model every other is judged against
HEADLINE = {"random-70-30": ("rmse", "global_mean"), "ml100k-u1": ("rmse", "global_mean"),
            "stratified-75-25": ("ndcg_at_10", "popularity")}


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(plt, fig, title: str, path: Path) -> Path:
    """Title, layout, the PNG at ``path``, the figure closed (every plot here ends this way)."""
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def metrics_vs_baselines(metrics: pd.DataFrame, previous: pd.DataFrame, path: Path, title: str) -> Path | None:
    """One panel per protocol: each model's headline metric as a bar, the baseline's bar grey and
    a dashed line across, the previous run's value as a cross. ``metrics``/``previous``: model,
    protocol, metric, value."""
    panels = [(p, m, b) for p, (m, b) in HEADLINE.items()
              if not metrics[(metrics["protocol"] == p) & (metrics["metric"] == m)].empty]
    if not panels:
        return None
    plt = _pyplot()
    fig, axes = plt.subplots(1, len(panels), figsize=(4.6 * len(panels), 3.6), squeeze=False)
    for ax, (protocol, metric, baseline) in zip(axes[0], panels):
        now = metrics[(metrics["protocol"] == protocol) & (metrics["metric"] == metric)]
        now = now.sort_values("value", ascending=metric != "rmse")
        colors = ["#9e9e9e" if m == baseline else "#1f77b4" for m in now["model"]]
        ax.barh(now["model"], now["value"], color=colors)
        base = now.loc[now["model"] == baseline, "value"]
        if not base.empty:
            ax.axvline(float(base.iloc[0]), color="#616161", linestyle="--", linewidth=1, label=f"{baseline}")
        before = previous[(previous["protocol"] == protocol) & (previous["metric"] == metric)]
        before = before.set_index("model")["value"].reindex(now["model"])
        if before.notna().any():
            ax.scatter(before.to_numpy(), np.arange(len(now)), marker="x", color="#d62728", zorder=3,
                       label="previous run")
        lower_is_better = metric in ("rmse", "mae")
        ax.set_title(f"{protocol}: {metric.replace('_at_', '@')} ({'lower' if lower_is_better else 'higher'} is better)",
                     fontsize=9)
        ax.tick_params(labelsize=8)
        ax.legend(fontsize=7, loc="lower right")
    return _save(plt, fig, title, path)


def metrics_over_runs(history: pd.DataFrame, path: Path, title: str) -> Path | None:
    """Each model's headline metric per run (``history``: model, protocol, metric, value,
    created_at); None with fewer than two runs."""
    keep = history[[HEADLINE.get(p, (None,))[0] == m for p, m in zip(history["protocol"], history["metric"])]]
    if keep["created_at"].nunique() < 2:
        return None
    plt = _pyplot()
    protocols = [p for p in HEADLINE if p in set(keep["protocol"])]
    fig, axes = plt.subplots(1, len(protocols), figsize=(4.6 * len(protocols), 3.4), squeeze=False)
    for ax, protocol in zip(axes[0], protocols):
        part = keep[keep["protocol"] == protocol].sort_values("created_at")
        for model, rows in part.groupby("model"):
            ax.plot(rows["created_at"], rows["value"], marker="o", markersize=3, label=model)
        ax.set_title(f"{protocol}: {HEADLINE[protocol][0].replace('_at_', '@')} per run", fontsize=9)
        ax.tick_params(labelsize=7)
        ax.tick_params(axis="x", rotation=30)
        ax.legend(fontsize=6)
    return _save(plt, fig, title, path)


def rating_distribution(ratings: pd.DataFrame, path: Path, title: str) -> Path:
    """The share of each rating value, and how many ratings users and movies have (log scale)."""
    plt = _pyplot()
    fig, axes = plt.subplots(1, 3, figsize=(12, 3.4))
    shares = ratings["rating"].value_counts(normalize=True).sort_index()
    axes[0].bar(shares.index.astype(str), shares.to_numpy(), color="#1f77b4")
    axes[0].set_title("rating values (share)", fontsize=9)
    for ax, column, name in ((axes[1], "user_id", "ratings per user"), (axes[2], "movie_id", "ratings per movie")):
        counts = ratings[column].value_counts().to_numpy()
        bins = np.logspace(0, np.log10(max(counts.max(), 2)), 30)
        ax.hist(counts, bins=bins, color="#1f77b4")
        ax.set_xscale("log")
        ax.set_title(f"{name} (median {int(np.median(counts))})", fontsize=9)
    for ax in axes:
        ax.tick_params(labelsize=8)
    return _save(plt, fig, title, path)


def list_coverage(lists: pd.DataFrame, ratings: pd.DataFrame, path: Path, title: str) -> Path:
    """How much of the catalogue the lists use, and how popular the recommended movies are
    compared with the catalogue (``lists``: user_id, movie_id; ``ratings``: movie_id)."""
    plt = _pyplot()
    popularity = ratings["movie_id"].value_counts()
    recommended = lists["movie_id"].value_counts()
    n_catalogue = len(popularity)
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.4))
    share = len(recommended) / n_catalogue if n_catalogue else 0.0
    axes[0].bar(["in some list", "in no list"], [len(recommended), max(n_catalogue - len(recommended), 0)],
                color=["#1f77b4", "#9e9e9e"])
    axes[0].set_title(f"catalogue coverage: {share:.1%} of {n_catalogue:,} rated movies", fontsize=9)
    bins = np.logspace(0, np.log10(max(int(popularity.max()), 2)), 30)
    axes[1].hist(popularity.to_numpy(), bins=bins, alpha=0.6, label="catalogue", color="#9e9e9e", density=True)
    axes[1].hist(popularity.reindex(lists["movie_id"]).dropna().to_numpy(), bins=bins, alpha=0.6,
                 label="recommended", color="#1f77b4", density=True)
    axes[1].set_xscale("log")
    axes[1].set_title("popularity (ratings per movie)", fontsize=9)
    axes[1].legend(fontsize=7)
    for ax in axes:
        ax.tick_params(labelsize=8)
    return _save(plt, fig, title, path)
