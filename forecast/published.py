"""DfE's published EHC plan caseload series, read in place from a DfE folder.

Two releases are combined into one January series per council (keyed by the three-digit
old LA code, which survives most boundary renamings):

- `release-2022/sen2_age_caseload.csv`: statements + EHC plans (`Total_all`) by DfE age band,
  January 2010-2022 (DfE writes the calendar year there: '2022' is January 2022);
- `release-2025/caseload.csv`: EHC plans (`ehcplans`) in January 2019-2024, academic-year
  codes ('202324' is January 2024), by single year of age for the latest year only.

Where both give a total (2019-2022) they agree exactly. Years with a total but no age
breakdown (January 2023) get the nearest earlier year's band shares scaled to the total.

The calendar-year flows (`Flows`, the leading indicators of forecast.leading), where the
folder has them: initial requests for an EHC needs assessment (`release-2022/sen2_mi.csv`
`InreqEHC`, 2016-2021; `release-2025/requests.csv`, 2019-2023) and new plans
(`release-2022/sen2_age_new_plans.csv` `Total_new_all`, statements and plans, 2009-2021;
`release-2025/newplans.csv`, 2019-2023); the newer release wins where both give a year
(they agree on 2019-2021). A council figure equal to its region's (the 2025 release's 2022
new plans carry the Yorkshire and the Humber and other regional totals in some councils'
rows) is the region's, not the council's, and is read as not published.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from foundation.reference import age_bands

BANDS = tuple(band.name for band in age_bands())
# single years of age in each DfE band (the cohort model ages counts between bands)
BAND_AGES = tuple((band.min_age, band.max_age) for band in age_bands())
_OLD_BANDS = {"Under 5": 0, "Age 5 to 10": 1, "Age 11 to 15": 2, "Age 16 to 19": 3, "Age 20 to 25": 4}
MISSING = {"x", "z", "c", "", "u", "low"}


class DfeDataError(ValueError):
    """The folder is not a DfE EHC plan statistics folder, or a code is not DfE's."""


def academic_code(january_year: int) -> str:
    """January 2025 -> '202425' (DfE's academic-year code for that census)."""
    return f"{january_year - 1}{january_year % 100:02d}"


def january_year(code: str | int) -> int:
    """'202324' -> 2024; a four-digit calendar year is taken as that January."""
    text = str(code).strip()
    if re.fullmatch(r"\d{6}", text):
        first, second = int(text[:4]), int(text[4:])
        if (first + 1) % 100 != second:
            raise DfeDataError(f"{text!r} is not an academic-year code: expected e.g. 202324 "
                               f"(the second year follows the first)")
        return first + 1
    if re.fullmatch(r"\d{4}", text):
        return int(text)
    raise DfeDataError(f"{text!r} is not an academic-year code like 202324")


@dataclass
class Flows:
    """Calendar-year flows per council, aligned with a PublishedSeries' la_keys: values[name]
    [c, y] for calendar years `years[y]` (NaN where not published). Calendar year t's flows
    are published with January t+1's caseload, so an origin January t reads years < t."""

    years: np.ndarray
    values: dict

    def upto(self, origin: int) -> "Flows":
        keep = self.years < origin
        return Flows(self.years[keep], {k: v[:, keep] for k, v in self.values.items()})

    def select(self, mask: np.ndarray) -> "Flows":
        return Flows(self.years, {k: v[mask] for k, v in self.values.items()})

    def at(self, name: str, year: int) -> np.ndarray:
        """[c] the flow in calendar `year` (NaN if not published or not yet by the origin)."""
        values = self.values.get(name)
        idx = np.flatnonzero(self.years == year)
        if values is None or not idx.size:
            n = len(next(iter(self.values.values()))) if self.values else 0
            return np.full(n, np.nan)
        return values[:, idx[0]]


@dataclass
class PublishedSeries:
    """January caseloads per council: band_counts[c, t, b] by DfE age band as published
    (NaN where not published), totals[c, t], for years[t]; `counts` fills the gaps."""

    la_keys: np.ndarray        # old three-digit LA code
    new_la_codes: np.ndarray   # latest ONS code seen
    la_names: np.ndarray
    regions: np.ndarray
    years: np.ndarray          # January years
    band_counts: np.ndarray    # [council, year, band], as published
    totals: np.ndarray         # [council, year]
    flows: Flows | None = None  # calendar-year requests and new plans, where published

    @property
    def band_observed(self) -> np.ndarray:
        return np.isfinite(self.band_counts).all(axis=2)

    @property
    def counts(self) -> np.ndarray:
        """[c, t, b] with years that have a total but no bands filled in: band shares
        interpolated between the nearest published years on either side, else carried
        from the nearest one (only data up to the series' last year are used)."""
        if getattr(self, "_filled", None) is None:
            self._filled = fill_bands(self.band_counts, self.totals)
        return self._filled

    def upto(self, last_year: int) -> "PublishedSeries":
        keep = self.years <= last_year
        return PublishedSeries(self.la_keys, self.new_la_codes, self.la_names, self.regions,
                               self.years[keep], self.band_counts[:, keep], self.totals[:, keep],
                               self.flows.upto(last_year) if self.flows is not None else None)

    def select(self, mask: np.ndarray) -> "PublishedSeries":
        return PublishedSeries(self.la_keys[mask], self.new_la_codes[mask], self.la_names[mask],
                               self.regions[mask], self.years, self.band_counts[mask],
                               self.totals[mask], self.flows.select(mask) if self.flows is not None else None)

    def total_at(self, year: int) -> np.ndarray:
        idx = np.flatnonzero(self.years == year)
        return self.totals[:, idx[0]] if idx.size else np.full(len(self.la_keys), np.nan)


TYPICAL_SHARES = np.array([0.04, 0.33, 0.30, 0.20, 0.13])  # England, January 2022


def fill_bands(band_counts: np.ndarray, totals: np.ndarray) -> np.ndarray:
    counts = band_counts.copy()
    observed = np.isfinite(counts).all(axis=2)
    n_c, n_t, _ = counts.shape
    for c in range(n_c):
        seen = np.flatnonzero(observed[c])
        for t in range(n_t):
            if observed[c, t] or not np.isfinite(totals[c, t]):
                continue
            before, after = seen[seen < t], seen[seen > t]
            if before.size and after.size:
                lo, hi = before[-1], after[0]
                w = (t - lo) / (hi - lo)
                share = ((1 - w) * counts[c, lo] / counts[c, lo].sum()
                         + w * counts[c, hi] / counts[c, hi].sum())
            elif before.size or after.size:
                donor = before[-1] if before.size else after[0]
                share = counts[c, donor] / max(counts[c, donor].sum(), 1.0)
            else:
                share = TYPICAL_SHARES
            counts[c, t] = totals[c, t] * share
    return counts


def _files(dfe_dir: Path) -> tuple[Path, Path | None]:
    dfe_dir = Path(dfe_dir)
    if not dfe_dir.is_dir():
        raise DfeDataError(f"{dfe_dir} is not a folder (expected DfE's EHC plan statistics, "
                           f"with release-YYYY sub-folders)")
    new = sorted(dfe_dir.glob("release-*/caseload.csv"))
    old = sorted(dfe_dir.glob("release-*/sen2_age_caseload.csv"))
    if not new and not old:
        raise DfeDataError(f"{dfe_dir} holds no release-*/caseload.csv or "
                           f"release-*/sen2_age_caseload.csv")
    return (new[-1] if new else None), (old[-1] if old else None)


def _number(series):
    text = series.astype("string").str.strip().str.replace(",", "", regex=False)
    values = pd.to_numeric(text.where(~text.str.lower().isin(MISSING)), errors="coerce")
    return pd.Series(values.to_numpy(dtype=float, na_value=np.nan), index=series.index)


def _band_of_age(label: str) -> int | None:
    text = label.strip().lower()
    if text in ("under 3", "age 2 and under"):
        return 0
    match = re.fullmatch(r"age (\d+)", text)
    if not match:
        return None
    age = int(match.group(1))
    for band, (low, high) in enumerate(BAND_AGES):
        if low <= age <= high:
            return band
    return None


def load_published(dfe_dir: Path | str) -> PublishedSeries:
    """Every local authority's January series from a DfE folder (see module docstring)."""
    new_file, old_file = _files(Path(dfe_dir))
    totals: dict[tuple[str, int], float] = {}
    bands: dict[tuple[str, int], np.ndarray] = {}
    names: dict[str, tuple[int, str, str, str]] = {}

    def remember(frame):
        for row in frame[["old_la_code", "new_la_code", "la_name", "region_name", "year"]].itertuples(index=False):
            seen = names.get(row.old_la_code)
            if seen is None or row.year >= seen[0]:
                names[row.old_la_code] = (row.year, row.new_la_code, row.la_name, row.region_name)

    if old_file is not None:
        old = pd.read_csv(old_file, dtype=str, keep_default_na=False)
        _require(old, old_file, ["time_period", "geographic_level", "old_la_code", "characteristic_age", "Total_all"])
        old = old[old.geographic_level == "Local authority"].copy()
        old["year"] = old.time_period.map(january_year)
        old["value"] = _number(old.Total_all)
        remember(old)
        for row in old[["old_la_code", "year", "characteristic_age", "value"]].itertuples(index=False):
            key = (row.old_la_code, row.year)
            if row.characteristic_age == "Total":
                totals[key] = row.value
            elif row.characteristic_age in _OLD_BANDS:
                bands.setdefault(key, np.full(5, np.nan))[_OLD_BANDS[row.characteristic_age]] = row.value
    if new_file is not None:
        new = pd.read_csv(new_file, dtype=str, keep_default_na=False)
        _require(new, new_file, ["time_period", "geographic_level", "old_la_code", "breakdown_topic",
                                 "breakdown", "ehcplans"])
        new = new[new.geographic_level == "Local authority"].copy()
        new["year"] = new.time_period.map(january_year)
        new["value"] = _number(new.ehcplans)
        remember(new)
        every = new[new.breakdown_topic == "All EHC plans"]
        for row in every[["old_la_code", "year", "value"]].itertuples(index=False):
            totals[(row.old_la_code, row.year)] = row.value
        ages = new[new.breakdown_topic == "Child or young persons age"].copy()
        ages["band"] = ages.breakdown.map(_band_of_age)
        ages = ages.dropna(subset=["band"])
        summed = ages.groupby(["old_la_code", "year", "band"]).value.sum(min_count=1)
        for (code, year, band), value in summed.items():
            bands.setdefault((code, year), np.full(5, np.nan))[int(band)] = value

    keys = sorted({code for code, _ in totals} | {code for code, _ in bands})
    years = np.array(sorted({year for _, year in totals} | {year for _, year in bands}))
    count = np.full((len(keys), len(years), 5), np.nan)
    total = np.full((len(keys), len(years)), np.nan)
    for c, code in enumerate(keys):
        for t, year in enumerate(years):
            tot = totals.get((code, int(year)), np.nan)
            band = bands.get((code, int(year)))
            if band is not None:
                known = np.nansum(band)
                if np.isfinite(tot) and np.isnan(band).any() and abs(known - tot) < 0.5:
                    band = np.nan_to_num(band)       # e.g. no 20-25 band before 2015: none
                if np.isfinite(band).all():
                    count[c, t] = band
                    if not np.isfinite(tot):
                        tot = band.sum()
            total[c, t] = tot
    meta = [names[k] for k in keys]
    return PublishedSeries(np.array(keys), np.array([m[1] for m in meta]), np.array([m[2] for m in meta]),
                           np.array([m[3] for m in meta]), years, count, total,
                           load_flows(Path(dfe_dir), keys))


# (file, column, rows kept: (column, value) or None) per flow, older release first
FLOW_SOURCES = {
    "requests": (("sen2_mi.csv", "InreqEHC", None),
                 ("requests.csv", "requests_received_in_year",
                  ("breakdown_topic", "All requests for EHC needs assessments"))),
    "new_plans": (("sen2_age_new_plans.csv", "Total_new_all", ("characteristic_age", "Total")),
                  ("newplans.csv", "new_ehc_plans", ("breakdown_topic", "New EHC plans"))),
}


def load_flows(dfe_dir: Path, keys) -> Flows | None:
    """The calendar-year flows of FLOW_SOURCES for councils `keys` (old LA codes), from
    every release folder that has them (later releases win); None if the folder has none."""
    found: dict[str, dict[tuple[str, int], float]] = {}
    for release in sorted(Path(dfe_dir).glob("release-*")):
        for name, sources in FLOW_SOURCES.items():
            for filename, column, rows in sources:
                path = release / filename
                if not path.is_file():
                    continue
                frame = pd.read_csv(path, dtype=str, keep_default_na=False)
                _require(frame, path, ["time_period", "geographic_level", "old_la_code", "region_name", column])
                if rows is not None and rows[0] in frame.columns:
                    frame = frame[frame[rows[0]] == rows[1]]
                frame = frame.assign(value=_number(frame[column]))
                region = frame[frame.geographic_level == "Regional"].set_index(["time_period", "region_name"]).value
                la = frame[frame.geographic_level == "Local authority"]
                regional = region[~region.index.duplicated()].reindex(
                    list(zip(la.time_period, la.region_name))).to_numpy()
                la = la[~(la.value.to_numpy() == regional)]       # a region's figure in a council's row
                for row in la[["old_la_code", "time_period", "value"]].itertuples(index=False):
                    if np.isfinite(row.value):
                        found.setdefault(name, {})[(row.old_la_code, int(row.time_period))] = row.value
    if not found:
        return None
    years = np.array(sorted({year for values in found.values() for _, year in values}))
    out = {}
    for name, values in found.items():
        out[name] = np.array([[values.get((code, int(year)), np.nan) for year in years] for code in keys])
    return Flows(years, out)


def _require(frame, path: Path, columns: list[str]) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise DfeDataError(f"{path}: missing column(s) {', '.join(missing)} (not DfE's layout)")
