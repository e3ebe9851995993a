"""Demand forecasts that say how wrong they have been.

- `run_forecast()`: fit each borough in the warehouse (person-level cohort model), write
  forecast.demand, and, when DfE's published files are available, the rolling-origin
  backtest over every English council to forecast.backtest. The DAG calls it after publishing.
- `forecast.report.tri_borough_summary_lines(conn)`: lines for `sendwh demo`.

Modules: published (DfE's files), aggregate (the cohort model on published counts),
baselines (the simple rules), leading (the leading-indicator regression), candidates (every
forecast at one origin), combination (the combined model, chosen on earlier origins),
history (the warehouse), model (the person-level cohort model), boroughs, councils,
backtest, store (forecast tables), carry (what a daily run keeps), report, cli.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path

from forecast import carry, store
from forecast.aggregate import AggregateConfig
from forecast.backtest import beats_baselines, run_backtest
from forecast.boroughs import forecast_boroughs
from forecast.history import BoroughHistory, has_history, read_unit_costs
from forecast.leading import load_config as leading_config
from forecast.model import ModelConfig, Scenario, rates_summary
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
    carried: list[str] = field(default_factory=list)   # boroughs whose rows were kept (only_changed)


def run_forecast(dfe_dir: str | Path | None = None, today: str | date | None = None,
                 horizon: int = 3, scenarios: list | None = None,
                 only_changed: bool = False) -> ForecastSummary:
    """Read the warehouse, forecast every borough for the next `horizon` Januaries after its
    latest census up to `today`, replace forecast.demand's rows for those boroughs, and
    (DfE folder given or configured and present) replace forecast.backtest.

    scenarios: `forecast.model.Scenario`s forecast beside the baseline (rows with their name
    in the `scenario` column), e.g. Scenario(joiner_multiplier=1.1, name='joiners_x1.1').

    only_changed: forecast again only the boroughs whose inputs changed since the previous
    run, keep the others' rows (the same rows a full run would write), and reuse the
    backtest while DfE's files are unchanged (forecast.carry). The 'ALL' rows are summed
    from every borough's paths either way.

    The history is read only if `restricted` is what a completed gate run published
    (foundation.published.NotPublished otherwise, before anything is written)."""
    today_d = date.fromisoformat(str(today)) if today else None
    config = ModelConfig()
    summary = ForecastSummary(None, [], None, 0)
    with connect() as conn:
        history: BoroughHistory | dict = {}
        if has_history(conn):
            summary.published_from = published_run(conn).describe()
            history = BoroughHistory(conn, up_to=today_d.year if today_d else None)
        if history:
            _forecast_boroughs(conn, history, horizon, config, scenarios or [], only_changed, summary)
        else:
            summary.notes.append("no plans at census in the warehouse: no borough forecast")
        folder = Path(dfe_dir) if dfe_dir else get_settings().dfe_dir
        if folder and Path(folder).is_dir():
            try:
                result = run_published_backtest(conn, folder, reuse=only_changed)
            except DfeDataError as error:     # a DfE folder without caseload files
                summary.notes.append(f"backtest not run: {error}")
            else:
                summary.backtest_run_id, summary.backtest = result["run_id"], result["metrics"]
                summary.backtest_passed, summary.backtest_findings = result["passed"], result["findings"]
                if result.get("reused"):
                    summary.notes.append(f"backtest {result['run_id']} reused: DfE's files are unchanged")
        else:
            summary.notes.append("no DfE folder: backtest not run")
    return summary


def _forecast_boroughs(conn, history: BoroughHistory, horizon: int, config: ModelConfig, scenarios: list,
                       only_changed: bool, summary: ForecastSummary) -> None:
    """Each borough read, fitted, simulated and its rows spooled in turn (forecast.history,
    store.DemandSpool): memory does not grow with the number of boroughs."""
    started = datetime.now(timezone.utc)
    unit_costs = read_unit_costs(conn)
    settings = {"model": vars(config), "horizon": horizon, "scenarios": [vars(x) for x in scenarios]}
    digests = carry.borough_digests(history, unit_costs, settings)
    cache = carry.PathCache(get_settings().outputs_dir / "forecast-paths")
    all_scenarios = [Scenario()] + list(scenarios)
    keys = [json.dumps(vars(s), sort_keys=True) for s in all_scenarios]   # a path file's scenario
    previous, unchanged = carry.unchanged_boroughs(conn, digests) if only_changed else (None, {})
    kept_origins = {}
    for borough in sorted(unchanged):
        origins = [cache.origin(borough, digests[borough], key) for key in keys]
        if all(origin is not None for origin in origins):
            kept_origins[borough] = origins[0]
        else:
            del unchanged[borough]      # no paths for its share of 'ALL': forecast it again
    reuse = [cache.paths(digests, key, unchanged) for key in keys]
    changed = history.only(b for b in history if b not in unchanged)
    rows, fits = store.DemandSpool(conn), {}
    for i, (scenario, key) in enumerate(zip(all_scenarios, keys)):
        _, fitted = forecast_boroughs(
            changed, horizon=horizon, config=config, scenario=scenario, unit_costs=unit_costs, reuse=reuse[i],
            keep=lambda b, origin, banded, key=key: cache.save(b, digests[b], key, origin, banded),
            emit=rows.add)
        if i == 0:
            fits = fitted
    run_id = store.new_run_id("borough")
    origins = [f.origin for f in fits.values()] + list(kept_origins.values())
    origin = max(origins)
    rates = {b: rates_summary(f) for b, f in fits.items()} | unchanged
    store.write_demand(conn, rows, run_id=run_id, started_at=started, origin_year=origin,
                       settings=settings | {"inputs": {b: digests[b] for b in sorted(rates)}},
                       summary=rates, carried=sorted(unchanged), carried_from=previous)
    summary.run_id, summary.boroughs = run_id, sorted(rates)
    summary.origin_year, summary.demand_rows = origin, rows.rows
    summary.carried = sorted(unchanged)


def run_published_backtest(conn, dfe_dir: str | Path, progress=None, reuse: bool = False) -> dict:
    """Backtest on DfE's published caseloads and write forecast.backtest; with `reuse`, the
    backtest already there when it was made from the same files, settings and code."""
    started = datetime.now(timezone.utc)
    config = AggregateConfig()
    settings = {"model": vars(config), "leading": vars(leading_config())}
    digest = carry.dfe_digest(Path(dfe_dir), settings)
    if reuse:
        previous = carry.previous_backtest(conn, digest)
        if previous:
            return previous
    result = run_backtest(load_published(dfe_dir), config=config, progress=progress)
    passed, findings = beats_baselines(result.metrics)
    run_id = store.new_run_id("backtest")
    choices = {f"{origin}+{h}": {"subset": list(c.subset), "interval_scale": c.scale}
               for (origin, h), c in result.choices.items()}
    store.write_backtest(conn, result.metrics, run_id=run_id, started_at=started,
                         settings=settings | {"origins": result.origins, "inputs": digest},
                         summary={"councils": result.councils, "passed": passed, "findings": findings,
                                  "combined_model_choices": choices})
    return {"run_id": run_id, "metrics": result.metrics, "passed": passed, "findings": findings,
            "councils": result.councils, "origins": result.origins}
