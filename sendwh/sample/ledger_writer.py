"""Monthly finance ledger extracts per borough (layout `ledger` section): one file per
fiscal month from 2016/17 P01 to the month of as_of, rows per cost centre x subjective x
value type (actual, commitment, budget, forecast), amounts signed with 2 decimals.

Top-up lines are driven by the simulated placements (independent ~2.5x maintained special
per head), each placement group on its cost centre (cost_centre_map's placement_group, else
the S251 line's default in seeds/finance/s251_lines.csv); HF's savings lines fall by the
business-case amounts from 2017/18 (the case is HF's: KC's and WCC's cost centres for the same
services run at their baseline); the demand-led ones (DCT, travel training, the post-16
contract) also carry their activity on statistical lines (subjective 9900, a count per
month), and their spend is that activity times a unit cost that falls by the saving; HF's
invest lines follow the Cabinet profile and then drop to 0."""
from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import numpy as np

from foundation.settings import PROJECT_ROOT

from . import calibration as cal
from .population import BoroughData

COST_CENTRE_MAP = PROJECT_ROOT / "dbt_project" / "seeds" / "cost_centre_map.csv"
S251_LINES = PROJECT_ROOT / "dbt_project" / "seeds" / "finance" / "s251_lines.csv"
FIRST_FY = 2016

# HF-sized baseline spend in 2016/17, £000 a year, by S251 line
BASE_K = {"1.0.2": 5500, "1.2.4": 1500, "1.2.5": 800, "1.2.8": 400, "1.2.11": 250,
          "1.2.13": 600, "1.4.11": 2400, "2.1.1": 900, "2.1.2": 1100, "3.4.1": 300,
          "3.4.2": 700, "3.4.3": 450}
SAVINGS = {  # baseline £000, saving £000/yr from 2017/18 (HF business case), share achieved
    "DCT": (1500, 122, 1.0), "SEN_EP_TRADING": (320, 13, 1.0),
    "TRAVEL_TRAINING": (400, 50, 0.8), "POST16_CONTRACT": (450, 39, 1.0)}
# the same services outside the business case (KC, WCC): baseline only
SERVICE_BASE_K = {"Disabled Children's Team": 1500,
                  "SEN and EP services: DSG contribution and buy-back": 320,
                  "Independent Travel Training 14-25": 400,
                  "Post-16 education input to EHC plans (contract)": 450}
# demand-led savings lines: activity units a month at HF size in 2016/17, growth a year
ACTIVITY = {"DCT": (300, 0.0), "TRAVEL_TRAINING": (160, 0.04), "POST16_CONTRACT": (90, 0.05)}
ACTIVITY_SUBJECTIVE = "9900"
INVEST = {  # £000 by fiscal year and the periods it is spread over
    "TRANSFER_REVIEW_TEAM": {2016: (125, range(6, 13)), 2017: (250, range(1, 13)),
                             2018: (125, range(1, 7))},
    "PROGRAMME_SUPPORT": {2016: (62.5, range(7, 13)), 2017: (125, range(1, 13))},
}
# annual top-up cost per head (£) by placement kind and the S251 line it is paid from
UNIT_COST = {"special": ("1.2.1", 22000), "mainstream_primary": ("1.2.1", 6000),
             "mainstream_secondary": ("1.2.1", 7000), "college": ("1.2.2", 12000),
             "independent": ("1.2.3", 55000), "setting": ("1.2.8", 3000)}
KIND_GROUP = {"special": "special", "mainstream_primary": "mainstream",
              "mainstream_secondary": "mainstream", "college": "post16",
              "independent": "independent_nm", "setting": "other"}
STAFF_SPLIT = {"1000": 0.75, "2000": 0.04, "4000": 0.09, "5000": 0.15, "9000": -0.03}
PAY_SPLIT = {"1000": 0.01, "4000": 0.02, "5000": 1.0, "9000": -0.03}
STAFF_LINES = {"1.2.5", "1.2.8", "2.1.1", "2.1.2", "3.4.3"}


def cost_centres(borough: str) -> list[dict]:
    """The borough's cost centres, each with its placement group (its own, else its line's)."""
    with open(S251_LINES, newline="", encoding="utf-8") as fh:
        default_group = {r["s251_line"]: r["placement_group"] for r in csv.DictReader(fh)}
    with open(COST_CENTRE_MAP, newline="", encoding="utf-8") as fh:
        rows = [r for r in csv.DictReader(fh) if r["borough"] == borough]
    for r in rows:
        r["placement_group"] = r.get("placement_group") or default_group.get(r["s251_line"], "")
    return rows


def activity_units(line: str, size: float, fy: int, p: int) -> int:
    """Activity a month on a demand-led savings line (smooth growth from 2016/17 P01)."""
    base, growth = ACTIVITY[line]
    return round(base * size * (1 + growth) ** (fy - FIRST_FY + (p - 1) / 12))


def fiscal_months(as_of: date) -> list[tuple[int, int]]:
    out = []
    fy, p = FIRST_FY, 1
    while True:
        year = fy if p <= 9 else fy + 1
        month = (p + 2) % 12 + 1
        if (year, month) > (as_of.year, as_of.month):
            return out
        out.append((fy, p))
        fy, p = (fy, p + 1) if p < 12 else (fy + 1, 1)


def _placement_counts(data: BoroughData) -> dict[int, dict[str, int]]:
    """Active rank-1 placements by kind at the census inside each fiscal year."""
    out: dict[int, dict[str, int]] = {}
    years = data.census_years
    for fy in range(FIRST_FY, data.as_of.year + 1):
        y = min(fy + 1, years[-1])
        c = cal.census_date(y)
        counts: dict[str, int] = {}
        for pl in data.plans:
            if pl.start <= c and (pl.cease_date is None or pl.cease_date > c):
                cur = [x for x in pl.placements if x.rank == 1 and x.entry <= c]
                kind = cur[-1].kind if cur else "setting"
                counts[kind] = counts.get(kind, 0) + 1
        out[fy] = counts
    return out


def _annual(data: BoroughData, ccs: list[dict], fy: int, counts: dict, size: float) -> list:
    """(cost centre, split, expected £, budget £, demand-led savings line or None) per cost
    centre for a fiscal year."""
    infl = 1.02 ** (fy - FIRST_FY)
    driven: dict[tuple[str, str], float] = {}
    for kind, n in counts.get(fy, {}).items():
        line, unit = UNIT_COST[kind]
        key = (line, KIND_GROUP[kind])
        driven[key] = driven.get(key, 0.0) + n * unit * infl
    rows = []
    for cc in ccs:
        line, sav, inv = cc["s251_line"], cc["savings_line"], cc["invest_line"]
        split = STAFF_SPLIT if (line in STAFF_LINES or sav or inv) else PAY_SPLIT
        if inv:
            rows.append((cc["cost_centre"], split, None, inv, None))
            continue
        if sav:
            base, saving, achieved = SAVINGS[sav]
            base, saving = base * 1000 * size, saving * 1000 * size
            demand = sav if sav in ACTIVITY else None
            if fy >= 2017:
                rows.append((cc["cost_centre"], split, base - saving * achieved, base - saving, demand))
            else:
                rows.append((cc["cost_centre"], split, base, base, demand))
            continue
        if cc["description"] in SERVICE_BASE_K:
            base = SERVICE_BASE_K[cc["description"]] * 1000 * size
            rows.append((cc["cost_centre"], split, base, base, None))
            continue
        key = (line, cc["placement_group"])
        if line in ("1.2.1", "1.2.2", "1.2.3") and key in driven:
            expected = driven[key]
        else:
            expected = BASE_K.get(line, 300) * 1000 * size * infl
            if line == "1.2.8":
                expected += driven.get(("1.2.8", "other"), 0.0)
        rows.append((cc["cost_centre"], split, expected, expected * 0.98, None))
    return rows


def write_ledgers(data: BoroughData, layout: dict, root: Path, rel: Path, seed: int,
                  defect_rate: float, defects: list, files: list) -> None:
    spec = data.spec
    led = layout["ledger"]
    cols = led["columns"]
    header = [cols[k] for k in ("fiscal_year", "period", "cost_centre", "subjective",
                                "value_type", "amount_gbp")]
    vt = {v: k for k, v in led["codes"]["value_type"].items()}
    delim = led.get("delimiter", ",")
    fmt = led.get("fiscal_year_format", "YYYY/YY")
    ext = "psv" if delim == "|" else "csv"
    prefix = {"HF": "HF_ledger", "KC": "KC_GL", "WCC": "WCC_ledger"}[spec.like]
    ccs = cost_centres(spec.like)
    savings_ccs = {cc["cost_centre"] for cc in ccs if cc["savings_line"]}
    rng = np.random.default_rng([int(seed), 31337, spec.index])
    pub = cal.PUBLISHED_PLANS[spec.like]
    size = pub[2019] / cal.PUBLISHED_PLANS["HF"][2019]
    counts = _placement_counts(data)
    months = fiscal_months(data.as_of)
    bad: set[int] = set()
    if defect_rate > 0:
        n_bad = max(1, round(defect_rate * 10))
        bad = {int(i) for i in rng.choice(len(months), size=min(n_bad, len(months)), replace=False)}
    annual_cache: dict[int, list] = {}
    for mi, (fy, p) in enumerate(months):
        if fy not in annual_cache:
            annual_cache[fy] = _annual(data, ccs, fy, counts, size)
        fy_label = {"YYYY/YY": f"{fy}/{(fy + 1) % 100:02d}", "YYYY": str(fy),
                    "YYYY-YY": f"{fy}-{(fy + 1) % 100:02d}"}[fmt]
        name = f"{prefix}_{fy}-{(fy + 1) % 100:02d}_P{p:02d}.{ext}"
        rows = []
        for cc, split, expected, budget, demand in annual_cache[fy]:
            if expected is None:      # invest line: its profile, then 0
                prof = INVEST[budget].get(fy)
                monthly = prof[0] * 1000 / len(prof[1]) if prof and p in prof[1] else 0.0
                exp_m, bud_m = monthly, monthly
            elif demand:              # activity x a unit cost that falls by the saving
                units = activity_units(demand, size, fy, p)
                unit_cost = SAVINGS[demand][0] * 1000 / (ACTIVITY[demand][0] * 12)
                rate = 1 - expected / (SAVINGS[demand][0] * 1000 * size)
                exp_m, bud_m = units * unit_cost * (1 - rate), budget / 12
                rows.append((cc, ACTIVITY_SUBJECTIVE, "actual", float(units)))
            else:
                exp_m, bud_m = expected / 12, budget / 12
            for subj, share in split.items():
                # savings lines are monitored closely: less month-to-month noise
                noise = rng.normal(0, 0.08) * (0.25 if cc in savings_ccs else 1.0)
                act = exp_m * share * (1 + noise)
                if subj == "4000" and exp_m and rng.random() < 0.03:
                    act = -abs(act) * 0.3          # credit note
                rows.append((cc, subj, "actual", act))
                if subj in ("4000", "5000"):
                    rows.append((cc, subj, "commitment", exp_m * share * rng.uniform(0.05, 0.3)))
                rows.append((cc, subj, "budget", bud_m * share))
                rows.append((cc, subj, "forecast", exp_m * share * (1 + rng.normal(0, 0.03))))
        if mi in bad:
            k = int(rng.integers(len(rows)))
            cc, subj, typ, amt = rows[k]
            rows[k] = (cc, subj, typ, float(rng.uniform(5.5e6, 9e6)) * (1 if amt >= 0 else -1))
            defects.append({"file": str(rel / name), "row": k + 2, "field": cols["amount_gbp"],
                            "kind": "implausible_amount", "caught_by": "loader"})
        with open(root / name, "w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh, delimiter=delim, lineterminator="\n")
            w.writerow(header)
            for cc, subj, typ, amt in rows:
                amt = round(amt, 2) + 0.0
                w.writerow([fy_label, p, cc, subj, vt[typ], f"{amt:.2f}"])
        files.append({"path": str(rel / name), "borough": spec.code, "source_kind": "ledger",
                      "rows": len(rows)})
