"""Ingest tasks of the Naver branch: read the personal list, search the API, crawl the pages.

Network steps cache every answer on disk (``cache/http/naver-*``), so a rerun makes no calls and
a run stopped half-way (quota, network) resumes where it stopped.
"""

from __future__ import annotations

from prefect import get_run_logger, task

from cinepipe.naver.fetch import crawl_pages, search_list, stage_list
from cinepipe.settings import get_settings
from cinepipe.tasks._common import NETWORK


@task(name="stage-naver-list", task_run_name="stage-naver-list")
def stage_score_list(scores: str) -> str:
    """Parse the personal list into ``staging/naver/<content>/list.parquet`` and ``bad.parquet``."""
    return stage_list(scores, get_settings().staging_dir)


@task(name="search-naver", task_run_name="search-naver", **NETWORK)
def search_naver(staged: str, naver_api_base: str) -> str:
    """Search every list row; the answers' items go to ``search.json`` beside the list."""
    return search_list(staged, naver_api_base, get_settings())


@task(name="crawl-naver", task_run_name="crawl-naver", **NETWORK)
def crawl_naver_pages(matches: str, naver_web_base: str, naver_obey_robots: bool,
                      naver_max_layout_failures: float) -> str:
    """Fetch and parse the basic page of every matched code into ``pages.parquet``.

    A page that cannot be read (``layout-changed``, with the reason) or is gone (``page-missing``)
    is recorded with its status, not read as missing scores; its row goes to the review queue.
    More unreadable pages than ``naver_max_layout_failures`` allows, or robots.txt forbidding the
    pages, stops the step.
    """
    return crawl_pages(matches, naver_web_base, naver_obey_robots, naver_max_layout_failures, get_settings(),
                       log=get_run_logger().info)
