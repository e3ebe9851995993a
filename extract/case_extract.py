"""Case-system extracts: three layouts (delimited, workbook, record-typed), one raw shape.

Which layout a borough uses, its column names and its own codes are in
`extract/layouts/<BOROUGH>.yml`; this module only knows the three formats.
"""
from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any, Iterator

import openpyxl
from openpyxl.utils.cell import column_index_from_string, coordinate_from_string
from psycopg import sql

from extract.entities import CASE_TABLES, RawTable
from extract.errors import RejectedFile
from extract.fields import FieldPlan, compile_plan
from extract.landing import NeedsReader, copy_file, create_landing
from extract.source import SourceFile, check_name_date, match_dataset, period_from_name
from extract.sql_mapping import TRUE, cell, clean, create_refused, insert_all, land_file, table_sql
from extract.textfile import TextSource, check_cells, check_header, csv_rows
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


class WorkbookExtract(_CaseExtract):
    """XLSX with one sheet per entity, read in streaming (read-only) mode."""

    def __init__(self, path: Path, layout: dict[str, Any]) -> None:
        super().__init__(path, layout)
        self.tables = [CASE_TABLES[s["entity"]] for s in self.spec["sheets"].values()]

    def _open(self):
        if self.read_path.stat().st_size == 0:
            raise RejectedFile(self.path, "the file is empty (0 bytes): was the export cut short?")
        settings = get_settings()
        check_workbook(self.read_path, self.path, settings.xlsx_max_inflated_mb << 20,
                       settings.xlsx_max_part_mb << 20, self.max_chars)
        try:
            return openpyxl.load_workbook(self.read_path, read_only=True, data_only=False)
        except Exception as err:  # noqa: BLE001 - openpyxl raises many kinds on a damaged file
            raise RejectedFile(self.path, f"not a readable XLSX workbook ({err}): truncated, "
                               "or saved in another format") from None

    def rows(self) -> Iterator[tuple[RawTable, list[Any]]]:
        book = self._open()
        try:
            yield from self._rows(book)
        except RejectedFile:
            raise
        except Exception as err:  # openpyxl's own errors on a damaged part, whatever their type
            raise RejectedFile(self.path, f"not a readable XLSX workbook ({type(err).__name__}: "
                               f"{str(err)[:200]}): damaged, or not what Excel writes") from None
        finally:
            book.close()

    def _rows(self, book) -> Iterator[tuple[RawTable, list[Any]]]:
        info = self.case["info_sheet"]
        if info["sheet"] not in book.sheetnames:
            raise RejectedFile(self.path, f"sheet '{info['sheet']}' is missing", field=info["sheet"])
        sheet = book[info["sheet"]]
        la = _cell_text(_cell(sheet, info["la_number"]))
        if la != str(self.layout["la_number"]):
            raise RejectedFile(self.path, f"LA number {la!r} is not {self.borough}'s "
                               f"({self.layout['la_number']})", field=f"{info['sheet']}!{info['la_number']}")
        as_at = _cell(sheet, info["as_at"])
        if not isinstance(as_at, (date, datetime)):
            raise RejectedFile(self.path, f"extract date {as_at!r} is not a date",
                               field=f"{info['sheet']}!{info['as_at']}")
        self.period = _cell_text(as_at)
        check_name_date(self.path, as_at if type(as_at) is date else as_at.date(), "Extract Info sheet",
                        field=f"{info['sheet']}!{info['as_at']}")
        data_rows = 0
        for name, spec in self.spec["sheets"].items():
            if name not in book.sheetnames:
                raise RejectedFile(self.path, f"sheet '{name}' is missing", field=name)
            rows = book[name].iter_rows(values_only=True)
            header = [_cell_text(h) or "" for h in next(rows, ())]
            while header and not header[-1]:
                header.pop()
            if not header:
                raise RejectedFile(self.path, f"sheet '{name}' has no header row", row=1, field=name)
            index = check_header(self.path, header, list(spec["columns"].values()),
                                 f"{self.layout['layout_file']} (sheet {name})")
            plan = compile_plan(CASE_TABLES[spec["entity"]], spec["columns"], index, self.codes)
            self.name_fields(plan.table, [f"{name}!{s}" for s in plan.sources])
            for row, cells in enumerate(rows, start=2):
                texts = [_cell_text(c) for c in cells[:len(header)]]
                if all(t is None for t in texts):
                    continue
                if any(t is not None for t in map(_cell_text, cells[len(header):])):
                    raise RejectedFile(self.path, f"sheet '{name}' has a value beyond its last "
                                       "column: an unexpected extra column", row=row, field=name)
                check_cells(self.path, row, [t or "" for t in texts], header, self.max_chars)
                data_rows += 1
                yield plan.table, plan.values(self.path, row, texts, convert=_identity)
        if not data_rows:
            raise RejectedFile(self.path, "the workbook has headers but no data rows", row=2)


def _identity(value: str | None) -> str | None:
    return value


def _cell(sheet, ref: str) -> Any:
    # read-only worksheets don't index cells; walk to the row instead
    col, row = coordinate_from_string(ref)
    for values in sheet.iter_rows(min_row=row, max_row=row, values_only=True):
        c = column_index_from_string(col) - 1
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
        create_landing(conn, "landing", 1)
        create_refused(conn)
        landed = copy_file(conn, self.read_path, "landing", 1, self.case.get("delimiter", "|"),
                           self.max_chars, quoted=False, whole_lines=True)
        conn.execute(sql.SQL("create temp table records on commit drop as "
                             "select n, string_to_array(c1, {}) as a from landing").format(
            sql.Literal(self.case.get("delimiter", "|"))))
        trailer = sql.Literal(self.case["trailer_record"]["type"])
        widths = sql.SQL(" ").join(sql.SQL("when {} then {}").format(
            sql.Literal(rtype), sql.Literal(len(names))) for rtype, (_, names) in plans.items())
        data, trailers, last_trailer, last, counted, shapes_ok = conn.execute(sql.SQL(
            "select count(*) filter (where a[1] is distinct from {t}), "
            "count(*) filter (where a[1] = {t}), max(n) filter (where a[1] = {t}), max(n), "
            "min(a[2]) filter (where a[1] = {t}), coalesce(bool_and(coalesce("
            "a[1] = {t} or cardinality(a) = case a[1] {w} else -1 end, false)), false) "
            "from records").format(t=trailer, w=widths)).fetchone()
        if not (data and trailers == 1 and last_trailer == last == landed.records
                and counted == str(data) and shapes_ok):
            raise NeedsReader("records, or their trailer")
        tables = []
        for rtype, (plan, names) in plans.items():
            cells = {i: sql.SQL("a[{}]").format(sql.Literal(i + 1)) for i in range(len(names))}
            table = table_sql(plan, self.date_style, self.path, landed.strip, cells=cells)
            table.present = sql.SQL("a[1] = {}").format(sql.Literal(rtype))
            tables.append(table)
        return insert_all(conn, tables, "records", batch_id, self.borough, 2)

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
