"""The cohort model in its published-data form: DfE publishes counts by age band, not
people, so the model ages counts instead of persons.

Each January, a band keeps the share of its count that does not have a birthday out of it
and receives the share of the band below that ages in (ages are spread evenly within a
band; everyone in the top band who turns 26 leaves). What is observed next January over
what ageing alone predicts is the band's *continuation ratio* (stayers net of leavers,
plus joiners, as a ratio of the aged count); its logarithm is modelled as

    log ratio[c, t, b] = national level[b, t] + council effect[c, b] + noise[c, t, b]

- the national level follows a local linear trend whose slope is damped (phi) into the
  future, so joiner growth trends rather than freezing at an average;
- council effects are partially pooled: each council's recent mean is shrunk towards the
  national level by empirical Bayes, the between-council variance estimated by
  statsmodels' random-effects meta-analysis (Paule-Mandel); thin series are shrunk more;
- intervals come from Monte Carlo paths that draw the national trend's future shocks,
  each council's effect from its posterior (parameter uncertainty), council drift and
  year noise with the band covariance seen in history, and are aggregated inside each
  path before taking quantiles.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from statsmodels.stats.meta_analysis import combine_effects

from forecast.published import BAND_AGES, PublishedSeries

WIDTHS = np.array([high - low + 1 for low, high in BAND_AGES], dtype=float)


@dataclass
class AggregateConfig:
    first_ratio_year: int = 2017  # the 2014 reform's extension to 0-25 and statement
                                  # transfers (to April 2018) make earlier ratios another regime
    window: int = 5            # years of ratios a council's effect is estimated from
    decay: float = 0.7         # weight of a ratio one year older
    trend_window: int = 4      # years of the national level the slope is estimated from
    damping: float = 0.6       # phi: each future year keeps this share of the slope
    trend_weight: float = 0.0  # 0 = level only (the backtest: a national slope, even damped, adds error)
    interval_scale: float = 1.0
    paths: int = 2000
    seed: int = 20240118


@dataclass
class AggregateFit:
    origin: int
    keep: np.ndarray            # councils with a count at the origin
    start: np.ndarray           # [c, b] counts at the origin
    level: np.ndarray           # [b] national log ratio at the origin
    slope: np.ndarray           # [b] national slope
    effect: np.ndarray          # [c, b] shrunk council effect
    effect_sd: np.ndarray       # [c, b] its posterior sd
    national_sd: np.ndarray     # [b] sd of the national level's yearly innovation
    slope_sd: np.ndarray        # [b] sd of the slope estimate
    drift_sd: np.ndarray        # [b] sd of yearly change of a council's effect
    noise_cov: np.ndarray       # [b, b] year noise covariance
    config: AggregateConfig = field(default_factory=AggregateConfig)


def age_counts(counts: np.ndarray) -> np.ndarray:
    """Counts [..., b] one year on, before joiners and leavers other than at 25."""
    out = counts * (1 - 1 / WIDTHS)
    out[..., 1:] += counts[..., :-1] / WIDTHS[:-1]
    return out


def log_ratios(series: PublishedSeries) -> np.ndarray:
    """[c, t, b] log(observed / aged) for t >= 1 (NaN where a year is missing)."""
    aged = age_counts(series.counts[:, :-1])
    ratio = np.log((series.counts[:, 1:] + 0.5) / (aged + 0.5))
    return np.concatenate([np.full_like(ratio[:, :1], np.nan), ratio], axis=1)


def fit_aggregate(series: PublishedSeries, origin: int, config: AggregateConfig | None = None) -> AggregateFit:
    config = config or AggregateConfig()
    series = series.upto(origin)
    at = np.flatnonzero(series.years == origin)
    if not at.size:
        raise ValueError(f"no published year {origin}")
    t0 = at[0]
    keep = np.isfinite(series.counts[:, t0]).all(axis=1)
    lr = log_ratios(series)[keep]
    lr[:, series.years < config.first_ratio_year] = np.nan
    counts = series.counts[keep]
    n_years = lr.shape[1]
    ages = t0 - np.arange(n_years)                      # years before the origin
    in_window = (ages < config.window)
    weight = np.where(in_window, config.decay ** ages, 0.0)[None, :, None] * np.isfinite(lr)
    size = np.nansum(weight, axis=1)                    # [c, b]

    # national level per year: size-weighted mean across councils (large councils are less noisy)
    wt = np.nan_to_num(counts.sum(axis=2, keepdims=True)) * np.isfinite(lr)
    national = np.nansum(np.nan_to_num(lr) * wt, axis=0) / np.where(wt.sum(0) > 0, wt.sum(0), np.nan)  # [t, b]
    recent = national[max(1, t0 - config.trend_window + 1): t0 + 1]
    recent = recent[np.isfinite(recent).all(axis=1)]
    innov = np.diff(recent, axis=0)
    level = recent[-1] if len(recent) else np.zeros(5)
    if len(recent) >= 3:
        x = np.arange(len(recent)) - (len(recent) - 1)
        coef = np.polyfit(x, recent, 1)                 # [2, b]
        slope = coef[0] * config.trend_weight
        level = coef[1] * 0.5 + recent[-1] * 0.5       # ends of the fitted line and the last value
        resid = recent - (coef[1] + np.outer(x, coef[0]))
        slope_sd = np.sqrt((resid ** 2).sum(0) / max(len(recent) - 2, 1) / (x ** 2).sum())
    else:
        slope = np.zeros(5)
        slope_sd = np.full(5, 0.02)
    national_sd = innov.std(axis=0, ddof=1) if len(innov) >= 2 else np.full(5, 0.02)

    # council deviations from the national level, pooled (empirical Bayes)
    dev = lr - national[None]
    dev_mean = np.nansum(np.nan_to_num(dev) * weight, axis=1) / np.where(size > 0, size, 1)
    resid = np.where(weight > 0, dev - dev_mean[:, None], np.nan)
    dof = np.maximum((weight > 0).sum(axis=1) - 1, 0)
    noise_var = np.nansum(resid ** 2, axis=(0, 1)) / np.maximum(dof.sum(0), 1)   # [b]
    eff_n = np.where(size > 0, size ** 2 / np.maximum((weight ** 2).sum(axis=1), 1e-9), 0)
    se2 = noise_var[None] / np.maximum(eff_n, 1e-9)
    effect = np.zeros_like(dev_mean)
    effect_sd = np.zeros_like(dev_mean)
    for b in range(5):
        has = eff_n[:, b] > 0
        if has.sum() >= 3:
            res = combine_effects(dev_mean[has, b], se2[has, b], method_re="pm")
            tau2 = float(res.tau2)
            centre = 0.0
        else:
            tau2, centre = 0.0, 0.0
        shrink = np.where(has, tau2 / (tau2 + se2[:, b]), 0.0)
        effect[:, b] = centre + shrink * (np.where(has, dev_mean[:, b], 0) - centre)
        effect_sd[:, b] = np.sqrt(np.where(has, shrink * se2[:, b], tau2))
    # how much councils' effects wander from year to year, and the noise covariance
    valid = np.isfinite(resid).all(axis=2)
    flat = resid[valid]
    noise_cov = np.cov(flat.T) if len(flat) > 10 else np.diag(noise_var)
    steps = np.diff(dev, axis=1)
    recent_steps = steps[:, -config.window:]
    drift_var = np.maximum(np.nanvar(recent_steps, axis=(0, 1)) / 2 - noise_var, 0)
    return AggregateFit(origin, keep, counts[:, t0], level, slope, effect, effect_sd,
                        national_sd, slope_sd, np.sqrt(drift_var), noise_cov, config)


def point_forecast(fit: AggregateFit, horizon: int) -> np.ndarray:
    """[c, h] totals along the central path (no noise)."""
    phi = fit.config.damping
    state = fit.start.copy()
    out = []
    for h in range(1, horizon + 1):
        trend = fit.slope * sum(phi ** k for k in range(1, h + 1))
        state = age_counts(state) * np.exp(fit.level + trend + fit.effect)
        out.append(state.sum(axis=1))
    return np.stack(out, axis=1)


def simulate_aggregate(fit: AggregateFit, horizon: int, paths: int | None = None,
                       rng: np.random.Generator | None = None) -> np.ndarray:
    """[c, h, path] simulated totals; each path's bands are summed before quantiles."""
    paths = paths or fit.config.paths
    rng = rng or np.random.default_rng(fit.config.seed)
    k = fit.config.interval_scale
    n_c = fit.start.shape[0]
    phi = fit.config.damping
    slope = fit.slope[None, :] + k * fit.slope_sd[None, :] * rng.standard_normal((paths, 5))   # [p, b]
    effect = fit.effect[:, None, :] + k * fit.effect_sd[:, None, :] * rng.standard_normal((n_c, paths, 5))
    national = np.zeros((paths, 5))
    drift = np.zeros((n_c, paths, 5))
    chol = np.linalg.cholesky(fit.noise_cov + 1e-9 * np.eye(5))
    state = np.repeat(fit.start[:, None, :], paths, axis=1)     # [c, p, b]
    out = np.empty((n_c, horizon, paths))
    damp = 0.0
    for h in range(1, horizon + 1):
        damp += phi ** h
        national = national + k * fit.national_sd * rng.standard_normal((paths, 5))
        drift = drift + k * fit.drift_sd * rng.standard_normal((n_c, paths, 5))
        noise = k * rng.standard_normal((n_c, paths, 5)) @ chol.T
        log_ratio = fit.level + slope * damp + national + effect + drift + noise
        aged = age_counts(state)
        state = aged * np.exp(log_ratio)
        out[:, h - 1] = state.sum(axis=2)
    return out
