"""Small-number suppression for what leaves the warehouse for people outside the SEND team
(exports, the board report): the one home of the rule (issue 14).

DfE's practice in its SEN statistics: a count small enough to identify a child is not shown
but replaced by `c` ("confidential"), and a total is suppressed too when it would reveal a
suppressed cell by subtraction (secondary suppression). Zero is shown (it identifies no one);
DfE's `x` (not available) and `z` (not applicable) are left as they are. Here:

- primary: a count with 1 <= value < threshold (SENDWH_SUPPRESSION_THRESHOLD, default 5) is `c`;
- secondary, across rows: where a grain has a total row (borough `ALL`) and exactly one of
  its parts has a cell suppressed, the total's cell is suppressed too (total and part are then
  two unknowns in one equation: neither can be recovered);
- secondary, within a row: where a total column is the sum of part columns
  (`plans_due_review` = within + late + not held) and exactly one part is suppressed, the
  total is suppressed;
- a rate (a percentage) in a row with any suppressed count is suppressed.

Totals over other dimensions than the borough (an `all` age band) are not yet followed: a
table that has them declares them as row totals or is not exported.

The marts keep the true counts for the team; only what is written out is suppressed.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

SUPPRESSED = "c"        # DfE: confidential, suppressed to protect individuals


@dataclass(frozen=True)
class Rule:
    """How one table is suppressed: its count columns, its within-row totals
    ({total: parts}), its rate columns and, for the totals across rows, the column and value
    that mark the total row (borough ALL)."""

    counts: Sequence[str]
    row_totals: Mapping[str, Sequence[str]] = field(default_factory=dict)
    rates: Sequence[str] = ()
    total_column: str | None = "borough"
    total_value: str = "ALL"


def is_small(value: Any, threshold: int) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and 0 < value < threshold


def suppress(rows: Iterable[Mapping[str, Any]], rule: Rule, threshold: int) -> list[dict[str, Any]]:
    """A copy of `rows` with small counts, the totals that would reveal them, and the rates
    made from them replaced by `c`."""
    out = [dict(row) for row in rows]
    hidden: set[tuple[int, str]] = set()
    for i, row in enumerate(out):
        for column in rule.counts:
            if is_small(row.get(column), threshold):
                hidden.add((i, column))
    changed = True
    while changed:                       # each pass can only add suppressions; it ends
        changed = False
        for i, row in enumerate(out):
            for total, parts in rule.row_totals.items():
                if (i, total) not in hidden and sum((i, p) in hidden for p in parts) == 1:
                    hidden.add((i, total))
                    changed = True
        if rule.total_column:
            for column in rule.counts:
                for total_row, parts in _grains(out, rule).items():
                    if total_row is None:
                        continue
                    hidden_parts = [p for p in parts if (p, column) in hidden]
                    if len(hidden_parts) == 1 and (total_row, column) not in hidden:
                        hidden.add((total_row, column))
                        changed = True
    for i, column in hidden:
        out[i][column] = SUPPRESSED
    for i, row in enumerate(out):
        if any((i, column) in hidden for column in rule.counts):
            for rate in rule.rates:
                row[rate] = SUPPRESSED
    return out


def _grains(rows: list[dict[str, Any]], rule: Rule) -> dict[int | None, list[int]]:
    """{index of a grain's total row (None if it has none): indexes of its part rows}."""
    keys = [c for c in rows[0] if c != rule.total_column and c not in rule.counts
            and c not in rule.rates] if rows else []
    totals: dict[tuple, int] = {}
    parts: dict[tuple, list[int]] = defaultdict(list)
    for i, row in enumerate(rows):
        key = tuple(row.get(k) for k in keys)
        if row.get(rule.total_column) == rule.total_value:
            totals[key] = i
        else:
            parts[key].append(i)
    return {totals.get(key): members for key, members in parts.items()}
