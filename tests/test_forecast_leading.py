"""The leading-indicator candidate (forecast/leading.py) and the calendar-year flows it reads
(forecast/published.py), on hand-made numbers and the synthetic DfE folder."""
from __future__ import annotations

import csv
from dataclasses import replace

import numpy as np
import pytest

from forecast import leading
from forecast.published import Flows, load_published
from tests.forecast_dfe_fixture import write_synthetic_dfe


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    folder = tmp_path_factory.mktemp("dfe")
    write_synthetic_dfe(folder)
    return folder, load_published(folder)


def test_relative_log_ratio_is_the_councils_minus_englands():
    numerator, denominator = np.array([10.0, 30.0, np.nan]), np.array([100.0, 100.0, 50.0])
    out = leading.relative_log_ratio(numerator, denominator)
    assert out[:2] == pytest.approx([np.log(0.1 / 0.2), np.log(0.3 / 0.2)])
    assert np.isnan(out[2])          # no numerator: no value, and not in England's


def test_flows_come_from_both_releases(synthetic):
    _, series = synthetic
    flows = series.flows
    assert set(flows.values) == {"requests", "new_plans"}
    assert np.isfinite(flows.at("new_plans", 2010)).all() and np.isfinite(flows.at("new_plans", 2023)).all()
    assert np.isfinite(flows.at("requests", 2016)).all() and np.isnan(flows.at("requests", 2015)).all()
    cut = series.upto(2020).flows          # January 2020 knows calendar years up to 2019
    assert int(cut.years.max()) == 2019 and np.isnan(cut.at("requests", 2020)).all()


def test_a_regions_total_in_a_councils_row_is_not_read(synthetic, tmp_path):
    folder, _ = synthetic
    path = folder / "release-2025" / "newplans.csv"
    rows = list(csv.DictReader(path.open()))
    region = next(r for r in rows if r["geographic_level"] == "Regional" and r["time_period"] == "2022")
    council = next(r for r in rows if r["geographic_level"] == "Local authority" and r["time_period"] == "2022")
    council["new_ehc_plans"] = region["new_ehc_plans"]
    copy = tmp_path / "dfe"
    for source in folder.rglob("*.csv"):
        target = copy / source.relative_to(folder)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(source.read_bytes())
    with open(copy / "release-2025" / "newplans.csv", "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    flows = load_published(copy).flows
    index = list(load_published(copy).la_keys).index(council["old_la_code"])
    values = flows.at("new_plans", 2022)
    assert np.isnan(values[index]) and np.isfinite(np.delete(values, index)).all()


def test_the_forecast_reads_nothing_after_the_origin(synthetic):
    _, series = synthetic
    origin = 2020
    first = leading.leading_forecast(series, origin, 3)
    assert np.isfinite(first).all()
    later = series.years > origin
    garbled_flows = Flows(series.flows.years, {k: np.where(series.flows.years >= origin, 1.0, v)
                                               for k, v in series.flows.values.items()})
    garbled = replace(series, totals=np.where(later, 1.0, series.totals), flows=garbled_flows)
    assert leading.leading_forecast(garbled, origin, 3) == pytest.approx(first)


def test_requests_that_lead_new_plans_beat_every_baseline_a_year_ahead(synthetic):
    """In the synthetic folder a year's requests are next year's new plans / 0.7: the
    regression on them forecasts next January better than any growth rule."""
    from forecast.backtest import run_backtest
    from forecast.baselines import BASELINES

    _, series = synthetic
    by = {(m["model"], m["horizon"]): m["wape"] for m in run_backtest(series).metrics}
    assert by[(leading.NAME, 1)] < min(by[(b, 1)] for b in BASELINES)


def test_without_flows_it_regresses_on_last_growth_alone(synthetic):
    _, series = synthetic
    out = leading.leading_forecast(replace(series, flows=None), 2021, 2)
    assert np.isfinite(out).all()


def test_the_settings_name_known_features(tmp_path):
    config = leading.load_config()
    assert config.features[0] == "last_growth" and set(config.features) <= set(leading.FEATURES)
    bad = tmp_path / "leading.yml"
    bad.write_text("features: [last_growth, tea_leaves]\nfirst_training_origin: 2016\n"
                   "min_training_years: 2\nclip: 0.5\n")
    with pytest.raises(ValueError, match="tea_leaves"):
        leading.load_config(bad)
