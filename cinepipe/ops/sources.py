"""Which branches a nightly run covers, and with what input."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager

from cinepipe.settings import Settings

BranchRun = Callable[[bool], dict]


def _movielens(source: str) -> BranchRun:
    def run(quick: bool) -> dict:
        from cinepipe.flows.movielens import movielens_flow

        return movielens_flow(source=source, quick=quick)

    return run


@contextmanager
def nightly_sources(settings: Settings, sample: bool) -> Iterator[dict[str, BranchRun]]:
    """Branch name -> a callable running that branch; with ``sample``, the bundled sample."""
    branches: dict[str, BranchRun] = {}
    with ExitStack() as stack:
        if sample:
            from cinepipe.sample import write_sample

            manifest = write_sample(settings.sample_dir)
            branches["movielens"] = _movielens(manifest["movielens"]["path"])
        else:
            if settings.movielens_source:
                branches["movielens"] = _movielens(settings.movielens_source)
        yield branches


