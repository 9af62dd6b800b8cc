"""Transform tasks of the Naver branch: decisions, matching, IMDb fallback, assembly, load, export."""

from __future__ import annotations

from prefect import task

from cinepipe.naver.checks import Checked, check_scores
from cinepipe.naver.combine import Assembled, assemble_tables, imdb_scores, match_list
from cinepipe.naver.export import Exported, write_exports
from cinepipe.naver.load import Loaded, load_scores, recorded_decisions
from cinepipe.settings import get_settings
from cinepipe.tasks._common import CACHED, STAGED


@task(name="read-naver-decisions", task_run_name="read-naver-decisions")
def read_review_decisions() -> dict[str, int | None]:
    """A person's decisions by query key: the review CSV in exports/ over those already recorded."""
    return recorded_decisions(get_settings())


@task(name="match-naver", task_run_name="match-naver", cache_policy=STAGED)
def match_titles(staged: str, searched: str, decisions: dict[str, int | None], naver_match_threshold: float) -> str:
    """Decide every row's movie into ``matches.parquet``."""
    return match_list(staged, searched, decisions, naver_match_threshold)


@task(name="imdb-fallback-naver", task_run_name="imdb-fallback-naver")
def imdb_fallback(staged: str, matches: str, imdb_basics_tsv: str | None, imdb_ratings_tsv: str | None) -> str:
    """IMDb crowd scores for rows Naver has no match for (``imdb.parquet``; empty when unset)."""
    return imdb_scores(staged, matches, imdb_basics_tsv, imdb_ratings_tsv)


@task(name="assemble-naver", task_run_name="assemble-naver", cache_policy=STAGED)
def assemble_scores(staged: str, matches: str, pages: str, imdb: str) -> Assembled:
    """``scores.parquet`` (the naver_scores rows), ``review.parquet`` and the counts."""
    return assemble_tables(staged, matches, pages, imdb)


@task(name="validate-naver", task_run_name="validate-naver", cache_policy=CACHED)
def validate_scores(scores: str) -> Checked:
    """Great Expectations over ``naver_scores`` (schemas/naver_scores.json); fails on any miss."""
    return check_scores(scores)


@task(name="load-naver", task_run_name="load-naver")
def load_naver(staged: str, assembled: Assembled) -> Loaded:
    """Replace ``naver_scores``, settle ``naver_match_review`` rows, quarantine bad lines: one transaction."""
    return load_scores(staged, assembled, get_settings())


@task(name="export-naver", task_run_name="export-naver")
def export_naver(assembled: Assembled) -> Exported:
    """``exports/naver_scores.txt`` (title::my::netizen::critic::) and the review CSV a person edits."""
    return write_exports(assembled, get_settings().exports_dir)
