"""Delimited files through the landing table (extract/landing.py) land the rows the row-by-row
reader lands. (The broken-file corpus, tests/test_bad_input_corpus.py, shows that a file the
landing path cannot vouch for gets the reader's refusal: it runs every file through it.)"""
from __future__ import annotations

import pytest

from extract.case_extract import DelimitedExtract, RecordExtract
from extract.entities import ALL_TABLES
from extract.ingest import ingest
from extract.ledger import LedgerExtract
from foundation.settings import get_settings

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
