"""A corpus of broken files: each is refused with a reason naming the file, row and field,
loads nothing, is kept in quarantine, and leaves earlier loads as they were."""
from __future__ import annotations

import os
import stat
from pathlib import Path

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
    "records_wrong_count": ("case", "WCC", lambda f: f.wcc_extract(sf.WCC_EXTRACT.replace("TRL|9", "TRL|11")),
                            "trailer says 11 records", 11, "record_count"),
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


# --- hostile input (issue 13) -------------------------------------------------------------
def _ledger(f, text=LEDGER_2020, name="HF_ledger_2020-21_P01.csv"):
    return f.hf_ledger(text, name)


def _ledger_row(row: int, old: str, new: str, text: str = LEDGER_2020) -> str:
    lines = text.splitlines(keepends=True)
    lines[row - 1] = lines[row - 1].replace(old, new, 1)
    return "".join(lines)


def _dfe(f, old, new):
    return f.dfe_csv(sf.DFE_CSV.replace(old, new, 1))


def _wcc(f, old, new):
    assert old in sf.WCC_EXTRACT
    return f.wcc_extract(sf.WCC_EXTRACT.replace(old, new, 1))


def _kc_cell(sheet: str, column: int, value):
    def mutate(sheets):
        sheets[sheet][1][0][column] = value
    return lambda f: f.kc_workbook(mutate=mutate)


def _kc_part(f, part: str, change):
    """Rewrite one part of the sample workbook (its XML as text)."""
    import zipfile

    path = f.kc_workbook()
    with zipfile.ZipFile(path) as src:
        parts = [(i, src.read(i)) for i in src.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for info, data in parts:
            out.writestr(info, change(data.decode()).encode() if info.filename == part else data)
    return path


def _with_doctype(xml: str, doctype: str = '<!DOCTYPE x [<!ENTITY e "boom">]>') -> str:
    if "?>" not in xml:
        return doctype + xml
    head, rest = xml.split("?>", 1)
    return head + "?>" + doctype + rest


def _kc_padded(f, megabytes: int):
    """A zip bomb: a part of zeros that inflates to `megabytes` (written as a stream)."""
    import zipfile

    path = f.kc_workbook()
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as book, \
            book.open("xl/media/pad.bin", "w", force_zip64=True) as pad:
        block = bytes(1 << 20)
        for _ in range(megabytes):
            pad.write(block)
    return path


def _kc_renamed(f, name="KC_SEND_Extract_20261201.xlsx"):
    path = f.kc_workbook()
    return path.rename(path.with_name(name))


SEN2 = sf.sen2_xml()


def _line_of(text: str, needle: str) -> int:
    return text[:text.index(needle)].count("\n") + 1


def _sen2(f, old, new, text=SEN2):
    assert old in text
    return f.sen2_return(text.replace(old, new, 1), "HF_SEN2_2024.xml")


REQUESTS_LINE = _line_of(SEN2, "<Requests>")
PERSON_LINE = _line_of(SEN2, "<Person>")
XINCLUDE = '<xi:include xmlns:xi="http://www.w3.org/2001/XInclude" href="/etc/passwd" parse="text"/>'
LAUGHS = ('<!DOCTYPE Message [<!ENTITY a "ha"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
          '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">]>')


def _quoted_newline_then(row: int, old: str, new: str) -> str:
    """Row 2's surname spans two lines (quoted), and row `row` is damaged."""
    text = _replace_row(row, old, new)
    return text.replace(",Smith,", ',"Smi\nth",', 1)


def _fifo(f):
    path = f.root / "HF" / "case" / "hf_ehc_requests_20261201.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    os.mkfifo(path)
    return path


def _link(f, target, name="hf_ehc_requests_20261201.csv"):
    path = f.root / "HF" / "case" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.symlink_to(target)
    return path


def _climbing(f):
    f.hf_requests()
    depth = len(f.root.resolve().parts) + 2
    return f.root / "HF" / "case" / Path(*([".."] * depth), "etc", "passwd")


def _link_to_fifo(f):
    """A link that stays in the folder, to a pipe: followed, and the pipe refused unread."""
    pipe = f.root / "HF" / "case" / "pipe"
    pipe.parent.mkdir(parents=True, exist_ok=True)
    os.mkfifo(pipe)
    return _link(f, pipe)


HOSTILE = {
    # numbers: finite, plainly written, plausible
    "ledger_nan": ("ledger", "HF", lambda f: _ledger(f, _ledger_row(2, "125000.50", "NaN")),
                   "not a number in pounds", 2, "Amount"),
    "ledger_nan_lower": ("ledger", "HF", lambda f: _ledger(f, _ledger_row(3, "130000.00", "nan")),
                         "not a number in pounds", 3, "Amount"),
    "ledger_infinity": ("ledger", "HF", lambda f: _ledger(f, _ledger_row(2, "125000.50", "Infinity")),
                        "not a number in pounds", 2, "Amount"),
    "ledger_exponent": ("ledger", "HF", lambda f: _ledger(f, _ledger_row(4, "-2500.00", "1e308")),
                        "not a number in pounds", 4, "Amount"),
    "ledger_period_13_line": ("ledger", "HF", lambda f: _ledger(f, _ledger_row(2, ",1,", ",13,")),
                              "there is no period 13", 2, "Period"),
    "ledger_period_13_name": ("ledger", "HF", lambda f: _ledger(
                                  f, LEDGER_2020.replace(",1,", ",13,"), "HF_ledger_2020-21_P13.csv"),
                              "there is no period 13", None, None),
    "ledger_line_of_another_year": ("ledger", "HF", lambda f: _ledger(f, _ledger_row(3, "2020/21", "2019/20")),
                                    "not the file name's (2020/21 P01)", 3, "Year"),
    "ledger_line_of_another_month": ("ledger", "HF", lambda f: _ledger(f, _ledger_row(3, ",1,", ",2,")),
                                     "not the file name's (2020/21 P01)", 3, "Period"),
    "ledger_name_year_0001": ("ledger", "HF", lambda f: _ledger(
                                  f, LEDGER_2020.replace("2020/21", "0001/02"), "HF_ledger_0001-02_P01.csv"),
                              "not a plausible fiscal year", None, None),
    "ledger_name_year_9999": ("ledger", "HF", lambda f: _ledger(
                                  f, LEDGER_2020.replace("2020/21", "9999/00"), "HF_ledger_9999-00_P01.csv"),
                              "not a plausible fiscal year", None, None),
    "dfe_nan": ("dfe", None, lambda f: _dfe(f, ",512,", ",NaN,"),
                "not a number as DfE writes one", 2, "requests_received_in_year"),
    "dfe_infinity": ("dfe", None, lambda f: _dfe(f, ",480,", ",Infinity,"),
                     "not a number as DfE writes one", 2, "request_outcome_six_weeks"),
    "dfe_1e308": ("dfe", None, lambda f: _dfe(f, ",512,", ",1e308,"),
                  "not a number as DfE writes one", 2, "requests_received_in_year"),
    "dfe_negative_count": ("dfe", None, lambda f: _dfe(f, ",512,", ",-512,"),
                           "a negative figure", 2, "requests_received_in_year"),
    "dfe_implausibly_large": ("dfe", None, lambda f: _dfe(f, ",512,", ",99999999999,"),
                              "implausibly large", 2, "requests_received_in_year"),
    "dfe_repeated_header_column": ("dfe", None, lambda f: _dfe(f, "request_outcome_six_weeks,",
                                                              "requests_received_in_year,"),
                                   "appears twice in the header", 1, "requests_received_in_year"),
    # dates: calendar dates in the plausible range of their item
    "date_word_today": ("case", "HF", lambda f: _hf(f, _replace_row(2, "10/01/2023", "today")),
                        "'today' is not a calendar date", 2, "Date Request Received"),
    "date_word_infinity": ("case", "HF", lambda f: _hf(f, _replace_row(3, "05/06/2023", "infinity")),
                           "'infinity' is not a calendar date", 3, "Date Request Received"),
    "date_word_epoch": ("case", "HF", lambda f: _hf(f, _replace_row(2, "15/02/2023", "epoch")),
                        "'epoch' is not a calendar date", 2, "Decision Date"),
    "date_julian": ("case", "HF", lambda f: _hf(f, _replace_row(2, "10/01/2023", "J2451187")),
                    "not a calendar date", 2, "Date Request Received"),
    "date_bc": ("case", "HF", lambda f: _hf(f, _replace_row(2, "10/01/2023", "10/01/2023 BC")),
                "not a calendar date", 2, "Date Request Received"),
    "date_with_time": ("case", "HF", lambda f: _hf(f, _replace_row(2, "10/01/2023", "10/01/2023 12:00")),
                       "not a calendar date", 2, "Date Request Received"),
    "date_30_february": ("case", "HF", lambda f: _hf(f, _replace_row(2, "10/01/2023", "30/02/2023")),
                         "out of range", 2, "Date Request Received"),
    "date_year_0001": ("case", "HF", lambda f: _hf(f, _replace_row(2, "10/01/2023", "10/01/0001")),
                       "out of the plausible range", 2, "Date Request Received"),
    "date_year_9999": ("case", "HF", lambda f: _hf(f, _replace_row(5, "20/10/2022,Y", "20/10/9999,Y")),
                       "out of the plausible range", 5, "Assessment Outcome Date"),
    "birth_date_in_the_future": ("case", "HF", lambda f: _hf(f, _replace_row(2, "14/03/2015", "14/03/2035")),
                                 "out of the plausible range for birth_date", 2, "Date of Birth"),
    "file_name_date_9999": ("case", "HF", lambda f: f._write("HF/case/hf_ehc_requests_99991231.csv",
                                                             sf.HF_REQUESTS.replace("W6 9XX", "W6 9XY")),
                            "out of the plausible range", None, None),
    "records_date_9999": ("case", "WCC", lambda f: _wcc(f, "REQ|WR1|W1|20230301", "REQ|WR1|W1|99990301"),
                          "out of the plausible range", 3, "REQ.received_date"),
    "records_date_0001": ("case", "WCC", lambda f: _wcc(f, "|20140102|", "|00010102|"),
                          "out of the plausible range for birth_date", 2, "PER.birth_date"),
    "records_date_word": ("case", "WCC", lambda f: _wcc(f, "|20230405|", "|tomorrow|"),
                          "'tomorrow' is not a calendar date", 3, "REQ.request_outcome_date"),
    "records_header_date_0001": ("case", "WCC", lambda f: f._write("WCC/case/wcc_send_00010101.psv",
                                 sf.WCC_EXTRACT.replace("|20261130", "|00010101", 1)),
                                 "out of the plausible range", 1, "as_at"),
    "workbook_date_0001": ("case", "KC", _kc_cell("Requests", 2, "0001-02-01"),
                           "out of the plausible range", 2, "Requests!Received"),
    "workbook_date_9999": ("case", "KC", _kc_cell("Plans", 3, "9999-12-31"),
                           "out of the plausible range", 2, "Plans!Issued"),
    "workbook_date_word": ("case", "KC", _kc_cell("Reviews", 2, "infinity"),
                           "'infinity' is not a calendar date", 2, "Reviews!Date"),
    "sen2_date_9999": ("sen2", "HF", lambda f: _sen2(f, "<ReceivedDate>2023-01-10", "<ReceivedDate>9999-01-10"),
                       "out of the plausible range", REQUESTS_LINE, "received_date"),
    "sen2_birth_date_0001": ("sen2", "HF", lambda f: _sen2(f, "<PersonBirthDate>2015-03-14",
                                                           "<PersonBirthDate>0001-03-14"),
                             "out of the plausible range for birth_date", PERSON_LINE, "birth_date"),
    "sen2_date_word": ("sen2", "HF", lambda f: _sen2(f, "<ReceivedDate>2023-01-10", "<ReceivedDate>today"),
                       "'today' is not a calendar date", REQUESTS_LINE, "received_date"),
    "sen2_datetime_word": ("sen2", "HF", lambda f: _sen2(f, "<DateTime>2024-02-01T09:00:00", "<DateTime>now"),
                           "is not a date-time", _line_of(SEN2, "<Header>"), "generated_at"),
    # yes/no, NUL, rows
    "boolean_maybe": ("case", "HF", lambda f: _hf(f, _replace_row(2, "15/02/2023,N,", "15/02/2023,maybe,")),
                      "'maybe' is not a valid yes/no value", 2, "Request Mediation"),
    "records_boolean_maybe": ("case", "WCC", lambda f: _wcc(f, "|SCH|N|", "|SCH|maybe|"),
                              "'maybe' is not a valid yes/no value", 3, "REQ.rya"),
    "workbook_boolean_maybe": ("case", "KC", _kc_cell("Requests", 7, "maybe"),
                               "'maybe' is not a valid yes/no value", 2, "Requests!Mediation"),
    "sen2_boolean_maybe": ("sen2", "HF", lambda f: _sen2(f, "<RequestMediation>0", "<RequestMediation>maybe"),
                           "'maybe' is not a valid yes/no value", REQUESTS_LINE, "request_mediation"),
    "nul_byte": ("case", "HF", lambda f: _hf(f, _replace_row(2, "Smith", "Sm\x00ith")),
                 "NUL byte", 2, "Surname"),
    "records_nul_byte": ("case", "WCC", lambda f: _wcc(f, "|Patel|", "|Pa\x00tel|"),
                         "NUL byte", 2, "PER.surname"),
    "quoted_newline_then_bad_code": ("case", "HF", lambda f: _hf(f, _quoted_newline_then(4, "Female", "Femal")),
                                     "unknown code 'Femal'", 4, "Gender"),
    # file names that say another date than the content
    "records_name_date_differs": ("case", "WCC", lambda f: f._write("WCC/case/wcc_send_20261201.psv",
                                                                    sf.WCC_EXTRACT),
                                  "file name's date 2026-12-01 is not the extract date", 1, "as_at"),
    "workbook_name_date_differs": ("case", "KC", _kc_renamed,
                                   "file name's date 2026-12-01 is not the extract date", None,
                                   "Extract Info!B2"),
    # XML: no DTD, no entity, no XInclude
    "sen2_internal_entity": ("sen2", "HF", lambda f: _sen2(f, "<Surname>Smith", "<Surname>&s;", _with_doctype(
                                 SEN2, '<!DOCTYPE Message [<!ENTITY s "Smith">]>')),
                             "declares a DTD", None, None),
    "sen2_external_entity": ("sen2", "HF", lambda f: _sen2(f, "<UPN>", "<UPN>&u;", _with_doctype(
                                 SEN2, '<!DOCTYPE Message [<!ENTITY u SYSTEM "file:///etc/passwd">]>')),
                             "declares a DTD", None, None),
    "sen2_billion_laughs": ("sen2", "HF", lambda f: _sen2(f, "<Surname>Smith", "<Surname>&d;",
                                                          _with_doctype(SEN2, LAUGHS)),
                            "declares a DTD", None, None),
    "sen2_bare_doctype": ("sen2", "HF", lambda f: f.sen2_return(_with_doctype(SEN2, "<!DOCTYPE Message>"),
                                                                "HF_SEN2_2024.xml"),
                          "declares a DTD", None, None),
    "sen2_xinclude": ("sen2", "HF", lambda f: _sen2(f, "<Surname>Smith</Surname>",
                                                    f"<Surname>{XINCLUDE}</Surname>"),
                      "XInclude", _line_of(SEN2, "<Surname>Smith"), "Surname"),
    "workbook_sheet_doctype": ("case", "KC", lambda f: _kc_part(f, "xl/worksheets/sheet2.xml", _with_doctype),
                               "declares a DTD or an entity", None, "xl/worksheets/sheet2.xml"),
    "workbook_styles_entity": ("case", "KC", lambda f: _kc_part(f, "xl/styles.xml", _with_doctype),
                               "declares a DTD or an entity", None, "xl/styles.xml"),
    # zip bombs and oversized cells in a workbook
    "workbook_zip_bomb": ("case", "KC", lambda f: _kc_padded(f, 130),
                          "inflates to more than", None, "xl/media/pad.bin"),
    "workbook_oversized_cell": ("case", "KC", _kc_cell("Children", 4, "A" * 5000),
                                "holds a cell of more than 200 characters", None,
                                "xl/worksheets/sheet2.xml"),
    "workbook_not_a_zip": ("case", "KC", lambda f: f._write("KC/case/KC_SEND_Extract_20261130.xlsx",
                                                            "<html>not a workbook</html>"),
                           "not a readable XLSX", None, None),
    # special files: refused unread, nothing copied into quarantine
    "fifo": ("case", "HF", _fifo, "named pipe (FIFO), not a regular file", None, None),
    "link_to_endless_device": ("case", "HF", lambda f: _link(f, "/dev/zero"),
                               "a symbolic link to /dev/zero, outside the folder given", None, None),
    "link_to_password_file": ("case", "HF", lambda f: _link(f, "/etc/passwd"),
                              "a symbolic link to /etc/passwd, outside the folder given", None, None),
    "path_climbing_out": ("case", "HF", _climbing, "climbs out of its folder", None, None),
    "link_inside_the_folder_to_a_fifo": ("case", "HF", _link_to_fifo,
                                         "named pipe (FIFO), not a regular file", None, None),
}
NOT_READ = {"fifo", "link_to_endless_device", "link_to_password_file", "path_climbing_out",
            "link_inside_the_folder_to_a_fifo"}
CORPUS.update(HOSTILE)


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


def test_corpus_has_at_least_sixty_broken_files():
    assert len(CORPUS) >= 60


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
    reason_file = result.quarantine_path.with_name(result.quarantine_path.name + ".reason.txt")
    assert fragment in reason_file.read_text()
    assert stat.S_IMODE(reason_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(result.quarantine_path.parent.stat().st_mode) == 0o700
    if name in NOT_READ:   # nothing but the refused file itself is ever copied
        assert not result.quarantine_path.exists()
        assert record[3] == str(result.quarantine_path)
    else:
        assert result.quarantine_path.read_bytes() == path.read_bytes()
        assert stat.S_IMODE(result.quarantine_path.stat().st_mode) == 0o600


def test_utf8_byte_order_mark_from_excel_is_accepted(files, db):
    [result] = ingest("case", [_hf(files, "\ufeff" + sf.HF_REQUESTS)], "HF")
    assert result.status == "loaded", result.reason
    assert result.rows_by_table["case_requests"] == 4


def test_exact_duplicate_rows_load_for_the_gates_to_count(files, db):
    [result] = ingest("case", [_hf(files, sf.HF_REQUESTS + LINES[2])], "HF")
    assert result.status == "loaded", result.reason
    assert result.rows_by_table["case_requests"] == 5


# --- the loader's own guarantees under hostile conditions (issue 13) ------------------------
def test_two_concurrent_loads_of_one_file_make_one_batch(files, db):
    """Serialised by a lock on borough and sha256: the second finds the first's batch."""
    from concurrent.futures import ThreadPoolExecutor

    path = files.hf_requests()
    with ThreadPoolExecutor(4) as pool:
        results = [r for rs in pool.map(lambda _: ingest("case", [path], "HF"), range(4)) for r in rs]
    assert sorted(r.status for r in results) == ["already_loaded"] * 3 + ["loaded"]
    assert len({r.batch_id for r in results}) == 1
    assert db.execute("select count(*) from audit.batches").fetchone()[0] == 1
    assert db.execute("select count(*) from raw.case_requests").fetchone()[0] == 4


def test_the_same_bytes_for_another_borough_are_not_that_boroughs_batch(files, db):
    [hf] = ingest("ledger", [files.hf_ledger()], "HF")
    kc_copy = files._write("KC/ledger/HF_ledger_2017-18_P01.csv", sf.LEDGER_HF)
    [kc] = ingest("ledger", [kc_copy], "KC")
    assert hf.status == "loaded"
    assert kc.status == "rejected" and kc.borough == "KC" and "missing column" in kc.reason
    assert kc.batch_id != hf.batch_id


def test_a_file_changed_while_loading_is_recorded_under_the_bytes_it_loaded(files, db):
    """Read once, hashed as read: the batch's sha256 is that of the rows loaded, so the
    changed file offered later is loaded, not 'already loaded'."""
    import hashlib

    from extract.case_extract import open_case_file
    from extract.layouts import get_layout
    from extract.loader import load_file

    path = files.hf_requests()
    original = path.read_bytes()
    changed = sf.HF_REQUESTS.replace("Smith", "Smyth")

    def changes_under_the_loader():
        path.write_text(changed)          # another process rewrites the file mid-load
        return open_case_file(path, get_layout("HF"))

    first = load_file(changes_under_the_loader, path, "case", "HF")
    assert first.status == "loaded"
    sha = db.execute("select sha256 from audit.batches where batch_id = %s", (first.batch_id,)).fetchone()[0]
    assert sha == hashlib.sha256(original).hexdigest()
    surnames = db.execute("select distinct surname from raw.case_persons where surname like 'Sm%'")
    assert surnames.fetchall() == [("Smith",)]
    [second] = ingest("case", [path], "HF")
    assert second.status == "loaded" and second.superseded == [first.batch_id]


def test_a_quoted_newline_does_not_shift_the_rows_after_it(files, db):
    text = sf.HF_REQUESTS.replace(",W12 7AA,", ',"W12\n7AA",', 1)
    [result] = ingest("case", [_hf(files, text)], "HF")
    assert result.status == "loaded", result.reason
    rows = db.execute("select request_id, source_row from raw.case_requests order by 1").fetchall()
    assert rows == [("R001", 2), ("R002", 3), ("R003", 4), ("R004", 5)]
    assert db.execute("select postcode from raw.case_persons where source_row = 3").fetchone()[0] == "W12\n7AA"


def test_a_link_that_stays_in_the_folder_is_followed(files, db):
    real = files._write("HF/case/exports/requests.txt", sf.HF_REQUESTS)
    _link(files, real)
    [result] = ingest("case", [files.root / "HF" / "case"], "HF")
    assert result.status == "loaded", result.reason
    assert result.rows_by_table["case_requests"] == 4


def test_sen2_validate_refuses_dtds_and_xinclude_without_a_traceback(files):
    from sen2.validator import validate_files

    entity = files.sen2_return(_with_doctype(SEN2, '<!DOCTYPE Message [<!ENTITY s "Smith">]>')
                               .replace("<Surname>Smith", "<Surname>&s;"), "entity.xml")
    include = files.sen2_return(SEN2.replace("<Surname>Smith</Surname>", f"<Surname>{XINCLUDE}</Surname>"),
                                "xinclude.xml")
    by_entity, by_include = validate_files([entity, include])
    assert by_entity.unreadable and "declares a DTD" in by_entity.unreadable
    [finding] = [f for f in by_include.findings if f.rule == "SEN2-R000"]
    assert "XInclude" in finding.message and finding.line == _line_of(SEN2, "<Surname>Smith")


PEAK_MEMORY_SCRIPT = """
import resource, sys
from pathlib import Path
from extract.ingest import ingest
[result] = ingest("case", [Path(sys.argv[1])], "KC")
print(result.status, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)
print(result.reason)
"""


def _kc_huge_cell(f, megabytes: int):
    """A workbook whose sheet holds one cell of `megabytes` (streamed into the zip)."""
    import zipfile

    path = f.kc_workbook()
    with zipfile.ZipFile(path) as src:
        parts = [(i, src.read(i)) for i in src.infolist() if i.filename != "xl/worksheets/sheet2.xml"]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for info, data in parts:
            out.writestr(info, data)
        with out.open("xl/worksheets/sheet2.xml", "w", force_zip64=True) as sheet:
            sheet.write(b'<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/'
                        b'spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>')
            block = b"A" * (1 << 20)
            for _ in range(megabytes):
                sheet.write(block)
            sheet.write(b"</t></is></c></row></sheetData></worksheet>")
    return path


@pytest.mark.parametrize("bomb", ["zeros_to_1gb", "cell_of_400mb"])
def test_a_zip_bomb_is_refused_in_flat_memory(bomb, files, db):
    """The issue's bombs: a 1.6 MB workbook inflating to 1 GB loaded at 1.1 GB peak memory, and
    one with a 400 MB cell was refused at 1.6 GB. Both are refused now, counted while they
    inflate: the loader's peak memory (its own process, imports included) stays far below."""
    import subprocess
    import sys

    path = _kc_padded(files, 1024) if bomb == "zeros_to_1gb" else _kc_huge_cell(files, 400)
    assert path.stat().st_size < 3 << 20  # a few MB on disk
    before = _raw_counts(db)
    run = subprocess.run([sys.executable, "-c", PEAK_MEMORY_SCRIPT, str(path)], capture_output=True,
                         text=True, timeout=300, cwd=Path(__file__).resolve().parents[1])
    assert run.returncode == 0, run.stderr[-2000:]
    status, peak_mb = run.stdout.split("\n")[0].split()
    assert status == "rejected", run.stdout
    reason = "inflates to more than" if bomb == "zeros_to_1gb" else "holds a cell of more than 200"
    assert reason in run.stdout and path.name in run.stdout, run.stdout
    assert int(peak_mb) < 400, f"peak {peak_mb} MB while refusing {bomb}"
    assert _raw_counts(db) == before
