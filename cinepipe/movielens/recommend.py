"""`cinepipe recommend`: a user's latest list, read from the warehouse."""

from __future__ import annotations

from collections import namedtuple

from cinepipe.errors import CinepipeError
from cinepipe.settings import Settings
from cinepipe.storage import warehouse

Pick = namedtuple("Pick", "rank movie_id title score cold_start")


def latest_list(settings: Settings, *, user_id: int, n: int = 10, dataset: str | None = None) -> tuple[list[Pick], str]:
    """The top ``n`` of ``user_id``'s latest list (rank 1 first) and the dataset it is from.

    Plain rows, no DataFrame: `cinepipe recommend` answers without loading pandas.
    """
    with warehouse.connect(settings, read_only=True) as con:
        if dataset is None:
            row = con.execute("select dataset from recommendations order by created_at desc limit 1").fetchone()
            if row is None:
                raise CinepipeError("recommend", "no recommendation lists have been exported yet",
                                    "Run `cinepipe run movielens --source ...` or `cinepipe nightly --sample` first.")
            dataset = row[0]
        picks = [Pick(*row) for row in con.execute(
            "select rank, movie_id, title, score, cold_start from recommendations"
            " where dataset = ? and user_id = ? order by rank limit ?", [dataset, user_id, n]).fetchall()]
        if not picks:
            users = con.execute("select min(user_id), max(user_id), count(distinct user_id) from recommendations"
                                " where dataset = ?", [dataset]).fetchone()
            known = [r[0] for r in con.execute("select distinct dataset from recommendations order by 1").fetchall()]
    if not picks and dataset not in known:
        raise CinepipeError(
            "recommend", f"no lists for dataset {dataset!r}",
            f"Known datasets: {', '.join(known) or 'none yet'}; pass one of them to --dataset (or leave it out).")
    if not picks:
        raise CinepipeError(
            f"recommend[{dataset}]", f"user {user_id} has no list",
            f"Lists exist for {users[2]} users with ids {users[0]}..{users[1]}; check --user and --dataset.")
    return picks, dataset
