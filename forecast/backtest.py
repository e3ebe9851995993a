"""Rolling-origin backtest on DfE's published caseloads: for each origin January, fit on
the data up to it, forecast 1-3 Januaries ahead, and compare with what DfE published.

Metrics per model and horizon, over every council and origin with an outcome:
WAPE = sum |forecast - actual| / sum actual; signed bias = sum (forecast - actual) / sum
actual; 80% coverage = share of outcomes inside the p10-p90 interval (the model only).
Baselines: the last value carried forward, and a straight line fitted to the council's
last three years.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from forecast.aggregate import AggregateConfig, fit_aggregate, simulate_aggregate
from forecast.published import PublishedSeries

MODELS = ("cohort_model", "last_value", "linear_trend_3y")


@dataclass
class BacktestResult:
    metrics: list[dict]          # one row per model and horizon
    origins: list[int]
    councils: int
    forecasts: list[dict]        # one row per council, origin, horizon (model and baselines)


def default_origins(series: PublishedSeries, horizon: int = 3, first: int = 2018) -> list[int]:
    """Every January from `first` (three years after the 2015 switch to 0-25 plans, once
    statement transfers were over) that has at least one later published year."""
    last = int(series.years.max())
    return [int(y) for y in series.years if first <= y < last]


def baselines(history: np.ndarray, horizon: int) -> tuple[np.ndarray, np.ndarray]:
    """history [c, 3] the last three Januaries -> (last value, 3-year linear trend) [c, h]."""
    x = np.array([-2.0, -1.0, 0.0])
    xc = x - x.mean()
    slope = (history - history.mean(axis=1, keepdims=True)) @ xc / (xc ** 2).sum()
    steps = np.arange(1, horizon + 1)
    last = np.repeat(history[:, -1:], horizon, axis=1)
    linear = np.maximum(history.mean(axis=1, keepdims=True) + slope[:, None] * (steps[None] - x.mean()), 0)
    return last, linear


def run_backtest(series: PublishedSeries, origins: list[int] | None = None, horizon: int = 3,
                 config: AggregateConfig | None = None, progress=None) -> BacktestResult:
    config = config or AggregateConfig()
    origins = origins or default_origins(series, horizon)
    years = list(series.years)
    rows = []
    for origin in origins:
        fit = fit_aggregate(series, origin, config)
        sims = simulate_aggregate(fit, horizon, rng=np.random.default_rng(config.seed + origin))
        p10, p50, p90 = np.quantile(sims, [0.1, 0.5, 0.9], axis=2)
        idx = np.flatnonzero(fit.keep)
        totals = series.totals[idx]
        t0 = years.index(origin)
        history = totals[:, t0 - 2: t0 + 1] if t0 >= 2 else np.full((len(idx), 3), np.nan)
        last, linear = baselines(history, horizon)
        for h in range(1, horizon + 1):
            if origin + h not in years:
                continue
            actual = totals[:, years.index(origin + h)]
            for i, c in enumerate(idx):
                if not (np.isfinite(actual[i]) and np.isfinite(history[i]).all()):
                    continue
                rows.append({"la_key": str(series.la_keys[c]), "origin": origin, "horizon": h,
                             "actual": float(actual[i]), "cohort_model": float(p50[i, h - 1]),
                             "p10": float(p10[i, h - 1]), "p90": float(p90[i, h - 1]),
                             "last_value": float(last[i, h - 1]), "linear_trend_3y": float(linear[i, h - 1])})
        if progress:
            progress(origin)
    metrics = summarise(rows, horizon)
    councils = len({r["la_key"] for r in rows})
    return BacktestResult(metrics, origins, councils, rows)


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
            if model == "cohort_model":
                lo, hi = np.array([r["p10"] for r in sel]), np.array([r["p90"] for r in sel])
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


def beats_baselines(metrics: list[dict]) -> tuple[bool, list[str]]:
    """The acceptance test: WAPE below both baselines at every horizon, 80% interval
    coverage between 70% and 90%. Returns (passed, reasons it did not)."""
    reasons = []
    by = {(m["model"], m["horizon"]): m for m in metrics}
    for (model, h), m in by.items():
        if model != "cohort_model":
            continue
        for base in MODELS[1:]:
            if (base, h) in by and m["wape"] >= by[(base, h)]["wape"]:
                reasons.append(f"horizon {h}: WAPE {m['wape']:.4f} not below {base} {by[(base, h)]['wape']:.4f}")
        if m["coverage_80"] is not None and not 0.7 <= m["coverage_80"] <= 0.9:
            reasons.append(f"horizon {h}: 80% interval coverage {m['coverage_80']:.3f} outside 0.70-0.90")
    return not reasons, reasons
