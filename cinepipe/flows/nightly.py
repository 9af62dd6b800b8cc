"""The nightly flow: every configured branch (or the bundled sample), as one Prefect flow run."""

from __future__ import annotations

from contextlib import ExitStack
from datetime import date, datetime

from prefect import flow, get_run_logger
from prefect.runtime import flow_run
from prefect.states import Cancelled

from cinepipe.flows.sources import nightly_sources
from cinepipe.ops.locks import RunInProgress, run_lock
from cinepipe.ops.nightly import Night
from cinepipe.reporting.artifacts import publish_markdown
from cinepipe.runtime.runs import summary_markdown
from cinepipe.settings import get_settings


def _run_name() -> str:
    """``nightly-<day>-<HHMMSS>``: the day it stands for, and when it started (several a day differ)."""
    day = flow_run.parameters.get("day") or date.today().isoformat()
    return f"nightly-{day}-{datetime.now():%H%M%S}"


def _update_movielens(day: str) -> dict:
    # its models load only when needed
    from cinepipe.flows.incremental import update_movielens

    return update_movielens(day=day)


@flow(name="nightly", flow_run_name=_run_name)
def nightly_flow(sample: bool = False, quick: bool = False, day: str | None = None) -> dict:
    """Run each branch whose source is configured; a failed branch does not stop the others.

    Args:
        sample: use the bundled sample (generated under CINEPIPE_HOME/sample when missing).
        quick: fewer epochs and rows (the default for the sample).
        day: the partition day this run stands for (backfill passes it); default today.
    Returns:
        Per-branch summaries; raises at the end if any branch failed. Ends Cancelled, having
        changed nothing, when another run holds the pipeline lock: a refusal, not a failure.
    """
    settings = get_settings()
    partition = date.fromisoformat(day) if day else date.today()
    with ExitStack() as held:
        try:
            held.enter_context(run_lock(settings, "pipeline"))
        except RunInProgress as exc:  # the state's message is the one line of reason the UI shows
            return Cancelled(message=f"refused: {exc.problem}. {exc.action}")
        night = Night.start(settings, partition, get_run_logger())
        night.apply_inbox(_update_movielens)
        with nightly_sources(settings, sample) as sources:
            if not sources:
                get_run_logger().warning("no branch is configured: set CINEPIPE_*_SOURCE or pass --sample")
            for branch, run_branch in sources.items():
                night.run_branch(branch, run_branch, quick, sample)
        summary = night.finish(list(sources))
        publish_markdown(summary_markdown(summary), key="nightly-summary", description=f"nightly {partition}")
    night.raise_if_failed()
    return summary
