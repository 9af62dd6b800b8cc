"""The nightly flow: every configured branch (or the bundled sample), as one Prefect flow run."""

from __future__ import annotations

import time
from contextlib import ExitStack
from datetime import date, datetime

from prefect import flow, get_run_logger, tags
from prefect.artifacts import create_markdown_artifact
from prefect.runtime import flow_run
from prefect.states import Cancelled

from cinepipe.errors import CinepipeError
from cinepipe.flows.sources import nightly_sources
from cinepipe.movielens import incremental
from cinepipe.ops import skip
from cinepipe.ops.locks import RunInProgress, run_lock
from cinepipe.runtime import runs as runtime
from cinepipe.settings import get_settings


def _run_name() -> str:
    """``nightly-<day>-<HHMMSS>``: the day it stands for, and when it started (several a day differ)."""
    day = flow_run.parameters.get("day") or date.today().isoformat()
    return f"nightly-{day}-{datetime.now():%H%M%S}"


def _fingerprint(branch: str, source: str, params: dict) -> str | None:
    """The branch's skip fingerprint; None (run it) when it cannot be computed."""
    try:
        return skip.fingerprint(get_settings(), branch, source, params)
    except Exception as exc:  # a skip that cannot be decided is a run, never a failed night
        get_run_logger().warning("%s: cannot tell whether its inputs changed (%s); running it", branch, exc)
        return None


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
    logger = get_run_logger()
    partition = date.fromisoformat(day) if day else date.today()
    with ExitStack() as held:
        try:
            held.enter_context(run_lock(settings, "pipeline"))
        except RunInProgress as exc:  # the state's message is the one line of reason the UI shows
            return Cancelled(message=f"refused: {exc.problem}. {exc.action}")
        run_id = runtime.start_run("nightly", partition)
        results: dict[str, dict] = {}
        failed: dict[str, str] = {}
        try:  # the day's new ratings first, so the branches train on them
            if incremental.pending_files(settings) or incremental.pending_list_users(settings):
                from cinepipe.flows.incremental import (
                    update_movielens,  # its models load only when needed
                )

                results["inbox"] = update_movielens(day=partition.isoformat())
            else:  # nothing in the inbox and no list behind its ratings: a ledger read, no task
                results["inbox"] = {"datasets": {}, "nothing_new": True}
        except Exception as exc:
            logger.error("applying the inbox failed: %s", exc)
            failed["inbox"] = f"{type(exc).__name__}: {exc}"
        with nightly_sources(settings, sample) as sources:
            if not sources:
                logger.warning("no branch is configured: set CINEPIPE_*_SOURCE or pass --sample")
            for branch, run_branch in sources.items():
                params = {"quick": quick, "sample": sample}
                before = _fingerprint(branch, run_branch.source, params)
                if last := skip.unchanged_since(settings, branch, before):
                    logger.info("%s: source, code, settings and loads unchanged since run %s (%s): skipped",
                                branch, last["run_id"], last["finished_at"])
                    kept = {k: v for k, v in last["summary"].items() if k != "seconds"}
                    results[branch] = {**kept, "skipped": f"unchanged since run {last['run_id']}"}
                    continue
                started = time.monotonic()
                try:
                    with tags(f"branch:{branch}", *run_branch.tags):
                        results[branch] = {**run_branch(quick), "seconds": round(time.monotonic() - started, 1)}
                    # after the run: the fingerprint includes the loads the branch just made
                    skip.remember(settings, branch, _fingerprint(branch, run_branch.source, params),
                                  run_id, results[branch])
                except Exception as exc:  # one branch's bad input must not stop the others
                    logger.error("branch %s failed: %s", branch, exc)
                    failed[branch] = f"{type(exc).__name__}: {exc}"
        summary = {"branches": results, "failed": failed, "day": partition.isoformat(), "configured": list(sources)}
        # a day is done only when a configured source was run or verified unchanged
        runtime.end_run(run_id, "failed" if failed else "completed" if sources else "nothing_configured", summary)
        create_markdown_artifact(runtime.summary_markdown(summary), key="nightly-summary",
                                 description=f"nightly {partition}")
    if failed:
        raise CinepipeError(
            "nightly", "branches failed: " + "; ".join(f"{b}: {m}" for b, m in failed.items()),
            "The other branches completed; see `cinepipe status` or the Prefect UI, fix the input and run again.")
    return summary

