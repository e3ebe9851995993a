"""The code lists have one home, the dbt seeds: the loader and validator read them through
foundation.codes (foundation.reference), SQL through ref(); every borough's code map lands on
them."""
from __future__ import annotations

import csv
from pathlib import Path

import pytest

from extract.entities import ALL_TABLES
from extract.layouts import all_layouts
from foundation import codes
from foundation.reference import code_list_names
from foundation.reference import codes as code_list

SEEDS = Path(__file__).resolve().parents[1] / "dbt_project" / "seeds"


def _seed(name: str, column: str) -> list[str]:
    with (SEEDS / f"{name}.csv").open(newline="") as handle:
        return [row[column] for row in csv.DictReader(handle)]


@pytest.mark.parametrize("seed, column, codes_", [
    ("need_types", "need_type", codes.SEN_TYPE),
    ("ethnicities", "ethnicity", codes.ETHNICITY),
    ("cease_reasons", "cease_reason", codes.CEASE_REASON),
    ("sen_settings", "sen_setting", codes.SEN_SETTING),
    ("request_outcomes", "request_outcome", codes.REQUEST_OUTCOME),
    ("assessment_outcomes", "assessment_outcome", codes.ASSESSMENT_OUTCOME),
])
def test_the_loader_reads_the_codes_sql_describes(seed, column, codes_):
    assert set(_seed(seed, column)) == set(codes_)


def test_no_code_is_listed_twice_and_no_list_is_empty():
    rows = list(zip(_seed("code_lists", "code_list"), _seed("code_lists", "code")))
    assert len(rows) == len(set(rows))
    for name in code_list_names():
        assert code_list(name), name


def test_every_coded_raw_column_has_a_code_list():
    for table in ALL_TABLES:
        for column in table.codes:
            assert codes.CODE_LISTS[column], (table.name, column)


def test_down_syndrome_joins_the_need_types_in_2025():  # the evidence: 2025 XSD has DS
    assert code_list("sen_type")["DS"].first_year == 2025
    assert {c.first_year for t, c in code_list("sen_type").items() if t != "DS"} == {None}


def test_every_borough_code_map_targets_a_sen2_code():
    for borough, layout in all_layouts().items():
        maps = {**(layout["case"].get("codes") or {}), **(layout["ledger"].get("codes") or {})}
        for field, mapping in maps.items():
            targets = {str(v) for v in mapping.values()}
            assert targets <= set(codes.CODE_LISTS[field]), (borough, field, targets - set(codes.CODE_LISTS[field]))


@pytest.mark.parametrize("seed", sorted(SEEDS.glob("*.csv")), ids=lambda p: p.stem)
def test_every_seed_row_has_as_many_fields_as_its_header(seed):
    """dbt refuses a seed whose row has more values than its header (an unquoted comma in a
    note), while Python's csv reads it quietly: catch it here, before a build."""
    with seed.open(newline="", encoding="utf-8") as f:
        header, *rows = list(csv.reader(f))
    bad = [n for n, row in enumerate(rows, 2) if len(row) != len(header)]
    assert not bad, f"{seed.name}: lines {bad[:5]} do not have {len(header)} fields"
