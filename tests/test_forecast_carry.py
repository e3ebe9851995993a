"""The daily forecast (`run_forecast(only_changed=True)`, forecast/carry.py): only the boroughs
whose history changed are forecast again, the others' rows are kept, and what is published
is what a full forecast of the same data writes, row for row ('ALL' included). On a copy of
the session's sample warehouse, with a synthetic copy of DfE's files."""
from __future__ import annotations

import os

import pytest

from tests.conftest import SAMPLE_TODAY, copy_of_database
from tests.forecast_dfe_fixture import write_synthetic_dfe

COLUMNS = ("borough, origin_year, census_year, age_band, need_group, placement_group, scenario, plans_p10, "
           "plans_p50, plans_p90, plans_mean, cost_p10_gbp, cost_p50_gbp, cost_p90_gbp")


def demand(conn) -> dict[str, list[tuple]]:
    """forecast.demand by borough, without the run id."""
    out: dict[str, list[tuple]] = {}
    for row in conn.execute(f"select {COLUMNS} from forecast.demand order by {COLUMNS}").fetchall():
        out.setdefault(row[0], []).append(row)
    return out


@pytest.fixture(scope="module")
def runs(sample_warehouse, tmp_path_factory):
    """A full forecast; KC's history changes (five people at its last census leave); the
    daily forecast; a full forecast of the same data; HF's kept paths removed and the daily
    forecast again."""
    from forecast import run_forecast
    from foundation.database import connect
    from foundation.settings import get_settings

    dfe = tmp_path_factory.mktemp("dfe")
    write_synthetic_dfe(dfe)
    previous = os.environ["SENDWH_OUTPUTS_DIR"]
    os.environ["SENDWH_OUTPUTS_DIR"] = str(tmp_path_factory.mktemp("carry-outputs"))
    get_settings.cache_clear()
    out = {}
    try:
        with copy_of_database(sample_warehouse.url, "carry"), connect(autocommit=True) as conn:
            out["first"] = run_forecast(dfe_dir=dfe, today=SAMPLE_TODAY)
            out["before"] = demand(conn)
            conn.execute("delete from restricted.forecast_history where ctid in (select ctid from "
                         "restricted.forecast_history where borough = 'KC' and census_year = "
                         "(select max(census_year) from restricted.forecast_history where borough = 'KC') "
                         "order by person_key limit 5)")
            out["daily"] = run_forecast(dfe_dir=dfe, today=SAMPLE_TODAY, only_changed=True)
            out["daily_rows"] = demand(conn)
            out["daily_run_ids"] = conn.execute("select distinct run_id from forecast.demand").fetchall()
            out["full"] = run_forecast(dfe_dir=dfe, today=SAMPLE_TODAY)
            out["full_rows"] = demand(conn)
            folder = get_settings().outputs_dir / "forecast-paths"
            out["kept_files"] = sorted(p.name.split(".")[0] for p in folder.iterdir())
            for path in folder.glob("HF.*"):
                path.unlink()
            out["again"] = run_forecast(dfe_dir=dfe, today=SAMPLE_TODAY, only_changed=True)
            out["again_rows"] = demand(conn)
            yield out
    finally:
        os.environ["SENDWH_OUTPUTS_DIR"] = previous
        get_settings.cache_clear()


def test_only_the_changed_borough_is_forecast_again(runs):
    daily = runs["daily"]
    assert daily.boroughs == ["HF", "KC", "WCC"]
    assert daily.carried == ["HF", "WCC"]
    written = len(runs["daily_rows"]["KC"]) + len(runs["daily_rows"]["ALL"])
    assert daily.demand_rows == written
    assert runs["daily_run_ids"] == [(daily.run_id,)]      # the kept rows are the new run's


def test_the_daily_forecast_equals_a_full_forecast_of_the_same_data(runs):
    daily, full, before = runs["daily_rows"], runs["full_rows"], runs["before"]
    assert set(daily) == set(full) == {"HF", "KC", "WCC", "ALL"}
    for borough in full:
        assert daily[borough] == full[borough], borough
    assert daily["HF"] == before["HF"] and daily["WCC"] == before["WCC"]
    assert daily["KC"] != before["KC"] and daily["ALL"] != before["ALL"]      # the change is seen


def test_the_backtest_is_reused_while_dfe_files_are_unchanged(runs):
    first, daily, full = runs["first"], runs["daily"], runs["full"]
    assert first.backtest_run_id and daily.backtest_run_id == first.backtest_run_id
    assert any("reused" in note for note in daily.notes)
    assert [(m["model"], m["horizon"]) for m in daily.backtest] == \
        [(m["model"], m["horizon"]) for m in first.backtest]
    assert [m["wape"] for m in daily.backtest] == pytest.approx([m["wape"] for m in first.backtest], abs=1e-6)
    assert daily.backtest_passed == first.backtest_passed
    assert full.backtest_run_id != first.backtest_run_id        # a full run backtests again


def test_a_borough_without_kept_paths_is_forecast_again(runs):
    assert runs["kept_files"] == ["HF", "KC", "WCC"]           # one file per borough: older ones removed
    assert runs["again"].carried == ["KC", "WCC"]
    assert runs["again_rows"] == runs["full_rows"]
