"""The person-level cohort model: recovers known rates, ages and leaves at 25, survives
sparse cells, widens its intervals with the horizon and moves with its scenario levers."""
from __future__ import annotations

import numpy as np
import pytest

from forecast.model import (
    MAX_AGE,
    NEED_GROUPS,
    PLACEMENTS,
    ModelConfig,
    Scenario,
    count_transitions,
    fit_cohort,
    simulate,
)

CONTINUE = 0.9          # yearly chance of keeping a plan (below 25)
TO_SPECIAL = 0.05       # yearly chance a mainstream pupil who continues moves to special
JOINERS = 300           # joiners a year, ages 2-15


def simulated_records(years=range(2015, 2026), seed=3):
    """People following fixed rates: (census_year, person, age, need_group, placement)."""
    rng = np.random.default_rng(seed)
    people, records, next_id = {}, [], 0
    for year in years:
        survivors = {}
        for person, (age, need, place) in people.items():
            if age >= MAX_AGE or rng.random() >= CONTINUE:
                continue
            if place == "mainstream" and rng.random() < TO_SPECIAL:
                place = "special"
            survivors[person] = (age + 1, need, place)
        for _ in range(rng.poisson(JOINERS)):
            survivors[f"p{next_id}"] = (int(rng.integers(2, 16)), NEED_GROUPS[int(rng.integers(0, 5))],
                                        "mainstream" if rng.random() < 0.7 else "special")
            next_id += 1
        people = survivors
        records += [(year, person, *state) for person, state in people.items()]
    return records


@pytest.fixture(scope="module")
def fitted():
    trans = count_transitions(simulated_records())
    return trans, fit_cohort(trans, 2025, ModelConfig(paths=1000))


def test_fit_recovers_the_rates_it_was_simulated_with(fitted):
    trans, fit = fitted
    rate = fit.cont_alpha / (fit.cont_alpha + fit.cont_beta)
    weight = trans.at_risk[-5:].sum(0)[:MAX_AGE]
    assert abs((rate[:MAX_AGE] * weight).sum() / weight.sum() - CONTINUE) < 0.01
    busy = weight > 30
    assert np.abs(rate[:MAX_AGE][busy] - CONTINUE).max() < 0.06
    move = fit.move_alpha / fit.move_alpha.sum(-1, keepdims=True)
    ms, sp = PLACEMENTS.index("mainstream"), PLACEMENTS.index("special")
    assert abs(move[1, ms, sp] - TO_SPECIAL) < 0.015          # ages 5-10
    assert move[1, sp, sp] > 0.97
    assert abs(np.exp(fit.trend_coef[0]) - JOINERS) < 0.08 * JOINERS
    assert abs(fit.trend_coef[1]) < 0.05                      # no trend simulated, none found


def test_everyone_ages_a_year_and_all_leave_at_25(fitted):
    _, fit = fitted
    fit.start = np.zeros_like(fit.start)
    fit.start[24, 0, 0] = 500
    fit.start[10, 1, 1] = 400
    sims = simulate(fit, 2, Scenario(joiner_multiplier=0.0), paths=200)
    one = sims[0]
    assert one[:, 24].sum() == 0 and one[:, 10].sum() == 0     # nobody stays the same age
    assert 0.85 * 500 < one[:, 25].sum(axis=(1, 2)).mean() < 0.95 * 500
    assert 0.85 * 400 < one[:, 11].sum(axis=(1, 2)).mean() < 0.95 * 400
    assert sims[1][:, 25].sum() == 0 and sims[1][:, MAX_AGE:].sum() == 0   # the 25s left
    assert (sims[1][:, 12].sum(axis=(1, 2)) <= one[:, 11].sum(axis=(1, 2))).all()


def test_sparse_cells_give_no_nan_or_negative_counts():
    records = [(2024, "a", 3, "semh", "special"), (2025, "a", 4, "semh", "special"),
               (2025, "b", 17, "other", "post16"), (2026, "b", 18, "other", "independent_nm"),
               (2026, "c", 25, "sensory_physical", "other")]
    fit = fit_cohort(count_transitions(records), 2026, ModelConfig(paths=300))
    for values in (fit.cont_alpha, fit.cont_beta, fit.move_alpha, fit.joiner_alpha):
        assert np.isfinite(values).all() and (values > 0).all()
    assert np.isfinite(fit.trend_coef).all() and np.isfinite(fit.trend_cov).all()
    sims = simulate(fit, 3, paths=300)
    assert sims.min() >= 0 and np.isfinite(sims).all()
    assert sims[:, :, MAX_AGE].sum() >= 0


def test_intervals_widen_with_the_horizon(fitted):
    _, fit = fitted
    trans = count_transitions(simulated_records())
    fit = fit_cohort(trans, 2025, ModelConfig(paths=1000))
    totals = simulate(fit, 3).sum(axis=(2, 3, 4))
    p10, p90 = np.quantile(totals, [0.1, 0.9], axis=1)
    width = p90 - p10
    assert width[0] < width[1] < width[2]
    assert width[0] > 0


def test_scenarios_move_the_forecast_in_the_stated_direction():
    trans = count_transitions(simulated_records())
    records = simulated_records()
    # give the borough some independent placements to shift
    records = [(y, p, a, n, "independent_nm" if int(p[1:]) % 5 == 0 and pl == "special" else pl)
               for y, p, a, n, pl in records]
    fit = fit_cohort(count_transitions(records), 2025, ModelConfig(paths=800))
    base = simulate(fit, 3)
    more = simulate(fit, 3, Scenario(joiner_multiplier=1.3))
    shifted = simulate(fit, 3, Scenario(independent_to_special=0.5))
    def total(s):
        return np.median(s.sum(axis=(2, 3, 4)), axis=1)

    assert (total(more) > total(base) * 1.03).all()
    ind, sp = PLACEMENTS.index("independent_nm"), PLACEMENTS.index("special")
    def by_place(s, p):
        return np.median(s[..., p].sum(axis=(2, 3)), axis=1)

    assert (by_place(shifted, ind) < by_place(base, ind)).all()
    assert (by_place(shifted, sp) > by_place(base, sp)).all()
    assert abs(total(shifted)[-1] - total(base)[-1]) < 0.03 * total(base)[-1]
    assert trans.years[0] == 2016
