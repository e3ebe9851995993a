"""The simple rules council analysts already forecast caseloads with, each fitted only on
the published totals up to the origin (`totals[c, t]`, January years `years[t]`):

- last value: the count at the origin carried forward;
- linear trend 3y: a straight line through the last three Januaries;
- national growth: the council's last count times England's last year-on-year ratio,
  compounded (England = the sum over councils published in both years);
- own growth: the council's last year-on-year ratio carried forward;
- shrunk growth: the council's recent growth, a mix of its one- and three-year average log
  growth, shrunk towards England's last log growth:
      g = g_england + w * (a * g1 + (1 - a) * g3 - g_england)
  with (w, a) chosen per horizon on earlier origins only (`choose_shrinkage`), the ones
  whose outcome was published by the origin.
"""
from __future__ import annotations

import numpy as np

WEIGHTS = np.round(np.linspace(0.0, 1.0, 11), 2)       # w: 0 = England's growth, 1 = the council's
MIXES = (0.0, 0.25, 0.5, 0.75, 1.0)                     # a: share of one-year growth in the council's
DEFAULT_SHRINKAGE = (0.5, 0.5)                          # when there is no earlier origin to choose on


def _at(years, year: int) -> int | None:
    years = [int(y) for y in years]
    return years.index(year) if year in years else None


def last_value(totals: np.ndarray, t0: int, horizon: int) -> np.ndarray:
    return np.repeat(totals[:, t0:t0 + 1], horizon, axis=1)


def linear_trend(totals: np.ndarray, t0: int, horizon: int) -> np.ndarray:
    """A least-squares line through the last three Januaries, extended (never below 0)."""
    history = totals[:, t0 - 2:t0 + 1] if t0 >= 2 else np.full((len(totals), 3), np.nan)
    x = np.array([-2.0, -1.0, 0.0])
    xc = x - x.mean()
    slope = (history - history.mean(axis=1, keepdims=True)) @ xc / (xc ** 2).sum()
    steps = np.arange(1, horizon + 1)
    return np.maximum(history.mean(axis=1, keepdims=True) + slope[:, None] * (steps[None] - x.mean()), 0)


def england_log_growth(totals: np.ndarray, t0: int, years_back: int = 1) -> float:
    """England's average yearly log growth over the `years_back` years to t0, from the
    councils published at both ends."""
    if t0 < years_back:
        return np.nan
    both = np.isfinite(totals[:, t0]) & np.isfinite(totals[:, t0 - years_back])
    if not both.any():
        return np.nan
    return float(np.log(totals[both, t0].sum() / totals[both, t0 - years_back].sum()) / years_back)


def council_log_growth(totals: np.ndarray, t0: int, years_back: int = 1) -> np.ndarray:
    if t0 < years_back:
        return np.full(len(totals), np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.log(totals[:, t0] / totals[:, t0 - years_back]) / years_back


def compound(totals: np.ndarray, t0: int, growth, horizon: int) -> np.ndarray:
    """[c, h] the count at t0 times exp(growth * h)."""
    steps = np.arange(1, horizon + 1)
    growth = np.broadcast_to(np.asarray(growth, dtype=float), (len(totals),))
    return totals[:, t0:t0 + 1] * np.exp(growth[:, None] * steps[None])


def national_growth(totals: np.ndarray, t0: int, horizon: int) -> np.ndarray:
    return compound(totals, t0, england_log_growth(totals, t0), horizon)


def own_growth(totals: np.ndarray, t0: int, horizon: int) -> np.ndarray:
    return compound(totals, t0, council_log_growth(totals, t0), horizon)


def shrunk_log_growth(totals: np.ndarray, t0: int, weight: float, mix: float) -> np.ndarray:
    england = england_log_growth(totals, t0)
    one, three = council_log_growth(totals, t0, 1), council_log_growth(totals, t0, 3)
    one = np.where(np.isfinite(one), one, england)          # too short a history: England's
    three = np.where(np.isfinite(three), three, one)
    return england + weight * (mix * one + (1 - mix) * three - england)


def shrunk_growth(totals: np.ndarray, t0: int, horizon: int, weight: float, mix: float) -> np.ndarray:
    return compound(totals, t0, shrunk_log_growth(totals, t0, weight, mix), horizon)


def choose_shrinkage(totals: np.ndarray, years, origin: int, horizon: int,
                     first: int | None = None) -> tuple[float, float]:
    """(w, a) with the lowest WAPE h years ahead over the earlier origins o with
    o + h <= origin (their outcome published by the origin) and three years of history;
    only totals up to the origin are read. DEFAULT_SHRINKAGE when there is none."""
    t_origin = _at(years, origin)
    years = [int(y) for y in years]
    seen = totals[:, :t_origin + 1]
    candidates = [t for t in range(3, t_origin + 1 - horizon) if first is None or years[t] >= first]
    if not candidates:
        return DEFAULT_SHRINKAGE
    best, best_error = DEFAULT_SHRINKAGE, np.inf
    for weight in WEIGHTS:
        for mix in MIXES:
            error = total = 0.0
            for t in candidates:
                forecast = shrunk_growth(seen, t, horizon, weight, mix)[:, -1]
                actual = seen[:, t + horizon]
                ok = np.isfinite(forecast) & np.isfinite(actual)
                error += np.abs(forecast[ok] - actual[ok]).sum()
                total += actual[ok].sum()
            if total and error / total < best_error - 1e-12:
                best, best_error = (float(weight), float(mix)), error / total
    return best


BASELINES = ("last_value", "linear_trend_3y", "national_growth", "own_growth", "shrunk_growth")


def baseline_forecasts(totals: np.ndarray, years, origin: int, horizon: int) -> dict[str, np.ndarray]:
    """Every baseline's [c, h] forecast from the totals up to `origin` (later ones unread)."""
    t0 = _at(years, origin)
    seen = totals[:, :t0 + 1]
    shrunk = np.stack([shrunk_growth(seen, t0, horizon, *choose_shrinkage(seen, years[:t0 + 1], origin, h))[:, h - 1]
                       for h in range(1, horizon + 1)], axis=1)
    return {"last_value": last_value(seen, t0, horizon), "linear_trend_3y": linear_trend(seen, t0, horizon),
            "national_growth": national_growth(seen, t0, horizon), "own_growth": own_growth(seen, t0, horizon),
            "shrunk_growth": shrunk}
