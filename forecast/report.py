"""Reading forecast tables back for people: the demo's lines and rich tables."""
from __future__ import annotations

from rich.table import Table

MODEL_LABELS = {"combined_model": "combined model", "cohort_model": "cohort model",
                "leading_indicators": "leading indicators",
                "last_value": "last value carried forward", "linear_trend_3y": "linear trend, last 3 years",
                "national_growth": "England's growth", "own_growth": "own growth",
                "shrunk_growth": "shrunk growth"}


def tri_borough_summary_lines(conn, scenario: str = "baseline") -> list[str]:
    """The tri-borough forecast of EHC plans for the next three Januaries, p50 with the
    p10-p90 interval, then each borough's; and the backtest's headline when present."""
    exists = conn.execute("select to_regclass('forecast.demand') is not null").fetchone()[0]
    if not exists:
        return ["no forecast yet (run `sendwh forecast run`)"]
    rows = conn.execute(
        "select borough, census_year, plans_p10, plans_p50, plans_p90 from forecast.demand "
        "where age_band = 'all' and need_group = 'all' and placement_group = 'all' "
        "and scenario = %s order by borough = 'ALL' desc, borough, census_year", (scenario,)).fetchall()
    if not rows:
        return ["no forecast yet (run `sendwh forecast run`)"]
    label = "" if scenario == "baseline" else f", scenario {scenario}"
    lines = [f"EHC plans forecast at the January census (median, 80% interval p10-p90{label}):"]
    current = None
    for borough, year, p10, p50, p90 in rows:
        if borough != current:
            lines.append("  tri-borough:" if borough == "ALL" else f"  {borough}:")
            current = borough
        lines.append(f"    January {year}: {float(p50):,.0f} ({float(p10):,.0f}-{float(p90):,.0f})")
    backtest = conn.execute(
        "select model, horizon_years, wape, coverage_80, councils, origins from forecast.backtest "
        "order by model, horizon_years").fetchall() if conn.execute(
        "select to_regclass('forecast.backtest') is not null").fetchone()[0] else []
    if backtest:
        by = {(m, h): (float(w), c) for m, h, w, c, _, _ in backtest}
        councils = max(r[4] for r in backtest)
        lines.append(f"  backtest on {councils} councils' published caseloads, WAPE by horizon "
                     "(model / last value / 3-year trend / shrunk growth), 80% coverage:")
        for h in sorted({h for _, h in by}):
            model = by.get(("combined_model", h)) or by.get(("cohort_model", h))
            if not model:
                continue
            last = by.get(("last_value", h), (float("nan"),))[0]
            trend = by.get(("linear_trend_3y", h), (float("nan"),))[0]
            shrunk = by.get(("shrunk_growth", h), (float("nan"),))[0]
            cover = f"{float(model[1]):.0%}" if model[1] is not None else "-"
            lines.append(f"    {h} year(s) ahead: {model[0]:.1%} / {last:.1%} / {trend:.1%} / {shrunk:.1%}, "
                         f"coverage {cover}")
    return lines


def backtest_table(metrics: list[dict], title: str) -> Table:
    table = Table(title=title)
    for column in ("model", "horizon", "WAPE", "bias", "80% coverage", "forecasts", "councils", "origins"):
        table.add_column(column, justify="left" if column == "model" else "right")
    for m in metrics:
        table.add_row(MODEL_LABELS.get(m["model"], m["model"]), str(m["horizon"]), f"{m['wape']:.2%}",
                      f"{m['bias']:+.2%}", "-" if m["coverage_80"] is None else f"{m['coverage_80']:.1%}",
                      str(m["forecasts"]), str(m["councils"]),
                      f"{m['first_origin']}-{m['last_origin']} ({m['origins']})")
    return table
