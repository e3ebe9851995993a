"""The baselines, the combined model's nested choice and the per-path costs, on tiny
hand-made numbers and the synthetic DfE folder."""
from __future__ import annotations

import numpy as np
import pytest

from forecast import baselines as b
from forecast.boroughs import cost_paths, summary_rows, unit_cost_vector
from forecast.combination import SUBSETS, choose
from tests.forecast_dfe_fixture import write_synthetic_dfe

# two councils, Januaries 2015-2019; England = their sum
YEARS = [2015, 2016, 2017, 2018, 2019]
TOTALS = np.array([[100.0, 110.0, 121.0, 133.1, 146.41],     # +10% a year
                   [200.0, 200.0, 220.0, 220.0, 242.0]])


def test_last_value_and_linear_trend_on_a_hand_made_series():
    assert b.last_value(TOTALS, 4, 2).tolist() == [[146.41, 146.41], [242.0, 242.0]]
    # council 2's last three: 220, 220, 242 -> slope 11, mean 227.33 at x = -1
    trend = b.linear_trend(TOTALS, 4, 2)
    assert trend[1] == pytest.approx([227.0 + 1 / 3 + 11 * 2, 227.0 + 1 / 3 + 11 * 3])


def test_national_growth_is_the_last_count_times_englands_last_ratio():
    england = (146.41 + 242.0) / (133.1 + 220.0)
    assert b.national_growth(TOTALS, 4, 2) == pytest.approx(
        np.array([[146.41 * england, 146.41 * england ** 2], [242.0 * england, 242.0 * england ** 2]]))


def test_own_growth_carries_the_councils_last_ratio_forward():
    assert b.own_growth(TOTALS, 4, 3)[1] == pytest.approx([242.0 * 1.1, 242.0 * 1.1 ** 2, 242.0 * 1.1 ** 3])
    assert b.own_growth(TOTALS, 4, 1)[0] == pytest.approx([146.41 * 1.1])


def test_shrunk_growth_blends_one_and_three_year_growth_towards_englands():
    g_england = np.log((146.41 + 242.0) / (133.1 + 220.0))
    g1, g3 = np.log(242.0 / 220.0), np.log(242.0 / 200.0) / 3
    weight, mix = 0.4, 0.25
    expected = 242.0 * np.exp(2 * (g_england + weight * (mix * g1 + (1 - mix) * g3 - g_england)))
    assert b.shrunk_growth(TOTALS, 4, 2, weight, mix)[1, 1] == pytest.approx(expected)
    assert b.shrunk_growth(TOTALS, 4, 2, 0.0, mix) == pytest.approx(b.national_growth(TOTALS, 4, 2))


def test_shrinkage_is_chosen_on_earlier_origins_only():
    years = list(range(2010, 2020))
    rng = np.random.default_rng(3)
    totals = 100 * np.exp(np.cumsum(rng.normal(0.08, 0.03, (20, 10)), axis=1))
    chosen = b.choose_shrinkage(totals, years, 2017, 1)
    changed = totals.copy()
    changed[:, years.index(2018):] *= rng.uniform(0.2, 5, (20, 2))     # after the origin
    assert b.choose_shrinkage(changed, years, 2017, 1) == chosen
    assert b.choose_shrinkage(totals, years, 2012, 3) == b.DEFAULT_SHRINKAGE     # nothing earlier


@pytest.fixture(scope="module")
def synthetic_backtest(tmp_path_factory):
    from forecast.backtest import run_backtest
    from forecast.published import load_published

    folder = tmp_path_factory.mktemp("dfe")
    write_synthetic_dfe(folder)
    series = load_published(folder)
    return series, run_backtest(series)


def test_the_nested_choice_never_uses_the_scored_origin(synthetic_backtest):
    """Every (origin, horizon) is chosen on pairs whose outcome was published by the origin,
    and changing what was published after the origin leaves the choice unchanged."""
    from forecast.aggregate import AggregateConfig
    from forecast.candidates import origin_forecasts

    series, result = synthetic_backtest
    years = [int(y) for y in series.years]
    assert result.choices
    for (origin, h), choice in result.choices.items():
        assert choice.subset in SUBSETS
        assert all(v + k <= origin and k <= h for v, k in choice.pairs)
    origin, h = 2021, 2
    config = AggregateConfig(paths=200)
    by_origin = {o: origin_forecasts(series.upto(origin), o, 3, config) for o in range(2015, origin + 1)}
    asked = []

    def actual(year):
        asked.append(year)
        return series.totals[:, years.index(year)]

    first = choose(by_origin, actual, origin, h)
    assert asked and max(asked) <= origin
    garbled = series.totals.copy()
    garbled[:, years.index(origin) + 1:] = 1.0
    second = choose(by_origin, lambda y: garbled[:, years.index(y)], origin, h)
    assert (first.subset, first.scale) == (second.subset, second.scale)


def test_backtest_reports_every_baseline_and_the_models_margin(synthetic_backtest):
    from forecast.backtest import MODELS, margins
    from forecast.baselines import BASELINES

    _, result = synthetic_backtest
    by = {(m["model"], m["horizon"]): m for m in result.metrics}
    assert set(by) == {(m, h) for m in MODELS for h in (1, 2, 3)}
    assert by[("combined_model", 1)]["coverage_80"] is not None
    assert by[("shrunk_growth", 1)]["coverage_80"] is None
    for h, (best, margin) in margins(result.metrics).items():
        baseline_wapes = [by[(m, h)]["wape"] for m in BASELINES]
        assert by[(best, h)]["wape"] == min(baseline_wapes)
        assert margin == pytest.approx(min(baseline_wapes) - by[("combined_model", h)]["wape"])
    # the synthetic councils grow ~9% a year: England's growth is far better than no growth
    assert by[("national_growth", 1)]["wape"] < by[("last_value", 1)]["wape"] / 2


def test_aggregate_costs_are_quantiles_of_per_path_sums():
    rng = np.random.default_rng(11)
    banded = rng.poisson(20, size=(1, 400, 5, 5, 5)).astype(float)     # [h, path, band, need, place]
    unit = unit_cost_vector({"mainstream": 10_000, "special": 25_000, "independent_nm": 60_000,
                             "post16": 8_000})                          # 'other': no unit cost
    costs = cost_paths(banded, unit)
    rows = summary_rows("HF", 2025, banded, costs=costs, priced=np.isfinite(unit))
    total = next(r for r in rows if r["age_band"] == r["need_group"] == r["placement_group"] == "all")
    per_path = (banded[0] * np.nan_to_num(unit)).sum(axis=(1, 2, 3))
    assert [total["cost_p10_gbp"], total["cost_p50_gbp"], total["cost_p90_gbp"]] == \
        [round(q) for q in np.quantile(per_path, [0.1, 0.5, 0.9])]
    groups = [r for r in rows if r["age_band"] == r["need_group"] == "all" and r["placement_group"] != "all"]
    assert sum(r.get("cost_p90_gbp", 0) for r in groups) > total["cost_p90_gbp"]   # not a sum of quantiles
    special = next(r for r in groups if r["placement_group"] == "special")
    assert special["cost_p50_gbp"] == round(np.quantile(banded[0, :, :, :, 1].sum(axis=(1, 2)), 0.5) * 25_000)
    other = next(r for r in groups if r["placement_group"] == "other")
    assert "cost_p50_gbp" not in other                                   # no unit cost: no cost
    assert all("cost_p50_gbp" in r for r in rows if r["placement_group"] != "other")


def test_tri_borough_costs_sum_each_boroughs_own_unit_costs_path_by_path():
    from forecast.boroughs import forecast_boroughs
    from forecast.model import NEED_GROUPS, PLACEMENTS, ModelConfig

    rng = np.random.default_rng(5)
    history = {}
    for borough in ("HF", "KC"):
        records = []
        for person in range(300):
            age, year0 = int(rng.integers(2, 20)), int(rng.integers(2019, 2023))
            need, place = NEED_GROUPS[person % len(NEED_GROUPS)], PLACEMENTS[person % 4]
            for year in range(year0, 2025):
                records.append((year, f"{borough}{person}", age + year - year0, need, place))
        history[borough] = records
    unit_costs = {"HF": {p: 10_000.0 for p in PLACEMENTS}, "KC": {p: 30_000.0 for p in PLACEMENTS}}
    rows, _ = forecast_boroughs(history, horizon=1, config=ModelConfig(paths=300), unit_costs=unit_costs)
    top = {r["borough"]: r for r in rows
           if r["age_band"] == r["need_group"] == r["placement_group"] == "all"}
    assert set(top) == {"HF", "KC", "ALL"}
    assert all(top[b]["cost_p50_gbp"] is not None for b in top)
    assert top["HF"]["cost_p50_gbp"] == pytest.approx(10_000 * top["HF"]["plans_p50"], rel=1e-3)
    # the tri-borough's cost weighs KC's plans three times HF's: between the two unit costs
    ratio = top["ALL"]["cost_p50_gbp"] / top["ALL"]["plans_p50"]
    assert 10_000 < ratio < 30_000


def test_the_published_forecast_is_the_combined_model_the_backtest_scores(synthetic_backtest):
    from forecast.councils import forecast_published

    series, result = synthetic_backtest
    rows = {(r["new_la_code"], r["time_period"]): r for r in forecast_published(series, 2021, 3)}
    code = {str(k): str(n) for k, n in zip(series.la_keys, series.new_la_codes)}
    scored = [r for r in result.forecasts if r["origin"] == 2021]
    assert scored
    for r in scored:
        row = rows[(code[r["la_key"]], f"{2020 + r['horizon']}{(21 + r['horizon']) % 100:02d}")]
        assert row["ehcplans_p50"] == round(r["combined_model"])
        assert (row["ehcplans_p10"], row["ehcplans_p90"]) == (round(r["p10"]), round(r["p90"]))
