"""Borough layouts: what each borough's exports look like, read from `extract/layouts/*.yml`.

A new borough, or a changed export, is a YAML change. The borough's facts (name, LA number,
ONS code) come from `foundation.reference.boroughs()`; extra boroughs (for example the
synthetic ones `sendwh sample --scale 10` makes) name the layout they reuse there (`like`).
"""
from __future__ import annotations

import copy
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from foundation.reference import Borough, boroughs

LAYOUT_DIR = Path(__file__).with_name("layouts")
# libyaml's safe loader where PyYAML has it (ten times as quick: every load starts by reading
# the layouts), the pure-Python one otherwise; both refuse Python tags
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class UnknownBorough(KeyError):
    pass


@lru_cache
def _layout_files() -> dict[str, dict[str, Any]]:
    layouts = {}
    for path in sorted(LAYOUT_DIR.glob("*.yml")):
        layout = yaml.load(path.read_text(), Loader=_SAFE_LOADER)  # noqa: S506 - a safe loader
        layout["layout_file"] = f"extract/layouts/{path.name}"
        layouts[layout["borough"]] = layout
    return layouts


@lru_cache(maxsize=1024)
def _layout_of(borough: Borough) -> dict[str, Any]:
    like = _layout_files()[borough.like]
    layout = copy.deepcopy(like)
    layout.update(borough=borough.code, name=borough.name, la_number=borough.la_number,
                  ons_code=borough.ons_code)
    if borough.like != borough.code:
        layout["layout_file"] = f"{like['layout_file']} (as {borough.code})"
    return layout


def all_layouts(extra_file: Path | None = None) -> dict[str, dict[str, Any]]:
    return {code: _layout_of(b) for code, b in boroughs(extra_file).items()
            if b.like in _layout_files()}


def get_layout(borough: str, extra_file: Path | None = None) -> dict[str, Any]:
    known = boroughs(extra_file)
    if borough not in known or known[borough].like not in _layout_files():
        raise UnknownBorough(
            f"unknown borough {borough!r}: known are {', '.join(sorted(all_layouts(extra_file)))} "
            f"(layouts live in extract/layouts/*.yml, boroughs in dbt_project/seeds/boroughs.csv)"
        )
    return _layout_of(known[borough])
