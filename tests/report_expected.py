"""The board report's headline figures computed straight from the marts, independently of
sendwh/report (tests compare the page against these)."""
from __future__ import annotations

from decimal import Decimal

PCT, NUMBER, MONEY, TEXT = "pct", "number", "money", "text"


def _one(conn, query: str, *args):
    return conn.execute(query, args).fetchone()


def expected_figures(conn) -> dict[str, tuple[object, str]]:
    """{data-key: (value, kind)} for every headline figure of the tri-borough report."""
    out: dict[str, tuple[object, str]] = {}
    year, pc_ex, pc_all, pc_6 = _one(conn, """
        select calendar_year, "PC_plans_issued_20_weeks_ex", pc_plans_issued_within_20_weeks,
               request_outcome_six_weeks_pc
        from marts.ehc_timeliness where borough = 'ALL' and plans_issued_den > 0
        order by calendar_year desc limit 1""")
    out |= {"timeliness.year": (year, TEXT), "timeliness.pc_ex": (pc_ex, PCT),
            "timeliness.pc_all": (pc_all, PCT), "timeliness.pc_6wk": (pc_6, PCT)}
    england = _one(conn, """
        select year, england_value from marts.benchmarks
        where measure = 'PC_plans_issued_20_weeks_ex' and england_value is not null
        order by year desc limit 1""")
    if england:
        out |= {"timeliness.england_year": (england[0], TEXT), "timeliness.england": (england[1], PCT)}
    breached, due, today = _one(conn, """
        select count(*) filter (where is_breached),
               count(*) filter (where not is_breached and days_left >= 0 and days_left <= 14),
               max(today_on)
        from marts.ehc_open_cases""")
    out |= {"worklist.breached": (breached, NUMBER), "worklist.due_14_days": (due, NUMBER),
            "worklist.today": (today, TEXT)}
    census = conn.execute("""
        select census_year, sum(ehcplans) from marts.ehcp_caseload where borough = 'ALL'
        group by 1 order by 1 desc limit 2""").fetchall()
    out |= {"caseload.year": (census[0][0], TEXT), "caseload.plans": (census[0][1], NUMBER)}
    if len(census) > 1:
        change = round(100 * (Decimal(census[0][1]) / Decimal(census[1][1]) - 1), 1)
        out |= {"caseload.change_pc": (change, TEXT), "caseload.previous_year": (census[1][0], TEXT)}
    milestone = _one(conn, """
        select month_start, transfers_done_since_programme_start, milestone_target, is_milestone_met
        from marts.statement_transfers where milestone_target is not null
        order by month_start desc limit 1""")
    if milestone:
        out |= {"transfers.month": (milestone[0], TEXT), "transfers.done": (milestone[1], NUMBER),
                "transfers.target": (milestone[2], NUMBER), "transfers.met": (milestone[3], TEXT)}
    review = _one(conn, """
        select calendar_year, pc_reviews_within_12_months, pc_decisions_within_4_weeks
        from marts.annual_reviews
        where period_type = 'year' and borough = 'ALL' and plans_due_review > 0
          and calendar_year < extract(year from (select max(today_on) from marts.ehc_open_cases))
        order by calendar_year desc limit 1""")
    out |= {"reviews.year": (review[0], TEXT), "reviews.pc": (review[1], PCT),
            "reviews.pc_decisions": (review[2], PCT)}
    fc = _one(conn, """
        select census_year, plans_p10, plans_p50, plans_p90 from marts.demand_forecast
        where borough = 'ALL' and age_band = 'all' and need_group = 'all' and placement_group = 'all'
          and scenario = 'baseline' order by census_year desc limit 1""")
    out |= {"forecast.year": (fc[0], TEXT), "forecast.p10": (fc[1], NUMBER), "forecast.p50": (fc[2], NUMBER),
            "forecast.p90": (fc[3], NUMBER)}
    fy, period, forecast, target, rag = _one(conn, """
        select fiscal_year, period, forecast_year_gbp, target_year_gbp, rag_status
        from marts.savings_delivery where savings_line = 'ALL'
        order by fiscal_year_start desc, period desc limit 1""")
    out |= {"finance.fiscal_year": (fy, TEXT), "finance.period": (period, TEXT),
            "finance.forecast": (forecast, MONEY), "finance.target": (target, MONEY), "finance.rag": (rag, TEXT)}
    payback = _one(conn, "select simple_payback_years from marts.invest_to_save_payback where basis = 'actual'")
    if payback and payback[0] is not None:
        out["finance.payback_actual"] = (payback[0], TEXT)
    run_id, status, run_at = _one(conn, "select run_id, run_status, run_at from audit.dq_scorecard "
                                        "order by run_at desc limit 1")
    checks, blocked, warned = _one(conn, """
        select count(*), count(*) filter (where not passed and severity = 'block'),
               count(*) filter (where not passed and severity = 'warn')
        from audit.dq_scorecard where run_id = %s""", run_id)
    out |= {"quality.checks": (checks, NUMBER), "quality.blocked": (blocked, NUMBER),
            "quality.warned": (warned, NUMBER), "quality.status": (status, TEXT),
            "quality.run_at": (run_at, TEXT)}
    return out


def same(page_value: str, expected: object) -> bool:
    """A `data` element's value attribute against the mart's value."""
    if isinstance(expected, (int, float, Decimal)) and not isinstance(expected, bool):
        return abs(Decimal(page_value) - Decimal(str(expected))) < Decimal("1e-9")
    if hasattr(expected, "isoformat"):
        return page_value == expected.isoformat()
    return page_value == str(expected)


def shown(text: str, expected: object, kind: str) -> bool:
    """The printed text against the mart's value, rounded as printed."""
    if kind == PCT:
        return text == f"{float(expected):.1f}%"
    if kind == NUMBER:
        return text.replace(",", "") == f"{float(expected):.0f}" or text == "c"
    if kind == MONEY:
        v = float(expected)
        return text == (f"£{v / 1e6:,.1f}m" if abs(v) >= 1e6 else f"£{v / 1e3:,.1f}k")
    return True
