"""Demand forecasts that say how wrong they have been.

- `run_forecast()`: fit each borough in the warehouse (person-level cohort model), write
  forecast.demand, and, when DfE's published files are available, the rolling-origin
  backtest over every English council to forecast.backtest. The DAG calls it after publishing.
- `forecast.report.tri_borough_summary_lines(conn)`: lines for `sendwh demo`.

Modules: published (DfE's files), aggregate (the cohort model on published counts),
baselines (the simple rules), leading (the leading-indicator regression), candidates (every
forecast at one origin), combination (the combined model, chosen on earlier origins),
history (the warehouse), model (the person-level cohort model), boroughs, councils,
backtest, store (forecast tables), report, cli.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path

from forecast import store
from forecast.aggregate import AggregateConfig
from forecast.backtest import beats_baselines, run_backtest
from forecast.boroughs import forecast_boroughs
from forecast.history import has_history, read_history, read_unit_costs
from forecast.leading import load_config as leading_config
from forecast.model import ModelConfig, rates_summary
from forecast.published import DfeDataError, load_published
from foundation.database import connect
from foundation.published import published_run
from foundation.settings import get_settings


@dataclass
class ForecastSummary:
    run_id: str | None
    boroughs: list[str]
    origin_year: int | None
    demand_rows: int
    backtest_run_id: str | None = None
    backtest: list[dict] = field(default_factory=list)
    backtest_passed: bool | None = None
    backtest_findings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    published_from: str | None = None    # the gate run the history came from


def run_forecast(dfe_dir: str | Path | None = None, today: str | date | None = None,
                 horizon: int = 3, scenarios: list | None = None) -> ForecastSummary:
    """Read the warehouse, forecast every borough for the next `horizon` Januaries after its
    latest census up to `today`, replace forecast.demand's rows for those boroughs, and
    (DfE folder given or configured and present) replace forecast.backtest.

    scenarios: `forecast.model.Scenario`s forecast beside the baseline (rows with their name
    in the `scenario` column), e.g. Scenario(joiner_multiplier=1.1, name='joiners_x1.1').

    The history is read only if `restricted` is what a completed gate run published
    (foundation.published.NotPublished otherwise, before anything is written)."""
    today_d = date.fromisoformat(str(today)) if today else None
    config = ModelConfig()
    summary = ForecastSummary(None, [], None, 0)
    with connect() as conn:
        history = {}
        if has_history(conn):
            summary.published_from = published_run(conn).describe()
            history = read_history(conn)
        if today_d:
            history = {b: [r for r in rows if r[0] <= today_d.year] for b, rows in history.items()}
        history = {b: rows for b, rows in history.items() if rows}
        if history:
            started = datetime.now(timezone.utc)
            unit_costs = read_unit_costs(conn)
            rows, fits = forecast_boroughs(history, horizon=horizon, config=config, unit_costs=unit_costs)
            for scenario in scenarios or []:
                rows += forecast_boroughs(history, horizon=horizon, config=config,
                                          scenario=scenario, unit_costs=unit_costs)[0]
            run_id = store.new_run_id("borough")
            origin = max(f.origin for f in fits.values())
            store.write_demand(conn, rows, run_id=run_id, started_at=started, origin_year=origin,
                               settings={"model": vars(config), "horizon": horizon,
                                         "scenarios": [vars(x) for x in scenarios or []]},
                               summary={b: rates_summary(f) for b, f in fits.items()})
            summary.run_id, summary.boroughs = run_id, sorted(fits)
            summary.origin_year, summary.demand_rows = origin, len(rows)
        else:
            summary.notes.append("no plans at census in the warehouse: no borough forecast")
        folder = Path(dfe_dir) if dfe_dir else get_settings().dfe_dir
        if folder and Path(folder).is_dir():
            try:
                result = run_published_backtest(conn, folder)
            except DfeDataError as error:     # a DfE folder without caseload files
                summary.notes.append(f"backtest not run: {error}")
            else:
                summary.backtest_run_id, summary.backtest = result["run_id"], result["metrics"]
                summary.backtest_passed, summary.backtest_findings = result["passed"], result["findings"]
        else:
            summary.notes.append("no DfE folder: backtest not run")
    return summary


def run_published_backtest(conn, dfe_dir: str | Path, progress=None) -> dict:
    """Backtest on DfE's published caseloads and write forecast.backtest."""
    started = datetime.now(timezone.utc)
    config = AggregateConfig()
    result = run_backtest(load_published(dfe_dir), config=config, progress=progress)
    passed, findings = beats_baselines(result.metrics)
    run_id = store.new_run_id("backtest")
    choices = {f"{origin}+{h}": {"subset": list(c.subset), "interval_scale": c.scale}
               for (origin, h), c in result.choices.items()}
    store.write_backtest(conn, result.metrics, run_id=run_id, started_at=started,
                         settings={"model": vars(config), "leading": vars(leading_config()),
                                   "origins": result.origins},
                         summary={"councils": result.councils, "passed": passed, "findings": findings,
                                  "combined_model_choices": choices})
    return {"run_id": run_id, "metrics": result.metrics, "passed": passed, "findings": findings,
            "councils": result.councils, "origins": result.origins}
