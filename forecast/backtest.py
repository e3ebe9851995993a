"""Rolling-origin backtest on DfE's published caseloads: for each origin January, fit on
the data up to it, forecast 1-3 Januaries ahead, and compare with what DfE published.

Metrics per model and horizon, over every council and origin with an outcome:
WAPE = sum |forecast - actual| / sum actual; signed bias = sum (forecast - actual) / sum
actual; 80% coverage = share of outcomes inside the p10-p90 interval (the models with one).

Models: `combined_model` (the model: forecast.combination, chosen at each origin on earlier
origins only), `cohort_model` (forecast.aggregate) and `leading_indicators`
(forecast.leading), two of its inputs, and the baselines of
forecast.baselines (last value, 3-year linear trend, national growth, own growth, shrunk
growth). Forecasts are also made at origins before the scored ones (from
`first_validation`), so that the combination has earlier origins to choose on.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from forecast.aggregate import AggregateConfig
from forecast.baselines import BASELINES
from forecast.candidates import origin_forecasts
from forecast.combination import choose, combine, interval
from forecast.leading import NAME as LEADING
from forecast.published import PublishedSeries

MODEL = "combined_model"
MODELS = (MODEL, "cohort_model", LEADING) + BASELINES
WITH_INTERVALS = {MODEL: ("p10", "p90"), "cohort_model": ("cohort_p10", "cohort_p90")}


@dataclass
class BacktestResult:
    metrics: list[dict]          # one row per model and horizon
    origins: list[int]
    councils: int
    forecasts: list[dict]        # one row per council, origin, horizon (every model)
    choices: dict                # (origin, horizon) -> forecast.combination.Choice


def default_origins(series: PublishedSeries, horizon: int = 3, first: int = 2018) -> list[int]:
    """Every January from `first` (three years after the 2015 switch to 0-25 plans, once
    statement transfers were over) that has at least one later published year."""
    last = int(series.years.max())
    return [int(y) for y in series.years if first <= y < last]


def run_backtest(series: PublishedSeries, origins: list[int] | None = None, horizon: int = 3,
                 config: AggregateConfig | None = None, progress=None,
                 first_validation: int = 2013) -> BacktestResult:
    config = config or AggregateConfig()
    origins = origins or default_origins(series, horizon)
    years = [int(y) for y in series.years]
    totals = series.totals

    def actual(year: int) -> np.ndarray:
        return totals[:, years.index(year)] if year in years else np.full(len(totals), np.nan)

    by_origin = {}
    for origin in sorted(set(y for y in years if first_validation <= y < origins[0]) | set(origins)):
        if years.index(origin) < 2:
            continue
        by_origin[origin] = origin_forecasts(series, origin, horizon, config)
        if progress and origin in origins:
            progress(origin)
    rows, choices = [], {}
    for origin in origins:
        forecasts = by_origin[origin]
        t0 = years.index(origin)
        enough_history = np.isfinite(totals[:, t0 - 2:t0 + 1]).all(axis=1)
        for h in range(1, horizon + 1):
            if origin + h not in years:
                continue
            choice = choices[(origin, h)] = choose(by_origin, actual, origin, h)
            point = combine(forecasts, choice.subset, h)
            p10, p90 = interval(forecasts, point, h, choice.scale)
            outcome = actual(origin + h)
            for c in np.flatnonzero(enough_history & np.isfinite(outcome)
                                    & np.isfinite(forecasts["cohort_model"][:, h - 1])):
                row = {"la_key": str(series.la_keys[c]), "origin": origin, "horizon": h,
                       "actual": float(outcome[c]), MODEL: float(point[c]), "p10": float(p10[c]),
                       "p90": float(p90[c])}
                for name in ("cohort_model", "cohort_p10", "cohort_p90", LEADING) + BASELINES:
                    row[name] = float(forecasts[name][c, h - 1])
                rows.append(row)
    metrics = summarise(rows, horizon)
    councils = len({r["la_key"] for r in rows})
    return BacktestResult(metrics, origins, councils, rows, choices)


def summarise(rows: list[dict], horizon: int) -> list[dict]:
    out = []
    for model in MODELS:
        for h in range(1, horizon + 1):
            sel = [r for r in rows if r["horizon"] == h]
            if not sel:
                continue
            actual = np.array([r["actual"] for r in sel])
            forecast = np.array([r[model] for r in sel])
            coverage = None
            if model in WITH_INTERVALS:
                low, high = WITH_INTERVALS[model]
                lo, hi = np.array([r[low] for r in sel]), np.array([r[high] for r in sel])
                coverage = float(((actual >= lo) & (actual <= hi)).mean())
            out.append({"model": model, "horizon": h, "forecasts": len(sel),
                        "councils": len({r["la_key"] for r in sel}),
                        "origins": len({r["origin"] for r in sel}),
                        "first_origin": min(r["origin"] for r in sel),
                        "last_origin": max(r["origin"] for r in sel),
                        "wape": float(np.abs(forecast - actual).sum() / actual.sum()),
                        "bias": float((forecast - actual).sum() / actual.sum()),
                        "coverage_80": coverage})
    return out


def margins(metrics: list[dict]) -> dict[int, tuple[str, float]]:
    """horizon -> (the best baseline, its WAPE minus the model's: positive = model ahead)."""
    by = {(m["model"], m["horizon"]): m for m in metrics}
    out = {}
    for h in sorted({m["horizon"] for m in metrics}):
        if (MODEL, h) not in by:
            continue
        best = min((b for b in BASELINES if (b, h) in by), key=lambda b: by[(b, h)]["wape"])
        out[h] = (best, by[(best, h)]["wape"] - by[(MODEL, h)]["wape"])
    return out


def beats_baselines(metrics: list[dict]) -> tuple[bool, list[str]]:
    """The acceptance test: the model's WAPE below every baseline's at every horizon, 80%
    interval coverage between 75% and 85%. Returns (passed, reasons it did not)."""
    reasons = []
    by = {(m["model"], m["horizon"]): m for m in metrics}
    for h, (best, margin) in margins(metrics).items():
        if margin <= 0:
            reasons.append(f"horizon {h}: WAPE {by[(MODEL, h)]['wape']:.4f} not below {best} "
                           f"{by[(best, h)]['wape']:.4f}")
        coverage = by[(MODEL, h)]["coverage_80"]
        if coverage is not None and not 0.75 <= coverage <= 0.85:
            reasons.append(f"horizon {h}: 80% interval coverage {coverage:.3f} outside 0.75-0.85")
    return not reasons, reasons
