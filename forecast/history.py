"""A borough's own history from the warehouse: everyone with a plan at each January census,
with age, primary need group and placement group (pseudonymous person keys only).

The rows are the dbt model made for the forecast (dbt_project/models/restricted/forecast/
forecast_history.sql: the need groups come from the need_types seed), published to
`restricted` with the marts once the quality gates pass."""
from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping

SCHEMA = "restricted"


class BoroughHistory(Mapping):
    """{borough: [(census_year, person_key, age, need_group, placement_group), ...]} for the
    censuses up to `up_to` (every census when None), each borough's rows read from the
    warehouse when asked for: one borough's history in memory at a time, however many
    councils there are (a dict of every council's rows grew the forecast by about 1.5 MB a
    council at England's scale)."""

    def __init__(self, conn, up_to: int | None = None, boroughs: Iterable[str] | None = None) -> None:
        self.conn, self.up_to = conn, up_to
        if boroughs is None:
            boroughs = [b for (b,) in conn.execute(
                f"select distinct borough from {SCHEMA}.forecast_history "
                "where census_year <= coalesce(%s, census_year) order by borough", (up_to,))]
        self._boroughs = list(boroughs)
        self._known = set(self._boroughs)

    def only(self, boroughs: Iterable[str]) -> BoroughHistory:
        """The same history for these of its boroughs."""
        wanted = set(boroughs)
        return BoroughHistory(self.conn, self.up_to, [b for b in self._boroughs if b in wanted])

    def __getitem__(self, borough: str) -> list[tuple]:
        if borough not in self._known:
            raise KeyError(borough)
        return self.conn.execute(
            f"select census_year, person_key, age, need_group, placement_group "
            f"from {SCHEMA}.forecast_history where borough = %s "
            "and census_year <= coalesce(%s, census_year) order by census_year",
            (borough, self.up_to)).fetchall()

    def __contains__(self, borough: object) -> bool:
        return borough in self._known

    def __iter__(self) -> Iterator[str]:
        return iter(self._boroughs)

    def __len__(self) -> int:
        return len(self._boroughs)


def read_history(conn, boroughs: list[str] | None = None) -> dict[str, list[tuple]]:
    """{borough: [(census_year, person_key, age, need_group, placement_group), ...]}, every
    borough's (or these boroughs') rows at once."""
    history = BoroughHistory(conn)
    return dict((history.only(boroughs) if boroughs else history).items())


def has_history(conn) -> bool:
    return bool(conn.execute(f"select to_regclass('{SCHEMA}.forecast_history') is not null").fetchone()[0])


UNIT_COSTS = """
select distinct on (borough, placement_group) borough, placement_group, unit_cost_gbp
from marts.placement_unit_costs
where unit_cost_gbp is not null
order by borough asc, placement_group asc, fiscal_year_start desc
"""


def read_unit_costs(conn) -> dict[str, dict[str, float]]:
    """{borough: {placement group: GBP per placement per year}} at the latest fiscal year
    with a unit cost (as demand_forecast prices a known placement group); {} before the
    finance marts are built."""
    if not conn.execute("select to_regclass('marts.placement_unit_costs') is not null").fetchone()[0]:
        return {}
    out: dict[str, dict[str, float]] = {}
    for borough, place, cost in conn.execute(UNIT_COSTS).fetchall():
        out.setdefault(borough, {})[place] = float(cost)
    return out
