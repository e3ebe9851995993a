"""`sendwh forecast ...`: exit 0 success, 1 a finding (the model misses its targets), 2 usage."""
from __future__ import annotations

import time
from datetime import date
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.progress import Progress

from foundation.database import connect
from foundation.published import NotPublished
from foundation.schema import setup
from foundation.settings import get_settings

# HEAVY: the forecast stage loads statsmodels and scipy (about 3 s of CPU), so it is imported
# when a forecast command runs, not whenever `sendwh` starts.
app = typer.Typer(help="Demand forecasts of EHC plans, with their backtest.", no_args_is_help=True)
console = Console()
err_console = Console(stderr=True, soft_wrap=True)   # messages stay on one line (greppable)


def _usage(message: str) -> None:
    err_console.print(f"[red]error:[/red] {message}")
    raise typer.Exit(2)


def _load(dfe_dir: Path):
    from forecast.published import DfeDataError, load_published  # noqa: PLC0415 - see HEAVY
    try:
        return load_published(dfe_dir)
    except DfeDataError as error:
        _usage(str(error))


def _dfe_dir(value: Optional[Path]) -> Optional[Path]:
    if value is not None:
        return value
    return get_settings().dfe_dir


@app.command("published")
def published(dfe_dir: Path = typer.Option(..., "--dfe-dir", help="DfE's EHC plan statistics folder."),
              origin: str = typer.Option(..., help="Last January to fit on, as DfE writes it (202324)."),
              horizon: int = typer.Option(3, min=1, max=10, help="Januaries ahead."),
              out: Path = typer.Option(..., "--out", help="CSV to write.")) -> None:
    """Forecast every council with a published series from DfE's data up to ORIGIN."""
    from forecast.councils import forecast_published, write_csv  # noqa: PLC0415 - see HEAVY
    from forecast.published import DfeDataError, january_year  # noqa: PLC0415 - see HEAVY
    try:
        origin_year = january_year(origin)
    except DfeDataError as error:
        _usage(str(error))
    if len(str(origin).strip()) != 6:
        _usage(f"--origin {origin!r}: give the academic-year code DfE writes, e.g. 202324")
    series = _load(dfe_dir)
    if origin_year not in set(int(y) for y in series.years):
        _usage(f"--origin {origin}: DfE's files in {dfe_dir} hold January "
               f"{int(series.years.min())}-{int(series.years.max())} only")
    if not out.parent.exists():
        _usage(f"--out {out}: folder {out.parent} does not exist")
    with console.status("fitting and simulating every council"):
        rows = forecast_published(series, origin_year, horizon)
    write_csv(rows, out)
    councils = len({r["new_la_code"] for r in rows})
    console.print(f"wrote {len(rows)} rows ({councils} councils x {horizon} years) to {out}")


@app.command("backtest")
def backtest(dfe_dir: Optional[Path] = typer.Option(None, "--dfe-dir", help="DfE's EHC plan statistics folder "
                                                    "(default: settings' SENDWH_DFE_DIR)."),
             write: bool = typer.Option(True, help="Write the metrics to forecast.backtest.")) -> None:
    """Rolling-origin backtest on every council's published caseload: the combined model (chosen
    on earlier origins only) against five baselines, and the model's margin over the best."""
    from forecast import run_published_backtest  # noqa: PLC0415 - see HEAVY
    from forecast.backtest import beats_baselines, default_origins, margins, run_backtest  # noqa: PLC0415 - see HEAVY
    from forecast.report import backtest_table  # noqa: PLC0415 - see HEAVY
    folder = _dfe_dir(dfe_dir)
    if folder is None:
        _usage("no DfE folder: give --dfe-dir")
    series = _load(folder)
    origins = default_origins(series)
    if not origins:
        _usage(f"{folder}: too few published years for a backtest")
    started = time.perf_counter()
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("origins", total=len(origins))
        if write:
            with connect() as conn:
                result = run_published_backtest(conn, folder, progress=lambda _: progress.advance(task))
            metrics, councils = result["metrics"], result["councils"]
        else:
            result = run_backtest(series, origins, progress=lambda _: progress.advance(task))
            metrics, councils = result.metrics, result.councils
    console.print(backtest_table(metrics, f"Backtest: {councils} councils, origins January "
                                          f"{origins[0]}-{origins[-1]}, horizons 1-3 "
                                          f"({time.perf_counter() - started:.1f} s)"))
    for h, (best, margin) in margins(metrics).items():
        console.print(f"horizon {h}: combined model {100 * margin:+.2f} WAPE points against the best "
                      f"baseline ({best})")
    passed, findings = beats_baselines(metrics)
    for finding in findings:
        err_console.print(f"[yellow]finding:[/yellow] {finding}")
    if not passed:
        raise typer.Exit(1)


@app.command("run")
def run(dfe_dir: Optional[Path] = typer.Option(None, "--dfe-dir", help="Also backtest on DfE's published files."),
        today: Optional[str] = typer.Option(None, help="YYYY-MM-DD: forecast from the last census up to this date."),
        joiner_multiplier: float = typer.Option(1.0, min=0.0, help="Scenario: new plans x this."),
        independent_to_special: float = typer.Option(
            0.0, min=0.0, max=1.0, help="Scenario: this share of new independent/non-maintained "
                                        "placements made in maintained special schools instead."),
        only_changed: bool = typer.Option(
            False, "--only-changed", help="Forecast again only the boroughs whose history (or unit costs) "
                                          "changed since the last run and keep the others' rows; reuse the "
                                          "backtest while DfE's files are unchanged.")) -> None:
    """Fit each borough in the warehouse and write the forecast tables (the baseline, and a
    scenario beside it when a lever is moved)."""
    from forecast import run_forecast  # noqa: PLC0415 - see HEAVY
    from forecast.model import Scenario  # noqa: PLC0415 - see HEAVY
    from forecast.published import DfeDataError  # noqa: PLC0415 - see HEAVY
    from forecast.report import backtest_table, tri_borough_summary_lines  # noqa: PLC0415 - see HEAVY
    if dfe_dir is not None and not dfe_dir.is_dir():
        _usage(f"--dfe-dir {dfe_dir} is not a folder")
    if today:
        try:
            date.fromisoformat(today)
        except ValueError:
            _usage(f"--today {today!r}: expected YYYY-MM-DD")
    scenarios = []
    if joiner_multiplier != 1.0 or independent_to_special:
        scenarios.append(Scenario(joiner_multiplier=joiner_multiplier,
                                  independent_to_special=independent_to_special,
                                  name=f"joiners_x{joiner_multiplier:g}_ind_to_special_{independent_to_special:g}"))
    setup()
    try:
        with console.status("forecasting the boroughs in the warehouse"):
            summary = run_forecast(dfe_dir=dfe_dir, today=today, scenarios=scenarios, only_changed=only_changed)
    except DfeDataError as error:
        _usage(str(error))
    except NotPublished as error:
        err_console.print(f"[red]error:[/red] not forecasting: {error}")
        raise typer.Exit(1)
    if summary.published_from:
        console.print(f"history from {summary.published_from}")
    if summary.carried:
        console.print(f"unchanged since the last run, rows kept: {', '.join(summary.carried)}")
    with connect() as conn:
        for line in tri_borough_summary_lines(conn):
            console.print(line)
        for scenario in scenarios:
            for line in tri_borough_summary_lines(conn, scenario=scenario.name)[:4]:
                console.print(line)
    for note in summary.notes:
        console.print(f"[dim]{note}[/dim]")
    if dfe_dir is not None and not summary.backtest:
        _usage(f"--dfe-dir {dfe_dir}: no caseload files to backtest on")
    if summary.backtest:
        console.print(backtest_table(summary.backtest, "Backtest on DfE's published caseloads"))
        for finding in summary.backtest_findings:
            err_console.print(f"[yellow]finding:[/yellow] {finding}")
        if not summary.backtest_passed:
            raise typer.Exit(1)
