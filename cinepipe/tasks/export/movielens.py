"""Export task of the MovieLens branch: top-N lists for every user, with titles."""

from __future__ import annotations

from prefect import task
from prefect.artifacts import create_link_artifact, create_markdown_artifact

from cinepipe import warehouse
from cinepipe.movielens.export import (
    example_markdown,
    read_movies,
    titled_lists,
    write_lists,
)
from cinepipe.movielens.snapshot import read_ratings
from cinepipe.recsys.persist import load_model
from cinepipe.settings import get_settings
from cinepipe.tasks._common import slug
from cinepipe.tasks.train.movielens_refresh import remember_model


@task(name="export-recommendations", task_run_name="export-recommendations[{trained[dataset]}]")
def export_recommendations(trained: dict, snapshot: dict) -> dict:
    """Write every user's list; a no-op when the lists of this very model are already out."""
    settings = get_settings()
    dataset = trained["dataset"]
    with warehouse.connect(settings) as con:
        if warehouse.already_loaded(con, "recommendations", dataset, trained["key"]):
            n = con.execute("select count(*) from recommendations where dataset = ?", [dataset]).fetchone()[0]
            if n:
                remember_model(trained)
                return {"skipped": True, "rows": n}
    model = load_model(trained["dir"])
    lists = titled_lists(model, read_ratings(snapshot), read_movies(snapshot["dir"]), n=settings.top_n,
                         cold_start_min_ratings=settings.cold_start_min_ratings)
    result = write_lists(settings, lists, dataset=dataset, run_id=warehouse.new_run_id(), model_key=trained["key"])
    remember_model(trained)
    create_markdown_artifact(example_markdown(lists, dataset), key=f"recommendations-{slug(dataset)}",
                             description="Example recommendation lists")
    create_link_artifact(f"file://{result['csv']}", link_text=f"recommendations for {dataset} (CSV)",
                         key=f"recommendations-file-{slug(dataset)}")
    return {"skipped": False, **result}

