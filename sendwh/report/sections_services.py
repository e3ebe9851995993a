"""The service sections: EHC timeliness, the open-cases worklist, caseload at census,
statement transfers, annual reviews and phase transfers."""
from __future__ import annotations

from collections import defaultdict

import psycopg

from foundation.suppression import Rule, suppress

from . import charts
from .model import Figure, Section, Table, cell, count_cell, count_text, number, pct
from .reading import Scope, rows


def timeliness(conn: psycopg.Connection, scope: Scope) -> Section:
    years = rows(conn, """
        select borough, calendar_year, "PC_plans_issued_20_weeks_ex" as pc_ex,
               pc_plans_issued_within_20_weeks as pc_all, request_outcome_six_weeks_pc as pc_6wk,
               plans_issued_den, requests_decided
        from marts.ehc_timeliness where borough = any(%(b)s) order by calendar_year, borough""",
                 {"b": list(scope.with_total)})
    bench = rows(conn, """
        select year, max(london_value) as london, max(england_value) as england
        from marts.benchmarks where measure = 'PC_plans_issued_20_weeks_ex' group by year
        order by year""")
    months = rows(conn, """
        select borough, month_start, "PC_plans_issued_20_weeks_ex" as pc_ex
        from marts.ehc_timeliness_monthly
        where borough = any(%(b)s)
          and month_start > (select max(month_start) from marts.ehc_timeliness_monthly) - interval '24 months'
        order by month_start, borough""", {"b": list(scope.with_total)})
    section = Section("timeliness", "EHC plans issued within 20 weeks", "")
    issued = [r for r in years if r["borough"] == scope.headline_borough and r["plans_issued_den"]]
    if not issued:
        section.empty = "No plans issued yet in the published marts."
        return section
    latest = issued[-1]
    year = latest["calendar_year"]
    so_far = " so far" if year >= scope.today.year else ""
    section.figures = [
        Figure("timeliness.year", year, str(year)),
        Figure("timeliness.pc_ex", latest["pc_ex"], pct(latest["pc_ex"])),
        Figure("timeliness.pc_all", latest["pc_all"], pct(latest["pc_all"])),
        Figure("timeliness.pc_6wk", latest["pc_6wk"], pct(latest["pc_6wk"])),
    ]
    section.headline = (f"In {{timeliness.year}}{so_far}, {{timeliness.pc_ex}} of new EHC plans in {scope.area} "
                        "were issued within 20 weeks excluding exceptions ({timeliness.pc_all} including "
                        "them), and {timeliness.pc_6wk} of requests were decided within 6 weeks.")
    england = [b for b in bench if b["england"] is not None]
    if england:
        last = england[-1]
        section.figures += [Figure("timeliness.england_year", last["year"], str(last["year"])),
                            Figure("timeliness.england", last["england"], pct(last["england"]))]
        section.headline += " England: {timeliness.england} in {timeliness.england_year}."
    by_borough = _per_borough(years, "calendar_year", "pc_ex")
    by_borough["London"] = [(b["year"], b["london"]) for b in bench]
    by_borough["England"] = [(b["year"], b["england"]) for b in bench]
    title = "Plans issued within 20 weeks, excluding exceptions, by calendar year"
    section.charts.append((charts.lines(by_borough, title=title, ylabel="% within 20 weeks", percent=True),
                           f"Line chart: {title}, per borough, London and England. Data in the table below."))
    monthly = _per_borough(months, "month_start", "pc_ex")
    title_m = "Plans issued within 20 weeks, excluding exceptions, by month (last 24 months)"
    section.charts.append((charts.lines(monthly, title=title_m, ylabel="% within 20 weeks", percent=True),
                           f"Line chart: {title_m}, per borough. Monthly figures are in the marts."))
    london = {b["year"]: b["london"] for b in bench}
    eng = {b["year"]: b["england"] for b in bench}
    section.tables.append(Table(
        ["borough", "year", "plans issued", "% in 20 weeks (ex)", "% in 20 weeks (all)",
         "% decided in 6 weeks", "London %", "England %"],
        [[_label(r["borough"]), str(r["calendar_year"]), count_cell(r["plans_issued_den"], scope.threshold),
          _rate(r["pc_ex"], r["plans_issued_den"], scope), _rate(r["pc_all"], r["plans_issued_den"], scope),
          _rate(r["pc_6wk"], r["requests_decided"], scope), cell(london.get(r["calendar_year"])),
          cell(eng.get(r["calendar_year"]))] for r in years],
        "ehc_timeliness and benchmarks (DfE's published London and England figures)"))
    return section


def worklist(conn: psycopg.Connection, scope: Scope) -> Section:
    found = rows(conn, """
        select borough, stage,
               count(*) filter (where is_breached) as breached,
               count(*) filter (where not is_breached and days_left between 0 and 14) as due_14_days,
               count(*) as open_items
        from marts.ehc_open_cases where borough = any(%(b)s)
        group by grouping sets ((borough, stage), (stage))
        order by stage, borough nulls last""", {"b": list(scope.boroughs)})
    section = Section("worklist", "Open cases: breached and due within 14 days", "")
    if not found:
        section.empty = "No open cases in the published worklist."
        return section
    for r in found:
        r["borough"] = r["borough"] or "ALL"
    totals = [r for r in found if r["borough"] == "ALL"]
    breached = sum(r["breached"] for r in totals)
    due = sum(r["due_14_days"] for r in totals)
    section.figures = [Figure("worklist.breached", breached, count_text(breached, scope.threshold)),
                       Figure("worklist.due_14_days", due, count_text(due, scope.threshold)),
                       Figure("worklist.today", scope.today, f"{scope.today:%-d %B %Y}")]
    section.headline = (f"On {{worklist.today}}, {{worklist.breached}} open items in {scope.area} were past "
                        "a statutory deadline and {worklist.due_14_days} more fall due within 14 days.")
    stages = sorted({r["stage"] for r in found})
    parts = [r for r in found if r["borough"] != "ALL"]
    groups = {}
    for borough in scope.boroughs:
        groups[f"{_label(borough)} breached"] = [sum(r["breached"] for r in parts if r["borough"] == borough
                                                     and r["stage"] == s) for s in stages]
    title = "Open items past their statutory deadline, by stage and borough"
    section.charts.append((charts.bars(stages, groups, title=title, ylabel="items breached"),
                           f"Bar chart: {title}. Data in the table below."))
    shown = suppress([{k: r[k] for k in ("stage", "borough", "breached", "due_14_days", "open_items")}
                      for r in found], Rule(counts=("breached", "due_14_days", "open_items")), scope.threshold)
    section.tables.append(Table(["stage", "borough", "breached", "due within 14 days", "open items"],
                                [[r["stage"], _label(r["borough"]), r["breached"], r["due_14_days"],
                                  r["open_items"]] for r in shown],
                                "ehc_open_cases, counted by stage and borough"))
    return section


def caseload(conn: psycopg.Connection, scope: Scope) -> Section:
    found = rows(conn, """
        select census_year, borough, placement_group, primary_need, sum(ehcplans)::int as plans
        from marts.ehcp_caseload where borough = any(%(b)s)
        group by grouping sets ((census_year, borough, placement_group), (census_year, borough, primary_need))
        order by census_year""", {"b": [scope.headline_borough]})
    section = Section("caseload", "EHC plans at each January census", "")
    if not found:
        section.empty = "No census in the published marts."
        return section
    by_year: dict[int, int] = defaultdict(int)
    for r in found:
        if r["placement_group"] is not None:
            by_year[r["census_year"]] += r["plans"]
    years = sorted(by_year)
    last = years[-1]
    section.figures = [Figure("caseload.year", last, str(last)), Figure("caseload.plans", by_year[last],
                                                                       number(by_year[last]))]
    section.headline = (f"{{caseload.plans}} children and young people in {scope.area} had an EHC plan at "
                        "the January {caseload.year} census")
    if len(years) > 1:
        change = 100 * (by_year[last] / by_year[years[-2]] - 1)
        section.figures += [Figure("caseload.change_pc", round(change, 1), f"{change:+.1f}%"),
                            Figure("caseload.previous_year", years[-2], str(years[-2]))]
        section.headline += ", {caseload.change_pc} on {caseload.previous_year}"
    section.headline += "."
    placements = sorted({r["placement_group"] for r in found if r["placement_group"]})
    groups = {p: [next((r["plans"] for r in found if r["census_year"] == y and r["placement_group"] == p), 0)
                  for y in years] for p in placements}
    title = f"EHC plans at the January census by placement group ({scope.area})"
    section.charts.append((charts.bars(years, groups, title=title, ylabel="plans", stacked=True),
                           f"Stacked bar chart: {title}. Data in the table below."))
    needs = sorted({r["primary_need"] for r in found if r["primary_need"]})
    need_counts = {n: next((r["plans"] for r in found if r["census_year"] == last and r["primary_need"] == n), 0)
                   for n in needs}
    title_n = f"EHC plans at the January {last} census by primary need ({scope.area})"
    section.charts.append((charts.bars(needs, {"plans": [need_counts[n] for n in needs]}, title=title_n,
                                       ylabel="plans"), f"Bar chart: {title_n}. Data in the table below."))
    section.tables.append(Table(["census year", *placements, "all"],
                                [[str(y), *[count_cell(groups[p][i], scope.threshold) for p in placements],
                                  count_cell(by_year[y], scope.threshold)] for i, y in enumerate(years)],
                                "ehcp_caseload by placement group"))
    section.tables.append(Table(["primary need", f"plans at January {last}"],
                                [[n, count_cell(need_counts[n], scope.threshold)] for n in needs],
                                "ehcp_caseload by primary need"))
    return section


def statement_transfers(conn: psycopg.Connection, scope: Scope) -> Section:
    found = rows(conn, """
        select borough, month_start, transfers_done_since_programme_start as done,
               statements_outstanding, milestone_target, is_milestone_met
        from marts.statement_transfers where borough = any(%(b)s) order by month_start""",
                 {"b": list(scope.boroughs)})
    section = Section("transfers", "Statement transfers against the 271 and 677 milestones", "")
    milestones = [r for r in found if r["milestone_target"] is not None]
    if not milestones:
        section.empty = "No statement-transfer milestone for the boroughs in this report."
        return section
    last = milestones[-1]
    section.figures = [Figure("transfers.done", last["done"], number(last["done"])),
                       Figure("transfers.target", last["milestone_target"], number(last["milestone_target"])),
                       Figure("transfers.month", last["month_start"], f"{last['month_start']:%B %Y}"),
                       Figure("transfers.met", last["is_milestone_met"], "met" if last["is_milestone_met"]
                              else "not met")]
    section.headline = (f"By {{transfers.month}}, {_label(last['borough'])} had transferred {{transfers.done}} "
                        "statements to EHC plans against the milestone of {transfers.target}: {transfers.met}.")
    borough = last["borough"]
    series = {"transfers done since the programme started": [(r["month_start"], r["done"]) for r in found
                                                            if r["borough"] == borough],
              "statements still to transfer": [(r["month_start"], r["statements_outstanding"]) for r in found
                                               if r["borough"] == borough]}
    reference = {f"milestone {r['milestone_target']} ({r['month_start']:%b %Y})": r["milestone_target"]
                 for r in milestones}
    title = f"Statement transfers in {_label(borough)} against the milestones"
    section.charts.append((charts.lines(series, title=title, ylabel="statements", reference=reference),
                           f"Line chart: {title}. Milestones in the table below."))
    section.tables.append(Table(["borough", "milestone month", "milestone", "done by then", "outstanding", "met"],
                                [[_label(r["borough"]), f"{r['month_start']:%B %Y}", r["milestone_target"],
                                  r["done"], r["statements_outstanding"], "yes" if r["is_milestone_met"] else "no"]
                                 for r in milestones], "statement_transfers (the milestones' months)"))
    return section


def reviews_and_phase_transfers(conn: psycopg.Connection, scope: Scope) -> Section:
    reviews = rows(conn, """
        select borough, calendar_year, plans_due_review, pc_reviews_within_12_months as pc_reviews,
               pc_decisions_within_4_weeks as pc_decisions
        from marts.annual_reviews where period_type = 'year' and borough = any(%(b)s)
        order by calendar_year, borough""", {"b": list(scope.with_total)})
    phases = rows(conn, """
        select borough, transfer_year, phase_transfer, transfers_due, finalised_by_deadline,
               pc_finalised_by_deadline as pc_finalised
        from marts.phase_transfers where borough = any(%(b)s)
        order by transfer_year, phase_transfer, borough""", {"b": list(scope.with_total)})
    section = Section("reviews", "Annual reviews and phase transfers", "")
    due = [r for r in reviews if r["borough"] == scope.headline_borough and r["plans_due_review"]
           and r["calendar_year"] < scope.today.year]
    if not due:
        section.empty = "No completed year of annual reviews in the published marts."
        return section
    latest = due[-1]
    section.figures = [Figure("reviews.year", latest["calendar_year"], str(latest["calendar_year"])),
                       Figure("reviews.pc", latest["pc_reviews"], pct(latest["pc_reviews"])),
                       Figure("reviews.pc_decisions", latest["pc_decisions"], pct(latest["pc_decisions"]))]
    section.headline = (f"In {{reviews.year}}, {{reviews.pc}} of plans due a review in {scope.area} were "
                        "reviewed within 12 months, and {reviews.pc_decisions} of review decisions were "
                        "made within 4 weeks.")
    series = _per_borough(reviews, "calendar_year", "pc_reviews")
    title = "Annual reviews held within 12 months, by calendar year"
    section.charts.append((charts.lines(series, title=title, ylabel="% within 12 months", percent=True),
                           f"Line chart: {title}, per borough. Data in the table below."))
    section.tables.append(Table(["borough", "year", "plans due a review", "% within 12 months",
                                 "% decisions within 4 weeks"],
                                [[_label(r["borough"]), str(r["calendar_year"]),
                                  count_cell(r["plans_due_review"], scope.threshold),
                                  _rate(r["pc_reviews"], r["plans_due_review"], scope), cell(r["pc_decisions"])]
                                 for r in reviews], "annual_reviews (calendar years)"))
    if phases:
        section.tables.append(Table(["borough", "year", "phase transfer", "due", "finalised by the deadline",
                                     "% by the deadline"],
                                    [[_label(r["borough"]), str(r["transfer_year"]), r["phase_transfer"],
                                      count_cell(r["transfers_due"], scope.threshold),
                                      count_cell(r["finalised_by_deadline"], scope.threshold),
                                      _rate(r["pc_finalised"], r["transfers_due"], scope)] for r in phases],
                                    "phase_transfers (15 February for school phases, 31 March for post-16)"))
    return section


def _per_borough(found: list[dict], x: str, y: str) -> dict[str, list]:
    """{borough label: [(x, y), ...]}: one chart line per borough, in the rows' order."""
    series: dict[str, list] = defaultdict(list)
    for r in found:
        series[_label(r["borough"])].append((r[x], r[y]))
    return series


def _rate(rate, denominator, scope: Scope) -> str:
    """A rate is suppressed with its denominator: 1 of 3 is a child."""
    return "c" if count_cell(denominator, scope.threshold) == "c" else cell(rate)


def _label(borough: str) -> str:
    return "Tri-borough" if borough == "ALL" else borough
