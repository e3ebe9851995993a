"""Property-based fuzzing of every reader (Hypothesis): random bytes, and random damage to
the small valid files of tests/source_files.py. Whatever arrives, the loader either refuses
it with a reason naming the file and loads nothing, or loads it whole; never a traceback,
a hang or a partial load. The SEN2 validator reads every SEN2 mutation too, and reports
rather than crashes.

Bounded so that CI stays quick: the `ci` profile (the default) runs a few dozen examples a
reader; HYPOTHESIS_PROFILE=deep runs many more, for a night's run.
"""
from __future__ import annotations

import io
import os
import signal
import zipfile
from contextlib import contextmanager
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from extract.ingest import ingest
from sen2.validator import validate_files
from tests import source_files as sf

_COMMON = dict(deadline=None, derandomize=True, print_blob=True,
               suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                      HealthCheck.data_too_large])
settings.register_profile("ci", max_examples=40, **_COMMON)
settings.register_profile("deep", max_examples=400, **_COMMON)
PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "ci")
settings.load_profile(PROFILE)
HANG_SECONDS = 30   # one example taking longer than this is a hang

pytestmark = pytest.mark.usefixtures("fresh")

# what hostile users type: the tokens of issue 13, and the characters parsers trip on
HOSTILE_TOKENS = [b"NaN", b"nan", b"Infinity", b"-Infinity", b"1e308", b"-1", b"-0", b"today",
                  b"infinity", b"epoch", b"0001-01-01", b"9999-12-31", b"01/01/0001", b"99991231",
                  b"maybe", b"\x00", b'"', b"\n", b"\r\n", b"\r", b",", b"|", b"=cmd()", b"@x",
                  b"\xff\xfe", b"\xef\xbb\xbf", b"\xc3", b"<!DOCTYPE x>", b"&e;", b"&amp;",
                  b"<![CDATA[x]]>", b"<x>", b"</Person>", b"13", b"2099/00", b"TRL|0", b"HDR|WCC|213|20261130",
                  b"A" * 300, b" ", b""]


@st.composite
def mutations(draw, valid: bytes) -> bytes:
    """A valid file with 1-4 kinds of damage: a flipped or replaced byte, a cut, a hostile
    token put in, a stretch doubled, or the file truncated."""
    data = bytearray(valid)
    for _ in range(draw(st.integers(1, 4))):
        size = len(data)
        where = draw(st.integers(0, max(size - 1, 0)))
        op = draw(st.sampled_from(["flip", "delete", "insert", "replace", "double", "truncate"]))
        if op == "flip" and size:
            data[where] ^= draw(st.integers(1, 255))
        elif op == "delete":
            del data[where:where + draw(st.integers(1, 16))]
        elif op == "insert":
            data[where:where] = draw(st.sampled_from(HOSTILE_TOKENS) | st.binary(max_size=8))
        elif op == "replace":
            end = where + draw(st.integers(1, 12))
            data[where:end] = draw(st.sampled_from(HOSTILE_TOKENS))
        elif op == "double":
            end = where + draw(st.integers(1, 200))
            data[end:end] = data[where:end]
        elif op == "truncate":
            del data[where:]
    return bytes(data)


@contextmanager
def no_hang(seconds: int = HANG_SECONDS):
    def hung(signum, frame):
        raise TimeoutError(f"the reader took more than {seconds}s: a hang")
    previous = signal.signal(signal.SIGALRM, hung)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


_RAW_TABLES: list[str] = []


def _raw_counts(db) -> tuple:
    if not _RAW_TABLES:
        _RAW_TABLES.extend(r[0] for r in db.execute(
            "select table_name from information_schema.tables where table_schema = 'raw' "
            "and table_type = 'BASE TABLE' order by 1"))
    query = "select " + ", ".join(f"(select count(*) from raw.{t})" for t in _RAW_TABLES)
    return db.execute(query).fetchone()


def refused_with_a_reason_or_loaded_whole(db, kind: str, path: Path, borough: str | None):
    before = _raw_counts(db)
    with no_hang():
        [result] = ingest(kind, [path], borough)    # any exception fails the property
    if result.status == "rejected":
        assert result.reason and path.name in result.reason, result.reason
        assert _raw_counts(db) == before, f"a refused file loaded rows: {result.reason}"
        batch = db.execute("select status, rows_loaded from audit.batches where batch_id = %s",
                           (result.batch_id,)).fetchone()
        assert batch == ("rejected", 0)
        return result
    assert result.status in ("loaded", "already_loaded"), result.status
    if result.status == "loaded":
        assert result.rows > 0
        for table, n in result.rows_by_table.items():
            landed = db.execute(f"select count(*) from raw.{table} where batch_id = %s",
                                (result.batch_id,)).fetchone()[0]
            assert landed == n, f"{table}: {landed} rows landed, the batch says {n}"
        status = db.execute("select status, rows_loaded from audit.batches where batch_id = %s",
                            (result.batch_id,)).fetchone()
        assert status == ("loaded", result.rows)
    return result


# --- the readers, each with the name and borough its layout wants --------------------------
READERS = {
    "case_csv": ("case", "HF", "HF/case/hf_ehc_requests_20261130.csv", sf.HF_REQUESTS.encode()),
    "case_records": ("case", "WCC", "WCC/case/wcc_send_20261130.psv", sf.WCC_EXTRACT.encode()),
    "ledger": ("ledger", "HF", "HF/ledger/HF_ledger_2017-18_P01.csv", sf.LEDGER_HF.encode()),
    "dfe": ("dfe", None, "dfe/release-2099/requests.csv", sf.DFE_CSV.encode()),
    "sen2": ("sen2", "HF", "HF/sen2/HF_SEN2_2024.xml", sf.sen2_xml().encode()),
}


def _kc_workbook_bytes() -> bytes:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        return sf.SourceFiles(Path(tmp)).kc_workbook().read_bytes()


KC_PATH = "KC/case/KC_SEND_Extract_20261130.xlsx"


def _write(root: Path, relative: str, data: bytes) -> Path:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def test_every_reader_loads_its_valid_sample_whole(tmp_path, db):
    """The property's other half is reachable: undamaged, each sample loads."""
    for name, (kind, borough, relative, valid) in READERS.items():
        result = refused_with_a_reason_or_loaded_whole(db, kind, _write(tmp_path, relative, valid),
                                                       borough)
        assert result.status == "loaded", (name, result.reason)
    result = refused_with_a_reason_or_loaded_whole(
        db, "case", _write(tmp_path, KC_PATH, _kc_workbook_bytes()), "KC")
    assert result.status == "loaded", result.reason


@pytest.mark.parametrize("reader", sorted(READERS))
@given(data=st.binary(max_size=4096))
def test_random_bytes_are_refused_with_a_reason(reader, data, tmp_path, db):
    kind, borough, relative, _ = READERS[reader]
    result = refused_with_a_reason_or_loaded_whole(db, kind, _write(tmp_path, relative, data),
                                                   borough)
    assert result.status == "rejected"


@pytest.mark.parametrize("reader", sorted(READERS))
@given(data=st.data())
def test_damaged_valid_files_are_refused_with_a_reason_or_loaded_whole(reader, data, tmp_path, db):
    kind, borough, relative, valid = READERS[reader]
    damaged = data.draw(mutations(valid), label="damaged file")
    refused_with_a_reason_or_loaded_whole(db, kind, _write(tmp_path, relative, damaged), borough)


KC_VALID = None


def _kc_valid() -> bytes:
    global KC_VALID
    if KC_VALID is None:
        KC_VALID = _kc_workbook_bytes()
    return KC_VALID


@given(data=st.one_of(st.binary(max_size=4096), st.data()))
def test_workbook_bytes_random_or_damaged(data, tmp_path, db):
    raw = data if isinstance(data, bytes) else data.draw(mutations(_kc_valid()), label="damaged")
    refused_with_a_reason_or_loaded_whole(db, "case", _write(tmp_path, KC_PATH, raw), "KC")


@given(data=st.data())
def test_workbook_with_a_damaged_part_is_refused_with_a_reason_or_loaded_whole(data, tmp_path, db):
    """Damage inside the archive (a sheet's XML, the workbook's, the styles): the zip stays
    readable, so each part's own parser is what is tried."""
    with zipfile.ZipFile(io.BytesIO(_kc_valid())) as book:
        parts = {i.filename: book.read(i) for i in book.infolist()}
    name = data.draw(st.sampled_from(sorted(parts)), label="part")
    parts[name] = data.draw(mutations(parts[name]), label="damaged part")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as book:
        for part, content in parts.items():
            book.writestr(part, content)
    refused_with_a_reason_or_loaded_whole(db, "case", _write(tmp_path, KC_PATH, out.getvalue()), "KC")


@given(data=st.one_of(st.binary(max_size=2048), st.data()))
def test_sen2_validator_reports_rather_than_crashes(data, tmp_path):
    raw = data if isinstance(data, bytes) else data.draw(mutations(READERS["sen2"][3]), label="damaged")
    path = _write(tmp_path, "HF/sen2/HF_SEN2_2024.xml", raw)
    with no_hang():
        [result] = validate_files([path])           # any exception fails the property
    assert result.unreadable or result.findings is not None
