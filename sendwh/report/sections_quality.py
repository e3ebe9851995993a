"""The data-quality section: each borough's gate checks over time, what blocked and what
warned, from `audit.dq_scorecard`; the full list of the latest runs' checks is the offline
quality page (quality.html) beside the report."""
from __future__ import annotations

import psycopg

from . import charts
from .model import Figure, Section, Table, number
from .reading import Scope, rows

RUNS_SHOWN = 12
QUALITY_PAGE = "quality.html"


def quality(conn: psycopg.Connection, scope: Scope) -> Section:
    runs = rows(conn, """
        with runs as (
            select run_id, max(run_at) as run_at from audit.dq_scorecard group by run_id
            order by run_at desc limit %(n)s
        )
        select s.run_id, runs.run_at, s.run_status, s.run_published, s.borough,
               count(*) filter (where s.passed) as passed,
               count(*) filter (where not s.passed and s.severity = 'warn') as warned,
               count(*) filter (where not s.passed and s.severity = 'block') as blocked
        from audit.dq_scorecard s join runs using (run_id)
        where s.borough = any(%(b)s)
        group by 1, 2, 3, 4, 5 order by runs.run_at, s.borough""",
                {"n": RUNS_SHOWN, "b": list(scope.with_total)})
    section = Section("quality", "Data quality: what the gates passed, warned about and blocked", "")
    if not runs:
        section.empty = "No gate run recorded yet."
        return section
    last_id = runs[-1]["run_id"]
    last = [r for r in runs if r["run_id"] == last_id]
    failing = rows(conn, """
        select borough, source, "check", severity, observed_value, observed_unit, description
        from audit.dq_scorecard where run_id = %(r)s and not passed and borough = any(%(b)s)
        order by severity, borough, source, "check" """, {"r": last_id, "b": list(scope.with_total)})
    checks = sum(r["passed"] + r["warned"] + r["blocked"] for r in last)
    blocked = sum(r["blocked"] for r in last)
    warned = sum(r["warned"] for r in last)
    section.figures = [Figure("quality.run_at", last[0]["run_at"], f"{last[0]['run_at']:%-d %B %Y %H:%M}"),
                       Figure("quality.checks", checks, number(checks)),
                       Figure("quality.blocked", blocked, number(blocked)),
                       Figure("quality.warned", warned, number(warned)),
                       Figure("quality.status", last[0]["run_status"], last[0]["run_status"])]
    section.headline = ("The latest gate run ({quality.run_at}) ran {quality.checks} checks: {quality.blocked} "
                        "blocked and {quality.warned} warned; the run {quality.status}.")
    run_ids = list(dict.fromkeys(r["run_id"] for r in runs))
    groups = {kind: [sum(r[kind] for r in runs if r["run_id"] == run) for run in run_ids]
              for kind in ("passed", "warned", "blocked")}
    labels = [f"{next(r['run_at'] for r in runs if r['run_id'] == run):%d %b %H:%M}" for run in run_ids]
    title = f"Checks passed, warned and blocked in each of the last {len(run_ids)} gate runs"
    section.charts.append((charts.bars(labels, groups, title=title, ylabel="checks", stacked=True),
                           f"Bar chart: {title}. Data in the table below."))
    section.tables.append(Table(["run", "status", "published", "borough", "passed", "warned", "blocked"],
                                [[f"{r['run_at']:%Y-%m-%d %H:%M}", r["run_status"],
                                  "yes" if r["run_published"] else "no",
                                  "Tri-borough" if r["borough"] == "ALL" else r["borough"],
                                  r["passed"], r["warned"], r["blocked"]] for r in runs],
                                "audit.dq_scorecard, counted per run and borough"))
    section.tables.append(Table(["borough", "source", "check", "severity", "observed", "what it checks"],
                                [[r["borough"], r["source"], r["check"], r["severity"],
                                  f"{number(r['observed_value'])} {r['observed_unit']}", r["description"]]
                                 for r in failing],
                                "checks that failed in the latest run" if failing else
                                "no check failed in the latest run"))
    section.note = f'Every check of the latest runs, with its threshold: <a href="{QUALITY_PAGE}">quality page</a>.'
    return section


def quality_page_rows(conn: psycopg.Connection, scope: Scope) -> list[dict]:
    return rows(conn, """
        with runs as (
            select run_id, max(run_at) as run_at from audit.dq_scorecard group by run_id
            order by run_at desc limit 3
        )
        select s.run_id, s.run_at, s.run_status, s.borough, s.source, s.asset, s."check", s.severity,
               s.outcome, s.observed_value, s.observed_unit, s.threshold, s.rows_checked, s.description
        from audit.dq_scorecard s join runs using (run_id)
        where s.borough = any(%(b)s)
        order by s.run_at desc, s.passed, s.borough, s.source, s."check" """,
                {"b": list(scope.with_total)})
