"""The England sample's councils: every English local authority in DfE's published caseload
(`release-2025/caseload.csv`, the latest January it holds), each sized from its count of EHC
plans then and given one of the three export layouts.

The 2025 release's most recent January (2025) is withheld from the shared copy, so the latest
January there is 2024 (`202324`): 153 councils, 576,474 plans. The three base boroughs keep
their codes (HF, KC, WCC, matched by LA number); every other council is `LA<number>` with its
real 3-digit LA number, name and ONS code. Layouts go round-robin in LA-number order over HF's
CSV, KC's workbook and WCC's pipe file (a base borough keeps its own), and each council's
simulated caseload follows its layout borough's curve (calibration.caseload_targets), scaled so
that its plans at that January census are `fraction` x DfE's count (at least MIN_PLANS).
"""
from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from foundation.reference import base_boroughs

from .population import BoroughSpec

CASELOAD = Path("release-2025") / "caseload.csv"
LAYOUTS = ("HF", "KC", "WCC")
MIN_PLANS = 10


@dataclass(frozen=True, slots=True)
class Council:
    la_number: str
    name: str
    ons_code: str
    region: str
    plans: int          # EHC plans at the January census (DfE)


def january_caseload(dfe_dir: Path) -> tuple[int, list[Council]]:
    """(census year, councils in LA-number order) of the latest January in DfE's caseload file."""
    path = Path(dfe_dir) / CASELOAD
    if not path.is_file():
        raise FileNotFoundError(f"DfE's caseload file is not at {path} (set SENDWH_DFE_DIR or --dfe-dir)")
    rows: dict[str, list[dict]] = {}
    with path.open(newline="", encoding="utf-8-sig") as fh:
        for row in csv.DictReader(fh):
            if row["geographic_level"] == "Local authority" and row["breakdown_topic"] == "All EHC plans":
                rows.setdefault(row["time_period"], []).append(row)
    if not rows:
        raise ValueError(f"{path}: no local-authority rows of all EHC plans")
    period = max(rows)                       # e.g. 202324: the January 2024 census
    councils = sorted((Council(r["old_la_code"], r["la_name"], r["new_la_code"], r["region_name"],
                               int(r["ehcplans"])) for r in rows[period]),
                      key=lambda c: int(c.la_number))
    return int(period[:4]) + 1, councils


def england_specs(dfe_dir: Path, fraction: float = 1.0,
                  councils: int | None = None) -> tuple[int, list[BoroughSpec]]:
    """(census year, a BoroughSpec per council): the three base boroughs first (as in every
    sample), then the others in LA-number order. `councils` keeps only the first N (the base
    three count), for small tests."""
    if not 0 < fraction <= 1:
        raise ValueError("fraction must be in (0, 1]")
    year, found = january_caseload(dfe_dir)
    base = {b.la_number: b for b in base_boroughs().values()}
    ordered = ([c for c in found if c.la_number in base]
               + [c for c in found if c.la_number not in base])
    if councils is not None:
        ordered = ordered[:max(1, councils)]
    specs: list[BoroughSpec] = []
    others = 0
    for council in ordered:
        size = (year, max(MIN_PLANS, round(council.plans * fraction)))
        own = base.get(council.la_number)
        if own is not None:
            code, name, like = own.code, own.name, own.code
        else:
            code, name, like = f"LA{council.la_number}", council.name, LAYOUTS[others % len(LAYOUTS)]
            others += 1
        specs.append(BoroughSpec(code, name, council.la_number, council.ons_code, like,
                                 len(specs), size))
    return year, specs
