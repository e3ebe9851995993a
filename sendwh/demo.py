"""`sendwh demo`: sample data -> the main DAG (through Airflow) -> what landed, per borough."""
from __future__ import annotations

import shutil
import time
from datetime import date
from pathlib import Path
from typing import Callable

from psycopg import sql
from rich.console import Console
from rich.table import Table

from expectations.history import latest_run, summary_lines
from forecast.report import tri_borough_summary_lines
from foundation.database import connect, warehouse_url
from foundation.schema import setup
from foundation.settings import get_settings
from sen2.generate import generate_with_reports
from sendwh.airflow_run import run_dag
from sendwh.finance_report import finance_summary_lines
from sendwh.sample import generate

SAMPLE_AS_OF = date(2026, 11, 30)


def sample_dir(defects: float) -> Path:
    name = "sample" if not defects else f"sample-defects-{defects:g}"
    return get_settings().outputs_dir / name


def run_demo(defects: float = 0.0, seed: int = 1, dfe_dir: Path | None = None,
             console: Console | None = None) -> int:
    console = console or Console()
    settings = get_settings()
    out = sample_dir(defects)
    if out.exists():
        shutil.rmtree(out)
    console.rule("1. sample data")
    manifest = generate(out, seed=seed, scale=1, defects=defects, as_of=SAMPLE_AS_OF,
                        progress=lambda m: console.print(f"  {m}"))
    console.print(f"  {len(manifest['files'])} files in {out}")
    dfe = dfe_dir or settings.dfe_dir
    if dfe and not Path(dfe).is_dir():
        console.print(f"  [yellow]DfE statistics folder {dfe} not found: skipping DfE files[/yellow]")
        dfe = None

    console.rule("2. the send_warehouse DAG (Airflow, in-process)")
    console.print(f"  warehouse: {warehouse_url()}")
    setup()
    with connect() as conn:
        last_batch = conn.execute("select coalesce(max(batch_id), 0) from audit.batches").fetchone()[0]
        dag_started_at = conn.execute("select now()").fetchone()[0]
    started = time.perf_counter()
    console.print("  ingest_source runs once per borough and source kind; then the dbt_build task "
                  "group runs one `dbt build` into the build schema (its producer task) and "
                  "reports each model in its own task; quality_gates checks it; publish_marts "
                  "swaps it into `marts`; forecast_demand fits the demand model; board_report "
                  "writes the board pack and dbt_docs the marts' documentation")
    run = run_dag("send_warehouse", "send_warehouse.py",
                  {"source_dir": str(out), "dfe_dir": str(dfe) if dfe else "",
                   "today": SAMPLE_AS_OF.isoformat()})
    state = str(getattr(run, "state", run))
    console.print(f"  DAG run finished: {state} in {time.perf_counter() - started:.0f}s")

    console.rule("3. what landed")
    _print_landed(console, last_batch)
    console.rule("4. quality gates (write, audit, publish)")
    gates = _print_gates(console, dag_started_at, settings.outputs_dir)
    if not state.endswith("success"):
        if gates == "blocked":
            console.print("[red]the gates blocked publishing:[/red] the marts are exactly as the "
                          "last clean run left them; the failures are in audit.dq_scorecard")
        else:
            console.print("[red]the DAG run failed[/red] before publishing (see the task log above)")
        return 1
    console.rule("5. the marts (schema marts)")
    _print_marts(console)
    console.rule("6. finance: savings delivery and invest-to-save payback")
    _print_lines(console, finance_summary_lines)
    console.rule("7. demand forecast: EHC plans next three Januaries (p50, 80% interval)")
    _print_lines(console, tri_borough_summary_lines)
    console.rule("8. SEN2 returns for 2026, generated from the warehouse and validated")
    status = _sen2_returns(console, settings.outputs_dir / "sen2" / "2026")
    console.rule("9. the board pack and the marts' documentation (written by the DAG)")
    _print_outputs(console, settings.outputs_dir)
    return status


def _print_outputs(console: Console, outputs: Path) -> None:
    """Where the DAG's board_report and dbt_docs tasks wrote; the report's path last."""
    for label, path in (("dbt docs (marts and lineage)", outputs / "dbt-docs" / "index.html"),
                        ("data-quality checks", outputs / "report" / "quality.html"),
                        ("board report", outputs / "report" / "board-report.html")):
        console.print(f"  {label}: {path if path.exists() else 'not written (see the DAG log)'}",
                      highlight=False)


def _print_gates(console: Console, since, outputs: Path) -> str | None:
    """The gate run of this DAG run: its summary, and where its Data Docs are."""
    with connect() as conn:
        run = latest_run(conn, since)
        if run is None:
            console.print("  the gates did not run (the DAG failed before them)")
            return None
        run_id, status, _blocking, _warnings, published, docs = run
        colour = {"passed": "green", "warned": "yellow"}.get(status, "red")
        lines = summary_lines(conn, run_id)
    console.print(f"  [{colour}]{lines[0]}[/{colour}]")
    for line in lines[1:21]:
        console.print(f"  {line}", highlight=False, markup=False)
    if len(lines) > 21:
        console.print(f"    ... and {len(lines) - 21} more failing checks (audit.dq_scorecard)")
    console.print(f"  published: {'yes' if published else 'no'}; history: audit.dq_scorecard; "
                  f"Great Expectations' Data Docs (they load styles from the internet): "
                  f"{outputs / docs if docs else '-'}; offline: outputs/report/quality.html")
    return status


def _print_lines(console: Console, lines_of: Callable[..., list[str]]) -> None:
    with connect() as conn:
        for line in lines_of(conn):
            console.print(f"  {line}", highlight=False, markup=False)


def _sen2_returns(console: Console, out: Path) -> int:
    table = Table("borough", "file", "persons", "errors", "queries", "report")
    errors = 0
    for borough in ("HF", "KC", "WCC"):
        made, reports = generate_with_reports(borough, 2026, out)
        errors += made.errors
        table.add_row(borough, made.path.name, f"{made.persons:,}", str(made.errors),
                      str(made.queries), str(reports[0]))
    console.print(table)
    console.print(f"  the returns and their reports are in {out}")
    return 1 if errors else 0


def _print_marts(console: Console) -> None:
    with connect() as conn:
        timeliness = conn.execute(
            'select borough, calendar_year, requests_received_in_year, request_outcome_six_weeks_pc, '
            'plans_issued_den, "PC_plans_issued_20_weeks_ex" from marts.ehc_timeliness '
            "where calendar_year >= extract(year from %s::date) - 4 order by borough = 'ALL', borough, 2",
            (SAMPLE_AS_OF,)).fetchall()
        caseload = conn.execute(
            "select borough, census_year, sum(ehcplans) from marts.ehcp_caseload "
            "where census_year >= 2022 group by 1, 2 order by borough = 'ALL', 1, 2").fetchall()
        open_cases = conn.execute(
            "select borough, work_item, count(*), count(*) filter (where is_breached), "
            "count(*) filter (where days_left between 0 and 14) from marts.ehc_open_cases "
            "group by 1, 2 order by 1, 2").fetchall()
        reviews = conn.execute(
            "select borough, calendar_year, plans_due_review, pc_reviews_within_12_months, "
            "review_meetings, pc_decisions_within_4_weeks, reviews_overdue_at_period_end "
            "from marts.annual_reviews where period_type = 'year' "
            "and calendar_year >= extract(year from %s::date) - 2 "
            "order by borough = 'ALL', borough, calendar_year", (SAMPLE_AS_OF,)).fetchall()
        phase_transfers = conn.execute(
            "select borough, transfer_year, transfers_due, finalised_by_deadline, finalised_late, "
            "still_open, pc_finalised_by_deadline from marts.phase_transfers "
            "where phase_transfer = 'all' and transfer_year >= extract(year from %s::date) - 1 "
            "order by borough = 'ALL', borough, transfer_year", (SAMPLE_AS_OF,)).fetchall()
        names = [r[0] for r in conn.execute(
            "select table_name from information_schema.tables where table_schema = 'marts' order by 1")]
        counts = [(name, conn.execute(sql.SQL("select count(*) from marts.{}").format(
            sql.Identifier(name))).fetchone()[0]) for name in names]
    table = Table("borough", "year", "requests", "decided in 6 wks %", "plans issued",
                  "within 20 wks % (ex exceptions)", title="ehc_timeliness")
    for row in timeliness:
        table.add_row(*(str(v if v is not None else "-") for v in row))
    console.print(table)
    table = Table("borough", "January census", "EHC plans", title="ehcp_caseload")
    for row in caseload:
        table.add_row(*map(str, row))
    console.print(table)
    table = Table("borough", "work item", "open", "breached", "due within 14 days",
                  title=f"ehc_open_cases as at {SAMPLE_AS_OF} (requests, annual reviews and "
                        "phase transfers coming due)")
    for row in open_cases:
        table.add_row(*map(str, row))
    console.print(table)
    table = Table("borough", "year", "reviews due", "within 12 months %", "meetings",
                  "decision within 4 wks %", "overdue at year end (or today)",
                  title="annual_reviews")
    for row in reviews:
        table.add_row(*(str(v if v is not None else "-") for v in row))
    console.print(table)
    table = Table("borough", "year of move", "transfers due", "finalised by deadline", "late",
                  "still open", "by deadline %", title="phase_transfers (15 February; 31 March into post-16)")
    for row in phase_transfers:
        table.add_row(*(str(v if v is not None else "-") for v in row))
    console.print(table)
    console.print("marts: " + ", ".join(f"{name} ({n:,} rows)" for name, n in counts))


def _print_landed(console: Console, after_batch: int) -> None:
    with connect() as conn:
        rows = conn.execute(
            "select source_kind, coalesce(borough, 'England'), status, count(*), sum(rows_loaded) "
            "from audit.batches where batch_id > %s group by 1, 2, 3 order by 1, 2, 3",
            (after_batch,)).fetchall()
        current = conn.execute(
            "select source_kind, coalesce(borough, 'England'), count(*), sum(rows_loaded) "
            "from audit.current_batches group by 1, 2 order by 1, 2").fetchall()
        quarantined = conn.execute(
            "select source_kind, borough, file_name, reason, quarantine_path from audit.quarantine "
            "where batch_id > %s order by batch_id", (after_batch,)).fetchall()
    table = Table("source", "borough", "this run", "files", "rows")
    for kind, borough, status, files, total in rows:
        table.add_row(kind, borough, status, str(files), f"{total or 0:,}")
    console.print(table)
    totals = Table("source", "borough", "current batches", "rows in raw")
    for kind, borough, files, total in current:
        totals.add_row(kind, borough, str(files), f"{total or 0:,}")
    console.print(totals)
    if quarantined:
        console.print(f"[yellow]{len(quarantined)} file(s) quarantined[/yellow] "
                      "(loaded nothing; see audit.quarantine):")
        for kind, borough, name, reason, path in quarantined[:20]:
            console.print(f"  [yellow]{kind} {borough}[/yellow] {reason}\n    kept in {path}")
        if len(quarantined) > 20:
            console.print(f"  ... and {len(quarantined) - 20} more")
    else:
        console.print("[green]no file quarantined[/green]")
