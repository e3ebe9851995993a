"""Reading the published marts for the report: one query helper and the report's scope."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import psycopg
from psycopg.rows import dict_row

TRI_BOROUGH = "ALL"


@dataclass(frozen=True)
class Scope:
    """Which boroughs the report covers (one with --borough, else all and the tri-borough
    rows), its small-number threshold and the day the marts were built for."""

    boroughs: tuple[str, ...]
    threshold: int
    today: date
    one_borough: bool = False

    @property
    def with_total(self) -> tuple[str, ...]:
        return self.boroughs if self.one_borough else (*self.boroughs, TRI_BOROUGH)

    @property
    def headline_borough(self) -> str:
        return self.boroughs[0] if self.one_borough else TRI_BOROUGH

    @property
    def area(self) -> str:
        return self.boroughs[0] if self.one_borough else "the three boroughs"


def rows(conn: psycopg.Connection, query: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(query, params or {}).fetchall()


def built_for(conn: psycopg.Connection) -> date:
    """The 'today' the marts were built for (the worklist's), else the calendar's."""
    found = conn.execute("select max(today_on) from marts.ehc_open_cases").fetchone()[0]
    return found or date.today()
