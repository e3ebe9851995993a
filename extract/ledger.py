"""Finance ledger extracts: one file per borough and fiscal month, columns per the YAML."""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Iterator

from psycopg import sql

from extract.entities import LEDGER_TABLE, RawTable
from extract.errors import RejectedFile
from extract.fields import FieldPlan, compile_plan
from extract.landing import NeedsReader
from extract.source import SourceFile, period_from_name
from extract.sql_mapping import ColumnSql, TableSql, cell, clean, insert_all, land_file, table_sql
from extract.textfile import TextSource, check_cells, check_header, csv_rows
from foundation.reference import plausible, plausible_date_range

# an amount as a ledger writes it: digits with thousands commas, perhaps a sign and pence
# (never NaN, Infinity or an exponent)
AMOUNT = re.compile(r"-?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d{1,2})?")
MAX_CELL_CHARS = 100     # a ledger cell longer than this refuses the file
_AMOUNT_SQL = r"^-?([0-9]{1,3}(,[0-9]{3})+|[0-9]+)(\.[0-9]{1,2})?$"


def fiscal_year_start(text: str, fmt: str) -> int | None:
    """'2017/18' (YYYY/YY), '2017-18' (YYYY-YY) or '2017' (YYYY) -> 2017; None if malformed."""
    text = text.strip()
    if fmt == "YYYY":
        return int(text) if len(text) == 4 and text.isdigit() else None
    sep = fmt[4]
    if len(text) != 7 or text[4] != sep or not (text[:4] + text[5:]).isdigit():
        return None
    start = int(text[:4])
    return start if (start + 1) % 100 == int(text[5:]) else None


def _number(text: sql.Composable) -> sql.Composable:
    return sql.SQL("cast(replace({}, ',', '') as numeric)").format(text)


class LedgerExtract(SourceFile):
    def __init__(self, path: Path, layout: dict[str, Any]) -> None:
        self.spec = layout["ledger"]
        super().__init__(path, "ledger", layout["borough"], "ledger", tables=[LEDGER_TABLE])
        start, end, period = period_from_name(path, self.spec["period"]).split("-")
        self.period = f"{start}/{end} P{period}"
        self.layout = layout
        # what the name says: each line must say the same (a file named for 2017-18 P01
        # holding another year's or month's lines is refused)
        self.name_year, self.name_month = int(start), int(period)
        periods = plausible()["fiscal_periods"]
        earliest, latest = plausible_date_range("fiscal_year")
        if not (earliest.year <= self.name_year <= latest.year) or \
                (self.name_year + 1) % 100 != int(end):
            raise RejectedFile(path, f"file name's fiscal year {start}-{end} is not a plausible "
                               f"fiscal year ({earliest.year} to {latest.year})")
        if not 1 <= self.name_month <= periods:
            raise RejectedFile(path, f"file name's period P{period} is not a fiscal month "
                               f"(1 to {periods}; there is no period 13)")

    def _header(self) -> tuple[Iterator[tuple[int, list[str]]], list[str], dict[str, int],
                               FieldPlan]:
        """The records after the header, the header, its column positions and the plan."""
        source = TextSource(self.read_path, self.spec.get("encoding", "utf-8"), shown=self.path)
        records = csv_rows(source, self.spec.get("delimiter", ","))
        _, header = next(records, (0, None))
        if not header:
            raise RejectedFile(self.path, "the file has no header row", row=1)
        columns = self.spec["columns"]
        index = check_header(self.path, header, list(columns.values()), self.layout["layout_file"])
        plan = compile_plan(LEDGER_TABLE, columns, index, self.spec.get("codes") or {})
        self.name_fields(LEDGER_TABLE, plan.sources)
        return records, header, index, plan

    @property
    def fiscal_year_text(self) -> str:
        """The fiscal year as each line of this file must write it (the name's year)."""
        year, fmt = self.name_year, self.spec["fiscal_year_format"]
        return str(year) if fmt == "YYYY" else f"{year}{fmt[4]}{(year + 1) % 100:02d}"

    @property
    def month_texts(self) -> list[str]:
        """The month as each line may write it: the name's, with or without its leading zero."""
        return sorted({str(self.name_month), f"{self.name_month:02d}"})

    def header(self) -> list[str]:
        """The header row's cells (RejectedFile when it is missing or wrong)."""
        records, header, _, _ = self._header()
        records.close()
        return header

    def table_sql(self, strip: bool, year: sql.Composable, fiscal_year_text: sql.Composable,
                  month_texts: sql.Composable) -> TableSql:
        """The landing table's rows checked and cast by the rules of rows(); the name's year,
        its spelling and the month's spellings as SQL (literals for one file, a column of
        the file's own for files landed together, extract/ledger_files.py)."""
        records, _, index, plan = self._header()
        records.close()
        columns = self.spec["columns"]
        fy, month, amount = (clean(cell(index[columns[c]]), strip)
                             for c in ("fiscal_year", "period", "amount_gbp"))
        v_fy, v_month, t_amount, v_amount = map(sql.Identifier, (
            "v_fiscal_year", "v_period", "t_amount_gbp", "v_amount_gbp"))
        overrides = {
            "fiscal_year": ColumnSql("fiscal_year", sql.SQL("cast({} as integer)").format(year),
                                     sql.SQL("{} = {}").format(v_fy, fiscal_year_text),
                                     [("v_fiscal_year", fy)]),
            # the month as the name says it, with or without its leading zero
            "period": ColumnSql("period", sql.SQL("cast({} as smallint)").format(v_month),
                                sql.SQL("{} = any({})").format(v_month, month_texts),
                                [("v_period", month)]),
            # digits, perhaps thousands commas, a sign and pence: without commas, the text
            # is the number's own (no exponent, no NaN, no leading zero or plus)
            "amount_gbp": ColumnSql("amount_gbp", v_amount, sql.SQL(
                "(strpos({a}, ',') = 0 or {a} ~ {p}) and scale({n}) <= 2 "
                "and cast({n} as text) = replace({a}, ',', '') and abs({n}) <= {limit}").format(
                    a=t_amount, n=v_amount, p=sql.Literal(_AMOUNT_SQL),
                    limit=sql.Literal(self.spec["max_abs_amount"])),
                [("t_amount_gbp", amount), ("v_amount_gbp", _number(amount))]),
        }
        return table_sql(plan, self.date_style, self.path, strip, overrides=overrides)

    def copy_in_sql(self, conn, batch_id: int) -> dict[str, int]:
        """The file COPYed as it is into a landing table, checked and cast in SQL with the
        rules of rows() (extract/landing.py, extract/sql_mapping.py); NeedsReader when rows()
        must read it."""
        if self.spec.get("encoding", "utf-8") != "utf-8":
            raise NeedsReader("encoding")
        landed = land_file(conn, self.read_path, len(self.header()),
                           self.spec.get("delimiter", ","), max_chars=MAX_CELL_CHARS)
        table = self.table_sql(landed.strip, sql.Literal(self.name_year),
                               sql.Literal(self.fiscal_year_text), sql.Literal(self.month_texts))
        return insert_all(conn, [table], "landing", batch_id, self.borough, 2)

    def rows(self) -> Iterator[tuple[RawTable, list[Any]]]:
        spec = self.spec
        records, header, index, plan = self._header()
        columns = spec["columns"]
        fy_pos, amount_pos = index[columns["fiscal_year"]], index[columns["amount_gbp"]]
        fy_format, limit = spec["fiscal_year_format"], float(spec["max_abs_amount"])
        fy_col = LEDGER_TABLE.columns.index("fiscal_year") + 1
        period_pos, periods = index[columns["period"]], plausible()["fiscal_periods"]
        width, data_rows = len(header), 0
        for row, cells in records:
            if len(cells) != width:
                raise RejectedFile(self.path, f"row has {len(cells)} fields, the header has "
                                   f"{width}", row=row, field=header[min(len(cells), width) - 1])
            check_cells(self.path, row, cells, header, MAX_CELL_CHARS)
            values = plan.values(self.path, row, cells)
            fy = fiscal_year_start(cells[fy_pos], fy_format)
            if fy is None:
                raise RejectedFile(self.path, f"fiscal year {cells[fy_pos]!r} is not {fy_format}",
                                   row=row, field=columns["fiscal_year"])
            if fy != self.name_year:
                raise RejectedFile(self.path, f"fiscal year {cells[fy_pos]!r} is not the file "
                                   f"name's ({self.period}): a line of another year",
                                   row=row, field=columns["fiscal_year"])
            values[fy_col] = fy
            month = cells[period_pos].strip()
            if not month.isdigit() or not 1 <= int(month) <= periods:
                raise RejectedFile(self.path, f"period {month[:20]!r} is not a fiscal month (1 to "
                                   f"{periods}; there is no period 13)", row=row,
                                   field=columns["period"])
            if int(month) != self.name_month:
                raise RejectedFile(self.path, f"period {month} is not the file name's "
                                   f"({self.period}): a line of another month", row=row,
                                   field=columns["period"])
            text = cells[amount_pos].strip()
            if not AMOUNT.fullmatch(text):
                raise RejectedFile(self.path, f"amount {text[:40]!r} is not a number in pounds "
                                   "and pence (NaN, Infinity and exponents are refused)",
                                   row=row, field=columns["amount_gbp"])
            amount = float(text.replace(",", ""))
            if abs(amount) > limit:
                raise RejectedFile(self.path, f"amount {amount:,.2f} is implausible for one "
                                   f"ledger line (limit {limit:,.0f} in {self.layout['layout_file']})",
                                   row=row, field=columns["amount_gbp"])
            values[-1] = text.replace(",", "")
            data_rows += 1
            yield LEDGER_TABLE, values
        if not data_rows:
            raise RejectedFile(self.path, "header only, no ledger lines", row=2)
