"""`cinepipe backfill`: the nightly logic for each missing or failed day in a range.

A day is a partition keyed by the ratings' timestamps: the run for day D applies the inbox
ratings rated before the end of D, then the nightly branches (cache hits where nothing changed).
A day counts as done when a nightly run for it completed; reruns are idempotent.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

from cinepipe.errors import CinepipeError
from cinepipe.settings import Settings
from cinepipe.storage import warehouse


def _days(since: str, until: str) -> list[date]:
    try:
        first, last = date.fromisoformat(since), date.fromisoformat(until)
    except ValueError as exc:
        raise CinepipeError("backfill", f"bad date ({exc})", "Use YYYY-MM-DD for --since and --until.") from exc
    if last < first:
        raise CinepipeError("backfill", f"--until {until} is before --since {since}", "Swap them.")
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def day_states(settings: Settings, days: list[date]) -> dict[date, str]:
    """'completed', 'failed', 'running', 'nothing_configured' or 'missing' for each day (the latest
    nightly run wins)."""
    if not settings.warehouse_path.exists():
        return {d: "missing" for d in days}
    with warehouse.connect(settings, read_only=True) as con:
        rows = con.execute(
            "select partition_day, state from pipeline_runs where flow_name = 'nightly' "
            "and partition_day between ? and ? "
            "qualify row_number() over (partition by partition_day order by started_at desc) = 1",
            [days[0], days[-1]],
        ).fetchall()
    found = {d: s for d, s in rows}
    return {d: found.get(d, "missing") for d in days}


def pending_inbox_rows(settings: Settings, day: date) -> int:
    """Inbox ratings not yet in the warehouse that a run for ``day`` would apply."""
    if not settings.warehouse_path.exists():
        return 0
    with warehouse.connect(settings, read_only=True) as con:
        files = [r[0] for r in con.execute(
            "select path from inbox_files where processed_at is null").fetchall()]
        if not files:
            return 0
        return con.execute(
            "select count(*) from read_parquet(?) where rated_at_epoch_s < epoch(?::timestamptz)",
            [files, day + timedelta(days=1)],
        ).fetchone()[0]


def configured_branches(settings: Settings) -> list[str]:
    """The branches whose source is configured: what a nightly run for a day would cover."""
    sources = {"movielens": settings.movielens_source, "imdb": settings.imdb_source,
               "mnist": settings.mnist_source, "fashion-mnist": settings.fashion_mnist_source,
               "naver": settings.naver_scores}
    return [name for name, source in sources.items() if source]


def run_backfill(settings: Settings, since: str, until: str, *, dry_run: bool = False, force: bool = False,
                 run_night: Callable[[str], str] | None = None) -> dict:
    """Run the nightly logic (``run_night(day)`` -> the run's final state, given by the caller, which
    drives the flows) for each missing or failed day; with no source configured nothing runs and no
    day is marked done (a day is done only when its configured branches ran)."""
    days = _days(since, until)
    branches = configured_branches(settings)
    if not branches:
        return {"dry_run": dry_run, "nothing_configured": True, "plan": {}, "ran": {},
                "message": "no source is configured (CINEPIPE_MOVIELENS_SOURCE, CINEPIPE_IMDB_SOURCE, "
                           "CINEPIPE_MNIST_SOURCE, CINEPIPE_FASHION_MNIST_SOURCE, CINEPIPE_NAVER_SCORES): "
                           "nothing to backfill, no day marked done"}
    states = day_states(settings, days)
    # 'running' with no run alive is a run that was killed; a live one refuses the rerun itself
    todo = [d for d in days if force or states[d] != "completed"]
    plan = {d.isoformat(): {"state": states[d], "action": "run" if d in todo else "skip (done)",
                            "inbox_ratings_due": pending_inbox_rows(settings, d)} for d in days}
    if dry_run or run_night is None:
        return {"dry_run": True, "branches": branches, "plan": plan}
    outcomes = {d.isoformat(): run_night(d.isoformat()) for d in todo}
    return {"dry_run": False, "branches": branches, "plan": plan, "ran": outcomes}
