"""The `sendwh` command line. Exit status: 0 success, 1 a finding (bad data), 2 usage."""
from __future__ import annotations

import logging
import os
import shutil
import sys
from datetime import date
from pathlib import Path
from typing import List, Optional

import psycopg
import typer
from rich.console import Console

from extract.ingest import UsageError
from extract.ingest import ingest as run_ingest
from extract.layouts import UnknownBorough
from foundation import database, schema
from foundation.migrate import Migration, MigrationError
from foundation.settings import PROJECT_ROOT, get_settings
from sendwh.export import ExportError, export_mart
from sendwh.forecast_commands import app as forecast_app
from sendwh.sample import generate
from sendwh.sen2_commands import app as sen2_app

# HEAVY: `build` and `demo` run the quality gates, and Great Expectations takes about 6 s of
# CPU to import: those two commands import it when they run, so every other command starts in
# about a second.
app = typer.Typer(help="Tri-borough SEND reporting warehouse.", no_args_is_help=True,
                  add_completion=False)
db_app = typer.Typer(help="Manage the warehouse database.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(sen2_app, name="sen2")
app.add_typer(forecast_app, name="forecast")
console = Console()
err_console = Console(stderr=True)


def _usage(message: str) -> None:
    err_console.print(f"[red]error:[/red] {message}")
    raise typer.Exit(2)


def _setup() -> list[Migration]:
    """The warehouse set-up, exiting 1 with the reason when its migrations refuse."""
    try:
        return schema.setup()
    except MigrationError as error:
        err_console.print(f"[red]error:[/red] {error}", soft_wrap=True)
        raise typer.Exit(1)


@db_app.command("start")
def db_start() -> None:
    """Start (or reuse) the embedded PostgreSQL and create the schemas."""
    url = database.warehouse_url()
    _setup()
    console.print(f"warehouse ready: {url}")


@db_app.command("stop")
def db_stop() -> None:
    """Stop the embedded PostgreSQL (does nothing when WAREHOUSE_URL is set)."""
    if not database.is_embedded():
        console.print("WAREHOUSE_URL is set: not stopping a server this project did not start")
        return
    console.print("stopped" if database.stop_embedded() else "not running")


@db_app.command("url")
def db_url() -> None:
    """Print the warehouse URL (starting the embedded server if needed)."""
    print(database.warehouse_url())


@db_app.command("psql", context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def db_psql(ctx: typer.Context) -> None:
    """Open psql on the warehouse (extra arguments go to psql, e.g. -c 'select 1')."""
    url = database.warehouse_url()
    psql = shutil.which("psql")
    if database.is_embedded() or not psql:
        psql = str(database.POSTGRES_BIN_PATH / "psql")
    os.execv(psql, [psql, url, *ctx.args])


@db_app.command("setup")
def db_setup() -> None:
    """Create the warehouse's roles (as SENDWH_ADMIN_URL's account, the embedded server's
    superuser by default; never dropping one), apply pending migrations as the engineer role,
    record the boroughs, then the roles' grants and row-level security (safe to repeat)."""
    try:
        schema.setup_roles(say=console.print)
    except psycopg.errors.InsufficientPrivilege as error:
        err_console.print(f"[red]error:[/red] creating the warehouse's roles needs an account that "
                          f"may create roles (set SENDWH_ADMIN_URL): {error}", soft_wrap=True)
        raise typer.Exit(1)
    try:
        applied = schema.setup(grants=True)
    except MigrationError as error:
        err_console.print(f"[red]error:[/red] {error}", soft_wrap=True)
        raise typer.Exit(1)
    schema.adopt_after_setup()
    for migration in applied:
        console.print(f"applied migration {migration.label}")
    if not applied:
        console.print("up to date: no migration to apply")


@app.command()
def ingest(
    kind: str = typer.Argument(..., help="sen2 | case | ledger | dfe"),
    paths: List[Path] = typer.Argument(..., help="files or folders"),
    borough: Optional[str] = typer.Option(None, "--borough", "-b", help="HF | KC | WCC"),
    boroughs_file: Optional[Path] = typer.Option(None, help="extra boroughs (sample --scale > 1)"),
) -> None:
    """Load files into raw; exit 0 loaded or already loaded, 1 rejected, 2 usage."""
    if boroughs_file:
        os.environ["SENDWH_BOROUGHS_FILE"] = str(boroughs_file)
        get_settings.cache_clear()
    _setup()
    try:
        results = run_ingest(kind, list(paths), borough, progress=_print_result)
    except (UsageError, UnknownBorough) as err:
        _usage(str(err).strip('"'))
    if not results:
        _usage(f"no {kind} files found in {', '.join(map(str, paths))}")
    rejected = [r for r in results if r.status == "rejected"]
    console.print(f"{len(results) - len(rejected)} loaded or already loaded, {len(rejected)} rejected")
    raise typer.Exit(1 if rejected else 0)


def _print_result(result) -> None:
    if result.status == "rejected":
        err_console.print(f"[red]rejected[/red] {result.reason}\n  kept in {result.quarantine_path}")
    elif result.status == "already_loaded":
        console.print(f"[dim]already loaded[/dim] {result.path.name} (batch {result.batch_id})")
    else:
        extra = f", supersedes batch {', '.join(map(str, result.superseded))}" if result.superseded else ""
        console.print(f"[green]loaded[/green] {result.path.name}: {result.rows:,} rows "
                      f"({result.borough or 'all'}, {result.period}) in {result.seconds:.2f}s "
                      f"as batch {result.batch_id}{extra}")


@app.command()
def build(
    today: Optional[str] = typer.Option(None, help="'today' for the open-cases worklist (YYYY-MM-DD)"),
    select: Optional[str] = typer.Option(None, help="dbt selection, e.g. 'marts'"),
    gate_sources_of: Optional[str] = typer.Option(
        None, help="gate only these boroughs' sources, comma-separated (those that sent files "
                   "since the last build); the marts are gated for every borough"),
    only_changed: bool = typer.Option(
        False, "--only-changed", help="the daily build: skip dbt's seeds and unit tests when the dbt "
                                      "project is the last published build's (they do not depend on data)"),
) -> None:
    """Write, audit, publish: dbt builds the marts into a build schema, the quality gates
    check sources and marts, and the marts are published only when nothing blocks
    (exit 1 otherwise, with the marts left as they were)."""
    from sendwh.pipeline import build as run_build  # noqa: PLC0415 - see HEAVY

    sources_of = [b.strip() for b in gate_sources_of.split(",") if b.strip()] if gate_sources_of else None
    status = run_build(today=today or get_settings().today or None, select=select,
                       gate_sources_of=sources_of, only_changed=only_changed)
    raise typer.Exit(0 if status == 0 else 1)


@app.command()
def export(
    mart: str = typer.Argument(..., help="a published mart, e.g. ehcp_caseload"),
    out: Path = typer.Option(..., "--out", help="CSV to write (mode 0600)"),
    threshold: Optional[int] = typer.Option(None, min=1, help="suppress counts below this "
                                            "(default SENDWH_SUPPRESSION_THRESHOLD, 5)"),
) -> None:
    """A mart as CSV for people outside the SEND team: counts below the threshold, and the
    totals and rates that would reveal them, shown as DfE's `c`."""
    try:
        with database.connect() as conn:
            rows = export_mart(conn, mart, out, threshold or get_settings().suppression_threshold)
    except ExportError as error:
        _usage(str(error))
    console.print(f"wrote {out}: {rows:,} rows, small numbers suppressed")


@app.command()
def report(
    out: Optional[Path] = typer.Option(None, "--out", help="folder to write into (default outputs/report)"),
    borough: Optional[str] = typer.Option(None, "--borough", "-b", help="one borough's pack (HF | KC | WCC)"),
    threshold: Optional[int] = typer.Option(None, min=1, help="suppress counts below this "
                                            "(default SENDWH_SUPPRESSION_THRESHOLD, 5)"),
) -> None:
    """The board pack: one self-contained HTML file from the published marts (opens offline,
    from a file share or an email), with small numbers suppressed; exit 1 if the marts were
    not published from a completed gate run."""
    from foundation.published import NotPublished  # noqa: PLC0415 - see HEAVY (matplotlib)
    from sendwh.report import UnknownBorough as NoSuchBorough  # noqa: PLC0415
    from sendwh.report import build_report  # noqa: PLC0415

    try:
        result = build_report(out_dir=out, borough=borough, threshold=threshold)
    except NoSuchBorough as error:
        _usage(str(error))
    except NotPublished as error:
        err_console.print(f"[red]no report[/red]: {error}")
        raise typer.Exit(1)
    for section in result.sections:
        if section.empty:
            console.print(f"[yellow]{section.title}[/yellow]: {section.empty}")
    console.print(f"report: {result.path}\nquality checks: {result.quality_path}")


@app.command()
def docs(
    generate: bool = typer.Option(False, "--generate", help="run dbt docs generate first"),
) -> None:
    """Where dbt's documentation of the marts is (outputs/dbt-docs/index.html, built by the DAG
    after publishing); open it in a browser, no server or internet needed."""
    from sendwh.dbt_docs import DocsFailed, docs_dir, generate_docs  # noqa: PLC0415 - imports dbt's runner

    index = docs_dir() / "index.html"
    if generate:
        try:
            index = generate_docs()
        except DocsFailed as error:
            err_console.print(f"[red]docs failed[/red]: {error}")
            raise typer.Exit(1)
    if not index.exists():
        err_console.print(f"no docs yet at {index}: run the DAG (`sendwh demo`) or `sendwh docs --generate`")
        raise typer.Exit(1)
    console.print(str(index))


@app.command()
def sample(
    out: Path = typer.Option(..., "--out", help="folder to write the sample files into"),
    seed: int = typer.Option(1, help="random seed: the same seed gives the same files"),
    scale: int = typer.Option(1, min=1, help="multiplies the number of boroughs"),
    defects: float = typer.Option(0.0, min=0.0, max=1.0, help="share of records with defects"),
    as_of: str = typer.Option("2026-11-30", help="the extracts' 'as at' date"),
    england: bool = typer.Option(False, "--england",
                                 help="every English council (153), sized from DfE's January caseload"),
    fraction: float = typer.Option(1.0, min=0.0001, max=1.0,
                                   help="--england: each council at this share of its DfE count"),
    councils: Optional[int] = typer.Option(None, min=1, help="--england: only the first N councils"),
    dfe_dir: Optional[Path] = typer.Option(None, help="--england: DfE statistics (default SENDWH_DFE_DIR)"),
    workers: int = typer.Option(1, min=1, help="boroughs written in this many processes (same bytes)"),
) -> None:
    """Generate deterministic sample data for every borough (--england: every English council,
    with the boroughs file the loader needs as boroughs.yml in OUT)."""
    dfe = dfe_dir or get_settings().dfe_dir
    if england and not (dfe and Path(dfe).is_dir()):
        _usage("--england needs DfE's statistics: --dfe-dir DIR or SENDWH_DFE_DIR")
    manifest = generate(out, seed=seed, scale=scale, defects=defects,
                        as_of=date.fromisoformat(as_of), progress=lambda m: console.print(m),
                        england=england, england_fraction=fraction, dfe_dir=dfe,
                        councils=councils, workers=workers)
    console.print(f"wrote {len(manifest['files'])} files for {len(manifest['boroughs'])} boroughs "
                  f"to {out} ({len(manifest['defects'])} defects recorded in manifest.json)")


@app.command()
def demo(
    defects: float = typer.Option(0.0, min=0.0, max=1.0, help="inject defects into the sample"),
    seed: int = typer.Option(1),
    dfe_dir: Optional[Path] = typer.Option(None, help="DfE published statistics folder"),
) -> None:
    """Generate sample data and run the pipeline through Airflow, then report what landed."""
    from sendwh.demo import run_demo  # noqa: PLC0415 - see HEAVY

    raise typer.Exit(run_demo(defects=defects, seed=seed, dfe_dir=dfe_dir, console=console))


@app.command()
def airflow(
    port: int = typer.Option(8080, help="the api-server's (UI and REST API) port"),
    database_name: str = typer.Option("airflow", "--database",
                                      help="Airflow's metadata database, on the warehouse's server"),
    home: Optional[Path] = typer.Option(None, help="Airflow's home (logs, secrets); default .warehouse/airflow-stack"),
) -> None:
    """Start Airflow's own processes (api-server, scheduler, dag-processor, triggerer;
    LocalExecutor; metadata in PostgreSQL) for the UI at http://127.0.0.1:PORT. Ctrl-C stops them."""
    from sendwh.airflow_stack import AirflowStackError, serve  # noqa: PLC0415 - imports httpx

    home = home or Path(os.environ.get("SENDWH_AIRFLOW_STACK_HOME")
                        or PROJECT_ROOT / ".warehouse" / "airflow-stack")
    try:
        raise typer.Exit(serve(home, database=database_name, port=port, say=console.print))
    except AirflowStackError as error:
        err_console.print(f"[red]error:[/red] {error}", soft_wrap=True)
        raise typer.Exit(1)


def main() -> None:  # pragma: no cover
    logging.basicConfig(level=logging.WARNING)
    app()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
