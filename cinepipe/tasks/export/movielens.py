"""Export task of the MovieLens branch: top-N lists for every user, with titles."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from prefect import get_run_logger, task
from prefect.artifacts import create_markdown_artifact

from cinepipe.movielens import plots
from cinepipe.movielens.export import (
    example_markdown,
    export_files,
    movie_popularity,
    read_movies,
    read_part_ratings,
    snapshot_users,
    titled_lists,
    user_parts,
    write_lists,
)
from cinepipe.movielens.serving import remember_model
from cinepipe.movielens.snapshot import read_ratings
from cinepipe.recsys.persist import load_model
from cinepipe.reporting.artifacts import publish_image
from cinepipe.settings import get_settings
from cinepipe.storage import warehouse
from cinepipe.tasks._common import STAGED, content_dir, slug, step_key


def export_parts(snapshot: dict) -> list[tuple[int, int]]:
    """The user ranges the lists are scored in, one task each (in parallel on the task runner)."""
    return user_parts(snapshot_users(snapshot["dir"]), get_settings().topn_users_per_task)


@task(name="score-recommendations", cache_policy=STAGED,
      task_run_name="score-recommendations[{trained[dataset]}:{first}-{last}]")
def score_recommendations(trained: dict, snapshot: dict, first: int, last: int, top_n: int,
                          cold_start_min_ratings: int) -> str:
    """Top-N lists of the users ``first``..``last``, written to a Parquet part; returns its path.

    A part reads only its users' ratings; the cold-start lists use the whole snapshot's popularity.
    """
    key = step_key(score_recommendations, trained["key"], snapshot["key"], first, last, top_n, cold_start_min_ratings)
    out = content_dir(get_settings().staging_dir / "movielens" / "lists", key)
    model = load_model(trained["dir"])
    ratings = read_part_ratings(snapshot["dir"], first, last)
    lists = titled_lists(model, ratings, read_movies(snapshot["dir"]),
                         n=top_n, cold_start_min_ratings=cold_start_min_ratings, users=ratings["user_id"].unique(),
                         popularity=movie_popularity(snapshot["dir"], model.index.items))
    lists.to_parquet(out / "lists.parquet", index=False)
    return str(out / "lists.parquet")


@task(name="export-recommendations", task_run_name="export-recommendations[{trained[dataset]}]")
def export_recommendations(trained: dict, snapshot: dict, top_n: int, cold_start_min_ratings: int,
                           parts: list[str] | None = None) -> dict:
    """Write every user's list from the scored ``parts``; a no-op when this model's lists are out.

    Without ``parts`` (the incremental flow's full retrain) the lists are scored here, in one go.
    """
    settings = get_settings()
    dataset = trained["dataset"]
    with warehouse.connect(settings) as con:
        if warehouse.already_loaded(con, "recommendations", dataset, trained["key"]):
            n = con.execute("select count(*) from recommendations where dataset = ?", [dataset]).fetchone()[0]
            if n:
                remember_model(settings, trained)
                files = export_files(settings, dataset, only_if_stale=True)  # repairs what a crash left
                return {"skipped": True, "rows": n, "files_rewritten": files["rewritten"]}
    if parts is None:
        parts = [score_recommendations.fn(trained, snapshot, first, last, top_n, cold_start_min_ratings)
                 for first, last in export_parts(snapshot)]
    lists = pd.concat([pd.read_parquet(Path(p)) for p in parts], ignore_index=True)
    result = write_lists(settings, lists, dataset=dataset, run_id=warehouse.new_run_id(), model_key=trained["key"])
    remember_model(settings, trained)
    get_run_logger().info("%s lists, %s rows: %s", f"{lists['user_id'].nunique():,}", f"{len(lists):,}", result["csv"])
    files = f"\n\nEvery user's list: `{result['csv']}` (CSV) and `{result['parquet']}` (Parquet)."
    create_markdown_artifact(example_markdown(lists, dataset) + files, key=f"recommendations-{slug(dataset)}",
                             description="Example recommendation lists")
    _publish_plots(settings, lists, snapshot, dataset)
    return {"skipped": False, **result}


def _publish_plots(settings, lists: pd.DataFrame, snapshot: dict, dataset: str) -> None:
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
