"""A borough's own history from the warehouse: everyone with a plan at each January census,
with age, primary need group and placement group (pseudonymous person keys only)."""
from __future__ import annotations

from forecast.model import NEED_GROUPS

# SEN2 primary need (SENtype) -> the broad areas of need of the SEND Code of Practice
# (the project's need_types seed groups them the same way; read from it when built)
NEED_GROUP_OF_TYPE = {
    "SPLD": "cognition_learning", "MLD": "cognition_learning", "SLD": "cognition_learning",
    "PMLD": "cognition_learning", "DS": "cognition_learning",
    "SLCN": "communication_interaction", "ASD": "communication_interaction",
    "SEMH": "semh",
    "HI": "sensory_physical", "VI": "sensory_physical", "MSI": "sensory_physical", "PD": "sensory_physical",
    "OTH": "other",
}

QUERY = """
select census_year, borough, person_key, age, primary_need, placement_group
from intermediate.int_plans_at_census
where age between 0 and 25 {where}
order by borough, census_year
"""


def need_group(need_type: str | None, seed: dict[str, str] | None = None) -> str:
    group = (seed or NEED_GROUP_OF_TYPE).get((need_type or "").upper(), "other")
    return group if group in NEED_GROUPS else "other"


def read_history(conn, boroughs: list[str] | None = None) -> dict[str, list[tuple]]:
    """{borough: [(census_year, person_key, age, need_group, placement_group), ...]}."""
    seed = None
    try:
        with conn.transaction():
            seed = dict(conn.execute("select need_type, need_group from staging.need_types").fetchall())
    except Exception:  # the seed not built yet: the same grouping from this module
        seed = None
    where = "and borough = any(%s)" if boroughs else ""
    rows = conn.execute(QUERY.format(where=where), (boroughs,) if boroughs else ()).fetchall()
    out: dict[str, list[tuple]] = {}
    for year, borough, person, age, need, place in rows:
        out.setdefault(borough, []).append((year, person, age, need_group(need, seed), place))
    return out


def has_history(conn) -> bool:
    return bool(conn.execute("select to_regclass('intermediate.int_plans_at_census') is not null").fetchone()[0])
