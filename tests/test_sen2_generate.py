"""`sendwh sen2 generate`: a return built from the warehouse is valid, and loaded back on its
own as a SEN2 source it gives the same marts as the case data it came from."""
from __future__ import annotations

import pytest

from tests.conftest import scratch_database, using_database

TODAY = "2026-11-30"
PLAN_MEASURES = ("requests_received_in_year, plans_issued_den, plans_issued_den_ex, "
                 "plans_issued_within_20_weeks, plans_issued_20_weeks_ex, "
                 '"plans_issued_gt20weeks_ltYear", plans_issued_gt_1_year')
CASELOAD = ("select age_band, primary_need, placement_group, sex, ehcplans from marts.ehcp_caseload "
            "where borough = 'KC' and census_year = 2026 order by 1, 2, 3, 4")


def _rows(sql: str):
    from foundation.database import connect

    with connect() as conn:
        return conn.execute(sql).fetchall()


@pytest.fixture(scope="module")
def round_trip(sample_warehouse, tmp_path_factory):
    """KC in the sample warehouse (conftest.py) -> 2026 return -> a second warehouse from the
    return alone."""
    from extract.ingest import ingest
    from sen2.generate import generate
    from sendwh.pipeline import build

    root = tmp_path_factory.mktemp("sen2gen")
    with using_database(sample_warehouse.url):
        made = generate("KC", 2026, root / "out")
        from foundation.settings import get_settings
        from sendwh.airflow_run import run_dag

        dag_run = run_dag("sen2_return", "sen2_return.py", {"borough": "KC", "year": 2026})
        stored = get_settings().outputs_dir / "sen2" / "2026"
        made.dag_state = str(dag_run.state)
        made.stored = sorted(p.name for p in stored.iterdir())
        from_case = {"timeliness": _rows(f"select {PLAN_MEASURES} from marts.ehc_timeliness "
                                         "where borough = 'KC' and calendar_year = 2025"),
                     "caseload": _rows(CASELOAD)}
    with scratch_database("fromreturn"):
        [loaded] = ingest("sen2", [made.path])
        assert loaded.status == "loaded", loaded.reason
        assert build(today=TODAY, quiet=True) == 0
        from_return = {"timeliness": _rows(f"select {PLAN_MEASURES} from marts.ehc_timeliness "
                                           "where borough = 'KC' and calendar_year = 2025"),
                       "caseload": _rows(CASELOAD)}
    return made, from_case, from_return


def test_generated_return_is_schema_valid_with_no_errors(round_trip):
    made, _, _ = round_trip
    assert made.errors == 0, [f.message for f in made.findings if f.severity == "error"][:5]
    assert made.persons > 800 and made.path.name == "KC_SEN2_2026.xml"
    head = made.path.read_text()[:600]
    assert "<LEA>207</LEA>" in head and "<ReferenceDate>2026-01-15</ReferenceDate>" in head


def test_sen2_return_dag_builds_validates_and_stores_the_return_and_its_report(round_trip):
    made, _, _ = round_trip
    assert made.dag_state.endswith("success")
    assert made.stored == ["KC_SEN2_2026.report.csv", "KC_SEN2_2026.report.html", "KC_SEN2_2026.xml"]


def test_return_loaded_alone_gives_the_same_timeliness_as_the_case_data(round_trip):
    _, from_case, from_return = round_trip
    assert from_case["timeliness"] and from_case["timeliness"][0][1] > 0
    assert from_return["timeliness"] == from_case["timeliness"]


def test_return_loaded_alone_gives_the_same_caseload_as_the_case_data(round_trip):
    _, from_case, from_return = round_trip
    assert sum(r[-1] for r in from_case["caseload"]) > 800
    assert from_return["caseload"] == from_case["caseload"]


def test_generated_return_passes_the_third_party_xsd_of_its_year(round_trip):
    """The 2026 return in the evidence's order and spelling (SENunitIndicator), against the
    third-party 2026 XSD with its known faults fixed (tests/test_sen2_interop.py)."""
    from lxml import etree

    from foundation.settings import get_settings
    from tests.test_sen2_interop import SAFE, fixed_xsd

    made, _, _ = round_trip
    corpus = get_settings().sen2_external_dir
    assert corpus.is_dir(), f"put the SEN2 interoperability corpus at {corpus}"
    doc = etree.parse(str(made.path), SAFE)
    for sex in doc.iter("Sex"):       # our spec's U: the 2024+ evidence lists M, F only (R036)
        if sex.text == "U":
            sex.text = "F"
    xsd = fixed_xsd(corpus, 2026)
    assert xsd.validate(doc), [str(e) for e in xsd.error_log][:5]
    assert b"SENUnitIndicator" not in made.path.read_bytes()


@pytest.fixture(scope="module")
def hf_returns(sample_warehouse, tmp_path_factory):
    """HF's 2024, 2025 and 2026 returns from the sample warehouse, with the number of active
    plans whose rows carry each review and phase-transfer item."""
    from sen2.generate import generate

    root = tmp_path_factory.mktemp("sen2years")
    with using_database(sample_warehouse.url):
        made = {year: generate("HF", year, root) for year in (2024, 2025, 2026)}
        carried = {year: dict(zip(ITEM_COLUMNS, _rows(
            "select " + ", ".join(f"count({c})" for c in ITEM_COLUMNS.values())
            + " from restricted.sen2_return_requests where borough = 'HF' and collection_year = "
            f"{year} and has_active_plan")[0])) for year in made}
    return made, carried


ITEM_COLUMNS = {"ReviewDraft": "review_draft_on", "PhaseTransferDueDate": "phase_transfer_due_on",
                "PhaseTransferFinalDate": "phase_transfer_final_on"}


def test_2025_and_2026_returns_carry_the_review_and_phase_transfer_items(hf_returns):
    """Each item is written for every active plan whose rows carry it (from the case
    extracts' reviews and phase transfers), in 2025 and 2026 and never in 2024's shape."""
    from lxml import etree

    made, carried = hf_returns
    for year, result in made.items():
        assert result.errors == 0, [f.message for f in result.findings if f.severity == "error"][:5]
        doc = etree.parse(str(result.path))
        written = {item: sum(1 for _ in doc.iter(item)) for item in ITEM_COLUMNS}
        if year == 2024:
            assert written == dict.fromkeys(ITEM_COLUMNS, 0)
        else:
            assert written == carried[year] and all(n > 0 for n in written.values()), written
            assert sum(1 for _ in doc.iter("RequestSource")) > 0 and doc.find(".//DSCO") is not None


def test_2025_and_2026_returns_pass_the_third_party_xsd_of_their_year(hf_returns):
    from lxml import etree

    from foundation.settings import get_settings
    from tests.test_sen2_interop import SAFE, fixed_xsd

    made, _ = hf_returns
    corpus = get_settings().sen2_external_dir
    assert corpus.is_dir(), f"put the SEN2 interoperability corpus at {corpus}"
    for year in (2025, 2026):
        doc = etree.parse(str(made[year].path), SAFE)
        for sex in doc.iter("Sex"):   # our spec's U: the 2024+ evidence lists M, F only (R036)
            if sex.text == "U":
                sex.text = "F"
        xsd = fixed_xsd(corpus, year)
        assert xsd.validate(doc), (year, [str(e) for e in xsd.error_log][:5])
