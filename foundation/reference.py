"""Reference facts, read from their one home: the dbt project's seeds (which SQL reads too)
and its `vars` (the statutory limits). Nothing here is written twice anywhere else.

- `boroughs()`: borough code, name, LA number and ONS code (`seeds/boroughs.csv`), plus any
  extra boroughs from the settings' boroughs file (the synthetic ones of `sendwh sample
  --scale`), each naming the borough whose export layout it reuses (`like`).
"""
from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from foundation.settings import PROJECT_ROOT, get_settings

DBT_PROJECT = PROJECT_ROOT / "dbt_project"
SEEDS = DBT_PROJECT / "seeds"


@dataclass(frozen=True)
class Borough:
    code: str
    name: str
    la_number: str
    ons_code: str | None
    like: str          # the borough whose export layout this one uses (itself for a real one)


def read_seed(name: str) -> list[dict[str, str]]:
    """A seed's rows as dicts of text (`name` relative to the seeds folder, without .csv)."""
    with (SEEDS / f"{name}.csv").open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


@lru_cache
def base_boroughs() -> dict[str, Borough]:
    return {row["borough"]: Borough(row["borough"], row["borough_name"], row["la_number"],
                                    row["ons_code"] or None, row["borough"])
            for row in read_seed("boroughs")}


@lru_cache(maxsize=8)
def _extra_boroughs(path: str, mtime_ns: int) -> dict[str, Borough]:
    """Parsed once per file version (a load of thousands of files asks for it each time)."""
    entries = (yaml.safe_load(Path(path).read_text()) or {}).get("boroughs", [])
    return {e["borough"]: Borough(e["borough"], e["name"], str(e["la_number"]),
                                  e.get("ons_code"), e["like"]) for e in entries}


def boroughs(extra_file: Path | None = None) -> dict[str, Borough]:
    """Every borough the warehouse knows: the seed's, then the extra boroughs file's."""
    extra = extra_file or get_settings().extra_boroughs_file
    if extra and Path(extra).exists():
        return {**base_boroughs(), **_extra_boroughs(str(extra), Path(extra).stat().st_mtime_ns)}
    return dict(base_boroughs())
