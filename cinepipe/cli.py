"""The `cinepipe` command: the only entry point a person types."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from cinepipe.errors import CinepipeError

if TYPE_CHECKING:
    from cinepipe.settings import Settings

app = typer.Typer(
    help="cinepipe: movie data and machine-learning pipeline (MovieLens, IMDB, MNIST, Naver).",
    epilog="A first day:\n\n  $ cinepipe nightly --sample\n\n  $ cinepipe recommend --user 1\n\n"
           "  $ cinepipe ratings add new_ratings.csv && cinepipe update\n\n"
           "  $ cinepipe backfill --since 2026-12-01 --until 2026-12-07 --dry-run",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
run_app = typer.Typer(help="Run one whole branch: ingest, validate, load, train, evaluate, export.", no_args_is_help=True)
ratings_app = typer.Typer(help="Feed new MovieLens ratings in between nightly runs.", no_args_is_help=True)
compare_app = typer.Typer(help="Reproduce published comparisons on our data.", no_args_is_help=True)
app.add_typer(run_app, name="run")
app.add_typer(ratings_app, name="ratings")
app.add_typer(compare_app, name="compare")

console = Console()
err = Console(stderr=True)
_state = {"debug": False}
EXIT_REFUSED = 75  # EX_TEMPFAIL: another run holds the warehouse; try again later
server_app = typer.Typer(help="The home's background Prefect server (one per CINEPIPE_HOME).", no_args_is_help=True)
app.add_typer(server_app, name="server")


def get_settings() -> Settings:
    """The settings with the home's directories made; imported on first use, so --help never loads them."""
    from cinepipe.settings import get_settings as load

    settings = load()
    settings.ensure_dirs()
    return settings


def _use_home_server() -> None:
    """Point Prefect at the home's server (started on first use) before a command imports a flow."""
    from cinepipe.ops.server import use_home_server
    from cinepipe.settings import configure_prefect

    settings = get_settings()
    configure_prefect(settings, quiet_console=not _state["debug"])
    use_home_server(settings)


class Target(str, Enum):
    movielens = "movielens"
    imdb = "imdb"
    mnist = "mnist"
    naver = "naver"


class MnistDataset(str, Enum):
    mnist = "mnist"
    fashion_mnist = "fashion-mnist"


@app.callback()
def main_options(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks on errors.")] = False,
) -> None:
    _state["debug"] = debug


JsonOption = Annotated[bool, typer.Option("--json", help="Print the summary as one JSON document instead of tables.")]


def _flags_without_type() -> None:
    """typer's rich help labels every flag ``<bool>``; a flag takes no value, so show none."""
    from typer.core import TyperOption

    shown = TyperOption.display_type_rich
    TyperOption.display_type_rich = lambda self, ctx: None if self.is_flag else shown(self, ctx)


_flags_without_type()


def _example(*lines: str) -> str:
    """A command's help epilog: examples to copy."""
    return "Example:\n\n" + "\n\n".join(f"  $ {line}" for line in lines)


def _print_summary(title: str, summary: dict, as_json: bool = False) -> None:
    """The run's summary: tables for people, or one JSON document with ``--json``."""
    from cinepipe.reporting.terminal import print_summary

    print_summary(title, summary, as_json=as_json, console=console)


@contextmanager
def _cli_run(trigger: str = "cli") -> Iterator[None]:
    """Around flows started from the command line: their runs tagged ``trigger:<trigger>``, and a
    line per step as it starts and ends."""
    from prefect import tags

    from cinepipe.reporting.terminal import live_steps

    with tags(f"trigger:{trigger}"), live_steps():
        yield


# ---- run / ingest ------------------------------------------------------------------------------
@run_app.command("movielens", epilog=_example(
    "cinepipe run movielens --source https://files.grouplens.org/datasets/movielens/ml-latest-small.zip",
    "cinepipe run movielens --source ~/data/ml-100k --models biases,ease --quick"))
def run_movielens(
    source: Annotated[str, typer.Option(help="URL (https/http/file) or path to a release directory or .zip.")],
    models: Annotated[str | None, typer.Option(help="Comma-separated model names (default: the branch's set).")] = None,
    quick: Annotated[bool, typer.Option(help="Fewer epochs: for tests and demos.")] = False,
    as_json: JsonOption = False,
) -> None:
    """The whole MovieLens branch: ingest, validate, dedupe, filter, load, train, evaluate, export."""
    _use_home_server()
    from cinepipe.flows.movielens import movielens_flow

    names = [m.strip() for m in models.split(",")] if models else None
    with _cli_run():
        result = movielens_flow(source=source, models=names, quick=quick)
    _print_summary("movielens", result, as_json)


@run_app.command("imdb", epilog=_example("cinepipe run imdb --source ~/data/aclImdb_v1.tar.gz --quick"))
def run_imdb(
    source: Annotated[str, typer.Option(help="aclImdb_v1.tar.gz (URL or path), a directory/tarball, or imdb.npz.")],
    quick: Annotated[bool, typer.Option(help="Fewer reviews and epochs.")] = False,
    as_json: JsonOption = False,
) -> None:
    """The IMDB review-sentiment branch."""
    _use_home_server()
    from cinepipe.flows.imdb import imdb_flow

    with _cli_run():
        result = imdb_flow(source=source, quick=quick)
    _print_summary("imdb", result, as_json)


@run_app.command("mnist", epilog=_example(
    "cinepipe run mnist --source /usr/share/datasets/fashion-mnist --dataset fashion-mnist"))
def run_mnist(
    source: Annotated[str, typer.Option(help="Directory or URL base holding the four IDX files.")],
    dataset: Annotated[MnistDataset, typer.Option(help="Which image set the files are.")] = MnistDataset.mnist,
    quick: Annotated[bool, typer.Option(help="A subset and few epochs.")] = False,
    as_json: JsonOption = False,
) -> None:
    """The MNIST / Fashion-MNIST image branch."""
    _use_home_server()
    from cinepipe.flows.mnist import mnist_flow

    with _cli_run():
        result = mnist_flow(source=source, dataset=dataset.value, quick=quick)
    _print_summary(dataset.value, result, as_json)


@run_app.command("naver", epilog=_example("cinepipe run naver --scores my_scores.csv"))
def run_naver(
    scores: Annotated[Path, typer.Option(help="Personal score list: CSV/TSV (title,my_score,...) or title::my::netizen::critic:: lines.")],
    quick: Annotated[bool, typer.Option(help="Fewer folds/epochs in the study.")] = False,
    as_json: JsonOption = False,
) -> None:
    """The Naver branch for a personal score list."""
    _use_home_server()
    from cinepipe.flows.naver import naver_flow

    with _cli_run():
        result = naver_flow(scores=str(scores), quick=quick)
    _print_summary("naver", result, as_json)


@app.command("ingest", epilog=_example("cinepipe ingest movielens --source ~/data/ml-100k.zip",
                                        "cinepipe ingest naver --scores my_scores.csv"))
def ingest(
    target: Annotated[Target, typer.Argument(help="Which source.")],
    source: Annotated[str | None, typer.Option(help="Where the data is (see `cinepipe run TARGET --help`).")] = None,
    dataset: Annotated[MnistDataset, typer.Option(help="For mnist: which image set.")] = MnistDataset.mnist,
    scores: Annotated[Path | None, typer.Option(help="For naver: the personal score list.")] = None,
    as_json: JsonOption = False,
) -> None:
    """The ingest-to-warehouse part of a branch alone."""
    _use_home_server()
    if target is Target.naver:
        if scores is None and source is None:
            raise CinepipeError("naver", "no score list given", "Pass --scores FILE.")
        from cinepipe.flows.naver import ingest_naver_flow

        with _cli_run():
            result = ingest_naver_flow(scores=str(scores or source))
        _print_summary("naver ingested", result, as_json)
        return
    if source is None:
        raise CinepipeError(target.value, "no source given", "Pass --source URL_OR_PATH.")
    with _cli_run():
        if target is Target.movielens:
            from cinepipe.flows.movielens import ingest_movielens_flow

            result = ingest_movielens_flow(source=source)
        elif target is Target.imdb:
            from cinepipe.flows.imdb import ingest_imdb_flow

            result = ingest_imdb_flow(source=source)
        else:
            from cinepipe.flows.mnist import ingest_mnist_flow

            result = ingest_mnist_flow(source=source, dataset=dataset.value)
    _print_summary(f"{target.value} ingested", result, as_json)


# ---- nightly, operations -------------------------------------------------------------------------
@app.command("nightly", epilog=_example("cinepipe nightly --sample", "CINEPIPE_MOVIELENS_SOURCE=~/data/ml-100k.zip cinepipe nightly --json"))
def nightly(
    sample: Annotated[bool, typer.Option("--sample", help="Run on the bundled sample (generated if missing).")] = False,
    quick: Annotated[bool | None, typer.Option(help="Fewer epochs (default: on with --sample).")] = None,
    as_json: JsonOption = False,
) -> None:
    """Every branch whose source is configured (or the bundled sample), as one Prefect flow run."""
    _use_home_server()
    from cinepipe.flows.nightly import nightly_flow

    with _cli_run():
        state = nightly_flow(sample=sample, quick=sample if quick is None else quick, return_state=True)
    if state.is_cancelled():  # refused: another run holds the warehouse; nothing was changed
        err.print(f"[yellow]nightly not run[/] {state.message}", soft_wrap=True, highlight=False)
        raise typer.Exit(EXIT_REFUSED)
    if state.is_completed():
        summary = state.result()
        _print_summary(f"nightly {summary.get('day', '')}", summary, as_json)
        if not as_json:
            _print_locations()
        if not summary.get("configured", True):
            raise CinepipeError("nightly", "nothing ran: no branch is configured",
                                "Set CINEPIPE_MOVIELENS_SOURCE (or another CINEPIPE_*_SOURCE), or pass --sample.")
        return
    from cinepipe.ops.status import last_run_summary

    summary = last_run_summary(get_settings(), "nightly")
    if summary:
        _print_summary(f"nightly {summary.get('day', '')}: failures", summary, as_json)
        if not as_json:
            _print_locations()
    state.result()  # raises the run's error, which main() prints in one line


def _print_locations() -> None:
    import os

    s = get_settings()
    console.print(f"warehouse: {s.warehouse_path}")
    console.print(f"lake:      {s.lake_location}")
    console.print(f"exports:   {s.exports_dir}")
    console.print(f"artifacts: {s.artifacts_dir}")
    api = os.environ.get("PREFECT_API_URL")
    if api:
        console.print(f"Prefect UI: {api.removesuffix('/api')}")
    else:
        console.print(
            f"Prefect UI: run `make serve` (or `cinepipe serve`), then open http://127.0.0.1:4200 "
            f"(run history is in {os.environ.get('PREFECT_HOME', s.prefect_home)})"
        )


@app.command("recommend", epilog=_example("cinepipe recommend --user 1", "cinepipe recommend --user 42 --n 20 --dataset ml-100k"))
def recommend(
    user: Annotated[int, typer.Option(help="User id.")],
    n: Annotated[int, typer.Option(help="How many movies.")] = 10,
    dataset: Annotated[str | None, typer.Option(help="Dataset name (default: the latest exported).")] = None,
) -> None:
    """A user's latest top-N list, with titles."""
    from cinepipe.movielens.recommend import latest_list

    picks, dataset_name = latest_list(get_settings(), user_id=user, n=n, dataset=dataset)
    table = Table(title=f"top {len(picks)} for user {user} ({dataset_name})")
    for col in ("rank", "movie_id", "title", "score"):
        table.add_column(col, justify="right" if col != "title" else "left")
    for row in picks:
        table.add_row(str(row.rank), str(row.movie_id), str(row.title), f"{row.score:.3f}")
    console.print(table)
    if any(row.cold_start for row in picks):
        console.print("[yellow]cold start: this user has few ratings, so this is a popularity list[/]")


@ratings_app.command("add", epilog=_example("cinepipe ratings add new_ratings.csv --dataset ml-sample",
                                              "cinepipe update"))
def ratings_add(
    file: Annotated[Path, typer.Argument(help="CSV user_id,movie_id,rating,timestamp, or ml-100k u.data lines.")],
    dataset: Annotated[str | None, typer.Option(help="Dataset the ratings belong to (default: the only/latest one).")] = None,
    as_json: JsonOption = False,
) -> None:
    """Validate new ratings, put them in the inbox and emit an event (the same file twice: no-op)."""
    from cinepipe.ops.inbox import add_ratings

    _print_summary("ratings added", add_ratings(get_settings(), file, dataset), as_json)


@app.command("update", epilog=_example("cinepipe ratings add new_ratings.csv && cinepipe update"))
def update(as_json: JsonOption = False) -> None:
    """Process the ratings inbox now (the incremental flow the event also triggers)."""
    _use_home_server()
    from cinepipe.flows.incremental import incremental_flow

    with _cli_run():
        result = incremental_flow()
    _print_summary("update", result, as_json)


@app.command("backfill", epilog=_example("cinepipe backfill --since 2026-12-01 --until 2026-12-07 --dry-run"))
def backfill(
    since: Annotated[str, typer.Option(help="First day, YYYY-MM-DD.")],
    until: Annotated[str, typer.Option(help="Last day, YYYY-MM-DD (inclusive).")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print what would run, run nothing.")] = False,
    force: Annotated[bool, typer.Option("--force", help="Rerun days already done.")] = False,
    as_json: JsonOption = False,
) -> None:
    """The nightly logic for each missing or failed day in the range."""
    _use_home_server()
    from cinepipe.ops.backfill import run_backfill

    with _cli_run("backfill"):
        result = run_backfill(get_settings(), since, until, dry_run=dry_run, force=force, run_night=_backfill_night)
    _print_summary(f"backfill {since} .. {until}", result, as_json)


def _backfill_night(day: str) -> str:
    """One backfilled day: the nightly flow for it, tagged with the day; returns its final state."""
    from prefect import tags

    from cinepipe.flows.nightly import nightly_flow

    with tags(f"day:{day}"):
        state = nightly_flow(sample=False, quick=get_settings().quick, day=day, return_state=True)
    return state.type.value.lower()


@app.command("status", epilog=_example("cinepipe status"))
def status() -> None:
    """The last runs, table counts and latest metrics."""
    from cinepipe.ops.status import render_status

    render_status(get_settings(), console)


@app.command("serve", epilog=_example("cinepipe serve --port 4200   # then open http://127.0.0.1:4200"))
def serve(
    port: Annotated[int, typer.Option(help="Port of the Prefect server.")] = 4200,
) -> None:
    """Start a Prefect server on 127.0.0.1, deploy prefect.yaml's deployments and serve them."""
    from cinepipe.ops.serve import serve_all

    serve_all(get_settings(), port=port)


@server_app.command("start")
def server_start(
    port: Annotated[int | None, typer.Option(help="Port to start it on (default: a free one).")] = None,
) -> None:
    """Start the home's Prefect server now (commands that run flows start it when they need it)."""
    from cinepipe.ops.server import ensure_server

    state = ensure_server(get_settings(), port=port)
    console.print(f"Prefect UI: {state['ui_url']}  (pid {state['pid']}; stops after {state['idle_s']:.0f}s unused)")


@server_app.command("status")
def server_status(
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
) -> None:
    """Whether the home's Prefect server runs, its UI address, pid, versions and idle time."""
    from cinepipe.ops.server import server_status as read_status

    info = read_status(get_settings())
    if as_json:
        console.print_json(json.dumps(info, default=str))
    elif not info["running"]:
        console.print(f"no Prefect server runs for {info['home']}; the next command that runs a flow starts one")
    elif info.get("starting"):
        console.print(f"the Prefect server of {info['home']} is starting (pid {info['pid']}); log: {info['log']}")
    else:
        health = "healthy" if info["healthy"] else f"stale: {info['stale_reason']}"
        idle = "" if info["idle_for_s"] is None else f", idle {info['idle_for_s']:.0f}s"
        console.print(f"Prefect UI: {info['ui_url']}  (API {info['api_url']})")
        console.print(f"pid {info['pid']}, Prefect {info['prefect_version']}, started {info['started_at']}, {health}"
                      f"{idle}; stops after {info['idle_s']:.0f}s unused")
        console.print(f"home: {info['home']}  log: {info['log']}")


@server_app.command("stop")
def server_stop() -> None:
    """Stop the home's Prefect server (the next command that runs a flow starts it again)."""
    from cinepipe.ops.server import stop_server

    settings = get_settings()
    stopped = stop_server(settings)
    if stopped is None:
        console.print(f"no Prefect server was running for {settings.home_dir}")
    else:
        where = f", port {stopped['port']}" if "port" in stopped else ""
        console.print(f"stopped the Prefect server of {settings.home_dir} (pid {stopped['pid']}{where})")


@app.command("sample", epilog=_example("cinepipe sample --dest /tmp/cinepipe-sample"))
def sample(
    dest: Annotated[Path | None, typer.Option(help="Where to write (default: CINEPIPE_HOME/sample).")] = None,
    as_json: JsonOption = False,
) -> None:
    """Generate the bundled sample of every source format."""
    from cinepipe.sample import write_sample

    _print_summary("sample written", write_sample(dest or get_settings().sample_dir), as_json)


@compare_app.command("movielens", epilog=_example("cinepipe compare movielens --source ~/data/ml-100k.zip --lecture-filter"))
def compare_movielens(
    source: Annotated[str, typer.Option(help="A MovieLens release (URL, directory or .zip).")],
    models: Annotated[str | None, typer.Option(help="Comma-separated method names (default: all).")] = None,
    lecture_filter: Annotated[bool, typer.Option(help="Keep only the movies the lecture kept (ml-100k).")] = False,
    as_json: JsonOption = False,
) -> None:
    """The lecture's recommender table, rerun on random-70-30, our figures beside the lecture's."""
    _use_home_server()
    from cinepipe.flows.compare import compare_flow

    names = [m.strip() for m in models.split(",")] if models else None
    with _cli_run():
        result = compare_flow(source=source, models=names, lecture_filter=lecture_filter)
    _print_summary("comparison", result, as_json)


def main() -> None:
    try:
        app()
    except CinepipeError as exc:
        if _state["debug"]:
            raise
        err.print(f"[bold red]error[/] {exc}", soft_wrap=True, highlight=False)
        sys.exit(1)
    except KeyboardInterrupt:
        err.print("[red]interrupted[/]")
        sys.exit(130)
    except Exception as exc:  # a bug or an unexpected library error: say where to look
        if _state["debug"]:
            raise
        err.print(f"[bold red]error[/] {type(exc).__name__}: {exc}", soft_wrap=True, highlight=False)
        err.print("Run again with --debug for the traceback.")
        sys.exit(1)


if __name__ == "__main__":
    main()
