"""Every candidate forecast at one origin, from the published data up to it: the cohort
model on published counts (forecast.aggregate: p50 and its p10/p90), the baselines
(forecast.baselines) and the leading-indicator regression (forecast.leading). The
backtest and the combined model's choice (forecast.combination) read these per origin."""
from __future__ import annotations

import numpy as np

from forecast.aggregate import AggregateConfig, fit_aggregate, simulate_aggregate
from forecast.baselines import baseline_forecasts
from forecast.leading import NAME as LEADING
from forecast.leading import leading_forecast
from forecast.published import PublishedSeries


def origin_forecasts(series: PublishedSeries, origin: int, horizon: int, config: AggregateConfig) -> dict:
    """Every candidate's [c, h] forecast from the data up to `origin` (all councils; NaN
    where one cannot forecast: the cohort model needs two ratio years)."""
    years = [int(y) for y in series.years]
    out = baseline_forecasts(series.totals, years, origin, horizon)
    n = len(series.la_keys)
    p10, p50, p90 = (np.full((n, horizon), np.nan) for _ in range(3))
    if origin > config.first_ratio_year:               # two ratio years at least
        fit = fit_aggregate(series, origin, config)
        sims = simulate_aggregate(fit, horizon, rng=np.random.default_rng(config.seed + origin))
        idx = np.flatnonzero(fit.keep)
        p10[idx], p50[idx], p90[idx] = np.quantile(sims, [0.1, 0.5, 0.9], axis=2)
    out.update(cohort_model=p50, cohort_p10=p10, cohort_p90=p90)
    out[LEADING] = leading_forecast(series, origin, horizon)
    return out
