"""Forecasts for the boroughs in the warehouse: fit the cohort model on each borough's
history and summarise its simulated paths into rows for forecast.demand."""
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


def summary_rows(borough: str, origin: int, banded: np.ndarray, scenario: str = "baseline") -> list[dict]:
    """Quantiles over paths of each cell, each one-dimension margin and the total, every
    aggregate summed inside each path first."""
    rows = []
    bands = [b[0] for b in AGE_BANDS]

    def add(h, age, need, place, values):
        p10, p50, p90 = np.quantile(values, [0.1, 0.5, 0.9])
        rows.append({"borough": borough, "origin_year": origin, "census_year": origin + h + 1,
                     "age_band": age, "need_group": need, "placement_group": place, "scenario": scenario,
                     "plans_p10": round(float(p10), 1), "plans_p50": round(float(p50), 1),
                     "plans_p90": round(float(p90), 1), "plans_mean": round(float(values.mean()), 2)})

    for h in range(banded.shape[0]):
        paths = banded[h]
        for b, age in enumerate(bands):
            for n, need in enumerate(NEED_GROUPS):
                for p, place in enumerate(PLACEMENTS):
                    add(h, age, need, place, paths[:, b, n, p])
        for b, age in enumerate(bands):
            add(h, age, ALL, ALL, paths[:, b].sum(axis=(1, 2)))
        for n, need in enumerate(NEED_GROUPS):
            add(h, ALL, need, ALL, paths[:, :, n].sum(axis=(1, 2)))
        for p, place in enumerate(PLACEMENTS):
            add(h, ALL, ALL, place, paths[:, :, :, p].sum(axis=(1, 2)))
        add(h, ALL, ALL, ALL, paths.sum(axis=(1, 2, 3)))
    return rows


def forecast_boroughs(history: dict[str, list[tuple]], horizon: int = 3, origin: int | None = None,
                      config: ModelConfig | None = None, scenario: Scenario | None = None,
                      progress=None) -> tuple[list[dict], dict[str, CohortFit]]:
    """Rows for every borough and for the tri-borough total ('ALL': paths summed by index,
    the boroughs simulated independently)."""
    config = config or ModelConfig()
    scenario = scenario or Scenario()
    rows, fits, tri = [], {}, None
    origins = {}
    for borough, records in sorted(history.items()):
        trans = count_transitions(records)
        if not trans.stock:
            continue
        start = origin if origin in trans.stock else max(trans.stock)
        fit = fit_cohort(trans, start, config)
        sims = simulate(fit, horizon, scenario, rng=np.random.default_rng(config.seed + sum(map(ord, borough))))
        banded = band_paths(sims)
        rows += summary_rows(borough, start, banded, scenario.name)
        fits[borough], origins[borough] = fit, start
        if len(set(origins.values())) == 1:
            tri = banded if tri is None else tri + banded
        if progress:
            progress(borough)
    if tri is not None and len(fits) > 1 and len(set(origins.values())) == 1:
        rows += summary_rows("ALL", next(iter(origins.values())), tri, scenario.name)
    return rows, fits
