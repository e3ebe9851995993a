"""Reference facts, read from their one home: the dbt project's seeds (which SQL reads too)
and its `vars` (the statutory limits). Nothing here is written twice anywhere else.

- `boroughs()`: borough code, name, LA number and ONS code (`seeds/boroughs.csv`), plus any
  extra boroughs from the settings' boroughs file (the synthetic ones of `sendwh sample
  --scale`), each naming the borough whose export layout it reuses (`like`).
- `census_dates()`: each SEN2 return year's census (reference) date (`seeds/census_dates.csv`).
- `statutory()`: the statutory limits (`vars` in `dbt_project.yml`).
- `sen2_profiles()`, `sen2_profile(year)`: each SEN2 collection year's items, their place,
  order, status, code list and guide item (`seeds/sen2_profiles.csv`); `sen2_items()` and
  `sen2_item(name)` derive each item's years from them, `sen2_first_year()` the first return.
- `codes(list)`: a code list, each code with its description and the first collection year it
  is in the list (`seeds/code_lists.csv`, and the seeds of the lists SQL describes: need types,
  ethnicities, request and assessment outcomes, cease reasons, settings).
- `plausible_date_range(item)`, `plausible()`: where a source file's dates may fall
  (`seeds/plausible_dates.csv`) and its numbers' limits (`vars.plausible`).
- `need_groups()`, `age_bands()`: the broad areas of need and DfE's age bands, in order.
"""
from __future__ import annotations

import csv
from dataclasses import dataclass, fields
from datetime import date
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


# --- dbt vars ----------------------------------------------------------------------------
@lru_cache
def dbt_vars() -> dict:
    """The `vars` of dbt_project.yml, as dbt reads them without --vars."""
    return yaml.safe_load((DBT_PROJECT / "dbt_project.yml").read_text(encoding="utf-8"))["vars"]


@dataclass(frozen=True)
class Statutory:
    """The statutory limits (names as the dbt vars; days unless they say otherwise)."""

    decision_deadline_days: int      # request -> decision whether to assess (6 weeks)
    plan_deadline_days: int          # request -> final EHC plan (20 weeks)
    no_plan_notice_days: int         # request -> notice of a decision not to issue (16 weeks)
    transfer_deadline_days: int      # statement-to-plan transfer review (18 weeks)
    review_decision_days: int        # annual review meeting -> decision (4 weeks)
    review_interval_months: int      # plan issued or last reviewed -> next review (12 months)
    phase_transfer_deadline: str     # MM-DD: a plan amended for a school phase transfer
    post16_transfer_deadline: str    # MM-DD: ... for a move to a post-16 institution
    max_age: int                     # the oldest age a plan covers
    one_year_days: int               # the "over a year" band of plan timeliness

    def deadline_on(self, month_day: str, year: int) -> date:
        """A yearly deadline (one of the MM-DD limits) in a given year."""
        month, day = (int(part) for part in month_day.split("-"))
        return date(year, month, day)


@lru_cache
def statutory() -> Statutory:
    found = dbt_vars()
    return Statutory(**{f.name: found[f.name] for f in fields(Statutory)})


# --- plausible values ----------------------------------------------------------------------
@dataclass(frozen=True)
class DateRange:
    """Where a date in a source file may fall (`seeds/plausible_dates.csv`)."""

    earliest: date
    latest_years_ahead: int

    def latest(self, today: date) -> date:
        return date(today.year + self.latest_years_ahead, 12, 31)


@lru_cache
def plausible_dates() -> dict[str, DateRange]:
    """{item (a raw column's name, or 'default'): its plausible range}."""
    return {row["item"]: DateRange(date.fromisoformat(row["earliest"]),
                                   int(row["latest_years_ahead"]))
            for row in read_seed("plausible_dates")}


def plausible_date_range(item: str, today: date | None = None) -> tuple[date, date]:
    """(earliest, latest) for a date item, the `default` row where the item has none."""
    ranges = plausible_dates()
    found = ranges.get(item) or ranges["default"]
    return found.earliest, found.latest(today or date.today())


@lru_cache
def plausible() -> dict[str, int]:
    """The numeric plausibility limits (`vars.plausible` in dbt_project.yml)."""
    return {k: int(v) for k, v in dbt_vars()["plausible"].items()}


# --- census dates ------------------------------------------------------------------------
@lru_cache
def census_dates() -> dict[int, date]:
    """{SEN2 return year: its census (reference) date}, every year the seed knows."""
    return {int(row["return_year"]): date.fromisoformat(row["census_date"])
            for row in read_seed("census_dates")}


def census_date(year: int | None) -> date | None:
    """A return year's census date, or None for a year the seed does not know."""
    return census_dates().get(year) if year else None


# --- SEN2 collection-year profiles ---------------------------------------------------------
SEN2_STATUSES = ("required", "conditional", "voluntary", "optional")


@dataclass(frozen=True)
class ProfileItem:
    """One item (element) of one collection year's return (`seeds/sen2_profiles.csv`)."""

    year: int
    block: str            # the parent element
    item: str             # the element's spelling in that year's evidence
    order: int            # its place in the parent (the evidence's sequence)
    kind: str             # block, date, datetime, code, yesno, text, ethnicity, upn, ...
    code_list: str | None
    status: str           # required, conditional (a rule says when), voluntary, optional
    max_occurs: int | None   # None: unbounded
    guide_item: str | None   # DfE's "SEN2 guide for local authorities" item, where known
    note: str


@lru_cache
def sen2_profiles() -> dict[int, tuple[ProfileItem, ...]]:
    """{collection year: its items in (block, order) order}: the one home of which items each
    year's return has, where, in what order, and whether they are required."""
    out: dict[int, list[ProfileItem]] = {}
    for row in read_seed("sen2_profiles"):
        year = int(row["collection_year"])
        out.setdefault(year, []).append(ProfileItem(
            year, row["block"], row["item"], int(row["item_order"]), row["kind"],
            row["code_list"] or None, row["status"],
            None if row["max_occurs"] == "unbounded" else int(row["max_occurs"]),
            row["guide_item"] or None, row["note"]))
    return {year: tuple(sorted(items, key=lambda i: (i.block, i.order)))
            for year, items in sorted(out.items())}


def sen2_profile_years() -> tuple[int, ...]:
    return tuple(sen2_profiles())


def sen2_profile(year: int) -> tuple[ProfileItem, ...]:
    """A collection year's items; a year after the newest profile uses the newest (a year
    before the first has no profile: KeyError)."""
    profiles = sen2_profiles()
    if year not in profiles and year > max(profiles):
        year = max(profiles)
    return profiles[year]


@dataclass(frozen=True)
class Sen2Item:
    """An item's years, derived from the profiles: the first and last year it is in, and the
    years it is required in."""

    item: str
    block: str
    first_year: int
    last_year: int | None
    years: tuple[int, ...] = ()
    required_from: int | None = None

    def in_year(self, year: int) -> bool:
        return self.first_year <= year and (self.last_year is None or year <= self.last_year)


@lru_cache
def sen2_items() -> dict[str, Sen2Item]:
    """Every item of any year's profile, with its years (the newest profile's items run on)."""
    profiles = sen2_profiles()
    newest = max(profiles)
    years: dict[str, list[int]] = {}
    required: dict[str, list[int]] = {}
    blocks: dict[str, str] = {}
    for year, items in profiles.items():
        for item in items:
            years.setdefault(item.item, []).append(year)
            blocks.setdefault(item.item, item.block)
            if item.status in ("required", "conditional"):
                required.setdefault(item.item, []).append(year)
    out = {"Message": Sen2Item("Message", "", min(profiles), None, tuple(profiles), min(profiles))}
    for name, found in years.items():
        last = None if max(found) == newest else max(found)
        out[name] = Sen2Item(name, blocks[name], min(found), last, tuple(found),
                             min(required[name]) if name in required else None)
    return out


def sen2_first_year() -> int:
    """The first person-level SEN2 return (the oldest profile)."""
    return min(sen2_profiles())


def sen2_item(item: str) -> Sen2Item:
    """An item's years (KeyError for a name no profile has)."""
    return sen2_items()[item]


# --- code lists --------------------------------------------------------------------------
@dataclass(frozen=True)
class Code:
    code: str
    description: str
    first_year: int | None        # the first collection year the list has it (None: always)


# code lists SQL describes with a seed of their own: list -> (seed, code column, description column)
_OWN_SEEDS = {
    "sen_type": ("need_types", "need_type", "need_description"),
    "ethnicity": ("ethnicities", "ethnicity", "ethnicity_description"),
    "ethnicity_extended": ("ethnicity_extended", "ethnicity_extended", "extended_description"),
    "gender_current": ("gender_current", "gender_current", "gender_description"),
    "request_outcome": ("request_outcomes", "request_outcome", "request_outcome_description"),
    "assessment_outcome": ("assessment_outcomes", "assessment_outcome",
                           "assessment_outcome_description"),
    "cease_reason": ("cease_reasons", "cease_reason", "cease_reason_description"),
    "sen_setting": ("sen_settings", "sen_setting", "setting_description"),
}


@lru_cache
def _code_lists() -> dict[str, dict[str, Code]]:
    def code(row: dict[str, str], column: str, described: str) -> Code:
        first = row.get("first_year")
        return Code(row[column], row[described], int(first) if first else None)

    lists: dict[str, dict[str, Code]] = {}
    for row in read_seed("code_lists"):
        lists.setdefault(row["code_list"], {})[row["code"]] = code(row, "code", "code_description")
    for name, (seed, column, described) in _OWN_SEEDS.items():
        lists[name] = {row[column]: code(row, column, described) for row in read_seed(seed)}
    return lists


def codes(code_list: str) -> dict[str, Code]:
    """A code list, code -> Code (KeyError for a list no seed holds)."""
    return _code_lists()[code_list]


def code_list_names() -> tuple[str, ...]:
    return tuple(_code_lists())


@lru_cache
def ethnicity_main_codes() -> dict[str, str]:
    """Every school census ethnicity code, main and extended, -> its main code."""
    out = {code: code for code in codes("ethnicity")}
    out.update({row["ethnicity_extended"]: row["ethnicity"] for row in read_seed("ethnicity_extended")})
    return out


@lru_cache
def gender_current_sex() -> dict[str, str]:
    """2023's GenderCurrent codes -> the Sex code they are read as."""
    return {row["gender_current"]: row["sex"] for row in read_seed("gender_current")}


# --- groups and bands --------------------------------------------------------------------
@lru_cache
def need_groups() -> tuple[str, ...]:
    """The broad areas of need the need types are grouped into, in their order."""
    rows = sorted(read_seed("need_groups"), key=lambda row: int(row["group_order"]))
    return tuple(row["need_group"] for row in rows)


@dataclass(frozen=True)
class AgeBand:
    name: str
    min_age: int
    max_age: int


@lru_cache
def age_bands() -> tuple[AgeBand, ...]:
    """DfE's age bands (age at 31 August before the census), youngest first."""
    rows = sorted(read_seed("age_bands"), key=lambda row: int(row["band_order"]))
    return tuple(AgeBand(row["age_band"], int(row["min_age"]), int(row["max_age"])) for row in rows)
