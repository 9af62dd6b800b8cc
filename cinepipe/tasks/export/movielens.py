"""Export tasks of the MovieLens branch: top-N lists for every user, with titles
(``movielens/serving.py`` does the work)."""

from __future__ import annotations

from prefect import get_run_logger, task

from cinepipe.movielens import serving
from cinepipe.movielens.serving import Exported, TrainedRecommender
from cinepipe.movielens.snapshot import Snapshot
from cinepipe.settings import get_settings
from cinepipe.tasks._common import STAGED, content_dir, step_key


@task(name="score-recommendations", cache_policy=STAGED,
      task_run_name="score-recommendations[{trained.dataset}:{first}-{last}]")
def score_recommendations(trained: TrainedRecommender, snapshot: Snapshot, first: int, last: int, top_n: int,
                          cold_start_min_ratings: int) -> str:
    """Top-N lists of the users ``first``..``last``, written to a Parquet part; returns its path."""
    key = step_key(score_recommendations, trained.key, snapshot["key"], first, last, top_n, cold_start_min_ratings)
    out = content_dir(get_settings().staging_dir / "movielens" / "lists", key) / "lists.parquet"
    serving.score_part(trained, snapshot, first, last, top_n, cold_start_min_ratings).to_parquet(out, index=False)
    return str(out)


@task(name="export-recommendations", task_run_name="export-recommendations[{trained.dataset}]")
def export_recommendations(trained: TrainedRecommender, snapshot: Snapshot, top_n: int, cold_start_min_ratings: int,
                           parts: list[str] | None = None) -> Exported:
    """Write every user's list from the scored ``parts``; a no-op when this model's lists are out.

    Without ``parts`` (the incremental flow's full retrain) the lists are scored here, in one go.
    """
    exported = serving.export_lists(get_settings(), trained, snapshot, top_n, cold_start_min_ratings, parts)
    if not exported["skipped"]:
        get_run_logger().info("%s lists, %s rows: %s", f"{exported['users']:,}", f"{exported['rows']:,}",
                              exported["csv"])
    return exported
