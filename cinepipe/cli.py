"""The `cinepipe` command: the only entry point a person types."""

from __future__ import annotations

import json
import sys
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


def _print_summary(title: str, summary: dict) -> None:
    console.print(f"[bold green]{title}[/]")
    console.print_json(json.dumps(summary, default=str))


# ---- run / ingest ------------------------------------------------------------------------------
@run_app.command("movielens")
def run_movielens(
    source: Annotated[str, typer.Option(help="URL (https/http/file) or path to a release directory or .zip.")],
    models: Annotated[str | None, typer.Option(help="Comma-separated model names (default: the branch's set).")] = None,
    quick: Annotated[bool, typer.Option(help="Fewer epochs: for tests and demos.")] = False,
) -> None:
    """The whole MovieLens branch: ingest, validate, dedupe, filter, load, train, evaluate, export."""
    _use_home_server()
    from cinepipe.flows.movielens import movielens_flow

    names = [m.strip() for m in models.split(",")] if models else None
    _print_summary("movielens done", movielens_flow(source=source, models=names, quick=quick))


@run_app.command("imdb")
def run_imdb(
    source: Annotated[str, typer.Option(help="aclImdb_v1.tar.gz (URL or path), a directory/tarball, or imdb.npz.")],
    quick: Annotated[bool, typer.Option(help="Fewer reviews and epochs.")] = False,
) -> None:
    """The IMDB review-sentiment branch."""
    _use_home_server()
    from cinepipe.flows.imdb import imdb_flow

    _print_summary("imdb done", imdb_flow(source=source, quick=quick))


@run_app.command("mnist")
def run_mnist(
    source: Annotated[str, typer.Option(help="Directory or URL base holding the four IDX files.")],
    dataset: Annotated[MnistDataset, typer.Option(help="Which image set the files are.")] = MnistDataset.mnist,
    quick: Annotated[bool, typer.Option(help="A subset and few epochs.")] = False,
) -> None:
    """The MNIST / Fashion-MNIST image branch."""
    _use_home_server()
    from cinepipe.flows.mnist import mnist_flow

    _print_summary("mnist done", mnist_flow(source=source, dataset=dataset.value, quick=quick))


@run_app.command("naver")
def run_naver(
    scores: Annotated[Path, typer.Option(help="Personal score list: CSV/TSV (title,my_score,...) or title::my::netizen::critic:: lines.")],
    quick: Annotated[bool, typer.Option(help="Fewer folds/epochs in the study.")] = False,
) -> None:
    """The Naver branch for a personal score list."""
    _use_home_server()
    from cinepipe.flows.naver import naver_flow

    _print_summary("naver done", naver_flow(scores=str(scores), quick=quick))


@app.command("ingest")
def ingest(
    target: Annotated[Target, typer.Argument(help="Which source.")],
    source: Annotated[str | None, typer.Option(help="Where the data is (see `cinepipe run TARGET --help`).")] = None,
    dataset: Annotated[MnistDataset, typer.Option(help="For mnist: which image set.")] = MnistDataset.mnist,
    scores: Annotated[Path | None, typer.Option(help="For naver: the personal score list.")] = None,
) -> None:
    """The ingest-to-warehouse part of a branch alone."""
    _use_home_server()
    if target is Target.naver:
        if scores is None and source is None:
            raise CinepipeError("naver", "no score list given", "Pass --scores FILE.")
        from cinepipe.flows.naver import ingest_naver_flow

        _print_summary("naver ingested", ingest_naver_flow(scores=str(scores or source)))
        return
    if source is None:
        raise CinepipeError(target.value, "no source given", "Pass --source URL_OR_PATH.")
    if target is Target.movielens:
        from cinepipe.flows.movielens import ingest_movielens_flow

        _print_summary("movielens ingested", ingest_movielens_flow(source=source))
    elif target is Target.imdb:
        from cinepipe.flows.imdb import ingest_imdb_flow

        _print_summary("imdb ingested", ingest_imdb_flow(source=source))
    else:
        from cinepipe.flows.mnist import ingest_mnist_flow

        _print_summary("mnist ingested", ingest_mnist_flow(source=source, dataset=dataset.value))


# ---- nightly, operations -------------------------------------------------------------------------
@app.command("nightly")
def nightly(
    sample: Annotated[bool, typer.Option("--sample", help="Run on the bundled sample (generated if missing).")] = False,
    quick: Annotated[bool | None, typer.Option(help="Fewer epochs (default: on with --sample).")] = None,
) -> None:
    """Every branch whose source is configured (or the bundled sample), as one Prefect flow run."""
    _use_home_server()
    from cinepipe.flows.nightly import nightly_flow

    state = nightly_flow(sample=sample, quick=sample if quick is None else quick, return_state=True)
    if state.is_completed():
        _print_summary("nightly done", state.result())
        _print_locations()
        return
    from cinepipe.ops.status import last_run_summary

    summary = last_run_summary(get_settings(), "nightly")
    if summary:
        _print_summary("nightly finished with failures", summary)
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


@app.command("recommend")
def recommend(
    user: Annotated[int, typer.Option(help="User id.")],
    n: Annotated[int, typer.Option(help="How many movies.")] = 10,
    dataset: Annotated[str | None, typer.Option(help="Dataset name (default: the latest exported).")] = None,
) -> None:
    """A user's latest top-N list, with titles."""
    from cinepipe.recommend import latest_list

    frame, dataset_name = latest_list(get_settings(), user_id=user, n=n, dataset=dataset)
    table = Table(title=f"top {len(frame)} for user {user} ({dataset_name})")
    for col in ("rank", "movie_id", "title", "score"):
        table.add_column(col, justify="right" if col != "title" else "left")
    for row in frame.itertuples():
        table.add_row(str(row.rank), str(row.movie_id), str(row.title), f"{row.score:.3f}")
    console.print(table)
    if bool(frame["cold_start"].any()):
        console.print("[yellow]cold start: this user has few ratings, so this is a popularity list[/]")


@ratings_app.command("add")
def ratings_add(
    file: Annotated[Path, typer.Argument(help="CSV user_id,movie_id,rating,timestamp, or ml-100k u.data lines.")],
    dataset: Annotated[str | None, typer.Option(help="Dataset the ratings belong to (default: the only/latest one).")] = None,
) -> None:
    """Validate new ratings, put them in the inbox and emit an event (the same file twice: no-op)."""
    from cinepipe.ops.inbox import add_ratings

    _print_summary("ratings added", add_ratings(get_settings(), file, dataset))


@app.command("update")
def update() -> None:
    """Process the ratings inbox now (the incremental flow the event also triggers)."""
    _use_home_server()
    from cinepipe.flows.incremental import incremental_flow

    _print_summary("update done", incremental_flow())


@app.command("backfill")
def backfill(
    since: Annotated[str, typer.Option(help="First day, YYYY-MM-DD.")],
    until: Annotated[str, typer.Option(help="Last day, YYYY-MM-DD (inclusive).")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print what would run, run nothing.")] = False,
    force: Annotated[bool, typer.Option("--force", help="Rerun days already done.")] = False,
) -> None:
    """The nightly logic for each missing or failed day in the range."""
    _use_home_server()
    from cinepipe.ops.backfill import run_backfill

    _print_summary("backfill", run_backfill(get_settings(), since, until, dry_run=dry_run, force=force))


@app.command("status")
def status() -> None:
    """The last runs, table counts and latest metrics."""
    from cinepipe.ops.status import render_status

    render_status(get_settings(), console)


@app.command("serve")
def serve(
    port: Annotated[int, typer.Option(help="Port of the Prefect server.")] = 4200,
) -> None:
    """Start a Prefect server on 127.0.0.1, deploy prefect.yaml's deployments and serve them."""
    from cinepipe.ops.serve import serve_all

    serve_all(get_settings(), port=port)


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


@app.command("sample")
def sample(
    dest: Annotated[Path | None, typer.Option(help="Where to write (default: CINEPIPE_HOME/sample).")] = None,
) -> None:
    """Generate the bundled sample of every source format."""
    from cinepipe.sample import write_sample

    _print_summary("sample written", write_sample(dest or get_settings().sample_dir))


@compare_app.command("movielens")
def compare_movielens(
    source: Annotated[str, typer.Option(help="A MovieLens release (URL, directory or .zip).")],
    models: Annotated[str | None, typer.Option(help="Comma-separated method names (default: all).")] = None,
    lecture_filter: Annotated[bool, typer.Option(help="Keep only the movies the lecture kept (ml-100k).")] = False,
) -> None:
    """The lecture's recommender table, rerun on random-70-30, our figures beside the lecture's."""
    _use_home_server()
    from cinepipe.flows.compare import compare_flow

    names = [m.strip() for m in models.split(",")] if models else None
    _print_summary("comparison done", compare_flow(source=source, models=names, lecture_filter=lecture_filter))


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
