"""Each layout lands in raw with the values the file holds; reloads and supersedes behave."""
from __future__ import annotations

from datetime import date

import pytest

from extract.entities import ALL_TABLES, CASE_TABLES, LEDGER_TABLE
from extract.ingest import ingest
from extract.layouts import all_layouts
from foundation.catalog import forget
from tests import source_files as sf

pytestmark = pytest.mark.usefixtures("fresh")


CASE_TABLES_BY_NAME = {t.name: t for t in CASE_TABLES.values()}


def _batch_rows(db, table, batch_id, columns, order="source_row"):
    return db.execute(f"select {columns} from raw.{table} where batch_id = %s order by {order}",
                      (batch_id,)).fetchall()


def test_hf_request_rows_map_onto_persons_requests_assessments_plans_and_cessations(files, db):
    [result] = ingest("case", [files.hf_requests()], "HF")
    assert result.status == "loaded", result.reason
    assert result.rows_by_table == {"case_persons": 4, "case_requests": 4, "case_assessments": 2,
                                    "case_plans": 2, "case_ceased_plans": 1}
    requests = _batch_rows(db, "case_requests", result.batch_id,
                           "request_id, received_date, request_source, request_outcome, request_outcome_date")
    assert requests[0] == ("R001", date(2023, 1, 10), "2", "Y", date(2023, 2, 15))
    assert requests[2] == ("R003", date(2024, 9, 1), "3", "A", None)
    assessments = _batch_rows(db, "case_assessments", result.batch_id,
                              "request_id, assessment_outcome, assessment_outcome_date, week20")
    assert assessments == [("R001", "Y", date(2023, 5, 30), False), ("R004", "Y", date(2022, 10, 20), True)]
    ceased = _batch_rows(db, "case_ceased_plans", result.batch_id, "plan_id, cease_date, cease_reason")
    assert ceased == [("P004", date(2024, 8, 31), "7")]
    persons = _batch_rows(db, "case_persons", result.batch_id, "person_id, sex, birth_date, upn_unknown")
    assert persons[0] == ("C001", "F", date(2015, 3, 14), None)
    assert persons[3] == ("C003", "F", date(2021, 6, 1), "UN1")
    assert result.period == "2026-11-30"


def test_hf_other_exports_and_transfers_load(files, db):
    results = ingest("case", [files.hf_case_dir()], "HF")
    by_name = {r.path.name: r for r in results}
    assert all(r.status in ("loaded", "already_loaded") for r in results), [r.reason for r in results]
    needs = by_name["hf_needs_20261130.csv"]
    assert _batch_rows(db, "case_needs", needs.batch_id, "person_id, need_type, need_rank") == [
        ("C001", "ASD", "1"), ("C001", "SLCN", "2"), ("C003", "HI", "1")]
    transfers = by_name["hf_transfers_20261130.csv"]
    assert transfers.rows_by_table == {"case_persons": 2, "case_transfers": 2, "case_plans": 1}
    assert _batch_rows(db, "case_transfers", transfers.batch_id,
                       "transfer_id, transfer_date, transfer_outcome") == [
        ("T001", date(2016, 12, 15), "P"), ("T002", None, "C")]
    assert _batch_rows(db, "case_plans", transfers.batch_id, "plan_id, request_id, start_date") == [
        ("P010", None, date(2016, 12, 15))]
    reviews = by_name["hf_reviews_20261130.csv"]
    assert _batch_rows(db, "case_reviews", reviews.batch_id,
                       "review_id, review_date, review_outcome, decision_date, draft_plan_date, "
                       "final_plan_date") == [
        ("RV1", date(2024, 5, 20), "M", date(2024, 6, 10), None, None),
        ("RV2", date(2025, 6, 10), "A", date(2025, 7, 15), date(2025, 7, 15), date(2025, 9, 1)),
        ("RV3", date(2023, 10, 1), "M", date(2023, 10, 20), None, None)]
    phase = by_name["hf_phase_transfers_20261130.csv"]
    assert phase.rows_by_table == {"case_phase_transfers": 2}
    assert _batch_rows(db, "case_phase_transfers", phase.batch_id,
                       "phase_transfer_id, plan_id, phase_transfer, transfer_date, due_date, "
                       "final_date") == [
        ("PT1", "P001", "SEC", date(2026, 9, 1), date(2026, 2, 15), date(2026, 2, 10)),
        ("PT2", "P010", "P16", date(2021, 9, 1), date(2021, 3, 31), date(2021, 4, 20))]


def test_a_phase_transfer_of_a_type_the_layout_does_not_know_is_refused(files, db):
    from tests.source_files import HF_PHASE_TRANSFERS

    path = files._write("HF/case/hf_phase_transfers_20261130.csv",
                        HF_PHASE_TRANSFERS.replace("School to post-16", "Infant to junior"))
    [result] = ingest("case", [path], "HF")
    assert result.status == "rejected"
    assert "unknown code 'Infant to junior'" in result.reason and "Transfer Type" in result.reason


def test_a_phase_transfer_without_its_move_date_is_refused(files, db):
    from tests.source_files import HF_PHASE_TRANSFERS

    path = files._write("HF/case/hf_phase_transfers_20261130.csv",
                        HF_PHASE_TRANSFERS.replace("01/09/2021", ""))
    [result] = ingest("case", [path], "HF")
    assert result.status == "rejected" and "mandatory field is blank" in result.reason
    assert "Moving On" in result.reason and "row 3" in result.reason


def test_kc_workbook_sheets_load_with_excel_dates(files, db):
    [result] = ingest("case", [files.kc_workbook()], "KC")
    assert result.status == "loaded", result.reason
    assert result.period == "2026-11-30"
    assert result.rows_by_table["case_requests"] == 1
    assert _batch_rows(db, "case_requests", result.batch_id,
                       "request_id, received_date, request_outcome, rya") == [
        ("KR1", date(2023, 2, 1), "Y", False)]
    assert _batch_rows(db, "case_placements", result.batch_id, "urn, resourced_provision") == [
        ("100300", True)]
    assert _batch_rows(db, "case_reviews", result.batch_id,
                       "review_id, review_outcome, decision_date, draft_plan_date, final_plan_date") == [
        ("KRV1", "A", date(2024, 6, 20), date(2024, 6, 20), date(2024, 8, 15)),
        ("KRV2", "M", date(2025, 6, 30), None, None)]
    assert _batch_rows(db, "case_phase_transfers", result.batch_id,
                       "phase_transfer_id, plan_id, phase_transfer, transfer_date, due_date, final_date") == [
        ("KPT1", "KP1", "SEC", date(2025, 9, 1), date(2025, 2, 15), date(2025, 2, 15))]


def test_wcc_records_map_westminster_codes_to_sen2_codes(files, db):
    [result] = ingest("case", [files.wcc_extract()], "WCC")
    assert result.status == "loaded", result.reason
    assert _batch_rows(db, "case_persons", result.batch_id, "person_id, sex, birth_date") == [
        ("W1", "F", date(2014, 1, 2))]
    assert _batch_rows(db, "case_requests", result.batch_id, "request_source, request_outcome") == [
        ("2", "Y")]
    assert _batch_rows(db, "case_needs", result.batch_id, "need_type") == [("ASD",)]
    assert _batch_rows(db, "case_reviews", result.batch_id,
                       "review_id, review_outcome, decision_date, final_plan_date") == [
        ("WRV1", "M", date(2024, 7, 29), None), ("WRV2", None, None, None)]
    assert _batch_rows(db, "case_phase_transfers", result.batch_id,
                       "phase_transfer_id, phase_transfer, transfer_date, due_date, final_date") == [
        ("WPT1", "SEC", date(2025, 9, 1), date(2025, 2, 15), None)]


def test_sen2_return_streams_into_its_tables_and_accepts_spelling_variants(files, db):
    [result] = ingest("sen2", [files.sen2_return()])  # borough read from the LEA
    assert result.status == "loaded", result.reason
    assert result.borough == "HF" and result.period == "2024"
    assert result.rows_by_table == {"sen2_headers": 1, "sen2_persons": 2, "sen2_requests": 2,
                                    "sen2_assessments": 1, "sen2_named_plans": 1,
                                    "sen2_plan_details": 1, "sen2_active_plans": 1,
                                    "sen2_placements": 1, "sen2_needs": 2}
    persons = _batch_rows(db, "sen2_persons", result.batch_id, "person_seq, sex, upn")
    assert persons == [(1, "F", sf.UPN_1), (2, "M", sf.UPN_2)]  # GenderCurrent read as Sex
    details = _batch_rows(db, "sen2_plan_details", result.batch_id, "urn, sen_unit")
    assert details == [("100001", False)]  # SENunitIndicator spelling accepted
    header = _batch_rows(db, "sen2_headers", result.batch_id, "year, reference_date, lea")
    assert header == [(2024, date(2024, 1, 18), "205")]


def test_sen2_returns_of_every_years_shape_load(files, db):
    """2023's GenderCurrent (0/1/2/9 read as Sex), AttendancePattern and Res/WBP under
    ActivePlans; 2025's review draft and phase-transfer dates; extended ethnicity codes."""
    text_2023 = sf.sen2_xml(year=2023, reference_date="2023-01-19").replace(
        "<EntryDate>2023-09-01</EntryDate>", "<EntryDate>2022-09-01</EntryDate><AttendancePattern>PT"
        "</AttendancePattern>").replace("<SENneed><SENtype>ASD", "<Res>A</Res><WBP>S</WBP><SENneed><SENtype>ASD"
        ).replace("<Ethnicity>WBRI", "<Ethnicity>WSCO").replace("<SENUnitIndicator>", "<SENunitIndicator>")
    [r2023] = ingest("sen2", [files.sen2_return(text_2023, "HF_SEN2_2023.xml")])
    assert r2023.status == "loaded", r2023.reason
    assert _batch_rows(db, "sen2_persons", r2023.batch_id, "sex, ethnicity") == [("F", "WBRI"), ("M", "BAFR")]
    assert _batch_rows(db, "sen2_placements", r2023.batch_id, "attendance_pattern") == [("PT",)]
    assert _batch_rows(db, "sen2_active_plans", r2023.batch_id, "res, wbp") == [("A", "S")]
    text_2025 = sf.sen2_xml(year=2025, reference_date="2025-01-16").replace(
        "</SENneed>\n        </ActivePlans>", "</SENneed><ReviewMeeting>2024-11-01</ReviewMeeting>"
        "<ReviewOutcome>A</ReviewOutcome><ReviewDraft>2024-11-20</ReviewDraft><PhaseTransferDueDate>"
        "2024-02-15</PhaseTransferDueDate><PhaseTransferFinalDate>2024-02-10</PhaseTransferFinalDate>"
        "</ActivePlans>")
    assert "ReviewDraft" in text_2025
    [r2025] = ingest("sen2", [files.sen2_return(text_2025, "HF_SEN2_2025.xml")])
    assert r2025.status == "loaded", r2025.reason
    assert _batch_rows(db, "sen2_active_plans", r2025.batch_id,
                       "review_draft, phase_transfer_due_date, phase_transfer_final_date") == [
        (date(2024, 11, 20), date(2024, 2, 15), date(2024, 2, 10))]


def test_ledger_fiscal_year_codes_and_signed_amounts(files, db):
    [result] = ingest("ledger", [files.hf_ledger()], "HF")
    assert result.status == "loaded", result.reason
    assert result.period == "2017/18 P01"
    rows = _batch_rows(db, "ledger_lines", result.batch_id,
                       "fiscal_year, period, value_type, amount_gbp::text")
    assert rows == [(2017, 1, "actual", "125000.50"), (2017, 1, "budget", "130000.00"),
                    (2017, 1, "actual", "-2500.00")]


def test_dfe_suppression_markers_become_null_with_the_marker_kept(files, db):
    [result] = ingest("dfe", [files.dfe_csv()])
    assert result.status == "loaded", result.reason
    rows = _batch_rows(db, "dfe_ehcp", result.batch_id, "la_name, measure, value::text, marker",
                       order="source_row, measure")
    assert ("Hammersmith and Fulham", "requests_received_in_year", "512", None) in rows
    assert ("Kensington and Chelsea", "requests_received_in_year", None, "c") in rows
    assert ("Kensington and Chelsea", "request_outcome_six_weeks", None, "x") in rows
    assert ("Kensington and Chelsea", "request_outcome_six_weeks_pc", None, "z") in rows
    assert len(rows) == 6


def test_loading_the_same_file_again_changes_nothing(files, db):
    path = files.hf_ledger(name="HF_ledger_2018-19_P02.csv",
                           text=sf.LEDGER_HF.replace("2017/18", "2018/19").replace(",1,", ",2,"))
    [first] = ingest("ledger", [path], "HF")
    before = db.execute("select count(*) from raw.ledger_lines").fetchone()[0]
    batches = db.execute("select count(*) from audit.batches").fetchone()[0]
    [again] = ingest("ledger", [path], "HF")
    assert first.status == "loaded" and again.status == "already_loaded"
    assert again.batch_id == first.batch_id
    assert db.execute("select count(*) from raw.ledger_lines").fetchone()[0] == before
    assert db.execute("select count(*) from audit.batches").fetchone()[0] == batches


def test_a_corrected_file_supersedes_the_old_batch_which_stays_recorded(files, db):
    name = "HF_ledger_2019-20_P03.csv"
    original = sf.LEDGER_HF.replace("2017/18", "2019/20").replace(",1,", ",3,")
    [old] = ingest("ledger", [files.hf_ledger(original, name)], "HF")
    corrected = original.replace("125000.50", "126000.50")
    [new] = ingest("ledger", [files.hf_ledger(corrected, name)], "HF")
    assert new.status == "loaded" and new.superseded == [old.batch_id]
    statuses = dict(db.execute("select batch_id, status from audit.batches where batch_id in (%s, %s)",
                               (old.batch_id, new.batch_id)).fetchall())
    assert statuses == {old.batch_id: "superseded", new.batch_id: "loaded"}
    current = db.execute(
        "select sum(amount_gbp)::text from raw.ledger_lines join audit.current_batches using (batch_id)"
        " where fiscal_year = 2019 and ledger_lines.period = 3").fetchone()[0]
    assert current == "253500.50"


def test_offering_the_earlier_file_again_makes_it_current_again(files, db):
    """The latest file offered wins, even when it is one loaded before (no rows reloaded)."""
    name = "HF_ledger_2019-20_P04.csv"
    original = sf.LEDGER_HF.replace("2017/18", "2019/20").replace(",1,", ",4,")
    [old] = ingest("ledger", [files.hf_ledger(original, name)], "HF")
    [new] = ingest("ledger", [files.hf_ledger(original.replace("125000.50", "1.00"), name)], "HF")
    rows = db.execute("select count(*) from raw.ledger_lines").fetchone()[0]
    [again] = ingest("ledger", [files.hf_ledger(original, name)], "HF")
    assert (again.status, again.batch_id, again.superseded) == ("already_loaded", old.batch_id,
                                                                [new.batch_id])
    statuses = dict(db.execute("select batch_id, status from audit.batches where batch_id in (%s, %s)",
                               (old.batch_id, new.batch_id)).fetchall())
    assert statuses == {old.batch_id: "loaded", new.batch_id: "superseded"}
    assert db.execute("select count(*) from raw.ledger_lines").fetchone()[0] == rows


def test_a_refused_file_is_marked_replaced_by_the_good_file_that_follows(files, db):
    """The quality gates block while a refused file has no good stand-in."""
    name = "HF_ledger_2019-20_P05.csv"
    good = sf.LEDGER_HF.replace("2017/18", "2019/20").replace(",1,", ",5,")
    [refused] = ingest("ledger", [files.hf_ledger(good.replace("125000.50", "lots"), name)], "HF")
    assert refused.status == "rejected"
    replaced_by = "select superseded_by from audit.batches where batch_id = %s"
    assert db.execute(replaced_by, (refused.batch_id,)).fetchone()[0] is None
    [loaded] = ingest("ledger", [files.hf_ledger(good, name)], "HF")
    assert db.execute(replaced_by, (refused.batch_id,)).fetchone()[0] == loaded.batch_id


def test_raw_columns_the_readers_fill_exist_in_the_tables(db):
    """The raw DDL is the one home of the columns (extract.entities reads them from the
    catalog): every column the loader's rules or a borough's layout name is in its table."""
    def in_table(name):
        return {r[0] for r in db.execute(
            "select column_name from information_schema.columns where table_schema = 'raw' "
            "and table_name = %s", (name,))}

    for table in ALL_TABLES:
        columns = in_table(table.name)
        assert set(table.copy_columns) == columns, table.name
        assert {*table.key, *table.required, *table.codes} <= set(table.columns), table.name
    for borough, layout in all_layouts().items():
        named: list[tuple[str, set]] = [(LEDGER_TABLE.name, set(layout["ledger"]["columns"]))]
        for dataset in layout["case"]["datasets"].values():
            for entity, mapping in (dataset.get("entities") or {}).items():
                named.append((CASE_TABLES[entity].name, set(mapping)))
            for sheet in (dataset.get("sheets") or {}).values():
                named.append((CASE_TABLES[sheet["entity"]].name, set(sheet["columns"])))
            for record in (dataset.get("records") or {}).values():
                named.append((CASE_TABLES[record["entity"]].name,
                              set(record["fields"]) - {"record_type"}))
        for table, columns in named:
            assert columns <= in_table(table), (borough, table, columns - in_table(table))


def test_a_column_added_to_a_raw_table_needs_no_code_change(files, db):
    """The DDL alone decides a raw table's columns: a new one loads empty where no layout
    names it (the readers read the columns from the catalog)."""
    db.execute("alter table raw.case_reviews add column review_note text")
    forget()
    try:
        results = ingest("case", [files.hf_case_dir()], "HF")
        [reviews] = [r for r in results if r.path.name.startswith("hf_reviews")]
        assert reviews.status == "loaded", reviews.reason
        assert _batch_rows(db, "case_reviews", reviews.batch_id, "review_id, review_note") == [
            ("RV1", None), ("RV2", None), ("RV3", None)]
    finally:
        db.execute("alter table raw.case_reviews drop column review_note")
        forget()


def test_kc_workbook_formula_cell_is_refused_by_the_openpyxl_reader(files, db):
    """calamine reads the value Excel last computed; a workbook holding a formula is read by
    openpyxl instead, which shows the formula, and the cell checks refuse it."""
    def mutate(sheets):
        sheets["Children"][1][0][4] = "=HYPERLINK(\"http://x\")"
    [result] = ingest("case", [files.kc_workbook(mutate=mutate)], "KC")
    assert result.status == "rejected"
    assert "spreadsheet formula" in result.reason and "row 2" in result.reason, result.reason
    assert "Family Name" in result.reason, result.reason


def test_kc_workbook_whose_cells_start_below_and_right_of_a1(files, db):
    """calamine gives a sheet's rows from its first used cell: they are put back in place,
    so a sheet that starts at B1 reads as one with a blank column A (an unexpected column)."""
    import openpyxl

    path = files.kc_workbook()
    book = openpyxl.load_workbook(path)
    book["Needs"].insert_cols(1)
    book.save(path)
    [result] = ingest("case", [path], "KC")
    assert result.status == "rejected"
    assert "Needs" in result.reason and "row 1" in result.reason, result.reason


def test_kc_workbook_with_a_sheet_too_big_for_calamine_loads_the_same_by_openpyxl(files, db,
                                                                                  monkeypatch):
    """A sheet larger than CALAMINE_MAX_SHEET is streamed by openpyxl (flat memory): the same
    rows as calamine gives."""
    import zipfile

    import extract.case_extract as case_extract

    [first] = ingest("case", [files.kc_workbook()], "KC")
    assert first.status == "loaded", first.reason
    monkeypatch.setattr(case_extract, "CALAMINE_MAX_SHEET", 0)
    monkeypatch.setattr(case_extract, "_CalamineBook", None)   # would fail if used
    path = files.kc_workbook()
    with zipfile.ZipFile(path, "a") as book:   # other bytes, the same sheets: loaded again
        book.writestr("docProps/note.txt", "another copy")
    [second] = ingest("case", [path], "KC")
    assert second.status == "loaded", second.reason
    assert second.rows_by_table == first.rows_by_table
    for name in first.rows_by_table:
        columns = ", ".join(CASE_TABLES_BY_NAME[name].columns)
        assert _batch_rows(db, name, second.batch_id, columns) == \
            _batch_rows(db, name, first.batch_id, columns), name


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16"])
def test_sen2_person_and_header_in_another_case_are_read_all_the_same(files, db, encoding):
    """The parser is told to report only Person and Header when the file spells them so; a
    file that spells them otherwise (any case is allowed), UTF-16 included, is read whole."""
    text = sf.sen2_xml()
    for name in ("Person", "Header"):
        text = text.replace(f"<{name}>", f"<{name.lower()}>").replace(f"</{name}>", f"</{name.lower()}>")
    if encoding == "utf-16":
        text = text.replace('encoding="UTF-8"', 'encoding="UTF-16"').replace("encoding='utf-8'", "encoding='UTF-16'")
    path = files._write("HF/sen2/HF_SEN2_2024.xml", text, encoding)
    [result] = ingest("sen2", [path])
    assert result.status == "loaded", result.reason
    assert result.rows_by_table["sen2_persons"] == 2 and result.rows_by_table["sen2_headers"] == 1
