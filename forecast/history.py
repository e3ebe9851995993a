"""A borough's own history from the warehouse: everyone with a plan at each January census,
with age, primary need group and placement group (pseudonymous person keys only).

The rows are the dbt model made for the forecast (dbt_project/models/restricted/forecast/
forecast_history.sql: the need groups come from the need_types seed), published to
`restricted` with the marts once the quality gates pass."""
from __future__ import annotations

SCHEMA = "restricted"
QUERY = f"""
select census_year, borough, person_key, age, need_group, placement_group
from {SCHEMA}.forecast_history {{where}}
order by borough, census_year
"""


def read_history(conn, boroughs: list[str] | None = None) -> dict[str, list[tuple]]:
    """{borough: [(census_year, person_key, age, need_group, placement_group), ...]}."""
    where = "where borough = any(%s)" if boroughs else ""
    rows = conn.execute(QUERY.format(where=where), (boroughs,) if boroughs else ()).fetchall()
    out: dict[str, list[tuple]] = {}
    for year, borough, person, age, need, place in rows:
        out.setdefault(borough, []).append((year, person, age, need, place))
    return out


def has_history(conn) -> bool:
    return bool(conn.execute(f"select to_regclass('{SCHEMA}.forecast_history') is not null").fetchone()[0])
