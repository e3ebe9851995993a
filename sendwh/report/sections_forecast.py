"""The demand-forecast section: a fan chart (p10 to p90) per borough and tri-borough, after
the January census actuals, with the backtest's accuracy beside it: every model and
baseline by horizon (WAPE, signed bias, 80% coverage, the model's margin over the best
baseline) and a calibration chart (interval coverage by horizon against the 75-85% band)."""
from __future__ import annotations

from collections import defaultdict

import psycopg

from . import charts
from .model import Figure, Section, Table, cell, number
from .reading import Scope, rows


def forecast(conn: psycopg.Connection, scope: Scope) -> Section:
    paths = rows(conn, """
        select borough, census_year, plans_p10, plans_p50, plans_p90
        from marts.demand_forecast
        where age_band = 'all' and need_group = 'all' and placement_group = 'all'
          and scenario = 'baseline' and borough = any(%(b)s)
        order by borough, census_year""", {"b": list(scope.with_total)})
    actuals = rows(conn, """
        select borough, census_year, sum(ehcplans)::int as plans
        from marts.ehcp_caseload where borough = any(%(b)s) group by 1, 2 order by 1, 2""",
                   {"b": list(scope.with_total)})
    backtest = rows(conn, """
        select model, horizon_years, wape, bias, coverage_80, is_lowest_wape, margin_over_best_baseline
        from marts.forecast_backtest order by horizon_years, wape""")
    section = Section("forecast", "Demand forecast: EHC plans at future January censuses", "")
    if not paths:
        section.empty = "No forecast in the published marts (it runs after publishing)."
        return section
    head = [p for p in paths if p["borough"] == scope.headline_borough] or paths
    last = head[-1]
    section.figures = [Figure("forecast.year", last["census_year"], str(last["census_year"])),
                       Figure("forecast.p50", last["plans_p50"], number(last["plans_p50"])),
                       Figure("forecast.p10", last["plans_p10"], number(last["plans_p10"])),
                       Figure("forecast.p90", last["plans_p90"], number(last["plans_p90"]))]
    section.headline = (f"The model expects {{forecast.p50}} EHC plans in {scope.area} at the January "
                        "{forecast.year} census, with an 80% range of {forecast.p10} to {forecast.p90}.")
    history = defaultdict(list)
    for a in actuals:
        history[a["borough"]].append((a["census_year"], a["plans"]))
    fans = defaultdict(list)
    for p in paths:
        fans[p["borough"]].append((p["census_year"], p["plans_p10"], p["plans_p50"], p["plans_p90"]))
    for borough in scope.with_total:
        if borough in fans:
            name = "Tri-borough" if borough == "ALL" else borough
            section.charts.append((charts.fan(history[borough][-6:], fans[borough], title=name, ylabel="plans"),
                                   f"Fan chart for {name}: actual plans at the last January censuses, then "
                                   "the median forecast and its 80% range. Data in the tables below."))
    section.tables.append(Table(["borough", "census year", "p10", "median (p50)", "p90"],
                                [["Tri-borough" if p["borough"] == "ALL" else p["borough"], str(p["census_year"]),
                                  cell(p["plans_p10"]), cell(p["plans_p50"]), cell(p["plans_p90"])] for p in paths],
                                "demand_forecast (all ages, needs and placements; baseline scenario)"))
    if backtest:
        coverage = defaultdict(list)
        for b in backtest:
            if b["coverage_80"] is not None:
                coverage[MODEL_NAMES.get(b["model"], b["model"])].append(
                    (b["horizon_years"], 100 * float(b["coverage_80"])))
        if coverage:
            section.charts.append((charts.calibration({m: sorted(p) for m, p in coverage.items()},
                                                      title="Calibration: 80% interval coverage by horizon"),
                                   "Calibration: the share of past outcomes inside each model's 80% interval, "
                                   "by years ahead, against the 75-85% target band. Data in the backtest "
                                   "table below."))
        section.tables.append(Table(["model", "horizon (years)", "WAPE", "signed bias", "80% coverage",
                                     "margin over best baseline", "most accurate"],
                                    [[MODEL_NAMES.get(b["model"], b["model"]), b["horizon_years"],
                                      _share(b["wape"]), _share(b["bias"]), _share(b["coverage_80"]),
                                      _points(b["margin_over_best_baseline"]),
                                      "yes" if b["is_lowest_wape"] else ""]
                                     for b in backtest],
                                    "forecast_backtest: rolling-origin backtest on DfE's published caseloads "
                                    "(WAPE: weighted absolute percentage error; lower is better)"))
    return section


MODEL_NAMES = {"combined_model": "combined model", "cohort_model": "cohort model",
               "leading_indicators": "leading indicators",
               "last_value": "last value", "linear_trend_3y": "linear trend (3 years)",
               "national_growth": "England's growth", "own_growth": "own growth",
               "shrunk_growth": "shrunk growth"}


def _points(value) -> str:
    return "" if value is None else f"{100 * float(value):+.2f} pts"


def _share(value) -> str:
    return "" if value is None else f"{100 * float(value):.1f}%"
