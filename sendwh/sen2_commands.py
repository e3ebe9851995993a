"""`sendwh sen2 ...`: a Typer sub-app (validate, rules, generate, summary, diff).

Exit status of `validate`: 0 no errors (queries and notes allowed), 1 at least one error,
2 usage or an unreadable file (missing, empty, not XML at all).
"""
from __future__ import annotations

import csv
import sys
from pathlib import Path
from typing import List, Optional

import typer
from lxml import etree

from foundation.private_files import write_private_text
from foundation.published import NotPublished
from sen2.diff import UnsafeReturn, diff_returns
from sen2.generate import GenerateError, generate_with_reports
from sen2.report import FORMATS, render
from sen2.rules import RULES
from sen2.validator import borough_lea, validate_files

# HEAVY: `summary` (and `diff` with measures) build a scratch warehouse through the quality
# gates, and Great Expectations takes about 6 s to import: only they import it.
app = typer.Typer(help="SEN2 returns: generate a borough's return from the warehouse, "
                       "validate any supplier's SEN2 XML.", no_args_is_help=True,
                  add_completion=False)


def _fail(message: str) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(2)


@app.command("rules")
def rules(fmt: str = typer.Option("text", "--format", "-f", help="text | csv")) -> None:
    """The rule catalogue: each rule's id, severity, area, what it checks and where it comes
    from (the guide's item the evidence quotes, the evidence, or "ours" with the reason)."""
    if fmt not in ("text", "csv"):
        _fail(f"--format must be text or csv, not {fmt!r}")
    if fmt == "csv":
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(("id", "severity", "area", "description", "source"))
        for rule in RULES.values():
            writer.writerow((rule.id, rule.severity, rule.area, rule.description, rule.source))
        return
    for rule in RULES.values():
        typer.echo(f"{rule.id}  {rule.severity:<5}  {rule.area:<11}  {rule.description}")
        typer.echo(f"{'':>9}  from: {rule.source}")


@app.command("validate")
def validate(
    files: List[Path] = typer.Argument(..., help="SEN2 XML files", show_default=False),
    fmt: str = typer.Option("text", "--format", "-f", help="text | json | html | csv"),
    year: Optional[int] = typer.Option(None, "--year", help="collection year (default: the file's header)"),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="write the report here, not stdout"),
    lea: Optional[str] = typer.Option(None, "--lea", help="the LA number the return must carry"),
    borough: Optional[str] = typer.Option(None, "--borough", "-b",
                                          help="borough code (HF, KC, WCC ...) whose LEA the return must carry"),
    limit: int = typer.Option(20, "--limit", min=1, help="messages shown per rule (text, html)"),
) -> None:
    """Check SEN2 files: well-formed XML, the year's XSD, then every rule (sen2/rules.py).
    Exit 0 no errors, 1 errors, 2 usage or unreadable file."""
    fmt = fmt.lower()
    if fmt not in FORMATS:
        _fail(f"--format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    if year is not None and not 2000 <= year <= 2100:
        _fail(f"--year {year} is not a collection year")
    if lea is not None and not (lea.isdigit() and len(lea) == 3):
        _fail(f"--lea {lea!r} is not a 3-digit LA number")
    if borough is not None and borough_lea(borough) is None:
        _fail(f"unknown borough {borough!r}")
    results = validate_files(files, year=year, lea=lea, borough=borough)
    report = render(results, fmt, limit=limit)
    if out is not None:
        write_private_text(out, report)     # the report names persons by UPN: mode 0600
        errors = sum(r.errors for r in results)
        typer.echo(f"wrote {out}: {len(results)} file(s), {errors:,} errors", err=True)
    else:
        sys.stdout.write(report)
    for r in results:
        if r.unreadable:
            typer.echo(f"error: {r.unreadable}", err=True)
    if any(r.unreadable for r in results):
        raise typer.Exit(2)
    raise typer.Exit(1 if any(r.errors for r in results) else 0)


@app.command("generate")
def generate(
    borough: str = typer.Option(..., "--borough", "-b", help="HF, KC, WCC ..."),
    year: int = typer.Option(..., "--year", help="collection year (census in January of it)"),
    out: Path = typer.Option(Path("outputs") / "sen2", "--out", "-o", help="folder to write into"),
) -> None:
    """Write the borough's SEN2 return for YEAR from the warehouse (after `sendwh build`),
    validate it, and write its validation report (HTML and CSV) beside it. A return with
    errors is still written; the exit status is then 1. Made only from data a completed
    quality-gate run published (exit 1 otherwise, nothing written)."""
    try:
        made, _ = generate_with_reports(borough, year, out)
    except GenerateError as err:
        _fail(str(err))
    except NotPublished as err:
        typer.echo(f"error: not generating the return: {err}", err=True)
        raise typer.Exit(1)
    typer.echo(f"wrote {made.path}: {made.persons:,} persons, {made.requests:,} requests; "
               f"{made.errors} errors, {made.queries} queries "
               f"(report: {made.path.with_suffix('.report.html')}), from {made.published_from}")
    if made.errors:
        typer.echo("the return has errors: fix them in the case system before submitting "
                   "(see the report)", err=True)
    raise typer.Exit(1 if made.errors else 0)


@app.command("summary")
def summary(file: Path = typer.Argument(..., help="a SEN2 XML file")) -> None:
    """The DfE measures of one file (requests, plans issued, within 20 weeks with and without
    exceptions, active plans by need and placement), by the marts' own definitions."""
    from sendwh.sen2_summary import SummaryError, summarise  # noqa: PLC0415 - see HEAVY

    if not file.exists():
        _fail(f"{file}: no such file")
    try:
        s = summarise(file)
    except SummaryError as err:
        typer.echo(f"error: {file.name}: {err}", err=True)
        raise typer.Exit(1)
    t = s.timeliness
    typer.echo(f"{file.name}: {s.borough}, return {s.year} (activity in {s.year - 1}, census January {s.year})")
    for label, key in (("requests received", "requests_received_in_year"),
                       ("decided within 6 weeks", "request_outcome_six_weeks"),
                       ("decided within 6 weeks %", "request_outcome_six_weeks_pc"),
                       ("plans issued", "plans_issued_den"),
                       ("plans issued, exceptions excluded", "plans_issued_den_ex"),
                       ("within 20 weeks", "plans_issued_within_20_weeks"),
                       ("within 20 weeks %", "pc_plans_issued_within_20_weeks"),
                       ("within 20 weeks, exceptions excluded", "plans_issued_20_weeks_ex"),
                       ("within 20 weeks %, exceptions excluded", "PC_plans_issued_20_weeks_ex")):
        typer.echo(f"  {label:<40} {t.get(key, '-')}")
    typer.echo(f"  {'active plans at the census':<40} {s.active_plans}")
    typer.echo("  by primary need: " + ", ".join(f"{k} {v}" for k, v in s.by_need.items()))
    typer.echo("  by placement: " + ", ".join(f"{k} {v}" for k, v in s.by_placement.items()))


@app.command("diff")
def diff(
    old: Path = typer.Argument(..., help="the earlier return"),
    new: Path = typer.Argument(..., help="the later return"),
    measures: bool = typer.Option(True, help="also compute both files' DfE measures (about 40 s)"),
    limit: int = typer.Option(20, help="names listed per heading"),
) -> None:
    """Persons and plans added, removed and changed between two returns, plans that vanished
    without a cease reason, and the DfE measures side by side."""
    for path in (old, new):
        if not path.exists():
            _fail(f"{path}: no such file")
    try:
        d = diff_returns(old, new)
    except (UnsafeReturn, etree.XMLSyntaxError) as error:
        typer.echo(f"refused: {error}", err=True)  # bad data, not bad usage: exit 1
        raise typer.Exit(1)
    typer.echo(f"{old.name} -> {new.name}")
    for title, items in (("persons added", d.added), ("persons removed", d.removed),
                         ("persons changed", [f"{who} ({what})" for who, what in d.changed]),
                         ("plans added", d.plans_added), ("plans removed", d.plans_removed),
                         ("plans active before, now neither active nor ceased", d.plans_vanished)):
        typer.echo(f"  {title}: {len(items):,}")
        for item in items[:limit]:
            typer.echo(f"    {item}")
    if measures:
        from sendwh.sen2_summary import summarise  # noqa: PLC0415 - see HEAVY

        a, b = summarise(old), summarise(new)
        typer.echo(f"  {'measure':<36} {old.name:>18} {new.name:>18}")
        for key in ("requests_received_in_year", "plans_issued_den", "plans_issued_den_ex",
                    "plans_issued_within_20_weeks", "PC_plans_issued_20_weeks_ex"):
            typer.echo(f"  {key:<36} {str(a.timeliness.get(key, '-')):>18} {str(b.timeliness.get(key, '-')):>18}")
        typer.echo(f"  {'active plans at the census':<36} {a.active_plans:>18} {b.active_plans:>18}")
