"""The finance section: savings delivery RAG per line, the invest-to-save position and its
payback (planned against actual), high-needs spend against budget."""
from __future__ import annotations

import psycopg

from . import charts
from .model import Figure, Section, Table, cell, money
from .reading import Scope, rows

RAG = {"green": "Green (on track)", "amber": "Amber (at risk)", "red": "Red (off track)"}


def finance(conn: psycopg.Connection, scope: Scope) -> Section:
    savings = rows(conn, """
        select savings_line, fiscal_year, period, target_year_gbp, achieved_to_date_gbp,
               forecast_year_gbp, at_risk_gbp, rag_status
        from marts.savings_delivery
        where (fiscal_year_start, period) = (
            select fiscal_year_start, max(period) from marts.savings_delivery
            where fiscal_year_start = (select max(fiscal_year_start) from marts.savings_delivery)
            group by 1)
        order by savings_line = 'ALL' desc, savings_line""")
    invest = rows(conn, """
        select fiscal_year, cumulative_planned_net_gbp, cumulative_actual_net_gbp, periods_loaded
        from marts.invest_to_save where line = 'ALL' order by fiscal_year_start""")
    payback = {r["basis"]: r for r in rows(conn, "select * from marts.invest_to_save_payback")}
    spend = rows(conn, """
        select borough, fiscal_year, sum(budget_gbp) as budget, sum(actual_gbp) as actual,
               sum(forecast_gbp) as forecast
        from marts.high_needs_spend
        where is_high_needs_block and borough = any(%(b)s)
          and fiscal_year_start = (select max(fiscal_year_start) from marts.high_needs_spend)
        group by 1, 2 order by borough = 'ALL', borough""", {"b": list(scope.with_total)})
    section = Section("finance", "Savings delivery, invest to save and high-needs spend", "")
    if not savings:
        section.empty = "No ledger loaded yet: the finance marts are empty."
        return section
    total = savings[0]
    section.figures = [Figure("finance.fiscal_year", total["fiscal_year"], total["fiscal_year"]),
                       Figure("finance.period", total["period"], str(total["period"])),
                       Figure("finance.forecast", total["forecast_year_gbp"], money(total["forecast_year_gbp"])),
                       Figure("finance.target", total["target_year_gbp"], money(total["target_year_gbp"])),
                       Figure("finance.rag", total["rag_status"], total["rag_status"].upper())]
    section.headline = ("Savings in {finance.fiscal_year} to period {finance.period}: forecast "
                        "{finance.forecast} against the target of {finance.target} ({finance.rag})")
    if "actual" in payback and payback["actual"]["simple_payback_years"] is not None:
        value = payback["actual"]["simple_payback_years"]
        section.figures.append(Figure("finance.payback_actual", value, f"{float(value):.1f} years"))
        section.headline += "; invest to save pays back in {finance.payback_actual} on actual figures"
    section.headline += "."
    if invest:
        years = [r["fiscal_year"] for r in invest]
        title = "Invest to save: cumulative net position, planned against actual"
        section.charts.append((charts.lines({
            "planned (business case)": [(r["fiscal_year"], r["cumulative_planned_net_gbp"]) for r in invest],
            "actual": [(r["fiscal_year"], r["cumulative_actual_net_gbp"]) for r in invest if r["periods_loaded"]],
        }, title=title, ylabel="cumulative net", reference={"break-even": 0}, money=True),
            f"Line chart: {title}, by fiscal year {years[0]} to {years[-1]}. Data in the table below."))
    if spend:
        title_s = f"High-needs block spend in {spend[0]['fiscal_year']}: budget, actual to date and forecast"
        section.charts.append((charts.bars([("Tri-borough" if r["borough"] == "ALL" else r["borough"])
                                            for r in spend],
                                           {"budget": [r["budget"] for r in spend],
                                            "actual to date": [r["actual"] for r in spend],
                                            "forecast outturn": [r["forecast"] for r in spend]},
                                           title=title_s, ylabel="spend", money=True),
                               f"Bar chart: {title_s}, per borough. Data in the table below."))
    section.tables.append(Table(["savings line", "target for the year", "achieved to date", "forecast",
                                 "at risk", "RAG"],
                                [[r["savings_line"], money(r["target_year_gbp"]), money(r["achieved_to_date_gbp"]),
                                  money(r["forecast_year_gbp"]), money(r["at_risk_gbp"]),
                                  RAG.get(r["rag_status"], r["rag_status"])] for r in savings],
                                f"savings_delivery, {total['fiscal_year']} period {total['period']}"))
    if payback:
        section.tables.append(Table(["basis", "investment", "annual savings", "simple payback (years)",
                                     "discounted payback (years)"],
                                    [[basis, money(r["investment_gbp"]), money(r["annual_savings_gbp"]),
                                      cell(r["simple_payback_years"]), cell(r["discounted_payback_years"])]
                                     for basis, r in payback.items()], "invest_to_save_payback"))
    if invest:
        section.tables.append(Table(["fiscal year", "cumulative planned net", "cumulative actual net"],
                                    [[r["fiscal_year"], money(r["cumulative_planned_net_gbp"]),
                                      money(r["cumulative_actual_net_gbp"]) if r["periods_loaded"] else ""]
                                     for r in invest], "invest_to_save (all lines)"))
    if spend:
        section.tables.append(Table(["borough", "budget", "actual to date", "forecast outturn"],
                                    [["Tri-borough" if r["borough"] == "ALL" else r["borough"], money(r["budget"]),
                                      money(r["actual"]), money(r["forecast"])] for r in spend],
                                    "high_needs_spend (high-needs block lines)"))
    return section
