"""A borough's monthly ledgers loaded together (extract/ledger_files.py) land what loading them
one by one lands, each file with its own batch, and a bad file among them is refused alone
with its row and field."""
from __future__ import annotations

import pytest

from extract import ledger_files
from extract.ingest import ingest
from extract.ledger import LedgerExtract
from tests import source_files as sf

pytestmark = pytest.mark.usefixtures("fresh")


def _month(period: int, year: str = "2019/20", amount: str = "125000.50") -> str:
    return (sf.LEDGER_HF.replace("2017/18", year).replace(",1,", f",{period},")
            .replace("125000.50", amount))


def _write_months(files, months: dict[int, str]) -> list:
    return [files.hf_ledger(text, f"HF_ledger_2019-20_P{p:02d}.csv") for p, text in months.items()]


def _rows(db, batch_id):
    return db.execute("select source_row, fiscal_year, period, cost_centre, subjective, value_type,"
                      " amount_gbp::text from raw.ledger_lines where batch_id = %s order by"
                      " source_row", (batch_id,)).fetchall()


def _no_reader(monkeypatch):
    def no_reader(self):
        raise AssertionError("a ledger of the group was read row by row")
    monkeypatch.setattr(LedgerExtract, "rows", no_reader)


def test_ledgers_loaded_together_land_what_one_by_one_lands(files, db, monkeypatch):
    months = {p: _month(p) for p in range(1, 7)}
    months[2] = months[2].replace("\n", "\r\n")                   # Windows line endings
    months[3] = "\ufeff" + _month(3, amount='"1,125,000.50"')     # Excel's BOM, a quoted amount
    months[4] = _month(4).replace(",ACT,", ", ACT ,")             # cells with spaces around
    months[5] = _month("05")                                     # the month with its zero
    paths = _write_months(files, months)
    with monkeypatch.context() as patched:
        _no_reader(patched)
        together = ingest("ledger", [paths[0].parent], "HF")
    assert [r.status for r in together] == ["loaded"] * 6, [r.reason for r in together]
    assert [r.path.name for r in together] == [p.name for p in paths]
    assert len({r.batch_id for r in together}) == 6
    assert [r.rows for r in together] == [3] * 6
    landed = {r.path.name: _rows(db, r.batch_id) for r in together}
    assert landed["HF_ledger_2019-20_P03.csv"][0][1:] == (2019, 3, "H50100", "5000", "actual",
                                                         "1125000.50")
    assert landed["HF_ledger_2019-20_P04.csv"][0][5] == "actual"
    assert [row[0] for row in landed["HF_ledger_2019-20_P06.csv"]] == [2, 3, 4]
    recorded = db.execute("select file_name, status, rows_loaded, rows_by_table::text, period "
                          "from audit.batches order by batch_id").fetchall()
    assert recorded[2] == ("HF_ledger_2019-20_P03.csv", "loaded", 3, '{"ledger_lines": 3}',
                           "2019/20 P03")

    db.execute("truncate raw.ledger_lines, audit.batches restart identity cascade")
    for path in paths:
        [alone] = ingest("ledger", [path], "HF")                  # one file: the loader's path
        assert alone.status == "loaded", alone.reason
        assert _rows(db, alone.batch_id) == landed[path.name], path.name


def test_a_bad_ledger_among_many_is_refused_alone_naming_its_row_and_field(files, db):
    months = {p: _month(p) for p in range(1, 9)}
    months[6] = months[6].replace("130000.00", "lots")
    paths = _write_months(files, months)
    results = ingest("ledger", [paths[0].parent], "HF")
    statuses = {r.path.name: r.status for r in results}
    assert statuses.pop("HF_ledger_2019-20_P06.csv") == "rejected"
    assert set(statuses.values()) == {"loaded"}
    [refused] = [r for r in results if r.status == "rejected"]
    assert "row 3" in refused.reason and "Amount" in refused.reason, refused.reason
    assert refused.quarantine_path.exists()
    assert db.execute("select error_row, error_field from audit.batches where status = "
                      "'rejected'").fetchall() == [(3, "Amount")]
    assert db.execute("select count(*) from raw.ledger_lines").fetchone()[0] == 7 * 3


def test_a_group_supersedes_stands_in_and_skips_what_is_loaded_as_one_file_does(files, db):
    [old] = ingest("ledger", [files.hf_ledger(_month(1), "HF_ledger_2019-20_P01.csv")], "HF")
    [refused] = ingest("ledger", [files.hf_ledger(_month(2, amount="NaN"),
                                                  "HF_ledger_2019-20_P02.csv")], "HF")
    [same] = ingest("ledger", [files.hf_ledger(_month(3), "HF_ledger_2019-20_P03.csv")], "HF")
    assert (old.status, refused.status, same.status) == ("loaded", "rejected", "loaded")
    months = {p: _month(p) for p in range(1, 8)}
    months[1] = _month(1, amount="126000.50")                      # a corrected January
    _write_months(files, months)                                  # and a good February
    results = {r.path.name: r for r in ingest("ledger", [files.root / "HF" / "ledger"], "HF")}
    new_p01, new_p02 = results["HF_ledger_2019-20_P01.csv"], results["HF_ledger_2019-20_P02.csv"]
    assert results["HF_ledger_2019-20_P03.csv"].status == "already_loaded"
    assert results["HF_ledger_2019-20_P03.csv"].batch_id == same.batch_id
    assert new_p01.status == "loaded" and new_p01.superseded == [old.batch_id]
    assert db.execute("select status, superseded_by from audit.batches where batch_id = %s",
                      (old.batch_id,)).fetchone() == ("superseded", new_p01.batch_id)
    assert db.execute("select superseded_by from audit.batches where batch_id = %s",
                      (refused.batch_id,)).fetchone()[0] == new_p02.batch_id
    assert db.execute(
        "select sum(amount_gbp)::text from raw.ledger_lines join audit.current_batches "
        "using (batch_id) where ledger_lines.period = 1").fetchone()[0] == "253500.50"


def test_files_sharing_a_period_are_loaded_one_by_one_the_later_winning(files, db, monkeypatch):
    monkeypatch.setattr(ledger_files, "GROUP_MIN", 2)
    first = files.hf_ledger(_month(1), "a/HF_ledger_2019-20_P01.csv")
    second = files.hf_ledger(_month(1, amount="1.00"), "b/HF_ledger_2019-20_P01.csv")
    others = [files.hf_ledger(_month(p), f"HF_ledger_2019-20_P{p:02d}.csv") for p in (2, 3)]
    results = ingest("ledger", [files.root / "HF" / "ledger"], "HF")
    by_path = {r.path: r for r in results}
    assert {r.status for r in results} == {"loaded"}
    assert by_path[second].superseded == [by_path[first].batch_id]
    assert {by_path[p].rows for p in others} == {3}


def test_ledgers_copied_in_one_copy_keep_each_file_its_own_rows(files, db, monkeypatch):
    """One COPY for the group: files of different lengths, one without a line end after its
    last line, one with Windows line endings, each get exactly their own lines."""
    extra = "2019/20,{p},H50200,5100,ACT,{amount}\n"
    months = {1: _month(1).rstrip("\n"),                               # no final line end
              2: _month(2) + extra.format(p=2, amount="2.00"),
              3: (_month(3) + extra.format(p=3, amount="3.00") * 2).replace("\n", "\r\n"),
              4: _month(4)}
    paths = _write_months(files, months)

    def one_by_one(*args, **kwargs):
        raise AssertionError("a ledger of the group was loaded on its own")

    with monkeypatch.context() as patched:
        _no_reader(patched)
        patched.setattr(ledger_files, "load_file", one_by_one)
        together = ingest("ledger", [paths[0].parent], "HF")
    assert [r.status for r in together] == ["loaded"] * 4, [r.reason for r in together]
    assert [r.rows for r in together] == [3, 4, 5, 3]
    landed = [_rows(db, r.batch_id) for r in together]
    assert [row[0] for row in landed[0]] == [2, 3, 4]
    assert landed[0][-1][1:] == (2019, 1, "H50100", "9000", "actual", "-2500.00")
    assert landed[1][-1] == (5, 2019, 2, "H50200", "5100", "actual", "2.00")
    assert [(row[0], row[2], row[6]) for row in landed[2][3:]] == [(5, 3, "3.00"), (6, 3, "3.00")]
    assert [row[2] for row in landed[3]] == [4, 4, 4]
