from __future__ import annotations

import pytest

from cinepipe.movielens.synthetic import Shape, write_100k_release, write_csv_release


@pytest.fixture(scope="session")
def ml100k_dir(tmp_path_factory):
    """A generated release in the exact ml-100k layout (100,000 ratings, 943 users, 1,682 items)."""
    path = tmp_path_factory.mktemp("releases") / "ml-100k"
    write_100k_release(path)
    return path


@pytest.fixture
def small_csv_dir(tmp_path):
    path = tmp_path / "ml-latest-small"
    write_csv_release(path, Shape(n_users=60, n_items=80, n_ratings=2_000), seed=3)
    return path
