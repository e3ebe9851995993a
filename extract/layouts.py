"""Borough layouts: what each borough's exports look like, read from `extract/layouts/*.yml`.

A new borough, or a changed export, is a YAML change. Extra boroughs (for example the
synthetic ones `sendwh sample --scale 10` makes) come from a boroughs file whose entries
name the layout they reuse: `{borough: S01, name: ..., la_number: "901", like: HF}`.
"""
from __future__ import annotations

import copy
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

LAYOUT_DIR = Path(__file__).with_name("layouts")


class UnknownBorough(KeyError):
    pass


@lru_cache
def _base_layouts() -> dict[str, dict[str, Any]]:
    layouts = {}
    for path in sorted(LAYOUT_DIR.glob("*.yml")):
        layout = yaml.safe_load(path.read_text())
        layout["layout_file"] = f"extract/layouts/{path.name}"
        layouts[layout["borough"]] = layout
    return layouts


def _extra_layouts(extra_file: Path | None) -> dict[str, dict[str, Any]]:
    if not extra_file or not Path(extra_file).exists():
        return {}
    return _read_extra(str(extra_file), Path(extra_file).stat().st_mtime_ns)


@lru_cache(maxsize=8)
def _read_extra(extra_file: str, mtime_ns: int) -> dict[str, dict[str, Any]]:
    """Parsed once per file version (a load of thousands of files asks for it each time)."""
    base = _base_layouts()
    entries = yaml.safe_load(Path(extra_file).read_text()) or {}
    layouts = {}
    for entry in entries.get("boroughs", []):
        like = base[entry["like"]]
        layout = copy.deepcopy(like)
        layout.update({k: v for k, v in entry.items() if k != "like"})
        layout["layout_file"] = f"{like['layout_file']} (as {entry['borough']})"
        layouts[entry["borough"]] = layout
    return layouts


def all_layouts(extra_file: Path | None = None) -> dict[str, dict[str, Any]]:
    from sendwh.settings import get_settings

    extra = extra_file or get_settings().extra_boroughs_file
    return {**_base_layouts(), **_extra_layouts(extra)}


def get_layout(borough: str, extra_file: Path | None = None) -> dict[str, Any]:
    layouts = all_layouts(extra_file)
    try:
        return layouts[borough]
    except KeyError:
        raise UnknownBorough(
            f"unknown borough {borough!r}: known are {', '.join(sorted(layouts))} "
            f"(layouts live in extract/layouts/*.yml)"
        ) from None


def base_boroughs() -> list[str]:
    return list(_base_layouts())
