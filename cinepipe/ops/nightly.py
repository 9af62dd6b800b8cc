"""What a nightly run keeps around its branches: the day's ledger, the inbox first, each branch
skipped when nothing it depends on changed, and one branch's failure kept from stopping the others.

The nightly flow wires these; the branches themselves come in as callables (``BranchRun``), so
nothing here imports a flow.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from prefect import tags

from cinepipe.errors import CinepipeError
from cinepipe.movielens import incremental
from cinepipe.ops import skip
from cinepipe.runtime import runs
from cinepipe.settings import Settings


@dataclass(frozen=True)
class BranchRun:
    """One branch of a nightly run: its input and how to run it (``quick`` -> summary)."""

    source: str
    run: Callable[[bool], dict]
    tags: tuple[str, ...] = ()  # Prefect tags of the branch's runs beyond its name (the dataset)

    def __call__(self, quick: bool) -> dict:
        return self.run(quick)


@dataclass
class Night:
    """One nightly run's ledger (``runs``): what each branch returned, and which failed why."""

    settings: Settings
    partition: date
    logger: logging.Logger | logging.LoggerAdapter
    run_id: str = ""
    results: dict[str, dict] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)

    @classmethod
    def start(cls, settings: Settings, partition: date, logger: logging.Logger | logging.LoggerAdapter) -> Night:
        """The night's run recorded as started (the caller holds the pipeline lock)."""
        return cls(settings, partition, logger, runs.start_run("nightly", partition))

    def apply_inbox(self, update: Callable[[str], dict]) -> None:
        """The day's new ratings first, so the branches train on them: ``update(day)`` runs only when
        the inbox holds a file or a list is behind its ratings (otherwise a ledger read, no step)."""
        try:
            if incremental.pending_files(self.settings) or incremental.pending_list_users(self.settings):
                self.results["inbox"] = update(self.partition.isoformat())
            else:
                self.results["inbox"] = {"datasets": {}, "nothing_new": True}
        except Exception as exc:  # the branches still run; the night ends failed
            self.logger.error("applying the inbox failed: %s", exc)
            self.failed["inbox"] = f"{type(exc).__name__}: {exc}"

    def run_branch(self, branch: str, run_branch: BranchRun, quick: bool, sample: bool) -> None:
        """Run one branch, or skip it when its source, code, loads and settings are unchanged since
        its last run; its failure is recorded, not raised."""
        params = {"quick": quick, "sample": sample}
        before = self._fingerprint(branch, run_branch.source, params)
        if last := skip.unchanged_since(self.settings, branch, before):
            self.logger.info("%s: source, code, settings and loads unchanged since run %s (%s): skipped",
                             branch, last["run_id"], last["finished_at"])
            kept = {k: v for k, v in last["summary"].items() if k != "seconds"}
            self.results[branch] = {**kept, "skipped": f"unchanged since run {last['run_id']}"}
            return
        started = time.monotonic()
        try:
            with tags(f"branch:{branch}", *run_branch.tags):
                self.results[branch] = {**run_branch(quick), "seconds": round(time.monotonic() - started, 1)}
            # after the run: the fingerprint includes the loads the branch just made
            skip.remember(self.settings, branch, self._fingerprint(branch, run_branch.source, params),
                          self.run_id, self.results[branch])
        except Exception as exc:  # one branch's bad input must not stop the others
            self.logger.error("branch %s failed: %s", branch, exc)
            self.failed[branch] = f"{type(exc).__name__}: {exc}"

    def _fingerprint(self, branch: str, source: str, params: dict) -> str | None:
        """The branch's skip fingerprint; None (run it) when it cannot be computed."""
        try:
            return skip.fingerprint(self.settings, branch, source, params)
        except Exception as exc:  # a skip that cannot be decided is a run, never a failed night
            self.logger.warning("%s: cannot tell whether its inputs changed (%s); running it", branch, exc)
            return None

    def finish(self, configured: list[str]) -> dict:
        """The night's summary, recorded as its run's end: a day is done only when a configured
        source was run or verified unchanged."""
        summary = {"branches": self.results, "failed": self.failed, "day": self.partition.isoformat(),
                   "configured": configured}
        runs.end_run(self.run_id, "failed" if self.failed else "completed" if configured else "nothing_configured",
                     summary)
        return summary

    def raise_if_failed(self) -> None:
        """One error naming every failed branch, once the others have completed."""
        if self.failed:
            raise CinepipeError(
                "nightly", "branches failed: " + "; ".join(f"{b}: {m}" for b, m in self.failed.items()),
                "The other branches completed; see `cinepipe status` or the Prefect UI, fix the input and run again.")
