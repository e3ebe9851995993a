"""Every value a reader gives is checked against its raw column's type before COPY.

PostgreSQL is generous with input: it reads `today`, `infinity`, `epoch` and `0001-01-01`
as dates, `NaN` and `Infinity` as numbers and `on`/`off` as booleans. The loader accepts
less: a date is a calendar date in the plausible range of its item (seeds/plausible_dates.csv),
in the layout's date style; a number is finite and written plainly; a yes/no is one of the
usual spellings; text holds no NUL byte. A refusal names the file's row and field.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from extract.entities import RawTable
from extract.errors import RejectedFile
from foundation.catalog import column_types
from foundation.reference import plausible_date_range

_ISO = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_DMY = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")
_COMPACT = re.compile(r"(\d{4})(\d{2})(\d{2})")
_TIMESTAMP = re.compile(r"(\d{4})-(\d{2})-(\d{2})(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?)?")
_INTEGER = re.compile(r"[+-]?\d{1,15}")
_DECIMAL = re.compile(r"[+-]?(?:\d{1,15}(?:\.\d*)?|\.\d+)")   # no exponent, no NaN, no Infinity
_from_iso = date.fromisoformat
_15_DIGITS = 10 ** 15
YES_NO = frozenset({"y", "n", "yes", "no", "true", "false", "t", "f", "1", "0"})
_KINDS = {"date": "date", "timestamp without time zone": "timestamp", "boolean": "yesno",
          "integer": "integer", "smallint": "integer", "bigint": "integer", "numeric": "number",
          "double precision": "number", "real": "number", "text": "text"}


@dataclass
class _Check:
    index: int            # the value's place in the row (0 is source_row)
    column: str
    kind: str
    earliest: date | None = None
    latest: date | None = None


class ValueChecker:
    """The checks for one raw table, compiled once per file."""

    def __init__(self, table: RawTable, date_style: str, field_names: dict[tuple[str, str], str],
                 path: Path, today: date | None = None) -> None:
        types = column_types("raw", table.name)
        self.table, self.path, self.dmy = table, path, date_style == "DMY"
        self.field_names = field_names
        self.checks: list[_Check] = []
        for i, column in enumerate(table.columns, start=1):
            kind = _KINDS.get(types.get(column, "text"), "text")
            check = _Check(i, column, kind)
            if kind in ("date", "timestamp"):
                check.earliest, check.latest = plausible_date_range(column, today)
            self.checks.append(check)

        # the quick look at each value (see _plain): (index, kind, earliest, latest)
        self._quick = [(c.index, c.kind, c.earliest, c.latest) for c in self.checks]

    def _plain(self, values: list[Any]) -> bool:
        """True when every value is plainly acceptable as it is: text without NUL, a date
        already YYYY-MM-DD within its range, a yes/no spelt as YES_NO spells it, a whole
        number of ASCII digits (or a Python int) of at most 15 digits. Anything else
        (rewritten, or refused) is for `check`'s full rules; this only saves their cost on
        the usual row."""
        n = len(values)
        for index, kind, earliest, latest in self._quick:
            value = values[index] if index < n else None
            if value is None:
                continue
            if value.__class__ is not str:
                if not (kind == "integer" and value.__class__ is int
                        and -_15_DIGITS < value < _15_DIGITS):
                    return False
                continue
            if kind == "text":
                if "\x00" in value:
                    return False
            elif kind == "date":
                if not (len(value) == 10 and value[4] == "-" == value[7] and value.isascii()):
                    return False
                try:
                    if not earliest <= _from_iso(value) <= latest:
                        return False
                except ValueError:
                    return False
            elif kind == "yesno":
                if value.lower() not in YES_NO:
                    return False
            elif kind == "integer":
                if not (len(value) <= 15 and value.isascii() and value.isdigit()):
                    return False
            else:
                return False
        return True

    def check(self, values: list[Any]) -> None:
        """Raise RejectedFile for the first bad value; dates are rewritten as ISO."""
        if self._plain(values):
            return
        for c in self.checks:
            value = values[c.index] if c.index < len(values) else None
            if value is None:
                continue
            if not isinstance(value, str):
                value = str(value)
            if c.kind == "text":
                if "\x00" in value:
                    self._refuse(values, c, f"{value.replace(chr(0), '<NUL>')[:40]!r} contains a "
                                 "NUL byte (0x00): the export is damaged or binary")
            elif c.kind == "date":
                values[c.index] = self._date(values, c, value.strip()).isoformat()
            elif c.kind == "timestamp":
                found = _TIMESTAMP.fullmatch(value.strip())
                if not found:
                    self._refuse(values, c, f"{value[:40]!r} is not a date-time "
                                 "(YYYY-MM-DDThh:mm:ss)")
                self._in_range(values, c, self._calendar(values, c, value, *found.groups()))
            elif c.kind == "yesno":
                if value.strip().lower() not in YES_NO:
                    self._refuse(values, c, f"{value[:40]!r} is not a valid yes/no value "
                                 "(expected Y or N)")
            elif c.kind == "integer":
                if not _INTEGER.fullmatch(value.strip()):
                    self._refuse(values, c, f"{value[:40]!r} is not a whole number")
            elif c.kind == "number":
                if not _DECIMAL.fullmatch(value.strip()):
                    self._refuse(values, c, f"{value[:40]!r} is not a finite number written "
                                 "plainly (NaN, Infinity and exponents such as 1e308 are refused)")

    def _date(self, values: list[Any], c: _Check, text: str) -> date:
        if found := _ISO.fullmatch(text) or _COMPACT.fullmatch(text):
            parts = found.groups()
        elif self.dmy and (found := _DMY.fullmatch(text)):
            day, month, year = found.groups()
            parts = (year, month, day)
        else:
            style = "day/month/year" if self.dmy else "YYYY-MM-DD"
            self._refuse(values, c, f"{text[:40]!r} is not a calendar date (expected {style})")
        return self._in_range(values, c, self._calendar(values, c, text, *parts))

    def _calendar(self, values: list[Any], c: _Check, text: str, year: str, month: str,
                  day: str) -> date:
        try:
            return date(int(year), int(month), int(day))
        except ValueError:
            self._refuse(values, c, f"{text[:40]!r} is not a calendar date: date field value "
                         "out of range")
        raise AssertionError  # pragma: no cover - _refuse raises

    def _in_range(self, values: list[Any], c: _Check, when: date) -> date:
        if not (c.earliest <= when <= c.latest):
            self._refuse(values, c, f"date {when.isoformat()} is out of the plausible range for "
                         f"{c.column} ({c.earliest.isoformat()} to {c.latest.isoformat()}, "
                         "seeds/plausible_dates.csv)")
        return when

    def _refuse(self, values: list[Any], c: _Check, reason: str) -> None:
        field = self.field_names.get((self.table.name, c.column), c.column)
        raise RejectedFile(self.path, reason, row=values[0], field=field)
