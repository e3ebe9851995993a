"""A borough that sends only a SEN2 return still gets its marts, and they agree with the
DfE measures computed here straight from the XML (an independent reading of the spec)."""
from __future__ import annotations

import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from lxml import etree

from tests.conftest import scratch_database

pytestmark = pytest.mark.slow   # builds warehouses with dbt

SENDWH = str(Path(sys.executable).with_name("sendwh"))


def _text(element, name):
    found = element.find(name)
    return found.text.strip() if found is not None and found.text else None


def _day(text):
    return date.fromisoformat(text) if text else None


def measures_from_xml(path: Path, year: int) -> dict[str, int]:
    """DfE's measures for calendar year `year` (sen2-spec.md), read straight from the file."""
    m = dict(requests=0, decided=0, six_weeks=0, den=0, den_ex=0, within=0, within_ex=0,
             gt20=0, gt_year=0, active=0)
    for person in etree.parse(str(path)).getroot().iter("Person"):
        has_active = False
        for request in person.findall("Requests"):
            received = _day(_text(request, "ReceivedDate"))
            outcome, outcome_on = _text(request, "RequestOutcome"), _day(_text(request, "RequestOutcomeDate"))
            if received is not None and received.year == year:
                m["requests"] += 1
                if outcome in ("Y", "N") and outcome_on:
                    m["decided"] += 1
                    m["six_weeks"] += (outcome_on - received).days <= 42
            assessment = request.find("Assessment")
            if assessment is not None:
                issued = _day(_text(assessment, "AssessmentOutcomeDate"))
                disputed = "1" in (_text(request, "RequestMediation"), _text(request, "RequestTribunal"),
                                   _text(assessment, "AssessmentMediation"), _text(assessment, "AssessmentTribunal"))
                if _text(assessment, "AssessmentOutcome") == "Y" and issued and issued.year == year and not disputed:
                    days, exception = (issued - received).days, _text(assessment, "Week20") == "1"
                    m["den"] += 1
                    m["den_ex"] += not exception
                    m["within"] += days <= 140
                    m["within_ex"] += days <= 140 and not exception
                    m["gt20"] += 140 < days <= 365
                    m["gt_year"] += days > 365
            has_active = has_active or request.find("ActivePlans") is not None
        m["active"] += has_active
    return m


@pytest.fixture(scope="module")
def sen2_only(sample_files):
    path = sample_files / "HF" / "sen2" / "HF_SEN2_2024.xml"   # the session's sample (conftest.py)
    with scratch_database("sen2only") as url:
        env = {**os.environ, "WAREHOUSE_URL": url}
        ingest = subprocess.run([SENDWH, "ingest", "sen2", str(path), "--borough", "HF"], env=env,
                                capture_output=True, text=True)
        assert ingest.returncode == 0, ingest.stdout + ingest.stderr
        built = subprocess.run([SENDWH, "build", "--today", "2024-03-01"], env=env,
                               capture_output=True, text=True)
        assert built.returncode == 0, built.stdout[-3000:]
        yield path


@pytest.fixture
def q(sen2_only):
    from foundation.database import connect

    with connect(autocommit=True) as conn:
        yield lambda sql: conn.execute(sql).fetchall()


def test_timeliness_from_a_lone_sen2_return_equals_the_measures_read_from_the_xml(sen2_only, q):
    expected = measures_from_xml(sen2_only, 2023)
    [row] = q("select requests_received_in_year, requests_decided, request_outcome_six_weeks, "
              "plans_issued_den, plans_issued_den_ex, plans_issued_within_20_weeks, plans_issued_20_weeks_ex, "
              '"plans_issued_gt20weeks_ltYear", plans_issued_gt_1_year '
              "from marts.ehc_timeliness where borough = 'HF' and calendar_year = 2023")
    assert row == (expected["requests"], expected["decided"], expected["six_weeks"], expected["den"],
                   expected["den_ex"], expected["within"], expected["within_ex"], expected["gt20"],
                   expected["gt_year"])
    assert expected["den"] > 50  # a real test: the return issues plans in 2023


def test_only_the_year_the_return_covers_is_reported(q):
    years = [r[0] for r in q("select calendar_year from marts.ehc_timeliness where borough = 'HF'")]
    assert years == [2023]


def test_caseload_at_the_census_equals_the_people_with_active_plans_in_the_return(sen2_only, q):
    expected = measures_from_xml(sen2_only, 2023)["active"]
    [(census_year, plans)] = q("select census_year, sum(ehcplans) from marts.ehcp_caseload "
                               "where borough = 'HF' group by 1")
    assert census_year == 2024 and plans == expected
    groups = {r[0] for r in q("select distinct placement_group from marts.ehcp_caseload")}
    assert groups <= {"mainstream", "special", "independent_nm", "post16", "other"} and len(groups) >= 3


def test_sen2_summary_prints_the_measures_of_the_file_by_the_marts_definitions(sen2_only):
    expected = measures_from_xml(sen2_only, 2023)
    result = subprocess.run([SENDWH, "sen2", "summary", str(sen2_only)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    lines = {line[:42].strip(): line[42:].strip() for line in result.stdout.splitlines()[1:]}
    assert lines["requests received"] == str(expected["requests"])
    assert lines["plans issued"] == str(expected["den"])
    assert lines["within 20 weeks, exceptions excluded"] == str(expected["within_ex"])
    assert lines["active plans at the census"] == str(expected["active"])


@pytest.mark.parametrize("year", [2023, 2026])
def test_sen2_summary_reads_every_years_shape(sample_files, year):
    """2023's shape (GenderCurrent, Res/WBP under ActivePlans, AttendancePattern) and 2026's
    (RequestSource, DSCO, the review and phase-transfer items) give the measures read
    straight from the XML."""
    path = sample_files / "HF" / "sen2" / f"HF_SEN2_{year}.xml"
    expected = measures_from_xml(path, year - 1)
    result = subprocess.run([SENDWH, "sen2", "summary", str(path)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    lines = {line[:42].strip(): line[42:].strip() for line in result.stdout.splitlines()[1:]}
    assert lines["requests received"] == str(expected["requests"])
    assert lines["plans issued"] == str(expected["den"])
    assert lines["within 20 weeks, exceptions excluded"] == str(expected["within_ex"])
    assert lines["active plans at the census"] == str(expected["active"]) and expected["active"] > 500
