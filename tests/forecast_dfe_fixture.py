"""A small synthetic copy of DfE's EHC plan statistics in DfE's own layout (the caseload
files and the calendar-year requests and new plans the forecast reads), so the forecast
commands run when the shared folder is missing."""
from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

BAND_LABELS = ("Under 5", "Age 5 to 10", "Age 11 to 15", "Age 16 to 19", "Age 20 to 25")
SHARES = np.array([0.05, 0.34, 0.31, 0.19, 0.11])
AGE_LABELS = ["under 3"] + [f"age {a}" for a in range(3, 26)]


def _age_band(label: str) -> int:
    age = 0 if label == "under 3" else int(label.split()[1])
    return 0 if age <= 4 else 1 if age <= 10 else 2 if age <= 15 else 3 if age <= 19 else 4


def write_synthetic_dfe(folder: Path, councils: int = 12, seed: int = 7) -> dict[str, list[int]]:
    """Caseloads growing about 9% a year from 2016 with council-level noise; returns the
    January totals 2010-2024 per new_la_code."""
    rng = np.random.default_rng(seed)
    old_rows, new_rows, totals = [], [], {}
    for i in range(councils):
        old_code, new_code, name = str(800 + i), f"E0600{i:04d}", f"Synthetic {i}"
        level = rng.uniform(400, 3000)
        growth = rng.normal(0.09, 0.02)
        series = []
        for year in range(2010, 2025):
            step = 0.01 if year <= 2015 else growth
            level *= np.exp(step + rng.normal(0, 0.02))
            series.append(int(round(level)))
        totals[new_code] = series
        for year, total in zip(range(2010, 2023), series):
            bands = np.round(total * SHARES).astype(int)
            bands[1] += total - bands.sum()
            common = {"time_period": str(year), "time_identifier": "Calendar year",
                      "geographic_level": "Local authority", "old_la_code": old_code,
                      "new_la_code": new_code, "la_name": name, "region_name": "Synthetic"}
            old_rows.append(dict(common, characteristic_age="Total", Total_all=str(total)))
            for label, value in zip(BAND_LABELS, bands):
                old_rows.append(dict(common, characteristic_age=label, Total_all=str(value)))
        for year, total in zip(range(2019, 2025), series[9:]):
            code = f"{year - 1}{year % 100:02d}"
            common = {"time_period": code, "time_identifier": "Academic year",
                      "geographic_level": "Local authority", "old_la_code": old_code,
                      "new_la_code": new_code, "la_name": name, "region_name": "Synthetic"}
            new_rows.append(dict(common, breakdown_topic="All EHC plans", breakdown="All EHC plans",
                                 ehcplans=str(total)))
            if year == 2024:
                per_age = np.array([SHARES[_age_band(a)] / sum(_age_band(b) == _age_band(a) for b in AGE_LABELS)
                                    for a in AGE_LABELS])
                counts = np.round(total * per_age).astype(int)
                counts[8] += total - counts.sum()
                for label, value in zip(AGE_LABELS, counts):
                    new_rows.append(dict(common, breakdown_topic="Child or young persons age",
                                         breakdown=label, ehcplans=str(value)))
    flows = _flow_rows(totals, rng)
    for sub, name, rows in (("release-2022", "sen2_age_caseload.csv", old_rows),
                            ("release-2025", "caseload.csv", new_rows), *flows):
        (folder / sub).mkdir(parents=True, exist_ok=True)
        with open(folder / sub / name, "w", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
    return totals


CEASING = 0.06          # share of January's plans that cease during the year
CONVERSION = 0.7        # new plans in a year per initial request the year before


def _flow_rows(totals: dict[str, list[int]], rng) -> list[tuple[str, str, list[dict]]]:
    """Calendar-year new plans (January to January change plus ceased plans) and initial
    requests (the next year's new plans / CONVERSION), in both releases' layouts, each file
    with a regional row (the councils' sum)."""
    files = {("release-2022", "sen2_age_new_plans.csv"): ([], "Total_new_all", range(2010, 2022)),
             ("release-2022", "sen2_mi.csv"): ([], "InreqEHC", range(2016, 2022)),
             ("release-2025", "newplans.csv"): ([], "new_ehc_plans", range(2019, 2024)),
             ("release-2025", "requests.csv"): ([], "requests_received_in_year", range(2019, 2024))}
    region: dict[tuple, float] = {}
    for i, (new_code, series) in enumerate(totals.items()):
        stock = dict(zip(range(2010, 2025), series))
        new = {y: stock[y + 1] - stock[y] + CEASING * stock[y] for y in range(2010, 2024)}
        requests = {y: new.get(y + 1, new[y] * 1.09) / CONVERSION * rng.uniform(0.97, 1.03)
                    for y in range(2016, 2024)}
        for (sub, name), (rows, column, years) in files.items():
            values = new if "new" in column else requests
            for year in years:
                row = {"time_period": str(year), "time_identifier": "Calendar year",
                       "geographic_level": "Local authority", "old_la_code": str(800 + i),
                       "new_la_code": new_code, "la_name": f"Synthetic {i}", "region_name": "Synthetic",
                       column: str(int(round(values[year])))}
                if name == "sen2_age_new_plans.csv":
                    row["characteristic_age"] = "Total"
                elif sub == "release-2025":
                    row["breakdown_topic"] = ("New EHC plans" if "new" in column
                                              else "All requests for EHC needs assessments")
                rows.append(row)
                region[(sub, name, year)] = region.get((sub, name, year), 0) + int(row[column])
    out = []
    for (sub, name), (rows, column, years) in files.items():
        for year in years:
            rows.append(dict(rows[0], geographic_level="Regional", old_la_code="", new_la_code="",
                             la_name="", time_period=str(year), **{column: str(region[(sub, name, year)])}))
        out.append((sub, name, rows))
    return out
