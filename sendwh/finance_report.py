"""The savings position and invest-to-save payback, as lines of text for `sendwh demo`.

Reads only the published finance marts (savings_delivery, invest_to_save_payback,
business_case_checks, ledger_unmapped_cost_centres)."""
from __future__ import annotations

from decimal import Decimal

import psycopg


def _k(value: Decimal | float | None) -> str:
    """£ as £000 with one decimal: 224000 -> '£224.0k'."""
    return "n/a" if value is None else f"£{float(value) / 1000:,.1f}k"


def _years(value: Decimal | float | None) -> str:
    return "not yet" if value is None else f"{float(value):.2f} years"


def finance_summary_lines(conn: psycopg.Connection, schema: str = "marts") -> list[str]:
    """The latest savings position by line and the programme's payback, planned and actual.
    Empty when the finance marts hold no ledger data yet."""
    lines: list[str] = []
    savings = conn.execute(f"""
        with latest as (
            select fiscal_year_start, max(period) as period
            from {schema}.savings_delivery
            where fiscal_year_start = (select max(fiscal_year_start) from {schema}.savings_delivery)
            group by 1
        )
        select s.savings_line, s.fiscal_year, s.period, s.target_year_gbp, s.target_to_date_gbp,
               s.achieved_to_date_gbp, s.forecast_year_gbp, s.at_risk_gbp, s.undeliverable_gbp,
               s.rag_status
        from {schema}.savings_delivery s
        join latest using (fiscal_year_start, period)
        order by s.savings_line = 'ALL' desc, s.savings_line""").fetchall()
    if savings:
        (_, fy, period, target, to_date, achieved, forecast, at_risk, undeliverable,
         rag) = savings[0]
        lines.append(f"Savings {fy} to period {period}: achieved {_k(achieved)} against "
                     f"{_k(to_date)} due to date; forecast {_k(forecast)} for the year against "
                     f"the target {_k(target)} ({rag.upper()}); at risk {_k(at_risk)}, "
                     f"undeliverable {_k(undeliverable)}")
        for (line, _, _, target, _, achieved, forecast, at_risk, undeliverable,
             rag) in savings[1:]:
            lines.append(f"  {line:<16} achieved {_k(achieved):>9}  forecast {_k(forecast):>9}"
                         f" of {_k(target):>9}  at risk {_k(at_risk):>8}  undeliverable "
                         f"{_k(undeliverable):>8}  {rag}")
    payback = {row[0]: row[1:] for row in conn.execute(f"""
        select basis, investment_gbp, annual_savings_gbp, savings_years_1_5_gbp,
               savings_years_1_10_gbp, simple_payback_years, simple_payback_years_1dp,
               discounted_payback_years, discount_rate
        from {schema}.invest_to_save_payback""").fetchall()}
    if "planned" in payback:
        p_inv, p_year, p_5, p_10, p_pay, p_pay1, p_disc, rate = payback["planned"]
        a_inv, a_year, a_5, a_10, a_pay, _, a_disc, _ = payback.get("actual", (None,) * 8)
        lines.append(f"Invest-to-save: invested {_k(a_inv)} against {_k(p_inv)} planned; "
                     f"savings {_k(a_year)} a year against {_k(p_year)}")
        lines.append(f"  payback {_years(a_pay)} actual, {_years(p_pay)} planned "
                     f"(the case: {float(p_pay1):.1f}); discounted at {float(rate):.1%}: "
                     f"{_years(a_disc)} actual, {_years(p_disc)} planned")
        lines.append(f"  savings years 1-5 {_k(a_5)} (plan {_k(p_5)}), years 1-10 {_k(a_10)} "
                     f"(plan {_k(p_10)})")
    for table, row, column, printed, computed in conn.execute(f"""
            select case_table, row_item, column_item, printed_value, computed_value
            from {schema}.business_case_checks where not is_consistent
            order by 1, 2, 3""").fetchall():
        lines.append(f"Business case check: {table} {row} {column} printed as {float(printed):g}, "
                     f"its lines add to {float(computed):g}")
    (unmapped, actual), = conn.execute(f"""
        select count(*), coalesce(sum(actual_gbp), 0)
        from {schema}.ledger_unmapped_cost_centres""").fetchall()
    lines.append(f"Ledger cost centres with no mapping: {unmapped}"
                 + (f" ({_k(actual)} of actuals, see marts.ledger_unmapped_cost_centres)"
                    if unmapped else ""))
    return lines
