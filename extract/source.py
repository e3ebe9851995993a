"""What every reader gives the loader: a file's identity and a stream of raw rows."""
from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, Iterator

from extract.entities import RawTable
from extract.errors import RejectedFile
from foundation.reference import plausible_date_range

_NAME_DATE = re.compile(r"(?<!\d)(\d{8})(?!\d)")


@dataclass
class SourceFile:
    path: Path
    source_kind: str                 # sen2 | case | ledger | dfe
    borough: str | None
    dataset: str                     # which export of the borough (e.g. 'requests')
    period: str | None = None        # the period the file covers; may be read from its content
    date_style: str = "ISO"          # how PostgreSQL reads its dates (ISO or DMY)
    tables: list[RawTable] = field(default_factory=list)
    # (raw table, raw column) -> the file's own name for it, for error messages
    field_names: dict[tuple[str, str], str] = field(default_factory=dict)
    # where the bytes are read from: the loader's private copy of what it hashed (the
    # file's name and folder, `path`, still say what the file is)
    data: Path | None = None

    @property
    def read_path(self) -> Path:
        return self.data or self.path

    def name_fields(self, table: RawTable, sources: list[str]) -> None:
        self.field_names.update({(table.name, c): s for c, s in zip(table.columns, sources)})

    def rows(self) -> Iterator[tuple[RawTable, list[Any]]]:  # pragma: no cover - interface
        raise NotImplementedError


def match_dataset(path: Path, datasets: dict[str, dict[str, Any]], layout_file: str) -> tuple[str, dict]:
    for name, spec in datasets.items():
        if fnmatch.fnmatch(path.name, spec["match"]):
            return name, spec
    patterns = ", ".join(spec["match"] for spec in datasets.values())
    raise RejectedFile(path, f"file name matches none of the exports in {layout_file} "
                       f"({patterns})")


def period_from_name(path: Path, spec: dict[str, Any]) -> str:
    found = re.search(spec["pattern"], path.name)
    if not found:
        raise RejectedFile(path, f"file name does not carry its period (pattern {spec['pattern']})")
    if "format" in spec:
        try:
            named = datetime.strptime(found.group(1), spec["format"]).date()
        except ValueError:
            raise RejectedFile(path, f"file name's date {found.group(1)!r} is not a real date") from None
        plausible_extract_date(path, named, "file name")
        return named.isoformat()
    return "-".join(found.groups())


def plausible_extract_date(path: Path, when: date, where: str, row: int | None = None,
                           field: str | None = None) -> None:
    earliest, latest = plausible_date_range("extract_date")
    if not earliest <= when <= latest:
        raise RejectedFile(path, f"the {where}'s extract date {when.isoformat()} is out of the "
                           f"plausible range ({earliest.isoformat()} to {latest.isoformat()}, "
                           "seeds/plausible_dates.csv)", row=row, field=field)


def check_name_date(path: Path, extract_date: date, where: str, row: int | None = None,
                    field: str | None = None) -> None:
    """A file whose name carries a date (YYYYMMDD) must hold the extract of that date."""
    plausible_extract_date(path, extract_date, where, row, field)
    found = _NAME_DATE.findall(path.name)
    if len(found) != 1:
        return
    try:
        named = datetime.strptime(found[0], "%Y%m%d").date()
    except ValueError:
        return
    if named != extract_date:
        raise RejectedFile(path, f"the file name's date {named.isoformat()} is not the extract "
                           f"date in its {where} ({extract_date.isoformat()}): renamed, or the "
                           "wrong file", row=row, field=field)
