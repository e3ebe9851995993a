"""`sendwh export MART --out FILE.csv`: a published mart as CSV for people outside the SEND
team, with small numbers suppressed (foundation/suppression.py; DfE's `c`). The marts keep the
true counts; only this file is suppressed. Case-level marts (the worklist) are never exported.
"""
from __future__ import annotations

import csv
import re
from pathlib import Path

import psycopg
from psycopg import sql

from foundation.private_files import private_path
from foundation.suppression import Rule, suppress

# totals within a row (DfE's columns: a total and the parts it is the sum of)
ROW_TOTALS = {
    "ehc_timeliness": {"plans_issued_den": ["plans_issued_within_20_weeks", "plans_issued_gt20weeks_ltYear",
                                            "plans_issued_gt_1_year"]},
    "annual_reviews": {"plans_due_review": ["reviews_within_12_months", "reviews_late", "reviews_not_held"],
                       "review_meetings": ["decisions_within_4_weeks", "decisions_late", "decisions_awaited"]},
    "phase_transfers": {"transfers_due": ["finalised_by_deadline", "finalised_late", "still_open"]},
}
EXPORTABLE = ("ehcp_caseload", "ehc_timeliness", "ehc_timeliness_monthly", "annual_reviews",
              "phase_transfers", "statement_transfers")
# integer columns that are dimensions, not counts of children
RATE = re.compile(r"(^|_)pc(_|$)", re.IGNORECASE)     # DfE's percentage columns
DIMENSION = re.compile(r"(year|period|month|order|rank|target|days|weeks_elapsed)", re.IGNORECASE)


class ExportError(ValueError):
    pass


def rule_for(conn: psycopg.Connection, mart: str) -> tuple[list[str], Rule]:
    """The mart's columns and its suppression rule, from the catalog."""
    if mart not in EXPORTABLE:
        raise ExportError(f"{mart}: not exportable (exportable: {', '.join(EXPORTABLE)})")
    columns = conn.execute(
        "select column_name, data_type from information_schema.columns "
        "where table_schema = 'marts' and table_name = %s order by ordinal_position", (mart,)).fetchall()
    if not columns:
        raise ExportError(f"{mart}: not published yet (run `sendwh build`)")
    counts = [c for c, t in columns if t in ("integer", "bigint", "smallint") and not DIMENSION.search(c)]
    totals = {t: parts for t, parts in ROW_TOTALS.get(mart, {}).items() if t in counts}
    counts += [c for t in totals for c in totals[t] if c not in counts]
    rates = [c for c, t in columns
             if t in ("numeric", "double precision", "real") and RATE.search(c)]
    return [c for c, _ in columns], Rule(counts=counts, row_totals=totals, rates=rates)


def export_mart(conn: psycopg.Connection, mart: str, out: Path, threshold: int) -> int:
    """Write the mart (as the connected role may read it) to `out`, suppressed. Returns rows."""
    names, rule = rule_for(conn, mart)
    cursor = conn.cursor()
    cursor.execute(sql.SQL("select * from {} order by 1, 2").format(sql.Identifier("marts", mart)))
    rows = [dict(zip(names, r)) for r in cursor.fetchall()]
    with open(private_path(out), "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=names, lineterminator="\n")
        writer.writeheader()
        writer.writerows(suppress(rows, rule, threshold))
    return len(rows)
