"""Load the checked reviews into ``imdb_reviews``: one partition load per source (aclImdb, keras-imdb)."""

from __future__ import annotations

from pathlib import Path
from typing import TypedDict

import pandas as pd

from cinepipe.imdb.checks import Validated
from cinepipe.imdb.columns import LOADED_COLUMNS, SOURCE, TABLE
from cinepipe.imdb.fetch import Fetched
from cinepipe.settings import Settings
from cinepipe.storage.partition import Partition, load_partition


class Loaded(TypedDict):
    replaced: int
    loaded: int
    quarantined: int


def load_reviews(validated: Validated, fetched: Fetched, dataset: str, run_id: str, settings: Settings) -> Loaded:
    """Replace the source's rows of ``imdb_reviews`` and quarantine its rejected reviews, in one
    transaction; then refresh the lake copies."""
    good = pd.read_parquet(Path(validated["dir"]) / "good.parquet")[LOADED_COLUMNS]
    bad = pd.read_parquet(Path(validated["dir"]) / "quarantined.parquet")
    rows = good.assign(source_uri=fetched["source"], source_sha256=fetched["sha256"], load_run_id=run_id)
    done = load_partition(settings, Partition(TABLE, dataset, SOURCE), rows, content_key=validated["key"],
                          run_id=run_id, bad=bad, source=f"imdb:{dataset}")
    return Loaded(replaced=done.replaced, loaded=done.loaded, quarantined=done.quarantined)
