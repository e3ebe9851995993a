"""The published-data forecast and its rolling-origin backtest: on a synthetic DfE folder
always, and on DfE's real files when the shared folder is there."""
from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from sendwh.cli import app
from tests.forecast_dfe_fixture import write_synthetic_dfe

runner = CliRunner(env={"COLUMNS": "200"})


@pytest.fixture(scope="module")
def synthetic_dfe(tmp_path_factory):
    folder = tmp_path_factory.mktemp("dfe")
    totals = write_synthetic_dfe(folder)
    return folder, totals


def real_dfe() -> Path | None:
    from foundation.settings import get_settings

    folder = get_settings().dfe_dir
    if folder and (Path(folder) / "release-2025" / "caseload.csv").is_file() \
            and (Path(folder) / "release-2022" / "sen2_age_caseload.csv").is_file():
        return Path(folder)
    return None


def test_published_command_writes_one_row_per_council_and_year(synthetic_dfe, tmp_path):
    folder, totals = synthetic_dfe
    out = tmp_path / "forecast.csv"
    result = runner.invoke(app, ["forecast", "published", "--dfe-dir", str(folder), "--origin", "202223",
                                 "--horizon", "2", "--out", str(out)])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(out.open()))
    assert list(rows[0]) == ["new_la_code", "la_name", "time_period", "ehcplans_p10", "ehcplans_p50", "ehcplans_p90"]
    assert len(rows) == len(totals) * 2
    assert {r["time_period"] for r in rows} == {"202324", "202425"}
    for row in rows:
        assert int(row["ehcplans_p10"]) <= int(row["ehcplans_p50"]) <= int(row["ehcplans_p90"])
        if row["time_period"] == "202324":   # one year ahead: within 15% of what was "published"
            actual = totals[row["new_la_code"]][-1]
            assert abs(int(row["ehcplans_p50"]) - actual) <= 0.15 * actual


def test_published_command_refuses_bad_folder_and_origin(synthetic_dfe, tmp_path):
    folder, _ = synthetic_dfe
    out = str(tmp_path / "x.csv")
    bad_dir = runner.invoke(app, ["forecast", "published", "--dfe-dir", str(tmp_path / "none"),
                                  "--origin", "202324", "--out", out])
    bad_code = runner.invoke(app, ["forecast", "published", "--dfe-dir", str(folder),
                                   "--origin", "202325", "--out", out])
    too_late = runner.invoke(app, ["forecast", "published", "--dfe-dir", str(folder),
                                   "--origin", "203031", "--out", out])
    assert (bad_dir.exit_code, bad_code.exit_code, too_late.exit_code) == (2, 2, 2)
    assert "not a folder" in bad_dir.output and "academic-year code" in bad_code.output


def test_backtest_command_prints_the_metrics_table_on_synthetic_data(synthetic_dfe):
    from forecast.backtest import run_backtest
    from forecast.published import load_published

    folder, totals = synthetic_dfe
    result = runner.invoke(app, ["forecast", "backtest", "--dfe-dir", str(folder), "--no-write"], terminal_width=200)
    assert result.exit_code in (0, 1), result.output
    assert "combined model" in result.output and "last value carried forward" in result.output
    assert "shrunk growth" in result.output and "against the best baseline" in result.output
    metrics = {(m["model"], m["horizon"]): m for m in run_backtest(load_published(folder)).metrics}
    assert set(h for _, h in metrics) == {1, 2, 3}
    assert metrics[("combined_model", 1)]["councils"] == len(totals)
    # growing caseloads: carrying the last value forward falls short, more so further ahead
    assert metrics[("last_value", 1)]["bias"] < 0
    assert metrics[("last_value", 3)]["bias"] < metrics[("last_value", 1)]["bias"]
    assert metrics[("combined_model", 1)]["wape"] < metrics[("last_value", 1)]["wape"]


@pytest.fixture(scope="module")
def real_backtest():
    from forecast.backtest import run_backtest
    from forecast.published import load_published

    return run_backtest(load_published(real_dfe()))


@pytest.mark.skipif(real_dfe() is None, reason="DfE's published files (shared folder) not present")
def test_backtest_on_published_data_calibrated_and_ahead_at_every_horizon(real_backtest):
    """What the combined model achieves on DfE's caseloads (README, Demand forecasts):
    ahead of every baseline 1-3 years ahead, 80% intervals covering 75-85% everywhere, and
    its leading-indicator input alone ahead of shrunk growth at every horizon."""
    from forecast.backtest import margins

    assert real_backtest.councils >= 140
    by = {(m["model"], m["horizon"]): m for m in real_backtest.metrics}
    ahead = margins(real_backtest.metrics)
    for h in (1, 2, 3):
        assert 0.75 <= by[("combined_model", h)]["coverage_80"] <= 0.85
        assert by[("combined_model", h)]["wape"] < by[("cohort_model", h)]["wape"]
        assert by[("shrunk_growth", h)]["wape"] < by[("linear_trend_3y", h)]["wape"] < by[("last_value", h)]["wape"]
        assert by[("leading_indicators", h)]["wape"] < by[("shrunk_growth", h)]["wape"]
        assert ahead[h][1] > 0.0005       # by more than a twentieth of a point


@pytest.mark.skipif(real_dfe() is None, reason="DfE's published files (shared folder) not present")
def test_backtest_on_published_data_beats_every_baseline_at_every_horizon():
    result = runner.invoke(app, ["forecast", "backtest", "--dfe-dir", str(real_dfe()), "--no-write"],
                           terminal_width=200)
    assert "WAPE" in result.output and "80% coverage" in result.output
    assert result.exit_code == 0, result.output


@pytest.mark.skipif(real_dfe() is None, reason="DfE's published files (shared folder) not present")
def test_published_forecast_covers_every_council_in_the_latest_release(tmp_path):
    out = tmp_path / "all.csv"
    result = runner.invoke(app, ["forecast", "published", "--dfe-dir", str(real_dfe()), "--origin", "202324",
                                 "--horizon", "3", "--out", str(out)])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(out.open()))
    westminster = [r for r in rows if r["new_la_code"] == "E09000033"]
    assert [r["time_period"] for r in westminster] == ["202425", "202526", "202627"]
    assert len({r["new_la_code"] for r in rows}) >= 150
    # January 2024: 1,413 plans; the central forecast keeps growing, the interval widens
    p50 = [int(r["ehcplans_p50"]) for r in westminster]
    width = [int(r["ehcplans_p90"]) - int(r["ehcplans_p10"]) for r in westminster]
    assert 1413 < p50[0] < p50[1] < p50[2] and width[0] < width[1] < width[2]
    assert np.all(np.isfinite(p50))
