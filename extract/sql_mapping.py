"""A FieldPlan (extract/fields.py) and the value checks (extract/values.py) written as SQL.

Over a landing table (extract/landing.py) whose c1..cN are a file's cells as text, each raw
column becomes two SQL expressions: its value (stripped as str.strip() strips, empty as
NULL, mapped through the layout's codes, cast to the column's type) and a condition that
the row-by-row reader would have accepted it. The INSERT into the raw table computes both
in one pass: a value whose condition fails calls `pg_temp.refused()`, which raises, and so
does a value PostgreSQL cannot cast (31 February). The conditions are the reader's rules,
written stricter where SQL and Python read differently (only ASCII digits, one spelling of a
month): a row is never refused here; the loader then reads the file row by row instead, and
that reader's message names the row and field.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from psycopg import sql

from extract.fields import FieldPlan
from extract.landing import WHITESPACE, Landed, NeedsReader, copy_file, create_landing
from extract.values import YES_NO, ValueChecker
from foundation.catalog import column_types

# a date's shape, its digits written 9: ISO, compact (YYYYMMDD), and day/month/year
_ISO_SHAPES = ["9999-99-99", "99999999"]
_DMY_SHAPES = ["99/99/9999", "9/99/9999", "99/9/9999", "9/9/9999"]
_TIMESTAMP = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,6})?)?)?$"
_INTEGER = r"^[+-]?[0-9]{1,15}$"
_DECIMAL = r"^[+-]?([0-9]{1,15}(\.[0-9]*)?|\.[0-9]+)$"
TRUE = sql.SQL("true")


def cell(i: int) -> sql.Composable:
    """The landing table's text of source cell i (0-based)."""
    return sql.Identifier(f"c{i + 1}")


def clean(expr: sql.Composable, strip: bool = True) -> sql.Composable:
    """Stripped as Python strips, empty as NULL (`strip` False: the file has no cell with
    white space at either end, so only empty becomes NULL)."""
    if not strip:
        return sql.SQL("nullif({}, '')").format(expr)
    return sql.SQL("nullif(btrim({}, {}), '')").format(expr, sql.Literal(WHITESPACE))


REFUSED = ("create or replace function pg_temp.refused(anyelement) returns anyelement language plpgsql "
           "as $$begin raise exception 'a row the reader refuses' using errcode = '22000'; end$$")


def land_file(conn, path: Path, width: int, delimiter: str, max_chars: int) -> Landed:
    """A delimited file with a header COPYed as it is into the temp table `landing`, beside an
    empty `refused`; NeedsReader when it has no data rows (the reader says why)."""
    create_landing(conn, "landing", width)
    create_refused(conn)
    landed = copy_file(conn, path, "landing", width, delimiter, max_chars)
    if not landed.records:
        raise NeedsReader("no data rows")
    return landed


def create_refused(conn) -> None:
    """`pg_temp.refused(null::type)`: raises (a data exception), for a value that fails."""
    conn.execute(REFUSED)


def checked(value: sql.Composable, ok: sql.Composable, data_type: str) -> sql.Composable:
    """The value where `ok`, else a raise."""
    if ok is TRUE:
        return value
    return sql.SQL("case when {} then {} else pg_temp.refused(null::{}) end").format(
        ok, value, sql.SQL(data_type))


@dataclass
class ColumnSql:
    column: str
    value: sql.Composable      # the value, as the raw column's type
    ok: sql.Composable         # the reader would accept it
    # (name, expression) computed once per landing row, for `value` and `ok` to name
    inner: list[tuple[str, sql.Composable]] = field(default_factory=list)


def _between(text: sql.Composable, earliest, latest) -> sql.Composable:
    return sql.SQL("{} between {} and {}").format(text, sql.Literal(earliest.isoformat()),
                                                  sql.Literal(latest.isoformat()))


def typed_column(column: str, data_type: str, kind: str, v: sql.Composable, dmy: bool,
                 earliest=None, latest=None, text: sql.Composable | None = None) -> ColumnSql:
    """The checks of extract/values.py on the text value `v`, and its cast. A date is cast
    once, from `text` (the expression `v` names), as an inner value `d_<column>` that the
    check and the value share (cast twice, in the check and for the value, the dates cost a
    quarter more); without `text`, where it is used."""
    cast = sql.SQL("cast({} as {})").format
    type_name = sql.SQL(data_type)
    if kind == "date":
        # the session's datestyle reads day/month/year (DMY) or YYYY-MM-DD as the layout says
        # (a text no date has raises in the cast: the loader then reads the file row by row)
        shapes = _ISO_SHAPES + (_DMY_SHAPES if dmy else [])
        date = sql.SQL("date")
        inner = [] if text is None else [(f"d_{column}", cast(text, date))]
        d = cast(v, date) if text is None else sql.Identifier(f"d_{column}")
        ok = sql.SQL("translate({v}, '0123456789', '9999999999') = any({s}) and "
                     "{d} between {lo} and {hi}").format(
            v=v, d=d, s=sql.Literal(shapes), lo=sql.Literal(earliest), hi=sql.Literal(latest))
        return ColumnSql(column, d if data_type == "date" else cast(v, type_name),
                         _or_null(v, ok), inner)
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

    types: dict[str, str]

    def insert(self, landing: str | sql.Composable, batch_id: int | sql.Composable, borough: str | None,
               first_row: int, row_ok: sql.Composable = TRUE) -> sql.Composed:
        """INSERT ... SELECT from the landing table; `row_ok` is checked on every landing row
        (whether or not it gives this table a row). `landing`: the landing table's name, or
        the SQL of a relation over it with an alias. `batch_id`: a number, or the SQL of each
        row's batch (files landed together, extract/ledger_files.py)."""
        table = self.plan.table
        landing = sql.Identifier(landing) if isinstance(landing, str) else landing
        batch = batch_id if isinstance(batch_id, sql.Composable) else sql.Literal(batch_id)
        prefix = [batch] + ([sql.Literal(borough)] if table.per_borough else [])
        values = [*prefix, sql.SQL("n + {}").format(sql.Literal(first_row - 1)),
                  *(checked(c.value, c.ok, self.types.get(c.column, "text"))
                    for c in self.columns)]
        where = self.present if row_ok is TRUE else sql.SQL(
            "case when {} then {} else pg_temp.refused(null::boolean) end").format(
                row_ok, self.present)
        inner = [sql.SQL("{} as {}").format(expr, sql.Identifier(name))
                 for c in self.columns for name, expr in c.inner]
        if not inner:
            source = sql.SQL("{} where {}").format(landing, where)
        else:
            # the inner values once per row (offset 0 keeps the planner from copying each
            # expression into every check that names it), and only for the rows this table
            # takes: `where` names landing columns alone, so it is applied below the offset
            # (above it, every inner value was computed for every landing row: a pipe
            # file's ten record types paid for all the file's rows ten times)
            source = sql.SQL("(select *, {} from {} where {} offset 0) as landed").format(
                sql.SQL(", ").join(inner), landing, where)
        return sql.SQL("insert into raw.{t} ({cols}) select {values} from {source}"
                       ).format(t=sql.Identifier(table.name),
                                cols=sql.SQL(", ").join(map(sql.Identifier, table.copy_columns)),
                                values=sql.SQL(", ").join(values), source=source)


def table_sql(plan: FieldPlan, date_style: str, path: Path, strip: bool = True,
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
        text = clean(cells.get(pos, cell(pos)), strip) if pos is not None else sql.SQL("null::text")
        v, inner, ok = sql.Identifier(f"v_{column}"), [], TRUE
        if lookup is not None:
            t = sql.Identifier(f"t_{column}")
            inner.append((f"t_{column}", text))
            text = sql.SQL("({}::jsonb ->> {})").format(sql.Literal(json.dumps(lookup)), text)
            ok = sql.SQL("({} is null or {} is not null)").format(t, v)
        inner.append((f"v_{column}", text))
        check = checks[column]
        typed = typed_column(column, types.get(column, "text"), check.kind, v,
                             date_style == "DMY", check.earliest, check.latest, text)
        typed.inner = inner + typed.inner
        typed.ok = typed.ok if ok is TRUE else sql.SQL("{} and {}").format(ok, typed.ok)
        if required:
            typed.ok = sql.SQL("{} is not null").format(v) if typed.ok is TRUE else \
                sql.SQL("{} and {} is not null").format(typed.ok, v)
        columns.append(typed)
    if plan.present_when is not None:
        present = sql.SQL("{} is not null").format(
            clean(cells.get(plan.present_when, cell(plan.present_when)), strip))
    else:
        present = TRUE
    return TableSql(plan, columns, present, types)


def insert_all(conn, tables: list[TableSql], landing: str | list[sql.Composable], batch_id: int,
               borough: str | None, first_row: int, row_ok: sql.Composable = TRUE
               ) -> dict[str, int]:
    """Each table's rows from the landing table (or from each table's own relation over it);
    {raw table: rows} for those given any. `row_ok` (checks of the whole row) is checked in
    the first table's pass."""
    counts: dict[str, int] = {}
    for i, table in enumerate(tables):
        with conn.cursor() as cur:
            cur.execute(table.insert(landing if isinstance(landing, str) else landing[i],
                                     batch_id, borough, first_row,
                                     row_ok if i == 0 else TRUE))
            if cur.rowcount:
                counts[table.plan.table.name] = counts.get(table.plan.table.name, 0) + cur.rowcount
    return counts
