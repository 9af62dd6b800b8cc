"""The recommender model whose lists are out, per dataset: training it, scoring and exporting its
lists, refreshing them with new ratings, and the pointer file beside its models that names it."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TypedDict

import pandas as pd

from cinepipe.io.files import write_atomic
from cinepipe.movielens import plots
from cinepipe.movielens.export import (
    example_markdown,
    export_files,
    movie_popularity,
    read_movies,
    read_part_ratings,
    read_users_ratings,
    snapshot_users,
    titled_lists,
    user_parts,
    write_lists,
)
from cinepipe.movielens.refresh import has_warm_refresh, needs_all_ratings, warm_refresh
from cinepipe.movielens.snapshot import Snapshot, read_ratings, snapshot_ratings
from cinepipe.recsys.persist import load_model
from cinepipe.reporting.artifacts import artifact_key, publish_image, publish_markdown
from cinepipe.settings import Settings
from cinepipe.storage import warehouse
from cinepipe.storage.retention import prune_dirs

LATEST = "latest.json"


@dataclass(frozen=True)
class TrainedRecommender:
    """A fitted model on disk, as the pointer file records it."""

    dir: str
    model: str  # its registry name
    key: str  # the step key it was trained (or refreshed) under: names its directory and its lists' load
    dataset: str


class Exported(TypedDict, total=False):
    """What an export did: skipped (this model's lists are out) or the files it wrote."""

    skipped: bool
    rows: int
    users: int
    rewritten: bool
    files_rewritten: bool
    parquet: str
    csv: str


class Refreshed(TypedDict, total=False):
    """What a refresh did: ``mode`` full-retrain (the caller retrains) or warm-refresh, with the
    export's counts and files."""

    mode: str
    users_refreshed: int
    rows: int
    users: int
    rewritten: bool
    parquet: str
    csv: str


def _pointer(settings: Settings, dataset: str) -> Path:
    return settings.artifacts_dir / "movielens" / dataset / LATEST


def latest_model(settings: Settings, dataset: str) -> TrainedRecommender | None:
    """The model whose lists were exported last for ``dataset`` (written by train and refresh)."""
    pointer = _pointer(settings, dataset)
    return TrainedRecommender(**json.loads(pointer.read_text())) if pointer.exists() else None


def remember_model(settings: Settings, trained: TrainedRecommender) -> None:
    """Record ``trained`` as the model whose lists are out (after they are written)."""
    write_atomic(_pointer(settings, trained.dataset), json.dumps(asdict(trained), indent=2))


def prune_models(settings: Settings, model_root: Path, dataset: str) -> list[Path]:
    """Old models of one kind beyond ``keep_models``; never the one whose lists are out."""
    current = latest_model(settings, dataset)
    return prune_dirs(model_root, settings.keep_models, protect=[current.dir] if current else [])


def train_model(settings: Settings, snapshot: Snapshot, name: str, quick: bool, seed: int, key: str) -> TrainedRecommender:
    """Fit the model ``name`` on every rating of the snapshot; save it as
    ``artifacts/movielens/<dataset>/<name>/<key>/`` with what it was trained on."""
    # the model classes load only when one trains
    from cinepipe.recsys.registry import build

    model = build(name, seed=seed, quick=quick).fit(read_ratings(snapshot))
    out = settings.artifacts_dir / "movielens" / snapshot["dataset"] / name / key
    model.save(out)
    (out / "trained_on.json").write_text(json.dumps({"snapshot": snapshot, "quick": quick, "seed": seed}, indent=2))
    prune_models(settings, out.parent, snapshot["dataset"])
    return TrainedRecommender(str(out), name, key, snapshot["dataset"])


def export_parts(settings: Settings, snapshot: Snapshot) -> list[tuple[int, int]]:
    """The user ranges the lists are scored in, one task each (in parallel on the task runner)."""
    return user_parts(snapshot_users(snapshot["dir"]), settings.topn_users_per_task)


def score_part(trained: TrainedRecommender, snapshot: Snapshot, first: int, last: int, top_n: int,
               cold_start_min_ratings: int) -> pd.DataFrame:
    """Top-N lists of the users ``first``..``last``, titled.

    A part reads only its users' ratings; the cold-start lists use the whole snapshot's popularity.
    """
    model = load_model(trained.dir)
    ratings = read_part_ratings(snapshot["dir"], first, last)
    return titled_lists(model, ratings, read_movies(snapshot["dir"]),
                        n=top_n, cold_start_min_ratings=cold_start_min_ratings, users=ratings["user_id"].unique(),
                        popularity=movie_popularity(snapshot["dir"], model.index.items))


def export_lists(settings: Settings, trained: TrainedRecommender, snapshot: Snapshot, top_n: int,
                 cold_start_min_ratings: int, parts: Sequence[str] | None = None) -> Exported:
    """Write every user's list from the scored ``parts`` (Parquet files), remember the model and
    publish examples and plots; a no-op when this model's lists are out.

    Without ``parts`` (the incremental flow's full retrain) the lists are scored here, in one go.
    """
    dataset = trained.dataset
    with warehouse.connect(settings) as con:
        if warehouse.already_loaded(con, "recommendations", dataset, trained.key):
            n = con.execute("select count(*) from recommendations where dataset = ?", [dataset]).fetchone()[0]
            if n:
                remember_model(settings, trained)
                files = export_files(settings, dataset, only_if_stale=True)  # repairs what a crash left
                return {"skipped": True, "rows": n, "files_rewritten": files["rewritten"]}
    if parts is None:
        lists = pd.concat([score_part(trained, snapshot, first, last, top_n, cold_start_min_ratings)
                           for first, last in export_parts(settings, snapshot)], ignore_index=True)
    else:
        lists = pd.concat([pd.read_parquet(Path(p)) for p in parts], ignore_index=True)
    result = write_lists(settings, lists, dataset=dataset, run_id=warehouse.new_run_id(), model_key=trained.key)
    remember_model(settings, trained)
    files = f"\n\nEvery user's list: `{result['csv']}` (CSV) and `{result['parquet']}` (Parquet)."
    publish_markdown(example_markdown(lists, dataset) + files, key=artifact_key("recommendations", dataset),
                     description="Example recommendation lists")
    _publish_plots(settings, lists, snapshot, dataset)
    return {"skipped": False, **result}


def _publish_plots(settings: Settings, lists: pd.DataFrame, snapshot: Snapshot, dataset: str) -> None:
    """The ratings the lists were made from, and how much of the catalogue the lists use."""
    out = settings.artifacts_dir / "movielens" / dataset / "plots"
    out.mkdir(parents=True, exist_ok=True)
    ratings = read_ratings(snapshot)
    png = plots.rating_distribution(ratings, out / "rating_distribution.png", f"movielens[{dataset}]: ratings")
    publish_image(png, f"movielens-{dataset}-rating-distribution",
                  f"movielens[{dataset}]: rating values, ratings per user and per movie")
    png = plots.list_coverage(lists, ratings, out / "list_coverage.png", f"movielens[{dataset}]: the exported lists")
    publish_image(png, f"movielens-{dataset}-list-coverage",
                  f"movielens[{dataset}]: catalogue coverage and popularity of the recommended movies")


def refresh_lists(settings: Settings, current: TrainedRecommender, touched_users: Sequence[int], snapshot: Snapshot,
                  top_n: int, cold_start_min_ratings: int, key: str) -> Refreshed:
    """Warm-refresh the model in service with the touched users' ratings, save it under ``key``
    beside it, re-export those users' lists and point at it; ``full-retrain`` for a model that has
    no warm refresh.

    ``snapshot`` may be partial (the touched users' ratings only, ``snapshot_for_users``); a model
    that needs every rating (EASE) then takes the full snapshot of the same key.
    """
    model = load_model(current.dir)
    if not has_warm_refresh(model):
        return {"mode": "full-retrain"}
    if needs_all_ratings(model):
        full = snapshot_ratings(settings, current.dataset) if snapshot.get("partial") else snapshot
        ratings = read_ratings(full)
        new = ratings[ratings["user_id"].isin(touched_users)]
    else:  # MF and ALS move only the touched users' rows: read just their ratings (ml-25m: 1.5M of 25M)
        ratings = new = read_users_ratings(snapshot["dir"], touched_users)
    model = warm_refresh(model, ratings, new)
    out = Path(current.dir).parent / key
    model.save(out)
    # the touched users' own ratings exclude what they rated; cold-start lists count the whole snapshot
    lists = titled_lists(model, new, read_movies(snapshot["dir"]), n=top_n,
                         cold_start_min_ratings=cold_start_min_ratings, users=touched_users,
                         popularity=movie_popularity(snapshot["dir"], model.index.items))
    result = write_lists(settings, lists, dataset=current.dataset, run_id=warehouse.new_run_id(), model_key=key,
                         only_users=touched_users)
    remember_model(settings, TrainedRecommender(str(out), current.model, key, current.dataset))
    prune_models(settings, out.parent, current.dataset)
    return {"mode": "warm-refresh", "users_refreshed": len(touched_users), **result}
