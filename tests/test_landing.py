"""Delimited files through the landing table (extract/landing.py) land the rows the row-by-row
reader lands. (The broken-file corpus, tests/test_bad_input_corpus.py, shows that a file the
landing path cannot vouch for gets the reader's refusal: it runs every file through it.)"""
from __future__ import annotations

import pytest

from extract.case_extract import DelimitedExtract, RecordExtract
from extract.entities import ALL_TABLES
from extract.ingest import ingest
from extract.landing import NeedsReader, _Blocks
from extract.ledger import LedgerExtract
from foundation.settings import get_settings
from tests.source_files import WCC_EXTRACT

pytestmark = pytest.mark.usefixtures("fresh")

PLAIN_FILES = {
    "HF requests CSV": ("case", "HF", lambda f: f.hf_requests(), DelimitedExtract),
    "WCC pipe file": ("case", "WCC", lambda f: f.wcc_extract(), RecordExtract),
    "HF ledger CSV": ("ledger", "HF", lambda f: f.hf_ledger(), LedgerExtract),
}


def _landed(db, batch_id):
    """Every raw row of the batch, batch_id left out, by table and source row."""
    rows = {}
    for table in ALL_TABLES:
        found = db.execute(f"select * from raw.{table.name} where batch_id = %s "
                           "order by source_row", (batch_id,)).fetchall()
        if found:
            rows[table.name] = [r[1:] for r in found]
    return rows


def _forget(db, batch_id):
    for table in ALL_TABLES:
        db.execute(f"delete from raw.{table.name} where batch_id = %s", (batch_id,))
    db.execute("delete from audit.batches where batch_id = %s", (batch_id,))


@pytest.mark.parametrize("name", PLAIN_FILES)
def test_a_plain_file_lands_the_rows_the_reader_lands_without_the_reader(name, files, db,
                                                                        monkeypatch):
    kind, borough, make, reader = PLAIN_FILES[name]
    path = make(files)

    def no_reader(self):
        raise AssertionError("the landing path read the file row by row")

    with monkeypatch.context() as patched:
        patched.setattr(reader, "rows", no_reader)
        [landing] = ingest(kind, [path], borough)
    assert landing.status == "loaded", landing.reason
    by_sql = _landed(db, landing.batch_id)
    _forget(db, landing.batch_id)

    monkeypatch.setenv("SENDWH_LANDING_MIN_BYTES", str(10 ** 12))
    get_settings.cache_clear()
    try:
        [reader_load] = ingest(kind, [path], borough)
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
    assert reader_load.status == "loaded", reader_load.reason
    assert reader_load.rows_by_table == landing.rows_by_table
    assert _landed(db, reader_load.batch_id) == by_sql


def test_only_a_cell_longer_than_allowed_sends_the_file_to_the_reader(tmp_path):
    """Lines longer than a cell may be are fine while each of their cells is short enough."""
    short_cells = tmp_path / "short_cells.csv"
    short_cells.write_bytes(b"a,b,c\n" + b",".join([b"x" * 10] * 3) + b"\n")
    assert b"".join(_Blocks(short_cells, ",", True, 10)) == short_cells.read_bytes()
    long_cell = tmp_path / "long_cell.csv"
    long_cell.write_bytes(b"a,b\n" + b"x" * 5 + b"," + b"y" * 11 + b"\nz,z\n")
    with pytest.raises(NeedsReader, match="too long"):
        list(_Blocks(long_cell, ",", True, 10))


def test_files_loaded_together_each_keep_their_own_outcome(files, db):
    """One `ingest` loads its files on one connection: a WCC file whose later record type
    repeats a key with other values is refused by row and field, nothing of it loaded, and
    the HF file after it loads all its rows."""
    wcc = files.wcc_extract(WCC_EXTRACT.replace("REV|WRV2|WP1|20250815", "REV|WRV1|WP1|20250815"))
    hf = files.hf_requests()
    refused, loaded = ingest("case", [wcc, hf])
    assert refused.status == "rejected"
    assert "duplicate key review_id=WRV1 with different values (rows 8 and 9)" in refused.reason
    assert db.execute("select error_row, error_field from audit.batches where batch_id = %s",
                      (refused.batch_id,)).fetchone() == (9, "REV.review_id")
    assert db.execute("select count(*) from raw.case_persons where borough = 'WCC'"
                      ).fetchone()[0] == 0
    assert loaded.status == "loaded", loaded.reason
    assert loaded.rows_by_table == {"case_persons": 4, "case_requests": 4,
                                    "case_assessments": 2, "case_plans": 2, "case_ceased_plans": 1}
    assert db.execute("select string_agg(request_id, ',' order by source_row) from "
                      "raw.case_requests where batch_id = %s", (loaded.batch_id,)
                      ).fetchone()[0] == "R001,R002,R003,R004"
