"""The ratings inbox: new ratings checked like the ingest, stored by content hash, announced."""

from __future__ import annotations

import json
import shutil
import sys
import time
import urllib.request
import uuid
from datetime import UTC, datetime
from pathlib import Path

from cinepipe.errors import CinepipeError
from cinepipe.io.download import sha256_file
from cinepipe.movielens.releases import CSV_RATINGS, WHOLE_STARS
from cinepipe.settings import Settings
from cinepipe.storage import duck, validation, warehouse
from cinepipe.storage.contracts import render

EVENT = "cinepipe.ratings.added"
HEADERS = ("user_id,movie_id,rating,timestamp", "userid,movieid,rating,timestamp")


def _dialect(path: Path) -> tuple[str, str]:
    first = path.open(encoding="utf-8", errors="replace").readline().strip().lower().replace(" ", "")
    if first in HEADERS:
        return "true", "','"
    if "\t" in first and len(first.split("\t")) == 4:
        return "false", "'\\t'"
    raise CinepipeError(
        str(path), f"first line {first[:60]!r} is neither the header user_id,movie_id,rating,timestamp "
        "nor a u.data line", "Write a CSV with that header, or ml-100k u.data lines (tab-separated).")


def default_dataset(settings: Settings) -> str:
    with warehouse.connect(settings, read_only=True) as con:
        row = con.execute(
            "select partition_key from load_log where table_name = 'movielens_ratings' order by loaded_at desc limit 1"
        ).fetchone()
    if row is None:
        raise CinepipeError("ratings add", "no MovieLens dataset is loaded yet",
                            "Load one first (`cinepipe ingest movielens --source ...`), or pass --dataset.")
    return row[0]


def add_ratings(settings: Settings, file: Path, dataset: str | None = None) -> dict:
    """Check ``file``, copy the good rows into ``inbox/<dataset>/<sha256>.parquet``, emit an event.

    Adding the same content twice changes nothing. Returns what was accepted and rejected.
    """
    if not file.is_file():
        raise CinepipeError(str(file), "no such file", "Check the path.")
    dataset = dataset or default_dataset(settings)
    digest = sha256_file(file)
    with warehouse.connect(settings, read_only=True) as con:
        seen = con.execute("select rows from inbox_files where content_sha256 = ?", [digest]).fetchone()
        known = {r[0] for r in con.execute(
            "select movie_id from movielens_movies where dataset = ?", [dataset]).fetchall()}
    if seen is not None:
        return {"dataset": dataset, "sha256": digest, "accepted": 0, "already_added": True}
    if not known:
        raise CinepipeError("ratings add", f"dataset {dataset!r} has no movies in the warehouse",
                            "Ingest the release first, or pass the right --dataset.")
    header, delim = _dialect(file)
    dest_dir = settings.inbox_dir / dataset
    dest_dir.mkdir(parents=True, exist_ok=True)
    # two commands adding the same file at once each work in their own scratch directory
    scratch = settings.staging_dir / "inbox" / f"{digest[:16]}-{uuid.uuid4().hex[:8]}"
    scratch.mkdir(parents=True)
    try:
        with duck.connect(scratch / "inbox.duckdb") as con:
            warehouse.configure(con, settings)
            con.execute(render("raw_inbox_ratings", path=duck.quote(file),
                               header=header, delim=delim))
            con.execute("create table known_movies as select unnest(?) as movie_id", [sorted(known)])
            params = {
                "rating_values": list(WHOLE_STARS if dataset == "ml-100k" else CSV_RATINGS),
                "max_timestamp": int(time.time()) + 86_400,
                "known_movie_ids": validation.SqlRef("select movie_id from known_movies"),
            }
            failures = validation.split_relation(
                con, "raw_ratings", "movielens_ratings", params,
                raw_expr="concat_ws(',', user_id, movie_id, rating, rated_at_epoch_s)",
                good_table="good", bad_table="bad")
            # DuckDB keeps one reject per bad field: a line is one rejected row, with all its reasons
            con.execute(
                "insert into bad select any_value(csv_line), 'unparseable line ' || line || ': ' "
                "|| string_agg(error_message, '; ' order by column_idx) from rejects_ratings "
                "group by scan_id, file_id, line order by line")
            good = con.execute("select count(*) from good").fetchone()[0]
            bad_rows = con.execute("select raw, reason from bad").df()
            total = good + len(bad_rows)
            validation.gate_bad_fraction(
                str(file), len(bad_rows), total, settings.max_bad_fraction,
                problem=lambda _: f"{len(bad_rows)} of {total} new ratings failed their checks "
                                  f"({dict(failures) or 'unparseable lines'}); nothing was added; first bad: "
                                  f"{_first_bad(bad_rows)}",
                action="Fix those lines (or drop them) and add the file again.")
            out = dest_dir / f"{digest}.parquet"
            tmp = scratch / out.name
            con.execute(f"copy good to {duck.quote(tmp)} (format parquet)")
        run_id = warehouse.new_run_id()
        # decided under the write lock: of two commands adding the same content at once, one adds it and
        # the other finds it added (the file's name is its content hash, so either copy is the same)
        with warehouse.transaction(settings) as wcon:
            if wcon.execute("select count(*) from inbox_files where content_sha256 = ?", [digest]).fetchall()[0][0]:
                return {"dataset": dataset, "sha256": digest, "accepted": 0, "already_added": True}
            tmp.replace(out)
            warehouse.record_quarantine(wcon, bad_rows, source=f"inbox:{file.name}", table_name="movielens_ratings", run_id=run_id)
            wcon.execute("insert into inbox_files (content_sha256, dataset, path, rows) values (?, ?, ?, ?)",
                         [digest, dataset, str(out), good])
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return {"dataset": dataset, "sha256": digest, "accepted": good, "quarantined": len(bad_rows),
            "already_added": False, "inbox_file": str(out), "event": _emit(settings, digest, dataset, good)}


def _first_bad(bad_rows, n: int = 3) -> str:
    """The first ``n`` rejected rows as ``'raw' (reason)``, so a person can find them in the file."""
    shown = [f"{str(r.raw)[:80]!r} ({r.reason})" for r in bad_rows.head(n).itertuples()]
    more = len(bad_rows) - len(shown)
    return "; ".join(shown) + (f"; and {more} more" if more > 0 else "")


def _emit(settings: Settings, digest: str, dataset: str, rows: int) -> str | None:
    """Announce the new file to the home's Prefect server, if one runs; returns the event's name or None.

    A deployment trigger on this event runs the incremental flow where `cinepipe serve` deployed it.
    One POST to the server's events API: no server is started for it and Prefect is not imported
    (either costs seconds). Without a server, `cinepipe update` applies the inbox, as it does anyway.
    """
    from cinepipe.ops.server import running_api_url

    url = running_api_url(settings)
    if url is None and "prefect" in sys.modules:  # a process already configured for a Prefect API
        from prefect.settings import PREFECT_API_URL

        url = PREFECT_API_URL.value()
    if not url:
        return None
    event = {"id": str(uuid.uuid4()), "occurred": datetime.now(UTC).isoformat(), "event": EVENT,
             "resource": {"prefect.resource.id": f"cinepipe.inbox.{digest[:16]}", "cinepipe.dataset": dataset},
             "related": [], "payload": {"dataset": dataset, "rows": rows, "sha256": digest}}
    request = urllib.request.Request(f"{url.rstrip('/')}/events", data=json.dumps([event]).encode(),
                                     headers={"content-type": "application/json"}, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=30):
            return EVENT
    except OSError as exc:  # the ratings are in the inbox all the same; `update` applies them
        print(f"note: the Prefect server at {url} did not take the event ({exc}); run `cinepipe update`",
              file=sys.stderr)
        return None
