"""Forecasts for every council from DfE's published series (the aggregate cohort model)."""
from __future__ import annotations

import csv

import numpy as np

from forecast.aggregate import AggregateConfig, fit_aggregate, simulate_aggregate
from forecast.published import PublishedSeries, academic_code

CSV_COLUMNS = ("new_la_code", "la_name", "time_period", "ehcplans_p10", "ehcplans_p50", "ehcplans_p90")


def forecast_published(series: PublishedSeries, origin: int, horizon: int = 3,
                       config: AggregateConfig | None = None) -> list[dict]:
    """One row per council with a published count at the origin January and per forecast
    year (time_period as DfE writes academic years)."""
    config = config or AggregateConfig()
    fit = fit_aggregate(series, origin, config)
    sims = simulate_aggregate(fit, horizon, rng=np.random.default_rng(config.seed + origin))
    p10, p50, p90 = np.quantile(sims, [0.1, 0.5, 0.9], axis=2)
    rows = []
    for i, c in enumerate(np.flatnonzero(fit.keep)):
        for h in range(1, horizon + 1):
            rows.append({"new_la_code": str(series.new_la_codes[c]), "la_name": str(series.la_names[c]),
                         "time_period": academic_code(origin + h),
                         "ehcplans_p10": int(round(p10[i, h - 1])), "ehcplans_p50": int(round(p50[i, h - 1])),
                         "ehcplans_p90": int(round(p90[i, h - 1]))})
    return rows


def write_csv(rows: list[dict], path) -> None:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=CSV_COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
