"""A corpus of broken files: each is refused with a reason naming the file, row and field,
loads nothing, is kept in quarantine, and leaves earlier loads as they were."""
from __future__ import annotations

import pytest

from extract.ingest import ingest
from tests import source_files as sf

pytestmark = pytest.mark.usefixtures("fresh")

LINES = sf.HF_REQUESTS.splitlines(keepends=True)
LEDGER_2020 = sf.LEDGER_HF.replace("2017/18", "2020/21")   # for HF_ledger_2020-21_P01.csv


def _hf(files, text, encoding="utf-8"):
    return files._write("HF/case/hf_ehc_requests_20261201.csv", text, encoding)


def _replace_row(row: int, old: str, new: str) -> str:
    lines = list(LINES)
    lines[row - 1] = lines[row - 1].replace(old, new, 1)
    return "".join(lines)


def _drop_column(name: str) -> str:
    import csv
    import io

    rows = list(csv.reader(io.StringIO(sf.HF_REQUESTS)))
    i = rows[0].index(name)
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([r[:i] + r[i + 1:] for r in rows])
    return out.getvalue()


def _add_column(name: str) -> str:
    lines = [line.rstrip("\n") + ("," + name if i == 0 else ",x") + "\n" for i, line in enumerate(LINES)]
    return "".join(lines)


def _kc_without_needs(sheets):
    del sheets["Needs"]


CORPUS = {
    # name: (kind, borough, make(files) -> path, reason fragment, row, field)
    "truncated_xml": ("sen2", "HF", lambda f: f.sen2_return(sf.sen2_xml()[:1500], "HF_SEN2_2025.xml"),
                      "not well-formed XML", None, None),
    "wrong_encoding": ("case", "HF", lambda f: _hf(f, _replace_row(3, "Ben", "Benoît"), "cp1252"),
                       "not valid utf-8", 3, None),
    "utf16_bom": ("case", "HF", lambda f: _hf(f, sf.HF_REQUESTS, "utf-16"), "UTF-16", 1, None),
    "empty_file": ("case", "HF", lambda f: _hf(f, ""), "empty", None, None),
    "header_only": ("case", "HF", lambda f: _hf(f, LINES[0]), "header only", 2, None),
    "missing_column": ("case", "HF", lambda f: _hf(f, _drop_column("Postcode")),
                       "missing column 'Postcode'", 1, "Postcode"),
    "extra_column": ("case", "HF", lambda f: _hf(f, _add_column("Notes")),
                     "unexpected column 'Notes'", 1, "Notes"),
    "unparseable_date": ("case", "HF", lambda f: _hf(f, _replace_row(2, "10/01/2023", "31/13/2023")),
                         "out of range", 2, "Date Request Received"),
    "unknown_code": ("case", "HF", lambda f: _hf(f, _replace_row(3, "Male", "Mle")),
                     "unknown code 'Mle'", 3, "Gender"),
    "duplicate_key": ("case", "HF", lambda f: _hf(f, _replace_row(3, "R002", "R001")),
                      "duplicate key request_id=R001", 3, "Request ID"),
    "wrong_borough_row": ("case", "HF", lambda f: _hf(f, _replace_row(4, "205,", "213,")),
                          "not HF's (205)", 4, "LA Code"),
    "wrong_lea": ("sen2", "HF", lambda f: f.sen2_return(sf.sen2_xml(lea="207"), "HF_SEN2_2023.xml"),
                  "LEA 207 is not HF's", 5, "LEA"),
    "implausible_amount": ("ledger", "HF",
                           lambda f: f.hf_ledger(LEDGER_2020.replace("125000.50", "99000000.00"),
                                                 "HF_ledger_2020-21_P01.csv"),
                           "implausible", 2, "Amount"),
    "formula_cell": ("case", "HF", lambda f: _hf(f, _replace_row(2, "Smith", '"=HYPERLINK(""http://x"")"')),
                     "spreadsheet formula", 2, "Surname"),
    "oversized_field": ("case", "HF", lambda f: _hf(f, _replace_row(2, "Smith", "S" * 500)),
                        "500 characters long", 2, "Surname"),
    "mixed_line_endings": ("case", "HF", lambda f: _hf(f, "".join(
                               line.replace("\n", "\r\n") if i < 2 else line for i, line in enumerate(LINES))),
                           "mixed line endings", 3, None),
    "blank_mandatory": ("case", "HF", lambda f: _hf(f, _replace_row(3, "05/06/2023", "")),
                        "mandatory field is blank", 3, "Date Request Received"),
    "truncated_records": ("case", "WCC", lambda f: f.wcc_extract(sf.WCC_EXTRACT.rsplit("TRL", 1)[0]),
                          "without its TRL trailer", None, None),
    "records_wrong_count": ("case", "WCC", lambda f: f.wcc_extract(sf.WCC_EXTRACT.replace("TRL|7", "TRL|9")),
                            "trailer says 9 records", 9, "record_count"),
    "workbook_missing_sheet": ("case", "KC", lambda f: f.kc_workbook(mutate=_kc_without_needs),
                               "sheet 'Needs' is missing", None, "Needs"),
    "workbook_truncated": ("case", "KC", lambda f: _truncate(f.kc_workbook()),
                           "not a readable XLSX", None, None),
    "sen2_unknown_code": ("sen2", "HF", lambda f: f.sen2_return(
                              sf.sen2_xml().replace("<SENtype>ASD", "<SENtype>AUTISM"), "HF_SEN2_2026.xml"),
                          "unknown SENtype code 'AUTISM'", None, "SENtype"),
    "dfe_bad_number": ("dfe", None, lambda f: f.dfe_csv(sf.DFE_CSV.replace(",512,", ",5l2,")),
                       "not a number as DfE writes one", 2, "requests_received_in_year"),
}


def _truncate(path):
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


def _raw_counts(db):
    tables = [r[0] for r in db.execute(
        "select table_name from information_schema.tables where table_schema = 'raw'")]
    return {t: db.execute(f"select count(*) from raw.{t}").fetchone()[0] for t in tables}


@pytest.fixture
def earlier_loads(files, db):
    """Good files loaded before the broken ones arrive."""
    results = [*ingest("case", [files.hf_requests()], "HF"), *ingest("ledger", [files.hf_ledger()], "HF")]
    assert all(r.ok for r in results)
    return {r.batch_id for r in results}


def test_corpus_has_at_least_fifteen_broken_files():
    assert len(CORPUS) >= 15


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_broken_file_is_refused_with_its_reason_and_loads_nothing(name, files, db, earlier_loads):
    kind, borough, make, fragment, row, field = CORPUS[name]
    path = make(files)
    before = _raw_counts(db)
    loaded_before = db.execute("select batch_id, status, rows_loaded from audit.batches "
                               "where status <> 'rejected' order by 1").fetchall()
    [result] = ingest(kind, [path], borough)
    assert result.status == "rejected"
    assert fragment in result.reason, result.reason
    assert path.name in result.reason
    if row is not None:
        assert f"row {row}" in result.reason, result.reason
    if field is not None:
        assert f"field '{field}'" in result.reason, result.reason
    assert _raw_counts(db) == before
    assert db.execute("select batch_id, status, rows_loaded from audit.batches "
                      "where status <> 'rejected' order by 1").fetchall() == loaded_before
    record = db.execute("select reason, error_row, error_field, quarantine_path from audit.batches "
                        "where status = 'rejected' order by batch_id desc limit 1").fetchone()
    assert record[0] == result.reason
    if row is not None:
        assert record[1] == row
    assert result.quarantine_path.exists()
    assert result.quarantine_path.read_bytes() == path.read_bytes()
    assert fragment in result.quarantine_path.with_name(result.quarantine_path.name + ".reason.txt").read_text()


def test_utf8_byte_order_mark_from_excel_is_accepted(files, db):
    [result] = ingest("case", [_hf(files, "\ufeff" + sf.HF_REQUESTS)], "HF")
    assert result.status == "loaded", result.reason
    assert result.rows_by_table["case_requests"] == 4


def test_exact_duplicate_rows_load_for_the_gates_to_count(files, db):
    [result] = ingest("case", [_hf(files, sf.HF_REQUESTS + LINES[2])], "HF")
    assert result.status == "loaded", result.reason
    assert result.rows_by_table["case_requests"] == 5
