"""A FieldPlan (extract/fields.py) and the value checks (extract/values.py) written as SQL.

Over a landing table (extract/landing.py) whose c1..cN are a file's cells as text, each raw
column becomes two SQL expressions: its value (stripped as str.strip() strips, empty as
NULL, mapped through the layout's codes, a date rewritten as ISO) and a condition that the
row-by-row reader would have accepted it. The conditions are the same rules, written
stricter where SQL and Python read differently (only ASCII digits): a row that fails one is
never refused here; the loader reads the file row by row instead, and that reader's message
names the row and field. A value the conditions pass but PostgreSQL still cannot cast (31
February) makes the INSERT fail, with the same outcome.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from psycopg import sql

from extract.fields import FieldPlan
from extract.landing import WHITESPACE
from extract.values import YES_NO, ValueChecker
from foundation.catalog import column_types

_ISO = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
_COMPACT = r"[0-9]{8}"
_DMY = r"[0-9]{1,2}/[0-9]{1,2}/[0-9]{4}"
_TIMESTAMP = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,6})?)?)?$"
_INTEGER = r"^[+-]?[0-9]{1,15}$"
_DECIMAL = r"^[+-]?([0-9]{1,15}(\.[0-9]*)?|\.[0-9]+)$"
TRUE = sql.SQL("true")


def cell(i: int) -> sql.Composable:
    """The landing table's text of source cell i (0-based)."""
    return sql.Identifier(f"c{i + 1}")


def clean(expr: sql.Composable) -> sql.Composable:
    """Stripped as Python strips, empty as NULL."""
    return sql.SQL("nullif(btrim({}, {}), '')").format(expr, sql.Literal(WHITESPACE))


def iso_date(v: sql.Composable) -> sql.Composable:
    """A date written ISO, compact (YYYYMMDD) or day/month/year, as YYYY-MM-DD text."""
    return sql.SQL(
        "case when strpos({v}, '/') > 0 then split_part({v}, '/', 3) || '-' || "
        "lpad(split_part({v}, '/', 2), 2, '0') || '-' || lpad(split_part({v}, '/', 1), 2, '0') "
        "when length({v}) = 8 then substr({v}, 1, 4) || '-' || substr({v}, 5, 2) || '-' || "
        "substr({v}, 7, 2) else {v} end").format(v=v)


@dataclass
class ColumnSql:
    column: str
    value: sql.Composable      # the value, as the raw column's type
    ok: sql.Composable         # the reader would accept it


def _between(text: sql.Composable, earliest, latest) -> sql.Composable:
    return sql.SQL("{} between {} and {}").format(text, sql.Literal(earliest.isoformat()),
                                                  sql.Literal(latest.isoformat()))


def typed_column(column: str, data_type: str, kind: str, v: sql.Composable, dmy: bool,
                 earliest=None, latest=None) -> ColumnSql:
    """The checks of extract/values.py on the text value `v`, and its cast."""
    cast = sql.SQL("cast({} as {})").format
    type_name = sql.SQL(data_type)
    if kind == "date":
        pattern = f"^({_ISO}|{_COMPACT}{'|' + _DMY if dmy else ''})$"
        iso = iso_date(v)
        ok = sql.SQL("{v} ~ {p} and {r}").format(v=v, p=sql.Literal(pattern),
                                                 r=_between(iso, earliest, latest))
        return ColumnSql(column, cast(iso, type_name), _or_null(v, ok))
    if kind == "timestamp":
        ok = sql.SQL("{v} ~ {p} and {r}").format(
            v=v, p=sql.Literal(_TIMESTAMP),
            r=_between(sql.SQL("substr({}, 1, 10)").format(v), earliest, latest))
        return ColumnSql(column, cast(v, type_name), _or_null(v, ok))
    if kind == "yesno":
        ok = sql.SQL("lower({}) = any({})").format(v, sql.Literal(sorted(YES_NO)))
        return ColumnSql(column, cast(v, type_name), _or_null(v, ok))
    if kind in ("integer", "number"):
        ok = sql.SQL("{} ~ {}").format(v, sql.Literal(_INTEGER if kind == "integer" else _DECIMAL))
        return ColumnSql(column, cast(v, type_name), _or_null(v, ok))
    return ColumnSql(column, v if data_type == "text" else cast(v, type_name), TRUE)


def _or_null(v: sql.Composable, ok: sql.Composable) -> sql.Composable:
    return sql.SQL("({} is null or ({}))").format(v, ok)


@dataclass
class TableSql:
    """One raw table's INSERT from the landing table, and its acceptance condition."""
    plan: FieldPlan
    columns: list[ColumnSql]
    present: sql.Composable      # the landing row gives this table a row

    def ok(self) -> sql.Composable:
        checks = sql.SQL(" and ").join(c.ok for c in self.columns)
        return sql.SQL("(not ({}) or ({}))").format(self.present, checks)

    def insert(self, landing: str, batch_id: int, borough: str | None,
               first_row: int) -> sql.Composed:
        table = self.plan.table
        prefix = [sql.Literal(batch_id)] + ([sql.Literal(borough)] if table.per_borough else [])
        values = [*prefix, sql.SQL("n + {}").format(sql.Literal(first_row - 1)),
                  *(c.value for c in self.columns)]
        return sql.SQL("insert into raw.{t} ({cols}) select {values} from {land} where {present} "
                       "order by n").format(
            t=sql.Identifier(table.name), cols=sql.SQL(", ").join(map(sql.Identifier,
                                                                      table.copy_columns)),
            values=sql.SQL(", ").join(values), land=sql.Identifier(landing), present=self.present)


def table_sql(plan: FieldPlan, date_style: str, path: Path,
              cells: dict[int, sql.Composable] | None = None,
              overrides: dict[str, ColumnSql] | None = None) -> TableSql:
    """The SQL of one FieldPlan. `cells` gives the expression of a source cell when it is not
    the landing column c<i+1>; `overrides` replaces a column's value and check outright."""
    cells, overrides = cells or {}, overrides or {}
    types = column_types("raw", plan.table.name)
    checks = {c.column: c for c in ValueChecker(plan.table, date_style, {}, path).checks}
    columns = []
    for column, pos, lookup, required in zip(
            plan.table.columns, plan.positions, plan.lookups,
            [i in plan.required for i in range(len(plan.table.columns))]):
        if column in overrides:
            columns.append(overrides[column])
            continue
        v = clean(cells.get(pos, cell(pos))) if pos is not None else sql.SQL("null::text")
        ok = TRUE
        if lookup is not None:
            mapped = sql.SQL("({}::jsonb ->> {})").format(sql.Literal(json.dumps(lookup)), v)
            ok = sql.SQL("({} is null or {} is not null)").format(v, mapped)
            v = mapped
        check = checks[column]
        typed = typed_column(column, types.get(column, "text"), check.kind, v,
                             date_style == "DMY", check.earliest, check.latest)
        typed.ok = sql.SQL("{} and {}").format(ok, typed.ok)
        if required:
            typed.ok = sql.SQL("{} and {} is not null").format(typed.ok, v)
        columns.append(typed)
    if plan.present_when is not None:
        present = sql.SQL("{} is not null").format(
            clean(cells.get(plan.present_when, cell(plan.present_when))))
    else:
        present = TRUE
    return TableSql(plan, columns, present)


def first_refused(conn, landing: str, conditions: list[sql.Composable]) -> tuple[int, int | None]:
    """(data records, the first record a condition fails on, or None)."""
    ok = sql.SQL(" and ").join(conditions) if conditions else TRUE
    found = conn.execute(sql.SQL(
        "select count(*), min(n) filter (where not coalesce({}, false)) from {}").format(
            ok, sql.Identifier(landing))).fetchone()
    return found[0], found[1]


def cells_fit(width: int, max_chars: int) -> sql.Composable:
    """No cell longer than the layout allows (extract/textfile.py's check_cells)."""
    lengths = sql.SQL(", ").join(sql.SQL("length({})").format(cell(i)) for i in range(width))
    return sql.SQL("coalesce(greatest({}), 0) <= {}").format(lengths, sql.Literal(max_chars))


def insert_all(conn, tables: list[TableSql], landing: str, batch_id: int, borough: str | None,
               first_row: int) -> dict[str, int]:
    """Each table's rows from the landing table; {raw table: rows} for those given any."""
    counts: dict[str, int] = {}
    for table in tables:
        with conn.cursor() as cur:
            cur.execute(table.insert(landing, batch_id, borough, first_row))
            if cur.rowcount:
                counts[table.plan.table.name] = counts.get(table.plan.table.name, 0) + cur.rowcount
    return counts
