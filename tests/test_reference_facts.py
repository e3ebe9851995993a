"""One home per fact: census dates, LA numbers, statutory limits, SEN2 items by year, need
groups, age bands and code lists live in the dbt seeds and vars; Python reads them through
foundation.reference, and no code anywhere else writes them again."""
from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from foundation.reference import (
    age_bands,
    base_boroughs,
    census_dates,
    dbt_vars,
    need_groups,
    read_seed,
    sen2_first_year,
    sen2_item,
    statutory,
)
from sen2.rules import xsd_year

ROOT = Path(__file__).resolve().parents[1]


def _code_files() -> dict[str, str]:
    """Every tracked source file but the facts' homes (seeds, dbt_project.yml), the tests
    (whose fixtures may spell facts out) and prose (Markdown)."""
    listed = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True)
    if listed.returncode != 0:
        pytest.skip("not a git checkout")
    out = {}
    for name in listed.stdout.split():
        if (name.startswith(("tests/", "dbt_project/seeds/")) or name == "dbt_project/dbt_project.yml"
                or not name.endswith((".py", ".sql", ".yml", ".yaml", ".xsd", ".toml", ".cfg"))):
            continue
        path = ROOT / name
        if path.exists():
            out[name] = path.read_text(encoding="utf-8", errors="replace")
    return out


def _code_lines(text: str, name: str) -> list[str]:
    """Lines that are not comments (Python, SQL and YAML comments; dbt unit-test fixtures
    in YAML, `given:`/`expect:` rows, are test data and kept out too)."""
    lines = []
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith(("#", "--", "{#")):
            continue
        if name.endswith((".yml", ".yaml")) and stripped.startswith("- {"):
            continue
        lines.append(line)
    return lines


def _hits(pattern: str, names: tuple[str, ...] = (), kinds: tuple[str, ...] = ()) -> list[str]:
    """Code lines matching `pattern`, in files under `names` ending in `kinds` (default all)."""
    regex = re.compile(pattern)
    return [f"{name}: {line.strip()}" for name, text in _code_files().items()
            if (not names or name.startswith(names)) and (not kinds or name.endswith(kinds))
            for line in _code_lines(text, name) if regex.search(line)]


# --- the homes say what the rest of the project relies on -----------------------------------
def test_census_dates_are_thursdays_in_mid_january():
    for year, day in census_dates().items():
        assert day.year == year and day.month == 1 and 14 <= day.day <= 21 and day.weekday() == 3


def test_statutory_limits_are_the_dbt_vars_the_sql_reads():
    limits = statutory()
    assert (limits.decision_deadline_days, limits.plan_deadline_days,
            limits.transfer_deadline_days) == (42, 140, 126)
    assert (limits.no_plan_notice_days, limits.review_decision_days, limits.max_age) == (112, 28, 25)
    assert limits.deadline_on(limits.phase_transfer_deadline, 2026).isoformat() == "2026-02-15"
    assert limits.deadline_on(limits.post16_transfer_deadline, 2026).isoformat() == "2026-03-31"
    assert limits.decision_deadline_days == dbt_vars()["decision_deadline_days"]
    macros = (ROOT / "dbt_project" / "macros" / "statutory.sql").read_text()
    for name in ("decision_deadline_days", "plan_deadline_days", "transfer_deadline_days"):
        assert f"var('{name}')" in macros


def test_sen2_items_by_collection_year():
    assert sen2_first_year() == 2023
    assert not sen2_item("DSCO").in_year(2024) and sen2_item("DSCO").in_year(2025)
    assert sen2_item("GenderCurrent").in_year(2023) and not sen2_item("GenderCurrent").in_year(2024)
    assert sen2_item("Sex").first_year == 2024
    assert sen2_item("ReceivedDate").in_year(2023) and sen2_item("ReceivedDate").in_year(2026)
    assert sen2_item("RequestSource").first_year == 2025 and sen2_item("RequestSource").required_from == 2026
    assert sen2_item("AttendancePattern").years == (2023,)
    assert sen2_item("ReviewDraft").years == (2025, 2026) and sen2_item("ReviewDraft").last_year is None
    assert {year: xsd_year(year) for year in range(2022, 2029)} == {
        2022: 2023, 2023: 2023, 2024: 2024, 2025: 2025, 2026: 2026, 2027: 2026, 2028: 2026}


def test_every_need_type_is_in_a_need_group():
    groups = need_groups()
    assert groups[0] == "cognition_learning" and groups[-1] == "other"
    assert {row["need_group"] for row in read_seed("need_types")} <= set(groups)


def test_age_bands_cover_every_age_a_plan_can_have_once():
    ages = [age for band in age_bands() for age in range(band.min_age, band.max_age + 1)]
    assert ages == list(range(0, statutory().max_age + 1))


# --- and nothing else writes them -----------------------------------------------------------
def test_no_code_writes_a_census_date():
    dates = "|".join(re.escape(d.isoformat()) for d in census_dates().values())
    calls = "|".join(rf"date\({d.year},\s*{d.month},\s*{d.day}\)" for d in census_dates().values())
    assert _hits(dates) + _hits(calls) == []


def test_no_code_writes_a_boroughs_la_number_or_ons_code():
    facts = {b.la_number for b in base_boroughs().values()} | {
        b.ons_code for b in base_boroughs().values() if b.ons_code}
    assert _hits(r"(?<![\w.])(" + "|".join(map(re.escape, facts)) + r")(?![\w.])") == []


def test_no_code_writes_a_statutory_limit():
    limits = statutory()
    distinct = {limits.plan_deadline_days, limits.transfer_deadline_days, limits.no_plan_notice_days}
    # Python and SQL (dbt's YAML holds prose descriptions and unit-test fixtures)
    assert _hits(r"(?<![\w.])(" + "|".join(map(str, distinct)) + r")(?![\w.])",
                 kinds=(".py", ".sql")) == []
    # 42 (and 28, 25) are common numbers: only compared with is a statutory limit
    small = "|".join(map(str, (limits.decision_deadline_days, limits.review_decision_days,
                               limits.max_age)))
    assert _hits(rf"(?<![-=])[<>]=?\s*({small})\b|\b({small})\s*[<>]=?\s*\w",
                 kinds=(".py", ".sql")) == []


def test_no_code_compares_with_the_year_an_item_starts():
    assert _hits(r"(?<![-=])[<>]=?\s*20(2[3-9])\b|\b20(2[3-9])\s*[<>]=?",
                 kinds=(".py", ".sql")) == []


def test_no_code_lists_the_need_groups_or_the_age_bands():
    # forecast/history.py keeps a need-type -> group fallback until its rewrite reads the
    # grouping from a dbt model (issue 11, item 3); everything else reads the seeds
    groups = [name for name, text in _code_files().items()
              if name.endswith(".py") and name != "forecast/history.py"
              and re.search(r"[\"']communication_interaction[\"']", text)]
    bands = [name for name, text in _code_files().items()
             if name.endswith(".py") and re.search(r"[\"']16-19[\"']", text)]
    assert groups == [] and bands == []
