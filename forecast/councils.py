"""Forecasts for every council from DfE's published series: the combined model
(forecast.combination), its mix and interval width chosen on the origins before the
forecast origin, exactly as the backtest scores it."""
from __future__ import annotations

import csv

import numpy as np

from forecast.aggregate import AggregateConfig
from forecast.candidates import origin_forecasts
from forecast.combination import choose, combine, interval
from forecast.published import PublishedSeries, academic_code

CSV_COLUMNS = ("new_la_code", "la_name", "time_period", "ehcplans_p10", "ehcplans_p50", "ehcplans_p90")
FIRST_VALIDATION = 2013     # the backtest's: the baselines' earliest origin to choose on


def forecast_published(series: PublishedSeries, origin: int, horizon: int = 3,
                       config: AggregateConfig | None = None) -> list[dict]:
    """One row per council with a published count at the origin January and per forecast
    year (time_period as DfE writes academic years)."""
    config = config or AggregateConfig()
    series = series.upto(origin)
    years = [int(y) for y in series.years]
    by_origin = {o: origin_forecasts(series, o, horizon, config)
                 for o in years if FIRST_VALIDATION <= o <= origin and years.index(o) >= 2}

    def actual(year: int) -> np.ndarray:
        return series.totals[:, years.index(year)]

    forecasts = by_origin[origin]
    columns = []
    for h in range(1, horizon + 1):
        choice = choose(by_origin, actual, origin, h)
        point = combine(forecasts, choice.subset, h)
        columns.append((point, *interval(forecasts, point, h, choice.scale)))
    rows = []
    finite = np.stack([np.isfinite(np.stack(column)).all(axis=0) for column in columns]).all(axis=0)
    for c in np.flatnonzero(finite & np.isfinite(forecasts["cohort_model"]).all(axis=1)):
        for h, (p50, p10, p90) in enumerate(columns, start=1):
            rows.append({"new_la_code": str(series.new_la_codes[c]), "la_name": str(series.la_names[c]),
                         "time_period": academic_code(origin + h),
                         "ehcplans_p10": int(round(p10[c])), "ehcplans_p50": int(round(p50[c])),
                         "ehcplans_p90": int(round(p90[c]))})
    return rows


def write_csv(rows: list[dict], path) -> None:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=CSV_COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
