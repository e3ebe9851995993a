"""The combined model: an equal-weight average of a subset of forecasts (the cohort model,
the leading-indicator regression and the baselines), the subset and the interval width
chosen by a nested procedure.

At origin o and horizon h the choice looks only at earlier origins v and horizons k <= h
whose outcome was published by o (v + k <= o), each forecast there made from the data up
to v. Every non-empty subset of the candidates is scored by WAPE on those (v, k) pairs and
the lowest wins; with no such pair, the cohort model alone. The 80% interval is the
cohort model's p10-p90, moved with the point forecast (times combined / cohort p50) and
widened or narrowed on the log scale by s, chosen the same way: the s whose coverage on the
earlier pairs is nearest 80%.
"""
from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations

import numpy as np

CANDIDATES = ("cohort_model", "leading_indicators", "last_value", "linear_trend_3y", "national_growth",
              "own_growth", "shrunk_growth")
SUBSETS = tuple(c for r in range(1, len(CANDIDATES) + 1) for c in combinations(CANDIDATES, r))
SCALES = tuple(np.round(np.arange(0.5, 2.01, 0.05), 2))
DEFAULT = ("cohort_model",)


@dataclass
class Choice:
    subset: tuple[str, ...]
    scale: float
    pairs: list[tuple[int, int]]       # the (origin, horizon) pairs it was chosen on


def combine(forecasts: dict[str, np.ndarray], subset, h: int) -> np.ndarray:
    """[c] the average of the subset's forecasts h years ahead (of those a council has: a
    short series has no 3-year trend; NaN if it has none of them)."""
    stacked = np.array([forecasts[name][:, h - 1] for name in subset])
    finite = np.isfinite(stacked)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(finite.any(axis=0), np.nansum(stacked, axis=0) / finite.sum(axis=0), np.nan)


def interval(forecasts: dict[str, np.ndarray], point: np.ndarray, h: int, scale: float):
    """(p10, p90) [c]: the cohort model's interval moved to `point`, its log width x scale."""
    centre = forecasts["cohort_model"][:, h - 1]
    with np.errstate(divide="ignore", invalid="ignore"):
        low = point * (forecasts["cohort_p10"][:, h - 1] / centre) ** scale
        high = point * (forecasts["cohort_p90"][:, h - 1] / centre) ** scale
    return low, high


def earlier_pairs(by_origin: dict[int, dict], origin: int, horizon: int) -> list[tuple[int, int]]:
    """(v, k): k <= horizon, v + k <= origin, a cohort model forecast made at v."""
    return [(v, k) for v in sorted(by_origin) for k in range(1, horizon + 1)
            if v + k <= origin and np.isfinite(by_origin[v]["cohort_model"][:, k - 1]).any()]


def choose(by_origin: dict[int, dict], actual, origin: int, horizon: int) -> Choice:
    """by_origin: origin -> forecasts (CANDIDATES, cohort_p10, cohort_p90: [c, h]);
    actual(year) -> [c] published totals, asked only for years up to `origin`."""
    pairs = earlier_pairs(by_origin, origin, horizon)
    if not pairs:
        return Choice(DEFAULT, 1.0, [])
    scored = []
    for v, k in pairs:
        if v + k > origin:                       # never: the guard the tests rely on
            raise AssertionError("a pair after the origin")
        outcome = actual(v + k)
        forecasts = by_origin[v]
        ok = np.isfinite(outcome)
        for name in CANDIDATES + ("cohort_p10", "cohort_p90"):
            ok &= np.isfinite(forecasts[name][:, k - 1])
        scored.append((forecasts, k, ok, outcome))
    total = sum(outcome[ok].sum() for _, _, ok, outcome in scored)
    errors = [sum(np.abs(combine(f, subset, k)[ok] - outcome[ok]).sum() for f, k, ok, outcome in scored) / total
              for subset in SUBSETS]
    subset = SUBSETS[int(np.argmin(errors))]
    coverage = []
    for scale in SCALES:
        inside = n = 0
        for f, k, ok, outcome in scored:
            low, high = interval(f, combine(f, subset, k), k, scale)
            inside += ((outcome[ok] >= low[ok]) & (outcome[ok] <= high[ok])).sum()
            n += ok.sum()
        coverage.append(inside / max(n, 1))
    scale = float(SCALES[int(np.argmin(np.abs(np.array(coverage) - 0.8)))])
    return Choice(subset, scale, pairs)
