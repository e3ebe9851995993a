"""Forecasts from the warehouse: the sample boroughs are loaded and built, `run_forecast`
writes the forecast tables after the marts are published, and the marts (views) show them
with costs; the demo's lines come from the same tables. Real PostgreSQL, real dbt."""
from __future__ import annotations

import pytest

from tests.conftest import SAMPLE_TODAY, copy_of_database
from tests.forecast_dfe_fixture import write_synthetic_dfe

TODAY = SAMPLE_TODAY


@pytest.fixture(scope="module")
def forecast_run(sample_warehouse, tmp_path_factory):
    """The forecast run twice on a copy of the session's sample warehouse (built: see
    conftest.py), with a synthetic copy of DfE's files for the backtest."""
    from forecast import run_forecast

    dfe = tmp_path_factory.mktemp("dfe")
    write_synthetic_dfe(dfe)
    with copy_of_database(sample_warehouse.url, "forecast"):
        first = run_forecast(dfe_dir=dfe, today=TODAY)
        summary = run_forecast(dfe_dir=dfe, today=TODAY)     # a second run replaces the first
        yield summary, first


@pytest.fixture
def q(forecast_run):
    from foundation.database import connect

    with connect(autocommit=True) as conn:
        yield lambda sql, *args: conn.execute(sql, args).fetchall()


def test_run_forecasts_each_borough_from_its_last_census(forecast_run):
    summary, _ = forecast_run
    assert summary.boroughs == ["HF", "KC", "WCC"]
    assert summary.origin_year == 2026
    assert summary.backtest and {m["horizon"] for m in summary.backtest} == {1, 2, 3}


def test_demand_forecast_mart_has_three_januaries_with_ordered_intervals(q):
    rows = q("select borough, census_year, plans_p10, plans_p50, plans_p90 from marts.demand_forecast "
             "where age_band = 'all' and need_group = 'all' and placement_group = 'all' order by 1, 2")
    assert {(b, y) for b, y, *_ in rows} == {(b, y) for b in ("ALL", "HF", "KC", "WCC") for y in (2027, 2028, 2029)}
    for _, _, p10, p50, p90 in rows:
        assert 0 < p10 <= p50 <= p90
    totals = {(b, y): float(p50) for b, y, _, p50, _ in rows}
    # January 2026 in the sample: HF 1,946, KC 900, WCC 1,618; growth continues
    for borough, last in (("HF", 1946), ("KC", 900), ("WCC", 1618)):
        assert 0.9 * last < totals[(borough, 2027)] < 1.4 * last
    tri = totals[("ALL", 2027)]
    assert abs(tri - sum(totals[(b, 2027)] for b in ("HF", "KC", "WCC"))) < 0.03 * tri
    [(bad,)] = q("select count(*) from marts.demand_forecast where plans_p10 > plans_p50 or plans_p50 > plans_p90 "
                 "or plans_p10 < 0")
    assert bad == 0


def test_intervals_widen_with_the_horizon_in_the_mart(q):
    rows = q("select census_year, plans_p90 - plans_p10 from marts.demand_forecast where borough = 'ALL' "
             "and age_band = 'all' and need_group = 'all' and placement_group = 'all' order by 1")
    widths = [float(w) for _, w in rows]
    assert widths[0] < widths[1] < widths[2]


def test_costs_use_the_placement_groups_unit_costs(q):
    rows = q("select d.plans_p50, d.unit_cost_gbp, d.cost_p50_gbp, u.unit_cost_gbp "
             "from marts.demand_forecast d join marts.placement_unit_costs u "
             "on u.borough = d.borough and u.placement_group = d.placement_group "
             "and u.fiscal_year_start = d.unit_cost_fiscal_year_start "
             "where d.placement_group <> 'all' and d.borough <> 'ALL' and d.unit_cost_gbp is not null")
    assert rows, "no forecast row was costed"
    for plans, unit, cost, mart_unit in rows:     # plans_p50 is rounded to 0.1 plan
        assert unit == mart_unit and abs(float(cost) - float(plans) * float(unit)) <= 0.05 * float(unit) + 1


def test_rows_over_placement_groups_and_the_tri_borough_carry_costs(q):
    """Costs summed inside each simulated path: every 'all' placement row and every
    tri-borough row has a cost, p10 <= p50 <= p90."""
    [(uncosted,)] = q("select count(*) from marts.demand_forecast where (placement_group = 'all' "
                      "or borough = 'ALL') and cost_p50_gbp is null")
    assert uncosted == 0
    rows = q("select cost_p10_gbp, cost_p50_gbp, cost_p90_gbp from marts.demand_forecast "
             "where placement_group = 'all' and borough = 'ALL'")
    assert rows and all(lo <= mid <= hi for lo, mid, hi in rows)


def test_a_second_run_replaces_the_first(q, forecast_run):
    summary, first = forecast_run
    runs = q("select distinct run_id from marts.demand_forecast")
    assert runs == [(summary.run_id,)] and summary.run_id != first.run_id
    [(kept,)] = q("select count(*) from forecast.runs where kind = 'borough'")
    assert kept == 2


def test_backtest_mart_compares_the_model_with_every_baseline(q):
    rows = q("select model, horizon_years, wape, bias, coverage_80, is_baseline, margin_over_best_baseline "
             "from marts.forecast_backtest order by 1, 2")
    baselines = ("last_value", "linear_trend_3y", "national_growth", "own_growth", "shrunk_growth")
    models = tuple(sorted(("cohort_model", "combined_model", "leading_indicators") + baselines))
    assert [(m, h) for m, h, *_ in rows] == [(m, h) for m in models for h in (1, 2, 3)]
    by = {(m, h): (float(w), float(b), c, base, margin) for m, h, w, b, c, base, margin in rows}
    assert all(by[("last_value", h)][1] < 0 for h in (1, 2, 3))      # synthetic caseloads grow
    assert by[("combined_model", 1)][2] is not None and by[("last_value", 1)][2] is None
    for h in (1, 2, 3):
        best = min(by[(m, h)][0] for m in baselines)
        assert float(by[("combined_model", h)][4]) == pytest.approx(best - by[("combined_model", h)][0], abs=1e-6)
        assert [m for m in models if by[(m, h)][3]] == list(baselines)


def test_demo_lines_give_the_tri_borough_forecast_with_intervals(forecast_run):
    from forecast.report import tri_borough_summary_lines
    from foundation.database import connect

    with connect() as conn:
        lines = tri_borough_summary_lines(conn)
    assert lines[1].strip() == "tri-borough:"
    assert [line.strip().split(":")[0] for line in lines[2:5]] == ["January 2027", "January 2028", "January 2029"]
    assert all("(" in line and "-" in line for line in lines[2:5])


def test_a_scenario_is_stored_beside_the_baseline_and_moves_it(forecast_run, tmp_path):
    """`sendwh forecast run --joiner-multiplier 1.5` keeps the baseline and adds the scenario."""
    from forecast import run_forecast
    from forecast.model import Scenario
    from foundation.database import connect

    run_forecast(today=TODAY, dfe_dir=tmp_path / "none",
                 scenarios=[Scenario(joiner_multiplier=1.5, name="more_joiners")])
    with connect() as conn:
        p50 = dict(conn.execute(
            "select scenario, plans_p50 from marts.demand_forecast where borough = 'ALL' "
            "and age_band = 'all' and need_group = 'all' and placement_group = 'all' "
            "and census_year = (select max(census_year) from marts.demand_forecast)").fetchall())
    assert set(p50) == {"baseline", "more_joiners"}
    assert float(p50["more_joiners"]) > float(p50["baseline"]) * 1.05


def test_history_is_the_published_model_grouped_by_the_need_types_seed(forecast_run, q):
    """The forecast reads restricted.forecast_history (a dbt model published with the marts):
    ages 0-25, need groups from the need_types seed, one row per person and census."""
    from forecast.history import read_history
    from foundation.database import connect

    with connect() as conn:
        history = read_history(conn)
    rows = [row for rows in history.values() for row in rows]
    assert sorted(history) == ["HF", "KC", "WCC"]
    assert len(rows) == q("select count(*) from restricted.forecast_history")[0][0] > 1000
    groups = {need for _, _, _, need, _ in rows}
    assert len(groups) >= 4
    assert groups <= {g for (g,) in q("select distinct need_group from staging.need_types")}
    assert all(0 <= age <= 25 for _, _, age, _, _ in rows)
    assert q("select has_schema_privilege('public', 'restricted', 'usage')") == [(False,)]
