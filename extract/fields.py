"""Mapping a source row onto a raw table: column positions, code maps, mandatory fields.

Compiled once per file from the borough's YAML, then applied to every row.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

from extract.entities import RawTable
from extract.errors import RejectedFile
from foundation.codes import CODE_LISTS, normalise_ethnicity


def code_lookup(field: str, borough_map: dict[str, Any] | None) -> dict[str, str]:
    """Source code -> SEN2 code. With a borough map only its keys are known codes."""
    if borough_map:
        return {str(k): str(v) for k, v in borough_map.items()}
    return {c: c for c in CODE_LISTS[field]}


@dataclass
class FieldPlan:
    table: RawTable
    positions: list[int | None]            # source cell index for each table column
    sources: list[str]                     # source column names, for messages
    lookups: list[dict[str, str] | None]   # code map for coded columns
    required: list[int]                    # table-column indexes that must be filled
    present_when: int | None = None        # emit only when this source cell is filled

    def values(self, path: Path, row: int, cells: Sequence[Any],
               convert: Callable[[Any], str | None] | None = None) -> list[Any] | None:
        if self.present_when is not None:
            probe = cells[self.present_when]
            if probe is None or (isinstance(probe, str) and not probe.strip()):
                return None
        out: list[Any] = [row]
        for pos, lookup, source in zip(self.positions, self.lookups, self.sources):
            value = cells[pos] if pos is not None and pos < len(cells) else None
            value = convert(value) if convert else (value.strip() or None if value else None)
            if value is not None and lookup is not None:
                mapped = lookup.get(value)
                if mapped is None:
                    mapped = self._fallback(path, row, source, value, lookup)
                value = mapped
            out.append(value)
        for i in self.required:
            if out[i + 1] is None:
                raise RejectedFile(path, f"mandatory field is blank ({self.table.name}."
                                   f"{self.table.columns[i]})", row=row, field=self.sources[i])
        return out

    def _fallback(self, path: Path, row: int, source: str, value: str,
                  lookup: dict[str, str]) -> str:
        column = self.table.columns[self.sources.index(source)]
        if column == "ethnicity" and normalise_ethnicity(value) in lookup.values():
            return normalise_ethnicity(value)
        known = ", ".join(sorted(lookup)[:25])
        raise RejectedFile(path, f"unknown code {value!r}; the layout knows: {known}",
                           row=row, field=source)


def compile_plan(table: RawTable, mapping: dict[str, str], header_index: dict[str, int],
                 codes: dict[str, Any], present_when: str | None = None) -> FieldPlan:
    """`mapping` is table column -> source column name, from the borough's YAML."""
    positions, sources, lookups = [], [], []
    for column in table.columns:
        if column == "source_row":
            continue
        source = mapping.get(column)
        positions.append(header_index[source] if source is not None else None)
        sources.append(source or column)
        lookups.append(code_lookup(column, codes.get(column)) if column in table.codes else None)
    required = [i for i, c in enumerate(table.columns) if c in table.required]
    probe = header_index[mapping[present_when]] if present_when else None
    return FieldPlan(table, positions, sources, lookups, required, probe)
