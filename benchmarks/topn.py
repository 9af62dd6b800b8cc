"""Time blocked top-10 against per-user Python loops, on ml-latest-small and at ml-25m scale.

    flock /tmp/cinepipe-heavy.lock .venv/bin/python benchmarks/topn.py [--ratings PATH]

Small case: an MF model fitted (quick) on ml-latest-small, top-10 for every user. Large case: random
64-dim factors for 162,000 users x 59,000 movies, top-10 for every user. Two baselines, both timed in
this run: the lecture notebook's loop (for each user, for each unrated movie, predict one pair, then
sort) and a per-user numpy loop (one matrix-vector product and one sort per user). Where a loop over
every user would take too long, it runs on a sample of users and is extrapolated; the output says so.
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import sparse

from cinepipe.recsys.registry import build
from cinepipe.recsys.synthetic import random_factors
from cinepipe.recsys.topn import top_k_blocks, top_n

K = 10


def lecture_loop(
    p: np.ndarray, q: np.ndarray, bias: Callable[[int, int], float], rated: sparse.csr_matrix, users
) -> None:
    """The notebook way: predict every unrated (user, movie) pair one at a time, then sort."""
    for u in users:
        seen = set(rated.indices[rated.indptr[u] : rated.indptr[u + 1]])
        predictions = [(bias(u, i) + float(p[u] @ q[i]), i) for i in range(q.shape[0]) if i not in seen]
        predictions.sort(reverse=True)
        predictions[:K]


def numpy_loop(p: np.ndarray, q: np.ndarray, rated: sparse.csr_matrix, users) -> None:
    """A better loop: one matrix-vector product and one full sort per user."""
    for u in users:
        scores = q @ p[u]
        scores[rated.indices[rated.indptr[u] : rated.indptr[u + 1]]] = -np.inf
        np.argsort(-scores)[:K]


def timed(run: Callable[[], object]) -> float:
    started = time.perf_counter()
    run()
    return time.perf_counter() - started


def loop_time(
    run: Callable[[np.ndarray], object], n_users: int, sample: int, seed: int = 0
) -> tuple[float, str]:
    """Seconds for all users, measured on a sample when ``sample < n_users``, and how it was measured."""
    if sample >= n_users:
        return timed(lambda: run(np.arange(n_users))), "measured on every user"
    users = np.random.default_rng(seed).choice(n_users, sample, replace=False)
    return timed(lambda: run(users)) * n_users / sample, f"extrapolated from {sample} sampled users"


def report(case: str, blocked_s: float, loops: dict[str, tuple[float, str]]) -> None:
    print(f"{case}: blocked top-{K} for every user {blocked_s:.2f} s")
    for name, (seconds, how) in loops.items():
        print(f"  {name}: {seconds:.1f} s ({how}); blocked is {seconds / blocked_s:.0f}x faster")


def small_case(ratings_csv: Path, sample: int) -> None:
    ratings = pd.read_csv(ratings_csv).rename(columns={"userId": "user_id", "movieId": "movie_id"})
    model = build("mf", quick=True).fit(ratings)
    blocked_s = timed(lambda: top_n(model, ratings, K, cold_start_min_ratings=0))
    rated = sparse.csr_matrix(
        (
            np.ones(len(ratings)),
            (
                model.index.user_idx(ratings.user_id.to_numpy()),
                model.index.item_idx(ratings.movie_id.to_numpy()),
            ),
        ),
        shape=(model.index.n_users, model.index.n_items),
    )
    p, q = model.p_user, model.q_item

    def bias(u: int, i: int) -> float:
        return model.mu + model.b_user[u] + model.b_item[i]

    n = model.index.n_users
    loops = {
        "lecture loop": loop_time(lambda users: lecture_loop(p, q, bias, rated, users), n, sample),
        "per-user numpy loop": loop_time(lambda users: numpy_loop(p, q, rated, users), n, n),
    }
    report(
        f"ml-latest-small ({n} users x {model.index.n_items} movies, {len(ratings)} ratings)",
        blocked_s,
        loops,
    )


def large_case(n_users: int, n_items: int, factors: int, sample: int) -> None:
    p, q = random_factors(n_users, n_items, factors)
    rng = np.random.default_rng(1)
    per_user = 150  # ml-25m users rate ~150 movies on average; those are excluded from the lists
    rows = np.repeat(np.arange(n_users), per_user)
    rated = sparse.csr_matrix(
        (np.ones(len(rows), np.float32), (rows, rng.integers(0, n_items, len(rows)))),
        shape=(n_users, n_items),
    )
    q_t = np.ascontiguousarray(q.T)

    def run_blocked() -> None:
        for _ in top_k_blocks(lambda block: p[block] @ q_t, np.arange(n_users), n_items, K, rated):
            pass

    blocked_s = timed(run_blocked)
    loops = {
        "lecture loop": loop_time(
            lambda users: lecture_loop(p, q, lambda u, i: 0.0, rated, users), n_users, sample
        ),
        "per-user numpy loop": loop_time(lambda users: numpy_loop(p, q, rated, users), n_users, sample * 20),
    }
    report(f"generated factors ({n_users} users x {n_items} movies x {factors} dims)", blocked_s, loops)


def main() -> None:
    shared = Path(os.environ.get("CINEPIPE_SHARED_DATA", "/work/shared/data"))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ratings", type=Path, default=shared / "ml-latest-small" / "ratings.csv")
    parser.add_argument("--users", type=int, default=162_000)
    parser.add_argument("--items", type=int, default=59_000)
    parser.add_argument("--factors", type=int, default=64)
    parser.add_argument(
        "--loop-sample", type=int, default=50, help="users the lecture loop runs on (large case)"
    )
    args = parser.parse_args()
    small_case(args.ratings, sample=100)
    large_case(args.users, args.items, args.factors, args.loop_sample)


if __name__ == "__main__":
    main()
