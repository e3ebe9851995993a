"""The person-level cohort model for a borough: single year of age (0-25) x primary need
group x placement group, one step per January census.

Each year, for everyone with a plan:

1. they continue with a plan to next January or leave (everyone aged 25 leaves): a
   continuation rate per (age, need group, placement group) cell;
2. those who continue may move between placement groups: a destination distribution per
   (age band, current placement group);
3. everyone ages one year (need group is kept: primary needs rarely change group);
4. joiners arrive: a yearly count with a log-linear trend (statsmodels quasi-Poisson GLM,
   damped into the future), spread over cells by their historical shares.

Sparse cells are pooled: continuation rates are shrunk towards a binomial GLM (smooth in
age, plus need and placement effects) with a beta prior whose strength is estimated by
maximum beta-binomial likelihood (scipy); move and joiner shares are Dirichlet posteriors
around pooled shares. Monte Carlo paths (numpy, vectorised over paths) draw every rate
from its posterior and the joiner trend from its estimated sampling distribution before
drawing counts, so intervals carry parameter and trend uncertainty as well as noise.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import statsmodels.api as sm
from patsy import dmatrix
from scipy.optimize import minimize_scalar
from scipy.stats import betabinom

from foundation.reference import age_bands, need_groups, statutory

MAX_AGE = statutory().max_age
AGES = np.arange(MAX_AGE + 1)
NEED_GROUPS = need_groups()
PLACEMENTS = ("mainstream", "special", "independent_nm", "post16", "other")
AGE_BANDS = tuple((band.name, band.min_age, band.max_age) for band in age_bands())
BAND_OF_AGE = np.array([next(i for i, (_, lo, hi) in enumerate(AGE_BANDS) if lo <= a <= hi) for a in AGES])
SHAPE = (len(AGES), len(NEED_GROUPS), len(PLACEMENTS))


@dataclass
class Scenario:
    """Levers: joiners x multiplier; a share of new independent/non-maintained placements
    (joiners and movers) placed in maintained special schools instead."""

    joiner_multiplier: float = 1.0
    independent_to_special: float = 0.0
    name: str = "baseline"


@dataclass
class ModelConfig:
    joiner_window: int = 5      # transitions the joiner trend is fitted on
    rate_window: int = 5        # transitions the rates are estimated from
    damping: float = 0.8        # phi for the joiner trend
    move_prior: float = 20.0    # Dirichlet prior strength for move shares
    joiner_prior: float = 50.0  # Dirichlet prior strength for joiner shares
    paths: int = 2000
    seed: int = 20260115


@dataclass
class Transitions:
    """Counts between consecutive Januaries (arrays over SHAPE, stacked by year)."""

    years: np.ndarray            # the later January of each pair
    at_risk: np.ndarray          # [y, age, need, placement] people at the earlier census
    continued: np.ndarray        # [y, age, need, placement] of those, with a plan next January
    moves: np.ndarray            # [y, band, from placement, to placement] among continuers
    joiners: np.ndarray          # [y, age, need, placement] new at the later census (age then)
    stock: dict[int, np.ndarray] = field(default_factory=dict)  # census year -> SHAPE counts


@dataclass
class CohortFit:
    origin: int
    start: np.ndarray            # SHAPE counts at the origin census
    cont_alpha: np.ndarray       # SHAPE beta posterior
    cont_beta: np.ndarray
    prior_strength: float
    pooled_rate: np.ndarray      # SHAPE GLM rate
    move_alpha: np.ndarray       # [band, from, to] Dirichlet posterior
    joiner_alpha: np.ndarray     # SHAPE Dirichlet posterior of joiner shares
    trend_coef: np.ndarray       # [intercept, slope] at the last year (log scale)
    trend_cov: np.ndarray
    dispersion: float            # quasi-Poisson scale (>= 1)
    last_joiner_year: int
    config: ModelConfig


def index_records(records) -> dict[int, dict[str, tuple]]:
    """records: rows with census_year, person_key, age, need_group, placement_group."""
    by_year: dict[int, dict[str, tuple]] = {}
    need_ix = {n: i for i, n in enumerate(NEED_GROUPS)}
    place_ix = {p: i for i, p in enumerate(PLACEMENTS)}
    for year, person, age, need, place in records:
        if age is None or age < 0 or age > MAX_AGE:
            continue
        by_year.setdefault(int(year), {})[person] = (int(age), need_ix.get(need, need_ix["other"]),
                                                     place_ix.get(place, place_ix["other"]))
    return by_year


def count_transitions(records) -> Transitions:
    by_year = index_records(records)
    years = sorted(by_year)
    stock = {}
    for year in years:
        counts = np.zeros(SHAPE)
        for age, need, place in by_year[year].values():
            counts[age, need, place] += 1
        stock[year] = counts
    pairs = [y for y in years if y - 1 in by_year]
    at_risk = np.zeros((len(pairs),) + SHAPE)
    continued = np.zeros_like(at_risk)
    joiners = np.zeros_like(at_risk)
    moves = np.zeros((len(pairs), len(AGE_BANDS), len(PLACEMENTS), len(PLACEMENTS)))
    for i, year in enumerate(pairs):
        before, after = by_year[year - 1], by_year[year]
        for person, (age, need, place) in before.items():
            at_risk[i, age, need, place] += 1
            later = after.get(person)
            if later is not None and age < MAX_AGE:
                continued[i, age, need, place] += 1
                moves[i, BAND_OF_AGE[age], place, later[2]] += 1
        for person, (age, need, place) in after.items():
            if person not in before:
                joiners[i, age, need, place] += 1
    return Transitions(np.array(pairs, dtype=int), at_risk, continued, moves, joiners, stock)


def _pooled_continuation(at_risk: np.ndarray, continued: np.ndarray) -> np.ndarray:
    """A binomial GLM over all cells: natural spline in age + need group + placement group."""
    age, need, place = np.meshgrid(AGES, np.arange(len(NEED_GROUPS)), np.arange(len(PLACEMENTS)), indexing="ij")
    frame = pd.DataFrame({"age": age.ravel(), "need": need.ravel(), "place": place.ravel()})
    design = np.asarray(dmatrix("cr(age, df=5, constraints='center') + C(need) + C(place)", frame))
    n, k = at_risk.ravel(), continued.ravel()
    fit_rows = (n > 0) & (frame.age.to_numpy() < MAX_AGE)
    if fit_rows.sum() < design.shape[1] + 2:
        rate = k.sum() / max(n.sum(), 1)
        return np.full(SHAPE, np.clip(rate, 0.01, 0.99))
    # a need or placement with nobody at risk has no column to estimate: it takes the baseline
    used = np.flatnonzero((design[fit_rows] != 0).any(axis=0))
    model = sm.GLM(np.column_stack([k[fit_rows], n[fit_rows] - k[fit_rows]]), design[fit_rows][:, used],
                   family=sm.families.Binomial())
    result = model.fit()
    return np.clip(result.predict(design[:, used]), 1e-3, 1 - 1e-3).reshape(SHAPE)


def _prior_strength(n: np.ndarray, k: np.ndarray, p0: np.ndarray) -> float:
    """Beta prior strength m (alpha = m p0, beta = m (1 - p0)) by maximum beta-binomial
    likelihood over the observed cells."""
    use = n > 0
    n, k, p0 = n[use], k[use], p0[use]
    if not use.any():
        return 50.0

    def loss(log_m):
        m = np.exp(log_m)
        return -betabinom.logpmf(k, n, m * p0, m * (1 - p0)).sum()

    res = minimize_scalar(loss, bounds=(np.log(1.0), np.log(1e4)), method="bounded")
    return float(np.exp(res.x))


def fit_cohort(trans: Transitions, origin: int | None = None, config: ModelConfig | None = None) -> CohortFit:
    config = config or ModelConfig()
    origin = origin or max(trans.stock)
    use = (trans.years <= origin) & (trans.years > origin - config.rate_window)
    at_risk = trans.at_risk[use].sum(0)
    continued = trans.continued[use].sum(0)
    pooled = _pooled_continuation(at_risk, continued)
    pooled[MAX_AGE] = 1e-3
    strength = _prior_strength(at_risk[:MAX_AGE], continued[:MAX_AGE], pooled[:MAX_AGE])
    alpha = strength * pooled + continued
    beta = strength * (1 - pooled) + (at_risk - continued)

    moves = trans.moves[use].sum(0)                                   # [band, from, to]
    by_from = moves.sum(0)                                            # [from, to]
    base = (by_from + 1) / (by_from + 1).sum(axis=1, keepdims=True)
    move_alpha = config.move_prior * base[None] + moves

    j_use = (trans.years <= origin) & (trans.years > origin - config.joiner_window)
    joiners = trans.joiners[j_use]
    shares = joiners.sum(0)
    age_m = shares.sum((1, 2)) + 0.5
    need_m = shares.sum((0, 2)) + 0.5
    place_given_age = shares.sum(1) + 0.5                             # [age, place]
    prior = (age_m / age_m.sum())[:, None, None] * (need_m / need_m.sum())[None, :, None] \
        * (place_given_age / place_given_age.sum(1, keepdims=True))[:, None, :]
    joiner_alpha = config.joiner_prior * prior + shares

    totals = joiners.reshape(len(joiners), -1).sum(1)
    years = trans.years[j_use]
    last = int(years.max()) if len(years) else origin
    if len(years) >= 3:
        x = sm.add_constant((years - last).astype(float))
        glm = sm.GLM(totals, x, family=sm.families.Poisson()).fit(scale="X2")
        coef, cov, disp = np.asarray(glm.params), np.asarray(glm.cov_params()), max(float(glm.scale), 1.0)
    else:
        mean = max(float(np.mean(totals)) if len(totals) else 1.0, 1.0)
        coef, cov, disp = np.array([np.log(mean), 0.0]), np.diag([1.0 / mean, 0.05 ** 2]), 1.0
    return CohortFit(origin, trans.stock[origin].copy(), alpha, beta, strength, pooled, move_alpha,
                     joiner_alpha, coef, cov, disp, last, config)


def _dirichlet(rng: np.random.Generator, alpha: np.ndarray, paths: int, axis: int = -1) -> np.ndarray:
    draws = rng.gamma(np.broadcast_to(alpha, (paths,) + alpha.shape))
    return draws / np.maximum(draws.sum(axis=axis, keepdims=True), 1e-300)


def _shift_independent(p: np.ndarray, share: float, axis_place: int = -1) -> np.ndarray:
    if share <= 0:
        return p
    p = np.moveaxis(p.copy(), axis_place, -1)
    ind, spec = PLACEMENTS.index("independent_nm"), PLACEMENTS.index("special")
    shifted = p[..., ind] * share
    p[..., ind] -= shifted
    p[..., spec] += shifted
    return np.moveaxis(p, -1, axis_place)


def simulate(fit: CohortFit, horizon: int, scenario: Scenario | None = None, paths: int | None = None,
             rng: np.random.Generator | None = None) -> np.ndarray:
    """[h, path, age, need, placement] simulated counts at the next `horizon` Januaries."""
    scenario = scenario or Scenario()
    paths = paths or fit.config.paths
    rng = rng or np.random.default_rng(fit.config.seed)
    n_p = len(PLACEMENTS)
    cont = rng.beta(np.broadcast_to(fit.cont_alpha, (paths,) + SHAPE),
                    np.broadcast_to(fit.cont_beta, (paths,) + SHAPE))
    cont[:, MAX_AGE] = 0.0                                             # everyone at 25 leaves
    move = _dirichlet(rng, fit.move_alpha, paths)                      # [path, band, from, to]
    move_by_age = move[:, BAND_OF_AGE]                                 # [path, age, from, to]
    # moves into independent placements are new placements: the lever applies to them too
    stay = np.eye(n_p, dtype=bool)
    shifted = _shift_independent(move_by_age, scenario.independent_to_special)
    move_by_age = np.where(stay, move_by_age, shifted)
    move_by_age /= move_by_age.sum(-1, keepdims=True)
    join_p = _dirichlet(rng, fit.joiner_alpha.reshape(-1), paths)      # [path, cells]
    join_p = _shift_independent(join_p.reshape((paths,) + SHAPE), scenario.independent_to_special)
    join_p = join_p.reshape(paths, -1)
    trend = rng.multivariate_normal(fit.trend_coef, fit.trend_cov, size=paths)   # [path, 2]
    state = np.broadcast_to(fit.start, (paths,) + SHAPE).astype(np.int64)
    out = np.empty((horizon, paths) + SHAPE, dtype=np.int64)
    step = fit.origin - fit.last_joiner_year
    phi = fit.config.damping
    for h in range(1, horizon + 1):
        stayers = rng.binomial(state, cont)
        # [path, age, need, from] -> [path, age, need, from, to]
        pvals = np.broadcast_to(move_by_age[:, :, None], stayers.shape + (n_p,))
        moved = rng.multinomial(stayers, pvals).sum(axis=3)
        aged = np.zeros_like(moved)
        aged[:, 1:] = moved[:, :-1]
        years_on = step + h
        damp = sum(phi ** k for k in range(1, years_on + 1)) if years_on > 0 else years_on
        log_mean = trend[:, 0] + trend[:, 1] * damp
        mean = np.exp(log_mean) * scenario.joiner_multiplier
        if fit.dispersion > 1:                                         # quasi-Poisson: gamma-Poisson
            shape = mean / (fit.dispersion - 1)
            mean = rng.gamma(np.maximum(shape, 1e-9), (fit.dispersion - 1), size=paths)
        n_join = rng.poisson(mean)
        new = rng.multinomial(n_join, join_p).reshape((paths,) + SHAPE)
        state = aged + new
        out[h - 1] = state
    return out


def rates_summary(fit: CohortFit) -> dict[str, float]:
    mean = fit.cont_alpha / (fit.cont_alpha + fit.cont_beta)
    weight = fit.start[:MAX_AGE]
    return {"continuation_rate": float((mean[:MAX_AGE] * weight).sum() / max(weight.sum(), 1)),
            "prior_strength": fit.prior_strength,
            "joiners_last_year": float(np.exp(fit.trend_coef[0])),
            "joiner_trend_per_year": float(np.exp(fit.trend_coef[1]) - 1)}
