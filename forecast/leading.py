"""The leading-indicator candidate: the council's caseload growth over the next h years,
relative to England's, predicted from what it published at the origin: its last growth,
and its new plans and initial requests for assessment in the last calendar year per plan
held, and their growth, each relative to England's (requests this year become plans next
year: stock(January t+1) = stock(January t) + new plans(t) - ceased(t)).

At origin January t the regression is fitted, pooled over councils, on the earlier origins
s (from `first_training_origin`) whose outcome s + h was published by t, with each row's
features computed from what was published at s; nothing after t is read (the series is
cut at t first). The forecast is the count at t times exp(h * (England's last log growth +
the predicted gap)). Settings: forecast/leading.yml.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import statsmodels.api as sm
import yaml

from forecast.published import PublishedSeries

CONFIG_FILE = Path(__file__).with_name("leading.yml")
NAME = "leading_indicators"


@dataclass(frozen=True)
class LeadingConfig:
    features: tuple[str, ...]
    first_training_origin: int
    min_training_years: int
    clip: float


def load_config(path: Path = CONFIG_FILE) -> LeadingConfig:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    unknown = set(raw["features"]) - set(FEATURES)
    if unknown:
        raise ValueError(f"{path}: unknown feature(s) {', '.join(sorted(unknown))}")
    return LeadingConfig(tuple(raw["features"]), int(raw["first_training_origin"]),
                         int(raw["min_training_years"]), float(raw["clip"]))


def relative_log_ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """[c] log(numerator / denominator) minus England's (the sums over the councils with
    both); NaN where a council lacks either."""
    ok = np.isfinite(numerator) & np.isfinite(denominator) & (numerator > 0) & (denominator > 0)
    out = np.full(len(numerator), np.nan)
    if ok.any():
        out[ok] = np.log(numerator[ok] / denominator[ok]) - np.log(numerator[ok].sum() / denominator[ok].sum())
    return out


# feature -> (numerator, denominator) as (flow or "stock", years relative to the origin);
# stock at 0 is January t, a flow at -1 is calendar year t - 1
FEATURES = {
    "last_growth": (("stock", 0), ("stock", -1)),
    "new_plans_rate": (("new_plans", -1), ("stock", 0)),
    "new_plans_growth": (("new_plans", -1), ("new_plans", -2)),
    "requests_rate": (("requests", -1), ("stock", 0)),
    "requests_growth": (("requests", -1), ("requests", -2)),
}


def _value(series: PublishedSeries, name: str, year: int) -> np.ndarray:
    if name == "stock":
        return series.total_at(year)
    if series.flows is None:
        return np.full(len(series.la_keys), np.nan)
    return series.flows.at(name, year)


def features_at(series: PublishedSeries, origin: int, names) -> np.ndarray:
    """[c, f] each feature at `origin` from the series (already cut at the latest origin)."""
    columns = []
    for name in names:
        (num, dn), (den, dd) = FEATURES[name]
        columns.append(relative_log_ratio(_value(series, num, origin + dn), _value(series, den, origin + dd)))
    return np.stack(columns, axis=1)


def _training(series: PublishedSeries, origin: int, h: int, config: LeadingConfig):
    """(X [n, f], y [n], origin of each row [n]) over every feature, rows s + h <= origin."""
    xs, ys, ss = [], [], []
    years = [int(y) for y in series.years]
    for s in years:
        if s < config.first_training_origin or s + h > origin:
            continue
        target = relative_log_ratio(series.total_at(s + h), series.total_at(s)) / h
        xs.append(features_at(series.upto(s), s, config.features))
        ys.append(target)
        ss.append(np.full(len(target), s))
    if not xs:
        return None
    return np.concatenate(xs), np.concatenate(ys), np.concatenate(ss)


def _fit(series: PublishedSeries, origin: int, h: int, config: LeadingConfig):
    """(number of leading features used, coefficients) or None without training years."""
    data = _training(series, origin, h, config)
    if data is None:
        return None
    x, y, s = data
    x, y = np.clip(x, -config.clip, config.clip), np.clip(y, -config.clip, config.clip)
    used = None
    for k in range(1, len(config.features) + 1):
        rows = np.isfinite(x[:, :k]).all(axis=1) & np.isfinite(y)
        if len(np.unique(s[rows])) < config.min_training_years:
            break
        used = k
    if used is None:
        return None
    rows = np.isfinite(x[:, :used]).all(axis=1) & np.isfinite(y)
    model = sm.RLM(y[rows], sm.add_constant(x[rows, :used], has_constant="add"), M=sm.robust.norms.HuberT())
    return used, model.fit().params


def leading_forecast(series: PublishedSeries, origin: int, horizon: int,
                     config: LeadingConfig | None = None) -> np.ndarray:
    """[c, h] forecasts from the data up to `origin` (NaN where no fit is possible or the
    council has no count at the origin)."""
    config = config or load_config()
    series = series.upto(origin)
    stock = series.total_at(origin)
    x = np.clip(np.nan_to_num(features_at(series, origin, config.features), nan=0.0), -config.clip, config.clip)
    both = np.isfinite(stock) & np.isfinite(series.total_at(origin - 1))
    england_growth = (np.log(stock[both].sum() / series.total_at(origin - 1)[both].sum())
                      if both.any() else np.nan)
    out = np.full((len(stock), horizon), np.nan)
    fit = None
    for h in range(1, horizon + 1):
        fit = _fit(series, origin, h, config) or fit      # too few years: the last horizon's fit
        if fit is None:
            continue
        used, params = fit
        gap = params[0] + x[:, :used] @ params[1:]
        out[:, h - 1] = stock * np.exp(h * (england_growth + gap))
    return out
