"""The whole comparison on ml-latest-small (slow: several minutes on two cores)."""

import numpy as np
import pandas as pd
import pytest

from cinepipe.recsys.lecture.compare import (
    comparison_table,
    lecture_models,
    run_comparison,
)
from cinepipe.recsys.metrics import rmse
from cinepipe.recsys.splits import random_split
from cinepipe.storage.columns import ITEM, RATING, USER


@pytest.mark.slow
def test_every_method_beats_the_global_mean_on_ml_latest_small(shared_data):
    raw = pd.read_csv(shared_data / "ml-latest-small" / "ratings.csv")
    ratings = raw.rename(columns={"userId": USER, "movieId": ITEM, "rating": RATING})[[USER, ITEM, RATING]]
    train, test = random_split(ratings, 0.3, 42)
    base = rmse(test[RATING], np.full(len(test), train[RATING].mean()))
    results = run_comparison(train, test, lecture_models())
    by = results.set_index("method")
    assert (by["rmse"] < base).all(), by
    assert by.loc["i-autorec", "rmse"] <= 0.93
    table = comparison_table(by["rmse"].to_dict(), "ml-latest-small", base)
    assert len(table) == len(results) + 1
