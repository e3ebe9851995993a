"""What a report section is made of: a one-line headline whose figures are tagged with the
mart they come from, a chart, alt text, and the data table under the chart."""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from foundation.suppression import SUPPRESSED, is_small


@dataclass(frozen=True)
class Figure:
    """One figure printed in a headline: `key` names it for the tests and the page
    (`data-key`), `value` is the mart's value, `text` what is printed."""

    key: str
    value: Any
    text: str


@dataclass
class Table:
    columns: list[str]
    rows: list[list[Any]]
    caption: str = ""


@dataclass
class Section:
    anchor: str
    title: str
    headline: str                   # the sentence; each {key} in it names one of its figures
    figures: list[Figure] = field(default_factory=list)
    charts: list[tuple[str, str]] = field(default_factory=list)     # (svg, alt text)
    tables: list[Table] = field(default_factory=list)
    note: str = ""
    empty: str = ""                 # why the section has nothing to show, if it has not


def pct(value: Any) -> str:
    return "n/a" if value is None else f"{float(value):.1f}%"


def number(value: Any) -> str:
    return "n/a" if value is None else f"{float(value):,.0f}"


def money(value: Any) -> str:
    """£ in thousands or millions, one decimal: 224000 -> '£224.0k', 1_234_000 -> '£1.2m'."""
    if value is None:
        return "n/a"
    v = float(value)
    return f"£{v / 1e6:,.1f}m" if abs(v) >= 1e6 else f"£{v / 1e3:,.1f}k"


def count_cell(value: Any, threshold: int) -> Any:
    """A count as it may leave the warehouse: below the threshold (and above zero) it is
    DfE's `c`."""
    if isinstance(value, Decimal):
        value = int(value) if value == int(value) else float(value)
    return SUPPRESSED if is_small(value, threshold) else value


def count_text(value: Any, threshold: int) -> str:
    shown = count_cell(value, threshold)
    return shown if shown == SUPPRESSED else number(shown)


def cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        value = float(value)
    if isinstance(value, float):
        return f"{value:,.1f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)
