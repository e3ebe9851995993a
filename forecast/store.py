"""Writing forecast tables: each run replaces the previous run's rows of its kind in one
transaction, and is recorded in forecast.runs (kept) with its id and timestamps. The tables
are migration 0003's (foundation/migrations/): the warehouse is set up before a forecast."""
from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from datetime import datetime, timezone

DEMAND_COLUMNS = ("run_id", "borough", "origin_year", "census_year", "age_band", "need_group",
                  "placement_group", "scenario", "plans_p10", "plans_p50", "plans_p90", "plans_mean",
                  "cost_p10_gbp", "cost_p50_gbp", "cost_p90_gbp")
BACKTEST_COLUMNS = ("run_id", "model", "horizon_years", "councils", "origins", "forecasts",
                    "first_origin_year", "last_origin_year", "wape", "bias", "coverage_80")


def new_run_id(kind: str) -> str:
    return f"{kind}-{datetime.now(timezone.utc):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6]}"


def _record_run(conn, run_id, kind, started_at, origin_year, settings, summary) -> None:
    conn.execute("insert into forecast.runs (run_id, kind, started_at, finished_at, origin_year, settings, summary) "
                 "values (%s, %s, %s, %s, %s, %s::jsonb, %s::jsonb)",
                 (run_id, kind, started_at, datetime.now(timezone.utc), origin_year,
                  json.dumps(settings, default=str), json.dumps(summary, default=str)))


def _copy(conn, table: str, columns: tuple[str, ...], rows: Iterable[dict]) -> None:
    with conn.cursor().copy(f"copy {table} ({', '.join(columns)}) from stdin") as copy:
        for row in rows:
            copy.write_row([row.get(c) for c in columns])


class DemandSpool:
    """A run's forecast.demand rows, COPYed into a temporary table of this session as each
    borough's are made (`add`), so that none wait in memory for the others; `write_demand`
    moves them into forecast.demand in one statement."""

    TABLE = "pg_temp.demand_spool"

    def __init__(self, conn) -> None:
        self.conn = conn
        conn.execute(f"drop table if exists {self.TABLE}")
        conn.execute(f"create temp table demand_spool as select {', '.join(DEMAND_COLUMNS[1:])} "
                     "from forecast.demand with no data")
        self.rows = 0

    def add(self, rows: list[dict]) -> None:
        _copy(self.conn, self.TABLE, DEMAND_COLUMNS[1:], rows)
        self.rows += len(rows)

    def boroughs(self) -> list[str]:
        return [b for (b,) in self.conn.execute(f"select distinct borough from {self.TABLE} order by 1")]


def write_demand(conn, spool: DemandSpool, *, run_id: str, started_at: datetime,
                 origin_year: int | None, settings: dict, summary: dict, carried: list[str] = (),
                 carried_from: str | None = None) -> None:
    """Replace the forecast of every borough in the run's `spool` in one transaction; the rows
    of the boroughs `carried` over from run `carried_from` (forecast.carry) become this run's."""
    columns = ", ".join(DEMAND_COLUMNS[1:])
    with conn.transaction():
        _record_run(conn, run_id, "borough", started_at, origin_year, settings, summary)
        conn.execute("delete from forecast.demand where borough = any(%s)", (spool.boroughs(),))
        if carried:
            conn.execute("update forecast.demand set run_id = %s where borough = any(%s) and run_id = %s",
                         (run_id, sorted(carried), carried_from))
        conn.execute(f"insert into forecast.demand (run_id, {columns}) "
                     f"select %s, {columns} from {spool.TABLE}", (run_id,))


def write_backtest(conn, metrics: list[dict], *, run_id: str, started_at: datetime,
                   settings: dict, summary: dict) -> None:
    rows = [{"model": m["model"], "horizon_years": m["horizon"], "councils": m["councils"],
             "origins": m["origins"], "forecasts": m["forecasts"], "first_origin_year": m["first_origin"],
             "last_origin_year": m["last_origin"], "wape": round(m["wape"], 6), "bias": round(m["bias"], 6),
             "coverage_80": None if m["coverage_80"] is None else round(m["coverage_80"], 6)}
            for m in metrics]
    with conn.transaction():
        _record_run(conn, run_id, "backtest", started_at, None, settings, summary)
        conn.execute("delete from forecast.backtest")
        _copy(conn, "forecast.backtest", BACKTEST_COLUMNS, [dict(r, run_id=run_id) for r in rows])
