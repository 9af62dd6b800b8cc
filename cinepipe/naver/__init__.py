"""The Naver branch: a personal score list matched to Naver movies, crawled scores, a study.

Pure parts (``scores_io`` parsing, ``crawl.parse_basic_page``, ``matching``, ``study``) take and
return plain data; ``api.SearchClient`` and ``crawl.PoliteFetcher`` are the only network code, and
both cache every response on disk so a rerun makes no calls. The steps the tasks call (``fetch``,
``combine``, ``checks``, ``load``, ``export``) read and write the files between them around those.
"""
