"""`sendwh sen2 summary FILE`: the DfE measures of one SEN2 file.

Computed by the marts' own definitions, not a second copy of them: the file is loaded on
its own into a scratch database on the warehouse server, `dbt build` runs there, and the
figures are read from the marts as built (the build schema: nothing is published from a
throw-away database); the scratch database is then dropped. (About 20 seconds.)
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from psycopg import sql

from expectations.gate import BUILD_SCHEMA
from extract.ingest import ingest
from foundation.database import analyze_raw, connect
from foundation.schema import scratch_database
from sendwh.dbt_runner import run_dbt


@dataclass
class Summary:
    borough: str
    year: int
    timeliness: dict[str, Any]
    active_plans: int
    by_need: dict[str, int] = field(default_factory=dict)
    by_placement: dict[str, int] = field(default_factory=dict)


class SummaryError(Exception):
    pass


def summarise(path: Path) -> Summary:
    with scratch_database("summary"):
        [loaded] = ingest("sen2", [path])
        if loaded.status != "loaded":
            raise SummaryError(loaded.reason or "the file could not be loaded")
        analyze_raw()
        if run_dbt(["build", "--select", "+ehc_timeliness +ehcp_caseload"], quiet=True) != 0:
            raise SummaryError("dbt build failed on this file (run `sendwh sen2 validate` first)")
        borough, year = loaded.borough, int(loaded.period)
        with connect() as conn:
            marts = sql.Identifier(BUILD_SCHEMA)
            cur = conn.execute(sql.SQL(
                "select * from {}.ehc_timeliness where borough = %s and calendar_year = %s")
                .format(marts), (borough, year - 1))
            names = [c.name for c in cur.description]
            row = cur.fetchone()
            timeliness = dict(zip(names, row)) if row else {}
            by_need = dict(conn.execute(sql.SQL(
                "select primary_need, sum(ehcplans)::int from {}.ehcp_caseload "
                "where borough = %s and census_year = %s group by 1 order by 2 desc").format(marts),
                (borough, year)))
            by_placement = dict(conn.execute(sql.SQL(
                "select placement_group, sum(ehcplans)::int from {}.ehcp_caseload "
                "where borough = %s and census_year = %s group by 1 order by 2 desc").format(marts),
                (borough, year)))
    return Summary(borough, year, timeliness, sum(by_need.values()), by_need, by_placement)
