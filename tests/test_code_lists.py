"""The code lists the loader checks (foundation/codes.py) and the seeds dbt describes them with
(dbt_project/seeds) list the same codes, and every borough's code map lands on them."""
from __future__ import annotations

import csv
from pathlib import Path

import pytest

from extract.layouts import all_layouts
from foundation import codes

SEEDS = Path(__file__).resolve().parents[1] / "dbt_project" / "seeds"


def _seed(name: str, column: str) -> set[str]:
    with (SEEDS / f"{name}.csv").open(newline="") as handle:
        return {row[column] for row in csv.DictReader(handle)}


@pytest.mark.parametrize("seed, column, codes_", [
    ("need_types", "need_type", codes.SEN_TYPE),
    ("ethnicities", "ethnicity", codes.ETHNICITY),
    ("cease_reasons", "cease_reason", codes.CEASE_REASON),
    ("sen_settings", "sen_setting", codes.SEN_SETTING),
    ("request_outcomes", "request_outcome", codes.REQUEST_OUTCOME),
    ("assessment_outcomes", "assessment_outcome", codes.ASSESSMENT_OUTCOME),
])
def test_seed_lists_the_same_codes_as_the_loader(seed, column, codes_):
    assert _seed(seed, column) == set(codes_)


def test_every_borough_code_map_targets_a_sen2_code():
    for borough, layout in all_layouts().items():
        maps = {**(layout["case"].get("codes") or {}), **(layout["ledger"].get("codes") or {})}
        for field, mapping in maps.items():
            targets = {str(v) for v in mapping.values()}
            assert targets <= set(codes.CODE_LISTS[field]), (borough, field, targets - set(codes.CODE_LISTS[field]))
