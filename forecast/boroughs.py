"""Forecasts for the boroughs in the warehouse: fit the cohort model on each borough's
history and summarise its simulated paths into rows for forecast.demand.

Costs: each path's plans in a placement group are priced at that group's unit cost (the
latest fiscal year's, `placement_unit_costs`), and every aggregate cost (over placement
groups, or the tri-borough's over boroughs at each borough's own unit costs) is summed
inside each path before the quantiles are taken: a quantile of sums, not a sum of
quantiles. Placement groups without a unit cost are left out of the sums; a row made only
of such groups has no cost."""
from __future__ import annotations

import numpy as np

from forecast.model import (
    AGE_BANDS,
    BAND_OF_AGE,
    NEED_GROUPS,
    PLACEMENTS,
    CohortFit,
    ModelConfig,
    Scenario,
    count_transitions,
    fit_cohort,
    simulate,
)

ALL = "all"


def band_paths(sims: np.ndarray) -> np.ndarray:
    """[h, path, age, need, place] -> [h, path, band, need, place]."""
    out = np.zeros(sims.shape[:2] + (len(AGE_BANDS),) + sims.shape[3:], dtype=sims.dtype)
    for band in range(len(AGE_BANDS)):
        out[:, :, band] = sims[:, :, BAND_OF_AGE == band].sum(axis=2)
    return out


def unit_cost_vector(unit_costs: dict[str, float] | None) -> np.ndarray:
    """{placement group: GBP} -> [place] in PLACEMENTS order, NaN where unknown."""
    unit_costs = unit_costs or {}
    return np.array([float(unit_costs[p]) if unit_costs.get(p) is not None else np.nan for p in PLACEMENTS])


def cost_paths(banded: np.ndarray, unit_cost: np.ndarray) -> np.ndarray:
    """[h, path, band, need, place] plans -> the same in GBP (0 where no unit cost)."""
    return banded * np.nan_to_num(unit_cost)


def _quantiles(values: np.ndarray) -> list[float]:
    return [float(q) for q in np.quantile(values, [0.1, 0.5, 0.9])]


def summary_rows(borough: str, origin: int, banded: np.ndarray, scenario: str = "baseline",
                 costs: np.ndarray | None = None, priced: np.ndarray | None = None) -> list[dict]:
    """Quantiles over paths of each cell, each one-dimension margin and the total, every
    aggregate summed inside each path first. costs: cost_paths() of `banded` (summed over
    boroughs path by path for the tri-borough), priced[place]: the groups with a unit cost."""
    rows = []
    bands = [b[0] for b in AGE_BANDS]
    priced = np.zeros(len(PLACEMENTS), bool) if costs is None or priced is None else priced

    def add(h, age, need, place, index):
        values = banded[h][index].reshape(banded.shape[1], -1).sum(axis=1)
        p10, p50, p90 = _quantiles(values)
        row = {"borough": borough, "origin_year": origin, "census_year": origin + h + 1,
               "age_band": age, "need_group": need, "placement_group": place, "scenario": scenario,
               "plans_p10": round(p10, 1), "plans_p50": round(p50, 1),
               "plans_p90": round(p90, 1), "plans_mean": round(float(values.mean()), 2)}
        if priced[index[3]].any():
            cost = costs[h][index].reshape(costs.shape[1], -1).sum(axis=1)
            row |= dict(zip(("cost_p10_gbp", "cost_p50_gbp", "cost_p90_gbp"),
                            (round(q) for q in _quantiles(cost))))
        rows.append(row)

    every = slice(None)
    for h in range(banded.shape[0]):
        for b, age in enumerate(bands):
            for n, need in enumerate(NEED_GROUPS):
                for p, place in enumerate(PLACEMENTS):
                    add(h, age, need, place, (every, [b], [n], [p]))
        for b, age in enumerate(bands):
            add(h, age, ALL, ALL, (every, [b], every, every))
        for n, need in enumerate(NEED_GROUPS):
            add(h, ALL, need, ALL, (every, every, [n], every))
        for p, place in enumerate(PLACEMENTS):
            add(h, ALL, ALL, place, (every, every, every, [p]))
        add(h, ALL, ALL, ALL, (every, every, every, every))
    return rows


def forecast_boroughs(history: dict[str, list[tuple]], horizon: int = 3, origin: int | None = None,
                      config: ModelConfig | None = None, scenario: Scenario | None = None,
                      progress=None, unit_costs: dict[str, dict[str, float]] | None = None,
                      reuse: dict[str, tuple[int, np.ndarray]] | None = None, keep=None,
                      emit=None) -> tuple[list[dict], dict[str, CohortFit]]:
    """Rows for every borough and for the tri-borough total ('ALL': paths summed by index,
    the boroughs simulated independently). unit_costs: borough -> placement group -> GBP.

    reuse: borough -> (origin, banded paths) of boroughs not forecast again (their rows are
    carried over from the run that made the paths: forecast.carry); their paths enter 'ALL'
    in the same order as if they had been simulated. keep(borough, origin, banded) is called
    with each borough's paths as they are simulated. emit(rows), when given, takes each
    borough's rows (and the total's) as they are made, and none are returned: nothing grows
    with the number of boroughs."""
    config = config or ModelConfig()
    scenario = scenario or Scenario()
    unit_costs = unit_costs or {}
    reuse = reuse or {}
    rows, fits, tri, tri_cost = [], {}, None, None
    tri_priced = np.zeros(len(PLACEMENTS), bool)
    origins = {}
    for borough in sorted(set(history) | set(reuse)):
        unit_cost = unit_cost_vector(unit_costs.get(borough))
        if borough in reuse:
            start, banded = reuse[borough]
            costs = cost_paths(banded, unit_cost)
        else:
            trans = count_transitions(history[borough])
            if not trans.stock:
                continue
            start = origin if origin in trans.stock else max(trans.stock)
            fit = fit_cohort(trans, start, config)
            sims = simulate(fit, horizon, scenario,
                            rng=np.random.default_rng(config.seed + sum(map(ord, borough))))
            banded = band_paths(sims)
            costs = cost_paths(banded, unit_cost)
            rows += summary_rows(borough, start, banded, scenario.name, costs, np.isfinite(unit_cost))
            if emit:
                emit(rows)
                rows = []
            fits[borough] = fit
            if keep:
                keep(borough, start, banded)
        origins[borough] = start
        if len(set(origins.values())) == 1:
            tri = banded if tri is None else tri + banded
            tri_cost = costs if tri_cost is None else tri_cost + costs
            tri_priced |= np.isfinite(unit_cost)
        if progress:
            progress(borough)
    if tri is not None and len(origins) > 1 and len(set(origins.values())) == 1:
        rows += summary_rows("ALL", next(iter(origins.values())), tri, scenario.name, tri_cost, tri_priced)
        if emit:
            emit(rows)
            rows = []
    return rows, fits
