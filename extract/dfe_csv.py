"""DfE's published EHC plan statistics (explore-education-statistics CSVs), unpivoted.

Every numeric cell becomes one row (measure, value); DfE's suppression markers
x (unavailable), z (not applicable) and c (confidential) are kept as NULL with the marker.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Iterator

from extract.entities import DFE_TABLE, RawTable
from extract.errors import RejectedFile
from extract.source import SourceFile
from extract.textfile import TextSource, check_cells, csv_rows
from foundation.reference import plausible

MARKERS = {"x", "z", "c", "low", "u"}
GEOGRAPHY = ("time_period", "time_identifier", "geographic_level", "new_la_code",
             "old_la_code", "la_name", "region_code", "region_name")
IGNORED = ("country_code", "country_name")
# what the reader gives each row (raw.dfe_ehcp's columns are matched to these by name)
NAMED = ("release", "file_name", *GEOGRAPHY, "breakdown_topic", "breakdown", "measure", "value",
         "marker")
# Columns that describe a breakdown rather than hold a number (older releases name them so).
BREAKDOWNS = ("breakdown_topic", "breakdown", "characteristic_age", "establishment_type",
              "establishment_group")
REQUIRED = ("time_period", "geographic_level")
# DfE writes its figures plainly: digits, perhaps a decimal point (no sign: a count or a
# percentage is never negative; no exponent, NaN or Infinity)
FIGURE = re.compile(r"\d{1,12}(?:\.\d{1,12})?")


class DfeStatistics(SourceFile):
    def __init__(self, path: Path) -> None:
        release = path.parent.name
        super().__init__(path, "dfe", None, path.stem, period=release, tables=[DFE_TABLE])

    def rows(self) -> Iterator[tuple[RawTable, list[Any]]]:
        source = TextSource(self.read_path, shown=self.path)
        records = csv_rows(source, ",")
        _, header = next(records, (0, None))
        if not header:
            raise RejectedFile(self.path, "the file has no header row", row=1)
        header = [h.strip() for h in header]
        seen: set[str] = set()
        for h in header:
            if h in seen:
                raise RejectedFile(self.path, f"column '{h}' appears twice in the header: "
                                   "which one holds the figure?", row=1, field=h)
            seen.add(h)
        for column in REQUIRED:
            if column not in header:
                raise RejectedFile(self.path, f"missing column '{column}': not a DfE statistics "
                                   "file", row=1, field=column)
        geo = [header.index(c) if c in header else None for c in GEOGRAPHY]
        breakdowns = [i for i, h in enumerate(header) if h in BREAKDOWNS]
        measures = [(i, h) for i, h in enumerate(header)
                    if h not in GEOGRAPHY and h not in BREAKDOWNS and h not in IGNORED]
        topic = " / ".join(header[i] for i in breakdowns if header[i] != "breakdown")
        release, name, width, data_rows = self.period, self.path.name, len(header), 0
        # each table column's place among the values named in NAMED (None: left empty)
        order = [NAMED.index(c) if c in NAMED else None for c in DFE_TABLE.columns]
        in_order = order == list(range(len(NAMED)))
        largest = plausible()["dfe_max_value"]
        for row, cells in records:
            if len(cells) != width:
                raise RejectedFile(self.path, f"row has {len(cells)} fields, the header has "
                                   f"{width}", row=row, field=header[min(len(cells), width) - 1])
            check_cells(self.path, row, cells, header, 300)
            dims = [cells[i] or None if i is not None else None for i in geo]
            if "breakdown_topic" in header:
                bt = cells[header.index("breakdown_topic")] or None
                bd = cells[header.index("breakdown")] if "breakdown" in header else None
            else:
                bt = topic or None
                bd = " / ".join(cells[i] for i in breakdowns) or None
            prefix = (release, name, *dims, bt, bd)
            data_rows += 1
            for i, measure in measures:
                value = cells[i].strip()
                if not value:
                    values = (*prefix, measure, None, None)
                elif value in MARKERS:
                    values = (*prefix, measure, None, value)
                else:
                    self._figure(row, measure, value, largest)
                    values = (*prefix, measure, value, None)
                yield DFE_TABLE, [row, *(values if in_order else
                                         (values[j] if j is not None else None for j in order))]
        if not data_rows:
            raise RejectedFile(self.path, "header only, no data rows", row=2)

    def _figure(self, row: int, measure: str, value: str, largest: int) -> None:
        if not FIGURE.fullmatch(value):
            why = ("a negative figure (DfE's counts and percentages are never below zero)"
                   if value.startswith("-") else
                   "not a number as DfE writes one (digits and a decimal point; NaN, Infinity "
                   f"and exponents are refused; markers are {', '.join(sorted(MARKERS))})")
            raise RejectedFile(self.path, f"{value[:40]!r} is {why}", row=row, field=measure)
        if float(value) > largest:
            raise RejectedFile(self.path, f"{value} is implausibly large for a DfE figure (more "
                               f"than {largest:,}, vars.plausible.dfe_max_value)", row=row,
                               field=measure)
