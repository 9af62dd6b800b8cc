"""Which branches a nightly run covers, and with what input."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

from cinepipe.ops.nightly import BranchRun
from cinepipe.settings import Settings


def _movielens(source: str) -> BranchRun:
    def run(quick: bool) -> dict:
        from cinepipe.flows.movielens import movielens_flow

        return movielens_flow(source=source, quick=quick)

    return BranchRun(source, run)


def _imdb(source: str) -> BranchRun:
    def run(quick: bool) -> dict:
        from cinepipe.flows.imdb import imdb_flow

        return imdb_flow(source=source, quick=quick)

    return BranchRun(source, run)


def _mnist(source: str, dataset: str) -> BranchRun:
    def run(quick: bool) -> dict:
        from cinepipe.flows.mnist import mnist_flow

        return mnist_flow(source=source, dataset=dataset, quick=quick)

    return BranchRun(source, run, (f"dataset:{dataset}",))


def _naver(scores: str, stand_in: bool = False) -> BranchRun:
    def run(quick: bool) -> dict:
        from cinepipe.flows.naver import naver_flow

        if not stand_in:
            return naver_flow(scores=scores, quick=quick)
        from cinepipe.sample.naver import running_stand_in

        with running_stand_in():  # started for a run that searches and crawls, not for a skip
            return naver_flow(scores=scores, quick=quick)

    return BranchRun(scores, run, ("dataset:naver",))


@contextmanager
def nightly_sources(settings: Settings, sample: bool) -> Iterator[dict[str, BranchRun]]:
    """Branch name -> a callable running that branch; with ``sample``, the bundled sample."""
    branches: dict[str, BranchRun] = {}
    with ExitStack() as stack:
        if sample:
            from cinepipe.sample import write_sample

            manifest = write_sample(settings.sample_dir)
            branches["movielens"] = _movielens(manifest["movielens"]["path"])
            branches["imdb"] = _imdb(manifest["imdb"]["path"])
            branches["mnist"] = _mnist(manifest["mnist"]["path"], "mnist")
            from cinepipe.sample.naver import stand_in_scope

            # the Naver service closed in 2023: the sample runs against our local stand-in
            stack.enter_context(stand_in_scope(manifest["naver"], settings))
            branches["naver"] = _naver(manifest["naver"]["scores"], stand_in=True)
        else:
            if settings.movielens_source:
                branches["movielens"] = _movielens(settings.movielens_source)
            if settings.imdb_source:
                branches["imdb"] = _imdb(settings.imdb_source)
            if settings.mnist_source:
                branches["mnist"] = _mnist(settings.mnist_source, "mnist")
            if settings.fashion_mnist_source:
                branches["fashion-mnist"] = _mnist(settings.fashion_mnist_source, "fashion-mnist")
            if settings.naver_scores:
                branches["naver"] = _naver(settings.naver_scores)
        yield branches


