"""Case-system extracts: three layouts (delimited, workbook, record-typed), one raw shape.

Which layout a borough uses, its column names and its own codes are in
`extract/layouts/<BOROUGH>.yml`; this module only knows the three formats.
"""
from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any, Callable, Iterator

import openpyxl
from openpyxl.utils.cell import column_index_from_string, coordinate_from_string
from psycopg import sql
from python_calamine import CalamineWorkbook

from extract.entities import CASE_TABLES, RawTable
from extract.errors import RejectedFile
from extract.fields import FieldPlan, compile_plan
from extract.landing import NeedsReader, copy_file, create_landing
from extract.source import SourceFile, check_name_date, match_dataset, period_from_name
from extract.sql_mapping import TRUE, cell, clean, create_refused, insert_all, land_file, table_sql
from extract.textfile import TextSource, check_cells, check_header, csv_rows
from extract.values import ValueChecker
from extract.xmlsafe import check_workbook
from foundation.settings import get_settings


def open_case_file(path: Path, layout: dict[str, Any]) -> SourceFile:
    fmt = layout["case"]["format"]
    reader = {"csv": DelimitedExtract, "xlsx": WorkbookExtract, "records": RecordExtract}[fmt]
    return reader(path, layout)


class _CaseExtract(SourceFile):
    def __init__(self, path: Path, layout: dict[str, Any]) -> None:
        case = layout["case"]
        dataset, self.spec = match_dataset(path, case["datasets"], layout["layout_file"])
        super().__init__(path, "case", layout["borough"], dataset,
                         date_style=case.get("date_style", "ISO"))
        self.layout = layout
        self.case = case
        self.codes = case.get("codes") or {}
        self.max_chars = int(case.get("max_field_chars", 200))


class DelimitedExtract(_CaseExtract):
    """CSV with a header row; one file can feed several entities (one row per request)."""

    def __init__(self, path: Path, layout: dict[str, Any]) -> None:
        super().__init__(path, layout)
        self.period = period_from_name(path, self.case["period"])
        self.tables = [CASE_TABLES[e] for e in self.spec["entities"]]

    def _header(self) -> tuple[Iterator[tuple[int, list[str]]], list[str], dict[str, int],
                               list[FieldPlan]]:
        """The records after the header, the header, its column positions and the plans."""
        source = TextSource(self.read_path, self.case.get("encoding", "utf-8"), shown=self.path)
        records = csv_rows(source, self.case.get("delimiter", ","))
        _, header = next(records, (0, None))
        if not header:
            raise RejectedFile(self.path, "the file has no header row", row=1)
        borough_column = self.case.get("borough_column")
        expected = list(dict.fromkeys(
            [*([borough_column] if borough_column else []),
             *(src for mapping in self.spec["entities"].values() for src in mapping.values())]))
        index = check_header(self.path, header, expected, self.layout["layout_file"])
        present = self.spec.get("present_when", {})
        plans = [compile_plan(CASE_TABLES[entity], mapping, index, self.codes, present.get(entity))
                 for entity, mapping in self.spec["entities"].items()]
        for plan in plans:
            self.name_fields(plan.table, plan.sources)
        return records, header, index, plans

    def copy_in_sql(self, conn, batch_id: int) -> dict[str, int]:
        """The file COPYed as it is into a landing table, mapped, checked and cast in SQL
        (extract/landing.py, extract/sql_mapping.py); NeedsReader when rows() must read it."""
        if self.case.get("encoding", "utf-8") != "utf-8":
            raise NeedsReader("encoding")
        records, header, index, plans = self._header()
        records.close()
        landed = land_file(conn, self.read_path, len(header), self.case.get("delimiter", ","),
                           self.max_chars)
        tables = [table_sql(plan, self.date_style, self.path, landed.strip) for plan in plans]
        borough_column = self.case.get("borough_column")
        row_ok = sql.SQL("{} = {}").format(clean(cell(index[borough_column]), landed.strip),
                                           sql.Literal(str(self.layout["la_number"]))) \
            if borough_column else TRUE
        return insert_all(conn, tables, "landing", batch_id, self.borough, 2, row_ok)

    def rows(self) -> Iterator[tuple[RawTable, list[Any]]]:
        records, header, index, plans = self._header()
        borough_column = self.case.get("borough_column")
        la_pos = index.get(borough_column) if borough_column else None
        la_number = str(self.layout["la_number"])
        width = len(header)
        data_rows = 0
        for row, cells in records:
            if len(cells) != width:
                if len(cells) == 1 and not cells[0].strip():
                    continue  # a blank line
                raise RejectedFile(self.path, f"row has {len(cells)} fields, the header has "
                                   f"{width}: a missing or extra delimiter", row=row,
                                   field=header[min(len(cells), width) - 1])
            check_cells(self.path, row, cells, header, self.max_chars)
            if la_pos is not None and cells[la_pos].strip() != la_number:
                raise RejectedFile(self.path, f"LA {cells[la_pos]!r} is not {self.borough}'s "
                                   f"({la_number}): a row from another borough", row=row,
                                   field=borough_column)
            data_rows += 1
            for plan in plans:
                values = plan.values(self.path, row, cells)
                if values is not None:
                    yield plan.table, values
        if not data_rows:
            raise RejectedFile(self.path, "header only, no data rows: an empty extract would "
                               "wipe the borough's data, so it is refused", row=2)


def _cell_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value).strip()
    return text or None


# calamine holds one sheet's cells at a time, about twice its XML in memory: a sheet whose
# XML is larger than this is read by openpyxl's streaming reader instead (slower, flat memory)
CALAMINE_MAX_SHEET = 32 << 20


class _CalamineBook:
    """A workbook read by calamine (Rust): each sheet's cells as Python values, "" when empty."""

    def __init__(self, path: Path) -> None:
        self.book = CalamineWorkbook.from_path(str(path))
        self.sheetnames = list(self.book.sheet_names)

    def rows(self, name: str) -> Iterator[list[Any]]:
        """The sheet's rows from row 1, each from column A (calamine's range starts at the
        first used column, and may start below row 1)."""
        sheet = self.book.get_sheet_by_name(name)
        end = sheet.end
        if end is None:
            return
        for _ in range(end[0] + 1 - sheet.height):
            yield []
        pad = [""] * (end[1] + 1 - sheet.width)
        if pad:
            for cells in sheet.iter_rows():
                yield pad + cells
        else:
            yield from sheet.iter_rows()

    def close(self) -> None:
        self.book.close()


class _OpenpyxlBook:
    """A workbook read by openpyxl in streaming mode: used when a sheet holds a formula,
    which openpyxl shows as its text (and the cell checks refuse), where calamine would give
    the value Excel last computed."""

    def __init__(self, path: Path) -> None:
        self.book = openpyxl.load_workbook(path, read_only=True, data_only=False)
        self.sheetnames = self.book.sheetnames

    def rows(self, name: str) -> Iterator[tuple[Any, ...]]:
        return self.book[name].iter_rows(values_only=True)

    def close(self) -> None:
        self.book.close()


class WorkbookExtract(_CaseExtract):
    """XLSX with one sheet per entity. Every part of the archive is inspected first
    (extract/xmlsafe.py: zip bombs, DTDs and entities, oversized cells), then the sheets are
    read by calamine, or by openpyxl when a sheet holds a formula or is larger than
    CALAMINE_MAX_SHEET."""

    # a table's rows come together (one sheet each): the loader COPYs each as it comes;
    # and each row's values are checked here (extract/values.py), as the loader would
    grouped = True
    checked = True

    def __init__(self, path: Path, layout: dict[str, Any]) -> None:
        super().__init__(path, layout)
        self.tables = [CASE_TABLES[s["entity"]] for s in self.spec["sheets"].values()]

    def _open(self) -> _CalamineBook | _OpenpyxlBook:
        if self.read_path.stat().st_size == 0:
            raise RejectedFile(self.path, "the file is empty (0 bytes): was the export cut short?")
        settings = get_settings()
        parts = check_workbook(self.read_path, self.path, settings.xlsx_max_inflated_mb << 20,
                               settings.xlsx_max_part_mb << 20, self.max_chars)
        streamed = parts.formulas or parts.largest_sheet > CALAMINE_MAX_SHEET
        try:
            return _OpenpyxlBook(self.read_path) if streamed else _CalamineBook(self.read_path)
        except Exception as err:  # noqa: BLE001 - the readers raise many kinds on a damaged file
            raise RejectedFile(self.path, f"not a readable XLSX workbook ({err}): truncated, "
                               "or saved in another format") from None

    def rows(self) -> Iterator[tuple[RawTable, list[Any]]]:
        book = self._open()
        try:
            yield from self._rows(book)
        except RejectedFile:
            raise
        except Exception as err:  # the readers' own errors on a damaged part, whatever their type
            raise RejectedFile(self.path, f"not a readable XLSX workbook ({type(err).__name__}: "
                               f"{str(err)[:200]}): damaged, or not what Excel writes") from None
        finally:
            book.close()

    def _rows(self, book) -> Iterator[tuple[RawTable, list[Any]]]:
        info = self.case["info_sheet"]
        if info["sheet"] not in book.sheetnames:
            raise RejectedFile(self.path, f"sheet '{info['sheet']}' is missing", field=info["sheet"])
        la = _cell_text(_cell(book, info["sheet"], info["la_number"]))
        if la != str(self.layout["la_number"]):
            raise RejectedFile(self.path, f"LA number {la!r} is not {self.borough}'s "
                               f"({self.layout['la_number']})", field=f"{info['sheet']}!{info['la_number']}")
        as_at = _cell(book, info["sheet"], info["as_at"])
        if not isinstance(as_at, (date, datetime)):
            raise RejectedFile(self.path, f"extract date {as_at!r} is not a date",
                               field=f"{info['sheet']}!{info['as_at']}")
        self.period = _cell_text(as_at)
        check_name_date(self.path, as_at if type(as_at) is date else as_at.date(), "Extract Info sheet",
                        field=f"{info['sheet']}!{info['as_at']}")
        data_rows = 0
        path, max_chars = self.path, self.max_chars
        for name, spec in self.spec["sheets"].items():
            if name not in book.sheetnames:
                raise RejectedFile(self.path, f"sheet '{name}' is missing", field=name)
            rows = iter(book.rows(name))
            header = [_cell_text(h) or "" for h in next(rows, ())]
            while header and not header[-1]:
                header.pop()
            if not header:
                raise RejectedFile(self.path, f"sheet '{name}' has no header row", row=1, field=name)
            index = check_header(self.path, header, list(spec["columns"].values()),
                                 f"{self.layout['layout_file']} (sheet {name})")
            plan = compile_plan(CASE_TABLES[spec["entity"]], spec["columns"], index, self.codes)
            self.name_fields(plan.table, [f"{name}!{s}" for s in plan.sources])
            table, width = plan.table, len(header)
            values = _checked_values(plan, ValueChecker(table, self.date_style, self.field_names,
                                                        path), path)
            for row, cells in enumerate(rows, start=2):
                # text as _cell_text gives it, a string (most cells) without the call
                texts = [(c.strip() or None) if c.__class__ is str else _cell_text(c)
                         for c in cells[:width]]
                if not any(texts):
                    continue
                if len(cells) > width and any(
                        t is not None for t in map(_cell_text, cells[width:])):
                    raise RejectedFile(self.path, f"sheet '{name}' has a value beyond its last "
                                       "column: an unexpected extra column", row=row, field=name)
                check_cells(path, row, [t or "" for t in texts], header, max_chars)
                data_rows += 1
                yield table, values(row, texts)
        if not data_rows:
            raise RejectedFile(self.path, "the workbook has headers but no data rows", row=2)


def _checked_values(plan: FieldPlan, checker: ValueChecker, path: Path
                    ) -> Callable[[int, list[str | None]], list[Any]]:
    """`plan.values` then `checker.check`, in one pass over the row: a value that is text, or
    a date already written YYYY-MM-DD within its plausible range, is taken as it is; a row
    with any other value goes through `checker.check`, which rewrites it or names the fault."""
    columns = [(pos, lookup, check.kind, check.earliest, check.latest)
               for pos, lookup, check in zip(plan.positions, plan.lookups, checker.checks)]
    required = plan.required
    fallback, check = plan._fallback, checker.check
    sources = plan.sources
    iso = date.fromisoformat

    def values(row: int, texts: list[str | None]) -> list[Any]:
        out: list[Any] = [row]
        slow = False
        n = len(texts)
        for i, (pos, lookup, kind, earliest, latest) in enumerate(columns):
            value = texts[pos] if pos is not None and pos < n else None
            if value is not None:
                if lookup is not None:
                    mapped = lookup.get(value)
                    value = mapped if mapped is not None else fallback(path, row, sources[i],
                                                                       value, lookup)
                if kind != "text" and not slow:
                    if kind == "date" and len(value) == 10 and value[4] == "-" == value[7] \
                            and value.isascii():
                        try:
                            slow = not earliest <= iso(value) <= latest
                        except ValueError:
                            slow = True
                    else:
                        slow = True
            out.append(value)
        for i in required:
            if out[i + 1] is None:
                raise RejectedFile(path, f"mandatory field is blank ({plan.table.name}."
                                   f"{plan.table.columns[i]})", row=row, field=sources[i])
        if slow:
            check(out)
        return out

    return values


def _cell(book, sheet: str, ref: str) -> Any:
    """The value of cell `ref` (A1 style) of `sheet`: the sheet is walked to its row."""
    col, row = coordinate_from_string(ref)
    c = column_index_from_string(col) - 1
    for n, values in enumerate(book.rows(sheet), start=1):
        if n == row:
            return values[c] if c < len(values) else None
    return None


class RecordExtract(_CaseExtract):
    """Delimited records, the record type in the first field, framed by HDR and TRL."""

    def __init__(self, path: Path, layout: dict[str, Any]) -> None:
        super().__init__(path, layout)
        self.tables = [CASE_TABLES[r["entity"]] for r in self.spec["records"].values()]

    def _header(self) -> tuple[TextSource, Iterator[tuple[int, list[str]]],
                               dict[str, tuple[FieldPlan, list[str]]]]:
        """The source, its records after the HDR record (checked), and each record type's
        plan with its field names."""
        source = TextSource(self.read_path, self.case.get("encoding", "utf-8"), quoted=False,
                            shown=self.path)
        records = csv_rows(source, self.case.get("delimiter", "|"))
        hdr_spec = self.case["header_record"]
        _, first = next(records, (0, None))
        if not first or first[0] != hdr_spec["type"]:
            raise RejectedFile(self.path, f"the first record must be {hdr_spec['type']}", row=1,
                               field="record_type")
        head = dict(zip(hdr_spec["fields"], first))
        if head.get("la_number") != str(self.layout["la_number"]):
            raise RejectedFile(self.path, f"header LA {head.get('la_number')!r} is not "
                               f"{self.borough}'s ({self.layout['la_number']})", row=1,
                               field="la_number")
        try:
            as_at = datetime.strptime(head.get("as_at", ""), "%Y%m%d").date()
        except ValueError:
            raise RejectedFile(self.path, f"header extract date {head.get('as_at')!r} is not "
                               "YYYYMMDD", row=1, field="as_at") from None
        check_name_date(self.path, as_at, f"{hdr_spec['type']} record", row=1, field="as_at")
        self.period = as_at.isoformat()
        plans: dict[str, tuple[FieldPlan, list[str]]] = {}
        for rtype, spec in self.spec["records"].items():
            fields = spec["fields"]
            index = {name: i for i, name in enumerate(fields)}
            mapping = {f: f for f in fields if f != "record_type"}
            plan = compile_plan(CASE_TABLES[spec["entity"]], mapping, index, self.codes)
            self.name_fields(plan.table, [f"{rtype}.{s}" for s in plan.sources])
            plans[rtype] = (plan, [f"{rtype}.{f}" for f in fields])
        return source, records, plans

    def copy_in_sql(self, conn, batch_id: int) -> dict[str, int]:
        """Each line COPYed as it is into a landing table, split, mapped, checked and cast in
        SQL (extract/landing.py, extract/sql_mapping.py); NeedsReader when rows() must read
        it (a record rows() refuses, a trailer that does not add up)."""
        if self.case.get("encoding", "utf-8") != "utf-8":
            raise NeedsReader("encoding")
        _, records, plans = self._header()
        records.close()
        delimiter = self.case.get("delimiter", "|")
        create_landing(conn, "landing", 1)
        create_refused(conn)
        landed = copy_file(conn, self.read_path, "landing", 1, delimiter, self.max_chars,
                           quoted=False, whole_lines=True)
        d = sql.Literal(delimiter)
        trailer = sql.Literal(self.case["trailer_record"]["type"])
        widths = sql.SQL(" ").join(sql.SQL("when {} then {}").format(
            sql.Literal(rtype), sql.Literal(len(names))) for rtype, (_, names) in plans.items())
        # each line's record type and number of fields, without splitting it into an array
        data, trailers, last_trailer, last, counted, shapes_ok = conn.execute(sql.SQL(
            "select count(*) filter (where t is distinct from {t}), "
            "count(*) filter (where t = {t}), max(n) filter (where t = {t}), max(n), "
            "min(split_part(c1, {d}, 2)) filter (where t = {t}), coalesce(bool_and(coalesce("
            "t = {t} or fields = case t {w} else -1 end, false)), false) from (select n, c1, "
            "split_part(c1, {d}, 1) as t, length(c1) - length(replace(c1, {d}, '')) + 1 "
            "as fields from landing offset 0) as typed").format(t=trailer, w=widths, d=d)
        ).fetchone()
        if not (data and trailers == 1 and last_trailer == last == landed.records
                and counted == str(data) and shapes_ok):
            raise NeedsReader("records, or their trailer")
        tables, sources = [], []
        for rtype, (plan, names) in plans.items():
            cells = {i: sql.SQL("a[{}]").format(sql.Literal(i + 1)) for i in range(len(names))}
            tables.append(table_sql(plan, self.date_style, self.path, landed.strip, cells=cells))
            # only this type's lines split into fields (every line has its type's number of
            # fields, checked above, so the type is the text before the first delimiter)
            sources.append(sql.SQL(
                "(select n, string_to_array(c1, {d}) as a from landing "
                "where starts_with(c1, {prefix}) offset 0) as records").format(
                    d=d, prefix=sql.Literal(rtype + delimiter)))
        return insert_all(conn, tables, sources, batch_id, self.borough, 2)

    def rows(self) -> Iterator[tuple[RawTable, list[Any]]]:
        trl_spec = self.case["trailer_record"]
        source, records, plans = self._header()
        count = 0
        for row, cells in records:
            rtype = cells[0] if cells else ""
            if rtype == trl_spec["type"]:
                trailer = dict(zip(trl_spec["fields"], cells))
                if str(count) != trailer.get("record_count"):
                    raise RejectedFile(self.path, f"trailer says {trailer.get('record_count')} "
                                       f"records, the file has {count}: truncated or edited",
                                       row=row, field="record_count")
                if next(records, None) is not None:
                    raise RejectedFile(self.path, "records after the TRL trailer", row=row + 1)
                if not count:
                    raise RejectedFile(self.path, "no data records between HDR and TRL", row=row)
                return
            if rtype not in plans:
                raise RejectedFile(self.path, f"unknown record type {rtype!r} (known: "
                                   f"{', '.join(plans)})", row=row, field="record_type")
            plan, names = plans[rtype]
            if len(cells) != len(names):
                raise RejectedFile(self.path, f"{rtype} record has {len(cells)} fields, the "
                                   f"layout has {len(names)}", row=row,
                                   field=names[min(len(cells), len(names)) - 1])
            check_cells(self.path, row, cells, names, self.max_chars)
            count += 1
            yield plan.table, plan.values(self.path, row, cells)
        raise RejectedFile(self.path, f"the file ends without its {trl_spec['type']} trailer: "
                           "truncated", row=source.line_no + 1)
