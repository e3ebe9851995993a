"""sendwh sen2 validate: the streaming SEN2 validator (sen2/), its rules, reports and CLI.

Each failing fixture is the valid return tests.source_files.sen2_xml() with one small
mutation, and must fail with exactly its rule among the errors.
"""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Callable

import pytest
from lxml import etree
from typer.testing import CliRunner

from foundation.identifiers import make_upn, uln_check_digit
from foundation.reference import census_dates
from sen2.rules import RULES
from sen2.validator import Unreadable, validate_file
from tests.source_files import UPN_1, UPN_2, sen2_xml

E = etree.SubElement


# --- helpers ------------------------------------------------------------------------------
def _xml(year: int = 2024, ref: str | None = None) -> bytes:
    ref = ref or census_dates()[year].isoformat()
    return sen2_xml(year=year, reference_date=ref).encode()


def build(mutate: Callable[[etree._Element], None] | None = None, year: int = 2024,
          ref: str | None = None) -> bytes:
    root = etree.fromstring(_xml(year, ref))
    if mutate:
        mutate(root)
    return etree.tostring(root, xml_declaration=True, encoding="utf-8")


def write(tmp_path: Path, data: bytes | str, name: str = "HF_SEN2_2024.xml") -> Path:
    path = tmp_path / name
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return path


def check(tmp_path: Path, mutate=None, name: str = "HF_SEN2_2024.xml", year: int = 2024,
          ref: str | None = None, **options):
    return validate_file(write(tmp_path, build(mutate, year, ref), name), **options)


def errors(result) -> set[str]:
    return result.rules_with("error")


def p1(root):
    return root.find("Persons/Person[1]")


def p2(root):
    return root.find("Persons/Person[2]")


def first(root, path: str):
    element = root.find(path)
    assert element is not None, path
    return element


def set_text(path: str, value: str | None, person=p1):
    def mutate(root):
        first(person(root), path).text = value
    return mutate


def remove(path: str, person=p1):
    def mutate(root):
        element = first(person(root), path)
        element.getparent().remove(element)
    return mutate


def add(path: str, tag: str, value: str | None, person=p1):
    def mutate(root):
        E(first(person(root), path) if path else person(root), tag).text = value
    return mutate


def chain(*mutations):
    def mutate(root):
        for m in mutations:
            m(root)
    return mutate


A = "Requests/Assessment"
NP = "Requests/Assessment/NamedPlan"
AP = "Requests/ActivePlans"
PD = "Requests/ActivePlans/PlacementDetail"


def _wrong_check_letter(upn: str) -> str:
    return ("B" if upn[0] != "B" else "C") + upn[1:]


def _bad_uln() -> str:
    body = "123456789"
    check = uln_check_digit(body)
    return body + str((check + 1) % 10)


def _rename_root(root):
    root.tag = "Return"


def _no_persons(root):
    persons = root.find("Persons")
    for person in list(persons):
        persons.remove(person)


def _extra_assessment_on_p2(root):
    request = first(p2(root), "Requests")
    asm = E(request, "Assessment")
    for tag, value in (("AssessmentOutcome", "A"), ("AssessmentMediation", "0"),
                       ("AssessmentTribunal", "0"), ("OtherMediation", "0"),
                       ("OtherTribunal", "0"), ("Week20", "0")):
        E(asm, tag).text = value


def _third_need(root):
    need = E(first(p1(root), AP), "SENneed")
    E(need, "SENtype").text = "HI"
    E(need, "SENtypeRank").text = "2"


def _rename(path: str, new: str):
    def mutate(root):
        first(p1(root), path).tag = new
    return mutate


def _urn_to_ukprn(value: str):
    def mutate(root):
        urn = first(p1(root), f"{PD}/URN")
        urn.tag, urn.text = "UKPRN", value
    return mutate


# --- one failing fixture per error rule -------------------------------------------------
ERROR_CASES = {
    "SEN2-R001": add("", "FavouriteColour", "blue"),
    "SEN2-R002": _no_persons,
    "SEN2-R010": lambda r: setattr(first(r, "Header/CollectionDetails/Collection"), "text", "SEN3"),
    "SEN2-R011": lambda r: setattr(first(r, "Header/CollectionDetails/Year"), "text", "24"),
    "SEN2-R012": lambda r: setattr(first(r, "Header/CollectionDetails/ReferenceDate"), "text", "2024-01-19"),
    "SEN2-R013": lambda r: setattr(first(r, "Header/Source/LEA"), "text", "20X"),
    "SEN2-R014": lambda r: setattr(first(r, "Header/Source/LEA"), "text", "207"),
    "SEN2-R020": remove("Surname"),
    "SEN2-R021": set_text("Sex", "X"),
    "SEN2-R022": set_text("PersonBirthDate", "2015-02-30"),
    "SEN2-R023": set_text("Requests/ReceivedDate", None, person=p2),
    "SEN2-R027": add("", "Surname", "Smyth"),
    "SEN2-R030": remove("UPN", person=p2),
    "SEN2-R031": set_text("UPN", _wrong_check_letter(UPN_1)),
    "SEN2-R032": add("", "UniqueLearnerNumber", _bad_uln()),
    "SEN2-R033": set_text("UPN", UPN_1, person=p2),
    "SEN2-R034": set_text("PersonBirthDate", "2099-01-01"),
    "SEN2-R035": set_text("PersonBirthDate", "1990-01-01", person=p2),
    "SEN2-R040": remove("Requests/RequestOutcomeDate", person=p2),
    "SEN2-R041": set_text("Requests/RequestOutcomeDate", "2023-06-01", person=p2),
    "SEN2-R042": _extra_assessment_on_p2,
    "SEN2-R045": remove(f"{A}/AssessmentOutcomeDate"),
    "SEN2-R046": set_text(f"{A}/AssessmentOutcomeDate", "2023-01-01"),
    "SEN2-R047": set_text(f"{A}/AssessmentOutcome", "W"),
    "SEN2-R050": add(NP, "CeaseReason", "2"),
    "SEN2-R051": chain(remove(AP), add(NP, "CeaseDate", "2023-05-01"), add(NP, "CeaseReason", "2")),
    "SEN2-R052": chain(add(NP, "CeaseDate", "2023-12-01"), add(NP, "CeaseReason", "2")),
    "SEN2-R053": set_text(f"{NP}/StartDate", "2024-02-01"),
    "SEN2-R054": chain(add(NP, "CeaseDate", "2023-08-01"), add(NP, "CeaseReason", "2")),
    "SEN2-R055": _third_need,
    "SEN2-R056": set_text(f"{PD}/PlacementRank", "2"),
    "SEN2-R057": add(PD, "LeavingDate", "2023-08-01"),
    "SEN2-R058": chain(add(AP, "ReviewMeeting", "2023-12-01"), add(AP, "LastReview", "2023-11-01")),
    "SEN2-R060": remove(f"{PD}/URN"),
    "SEN2-R061": set_text(f"{PD}/URN", "12345"),
    "SEN2-R062": _urn_to_ukprn("1234567"),
    "SEN2-R063": add(AP, "TransferLA", "99"),
    "SEN2-R019": lambda root: setattr(first(root, "Header/Source/SerialNo"), "text", "1"),
    "SEN2-R028": add(PD, "AttendancePattern", "FT"),
    "SEN2-R064": add(PD, "UKPRN", "10012345"),
    "SEN2-R065": lambda root: [first(p1(root), NP).insert(1, etree.fromstring(
        f"<PlanDetail><URN>10000{n}</URN><PlacementRank>2</PlacementRank><SENunitIndicator>0"
        "</SENunitIndicator><ResourcedProvisionIndicator>0</ResourcedProvisionIndicator></PlanDetail>"))
        for n in (2, 3)],
}


def test_every_rule_has_an_id_severity_and_description():
    assert all(r.id.startswith("SEN2-R") and len(r.id) == 9 for r in RULES.values())
    assert {r.severity for r in RULES.values()} <= {"error", "query", "info"}
    assert all(r.description and "\n" not in r.description for r in RULES.values())


def test_the_base_return_is_valid(tmp_path):
    result = check(tmp_path)
    assert errors(result) == set()
    assert result.persons == 2 and result.year == 2024 and result.lea == "205"
    assert result.rules_with() == set()  # the year's own shape: nothing to note


@pytest.mark.parametrize("rule_id", sorted(ERROR_CASES))
def test_each_error_rule_fails_alone(tmp_path, rule_id):
    result = check(tmp_path, ERROR_CASES[rule_id])
    assert RULES[rule_id].severity == "error"
    assert errors(result) == {rule_id}, [f.message for f in result.findings]


def test_r001_from_the_xsd_itself(tmp_path):
    # markup inside a simple item: only the XSD sees it; reported as SEN2-R001 with its message
    def markup(root):
        E(first(p1(root), "Surname"), "b").text = "x"
    result = check(tmp_path, markup)
    assert errors(result) == {"SEN2-R001"}
    [message] = _messages(result, "SEN2-R001")
    assert "XSD" in message and "person 1" in message and "Surname" in message


def test_year_xsds_derive_from_the_profiles():
    from sen2.validator import schema

    def variants_back(root):  # the XSDs know the evidence's spellings only
        for element in root.iter():
            if element.tag in ("SENUnitIndicator",):
                element.tag = "SENunitIndicator"

    def doc(year, mutate=None):
        return etree.fromstring(build(chain(variants_back, mutate or (lambda r: None)), year=year))
    ds = set_text(f"{AP}/SENneed[2]/SENtype", "DS")
    assert schema(2023).validate(doc(2023))
    assert not schema(2024).validate(doc(2023))                   # GenderCurrent is 2023's
    assert schema(2024).validate(doc(2024))
    assert not schema(2024).validate(doc(2024, _add_dsco))        # no DSCO before 2025
    assert schema(2025).validate(doc(2025, _drop_dsco))           # voluntary in 2025
    assert not schema(2026).validate(doc(2026, _drop_dsco))       # required from 2026
    assert not schema(2024).validate(doc(2024, ds))               # DS only from 2025
    assert schema(2025).validate(doc(2025, ds))
    assert schema(2027).validate(doc(2026))                       # a later year: the newest profile


def test_r000_truncated_file(tmp_path):
    data = build()
    result = validate_file(write(tmp_path, data[: len(data) * 2 // 3]))
    assert errors(result) == {"SEN2-R000"}
    assert "not well-formed" in result.findings[-1].message or any(
        "not well-formed" in f.message for f in result.findings)


def test_r002_root_not_message(tmp_path):
    result = check(tmp_path, _rename_root)
    assert errors(result) == {"SEN2-R002"}


def test_r015_dsco_required_from_2026_voluntary_in_2025(tmp_path):
    result = check(tmp_path, _drop_dsco, name="HF_SEN2_2026.xml", year=2026)
    assert errors(result) == {"SEN2-R015"}
    assert errors(check(tmp_path, _drop_dsco, name="HF_SEN2_2025.xml", year=2025)) == set()


def _drop_dsco(root):
    dsco = first(root, "Header/Source/DSCO")
    dsco.getparent().remove(dsco)


def _add_dsco(root):
    E(first(root, "Header/Source"), "DSCO").text = "Y"


def test_each_years_own_shape_is_valid(tmp_path):
    for year in (2023, 2024, 2025, 2026):
        result = check(tmp_path, name=f"HF_SEN2_{year}.xml", year=year)
        assert errors(result) - {"SEN2-R053"} == set(), [f.message for f in result.findings]


def test_ds_sentype_from_2025(tmp_path):
    ds = set_text(f"{AP}/SENneed[2]/SENtype", "DS")
    assert errors(check(tmp_path, ds, name="HF_SEN2_2025.xml", year=2025)) == set()
    result = check(tmp_path, ds, name="HF_SEN2_2024.xml", year=2024)
    assert errors(result) == {"SEN2-R021"}
    assert "only from 2025" in result.findings[0].message


def test_2023_genders_and_sex(tmp_path):
    # 2023's item is GenderCurrent (0, 1, 2, 9); Sex is accepted with a note (a live 2023 file)
    def drop_p1(root):  # person 1's plan starts after the 2023 census
        root.find("Persons").remove(p1(root))
    result = check(tmp_path, drop_p1, name="HF_SEN2_2023.xml", year=2023)
    assert result.findings == []
    result = check(tmp_path, chain(drop_p1, _rename_p2_gender("Sex", "M")), name="HF_SEN2_2023.xml",
                   year=2023)
    assert errors(result) == set()
    notes = [f.message for f in result.findings if f.rule == "SEN2-R026"]
    assert any("<Sex> accepted for <GenderCurrent>" in m for m in notes), notes
    result = check(tmp_path, chain(drop_p1, set_text("GenderCurrent", "M", person=p1)),
                   name="HF_SEN2_2023.xml", year=2023)
    assert errors(result) == {"SEN2-R021"}      # M is a Sex code, not a GenderCurrent one
    # GenderCurrent in a 2024 return: another year's item, named with its years
    result = check(tmp_path, _rename_p2_gender("GenderCurrent", "1", person=p2))
    assert errors(result) == {"SEN2-R028", "SEN2-R020"}
    [message] = _messages(result, "SEN2-R028")
    assert "<GenderCurrent> is not part of Person in a 2024 return" in message and "2023" in message


def _rename_p2_gender(tag: str, value: str, person=p1):
    def mutate(root):
        element = first(person(root), "GenderCurrent" if tag == "Sex" else "Sex")
        element.tag, element.text = tag, value
    return mutate


# --- queries and notes ------------------------------------------------------------------
QUERY_CASES = {
    "SEN2-R016": _add_dsco,
    "SEN2-R024": add(NP, "PlanRes", None),
    "SEN2-R025": _rename("Requests/ReceivedDate", "receiveddate"),
    "SEN2-R048": chain(remove(AP), remove(NP), set_text(f"{A}/AssessmentOutcome", "N")),
    "SEN2-R059": set_text(f"{A}/AssessmentOutcome", "H"),
    "SEN2-R070": chain(set_text("Requests/RequestOutcome", "A", person=p2),
                       remove("Requests/RequestOutcomeDate", person=p2)),
    "SEN2-R071": set_text(f"{A}/Week20", "1"),
    "SEN2-R036": set_text("Sex", "U"),
}


@pytest.mark.parametrize("rule_id", sorted(QUERY_CASES))
def test_each_query_rule_is_raised_without_errors(tmp_path, rule_id):
    result = check(tmp_path, QUERY_CASES[rule_id])
    assert RULES[rule_id].severity == "query"
    assert rule_id in result.rules_with("query")
    assert errors(result) == set(), [f.message for f in result.findings]


def test_r017_year_option_differs_from_header(tmp_path):
    path = write(tmp_path, build(_add_dsco, year=2024, ref="2025-01-16"), "return.xml")
    result = validate_file(path, year=2025)
    assert "SEN2-R017" in result.rules_with("query")
    assert errors(result) == set()


def test_r014_lea_from_options(tmp_path):
    path = write(tmp_path, build(), "return.xml")       # no borough in the name: no check
    assert errors(validate_file(path)) == set()
    assert errors(validate_file(path, lea="213")) == {"SEN2-R014"}
    assert errors(validate_file(path, borough="KC")) == {"SEN2-R014"}
    assert errors(validate_file(path, borough="HF")) == set()


def test_every_rule_is_exercised():
    covered = set(ERROR_CASES) | set(QUERY_CASES) | {"SEN2-R000", "SEN2-R015", "SEN2-R017",
                                                     "SEN2-R026", "SEN2-R067", "SEN2-R068",
                                                     "SEN2-R069"}
    assert covered == set(RULES)


# --- known-bad public shapes, with clear messages -------------------------------------------
def _messages(result, rule_id):
    return [f.message for f in result.findings if f.rule == rule_id]


def test_empty_elements(tmp_path):
    result = check(tmp_path, chain(set_text("UPN", None, person=p2),
                                   set_text("Requests/ReceivedDate", None)))
    assert errors(result) == {"SEN2-R023", "SEN2-R030"}
    assert any("empty element <UPN/>" in m for m in _messages(result, "SEN2-R024"))
    assert any("required item <ReceivedDate> is empty" in m and "person 1" in m
               for m in _messages(result, "SEN2-R023"))
    assert any("person 2" in m for m in _messages(result, "SEN2-R030"))


def test_wrong_element_case_is_accepted_with_a_query(tmp_path):
    result = check(tmp_path, chain(_rename("Requests/ReceivedDate", "receiveddate"),
                                   _rename("PersonBirthDate", "PERSONBIRTHDATE")))
    assert errors(result) == set()
    messages = _messages(result, "SEN2-R025")
    assert any("<receiveddate> read as ReceivedDate" in m for m in messages)
    assert any("<PERSONBIRTHDATE> read as PersonBirthDate" in m for m in messages)


def test_known_variants_are_noted(tmp_path):
    def sensetting(root):
        urn = first(p1(root), f"{NP}/PlanDetail/URN")
        urn.tag, urn.text = "SENsetting", "EHE"
    result = check(tmp_path, chain(add(NP, "PlanWPB", "S"), sensetting,
                                   _rename(f"{PD}/SENunitIndicator", "SENUnitIndicator")))
    notes = " ".join(_messages(result, "SEN2-R026"))
    assert "<SENsetting> accepted for <SENSetting>" in notes
    assert "<PlanWPB> accepted for <PlanWBP>" in notes
    assert "<SENUnitIndicator> accepted for <SENunitIndicator>" in notes
    assert errors(result) == set()


def test_plan_ceasing_before_later_placements(tmp_path):
    result = check(tmp_path, chain(add(NP, "CeaseDate", "2023-08-01"), add(NP, "CeaseReason", "2")))
    [message] = _messages(result, "SEN2-R054")
    assert f"person 1 (UPN {UPN_1})" in message and "Requests[1]" in message
    assert "ceases on 2023-08-01" in message and "EntryDate 2023-09-01" in message


def test_last_review_before_review_meeting(tmp_path):
    result = check(tmp_path, ERROR_CASES["SEN2-R058"])
    [message] = _messages(result, "SEN2-R058")
    assert "LastReview 2023-11-01 is before ReviewMeeting 2023-12-01" in message
    assert "Requests[1]/ActivePlans/LastReview" in message


def test_upn_with_wrong_check_letter(tmp_path):
    bad = _wrong_check_letter(UPN_2)
    result = check(tmp_path, set_text("UPN", bad, person=p2))
    [finding] = [f for f in result.findings if f.rule == "SEN2-R031"]
    assert finding.person == f"person 2 (UPN {bad})" and finding.item == "UPN"
    assert "wrong check letter" in finding.message


def test_elements_in_any_order(tmp_path):
    def shuffle(root):
        for block in root.iter():
            children = list(block)
            if len(children) > 1:
                for child in children:
                    block.remove(child)
                for child in reversed(children):
                    block.append(child)
    result = check(tmp_path, shuffle)
    assert errors(result) == set(), [f.message for f in result.findings]


def test_unreadable_files(tmp_path):
    with pytest.raises(Unreadable):
        validate_file(tmp_path / "missing.xml")
    with pytest.raises(Unreadable):
        validate_file(write(tmp_path, "this is not XML", "a.xml"))
    with pytest.raises(Unreadable):
        validate_file(write(tmp_path, b"", "b.xml"))


# --- CLI and reports ----------------------------------------------------------------------
runner = CliRunner()


def cli(*args: str):
    from sendwh.cli import app
    return runner.invoke(app, ["sen2", "validate", *args])


def test_cli_exit_codes(tmp_path):
    good = write(tmp_path, build(), "HF_SEN2_2024.xml")
    queried = write(tmp_path, build(QUERY_CASES["SEN2-R071"]), "HF_SEN2_2024_q.xml")
    bad = write(tmp_path, build(ERROR_CASES["SEN2-R031"]), "HF_SEN2_2024_bad.xml")
    not_xml = write(tmp_path, "PK\x03\x04 zip, not XML", "zip.xml")
    assert cli(str(good)).exit_code == 0
    assert cli(str(queried)).exit_code == 0
    result = cli(str(bad))
    assert result.exit_code == 1 and "SEN2-R031" in result.stdout
    assert cli(str(good), str(bad)).exit_code == 1
    assert cli(str(tmp_path / "missing.xml")).exit_code == 2
    assert cli(str(not_xml)).exit_code == 2
    assert cli(str(good), "--format", "yaml").exit_code == 2
    assert cli(str(good), "--borough", "NOPE").exit_code == 2
    assert cli(str(good), "--borough", "KC").exit_code == 1
    assert cli(str(write(tmp_path, build(_rename_root), "root.xml"))).exit_code == 1


def test_cli_json(tmp_path):
    bad = write(tmp_path, build(chain(ERROR_CASES["SEN2-R031"], QUERY_CASES["SEN2-R071"])))
    result = cli(str(bad), "--format", "json")
    assert result.exit_code == 1
    findings = json.loads(result.stdout)
    assert isinstance(findings, list) and findings
    for f in findings:
        assert {"rule", "severity", "person", "item", "message"} <= set(f)
    by_rule = {f["rule"]: f for f in findings}
    assert by_rule["SEN2-R031"]["severity"] == "error"
    assert by_rule["SEN2-R031"]["person"].startswith("person 1 (UPN ")
    assert by_rule["SEN2-R031"]["item"] == "UPN"
    assert by_rule["SEN2-R071"]["severity"] == "query"
    assert by_rule["SEN2-R071"]["item"] == "Requests[1]/Assessment/Week20"


def test_cli_html_and_csv_reports(tmp_path):
    bad = write(tmp_path, build(chain(ERROR_CASES["SEN2-R031"], ERROR_CASES["SEN2-R058"],
                                      set_text("UPN", "B000000000000", person=p2))))
    out = tmp_path / "report" / "sen2.html"
    result = cli(str(bad), "--format", "html", "--out", str(out))
    assert result.exit_code == 1
    page = out.read_text()
    assert page.startswith("<!DOCTYPE html>")
    assert "SEN2-R031" in page and "SEN2-R058" in page
    rows = {m[0]: int(m[1]) for m in re.findall(
        r"<tr><td><a href='#[^']*'>(SEN2-R\d{3})</a></td>.*?<td class='n'>(\d+)</td></tr>", page)}
    assert rows["SEN2-R031"] == 2 and rows["SEN2-R058"] == 1
    csv_out = cli(str(bad), "--format", "csv")
    lines = csv_out.stdout.splitlines()
    assert lines[0] == "rule,severity,person,item,message,file,line"
    assert sum(line.startswith("SEN2-R031,error") for line in lines) == 2
    text = cli(str(bad)).stdout
    assert "SEN2-R031 error x2" in text and "FAIL" in text


# --- the sample returns -------------------------------------------------------------------
@pytest.fixture(scope="module")
def sample_returns(sample_files) -> list:
    """(path, result) for every sample return, 2023-2026 for HF, KC and WCC (the session's
    sample, generated once: conftest.py)."""
    paths = sorted(sample_files.glob("*/sen2/*_SEN2_*.xml"))
    assert len(paths) == 12
    return [(path, validate_file(path)) for path in paths]


def _born_after_census(finding) -> bool:
    # Known generator problem (reported): a few persons are born after the census date, with a
    # request received before their birth. Everything else in the samples must be clean.
    return finding.rule == "SEN2-R035" and "after the reference date" in finding.message


def test_sample_returns_validate_without_errors(sample_returns):
    for path, result in sample_returns:
        bad = [f.message for f in result.findings if f.severity == "error"]
        assert bad == [], (path.name, bad[:10])
        assert result.persons > 500 and result.year == int(path.stem[-4:])


def test_sample_returns_have_no_person_born_after_the_census(sample_returns):
    found = [f.message for _, result in sample_returns for f in result.findings
             if _born_after_census(f)]
    assert found == []


# --- streaming ----------------------------------------------------------------------------
def test_streams_a_20000_person_file(tmp_path):
    base = etree.fromstring(_xml())
    header = etree.tostring(base.find("Header"))
    people = [etree.tostring(p) for p in base.find("Persons")]
    people[0] = people[0].replace(b"SENunitIndicator", b"SENUnitIndicator")   # a known variant
    persons, every = 20_000, 1_000

    def chunks():
        yield b'<?xml version="1.0" encoding="UTF-8"?>\n<Message>' + header + b"<Persons>"
        for i in range(persons):
            template = people[i % 2]
            upn = make_upn("205", 1000 + i // 1000, 15, i % 1000)
            if i % every == 0:
                upn = _wrong_check_letter(upn)
            old = (UPN_1 if i % 2 == 0 else UPN_2).encode()
            yield template.replace(old, upn.encode())
        yield b"</Persons></Message>\n"

    path = tmp_path / "HF_SEN2_2024.xml"
    with path.open("wb") as fh:
        for chunk in chunks():
            fh.write(chunk)
    result = validate_file(path)
    assert result.persons == persons
    counts = result.rule_counts()
    assert counts["SEN2-R031"] == persons // every
    assert errors(result) == {"SEN2-R031"}
    assert counts["SEN2-R026"] == 1              # one note per spelling, not per element
    notes = " ".join(_messages(result, "SEN2-R026"))
    assert "20,000 times" in notes


# --- the evidence's year differences (issue 12; ../shared/data/sen2-external README) ----------
def test_h_request_needs_no_received_date_rya_or_mediation(tmp_path):
    h = chain(set_text("Requests/RequestOutcome", "H", person=p2), remove("Requests/ReceivedDate", person=p2),
              remove("Requests/RYA", person=p2), remove("Requests/RequestMediation", person=p2),
              remove("Requests/RequestTribunal", person=p2), remove("Requests/RequestOutcomeDate", person=p2))
    assert errors(check(tmp_path, h)) == set()
    assert errors(check(tmp_path, h, name="HF_SEN2_2026.xml", year=2026)) == set()  # RequestSource too? no:
    no_source = remove("Requests/RequestSource", person=p2)
    assert errors(check(tmp_path, chain(h, no_source), name="HF_SEN2_2026.xml", year=2026)) == set()


@pytest.mark.parametrize("outcome", ["A", "W"])
def test_request_a_or_w_needs_nothing_further(tmp_path, outcome):
    mutate = chain(set_text("Requests/RequestOutcome", outcome, person=p2),
                   remove("Requests/RequestOutcomeDate", person=p2),
                   remove("Requests/RequestMediation", person=p2), remove("Requests/RequestTribunal", person=p2))
    assert errors(check(tmp_path, mutate)) == set()


@pytest.mark.parametrize("outcome", ["A", "W"])
def test_assessment_a_or_w_needs_nothing_further(tmp_path, outcome):
    mutate = chain(remove(AP), remove(NP), set_text(f"{A}/AssessmentOutcome", outcome),
                   remove(f"{A}/AssessmentOutcomeDate"),
                   *(remove(f"{A}/{item}") for item in ("AssessmentMediation", "AssessmentTribunal",
                                                         "OtherMediation", "OtherTribunal", "Week20")))
    assert errors(check(tmp_path, mutate)) == set()
    # but after Y they are required
    assert errors(check(tmp_path, remove(f"{A}/Week20"))) == {"SEN2-R020"}


def test_request_source_absent_2024_voluntary_2025_required_2026(tmp_path):
    result = check(tmp_path, add("Requests", "RequestSource", "1", person=p2))
    assert errors(result) == {"SEN2-R028"}
    assert "belongs in Requests in 2025 on" in _messages(result, "SEN2-R028")[0]
    drop = remove("Requests/RequestSource", person=p2)
    assert errors(check(tmp_path, drop, name="HF_SEN2_2025.xml", year=2025)) == set()
    assert errors(check(tmp_path, drop, name="HF_SEN2_2026.xml", year=2026)) == {"SEN2-R020"}


def test_2023_shape_attendance_pattern_and_res_under_active_plans(tmp_path):
    shape_2023 = chain(add(PD, "AttendancePattern", "FT"), add(AP, "Res", "A"), add(AP, "WBP", "S"))
    result = check(tmp_path, shape_2023, name="HF_SEN2_2023.xml", year=2023)
    assert errors(result) - {"SEN2-R053"} == set(), [f.message for f in result.findings]
    result = check(tmp_path, shape_2023)   # the same in a 2024 return: three items out of place
    assert errors(result) == {"SEN2-R028"}
    messages = " ".join(_messages(result, "SEN2-R028"))
    assert "<AttendancePattern> is not part of PlacementDetail in a 2024 return; it belongs in " \
           "PlacementDetail in 2023" in messages
    assert "<Res> is not part of ActivePlans in a 2024 return; it belongs in ActivePlans in 2023 " \
           "and in PlacementDetail in 2024 on" in messages


def test_review_and_phase_transfer_items_by_year(tmp_path):
    items = chain(add(AP, "ReviewMeeting", "2023-11-01"), add(AP, "ReviewOutcome", "A"),
                  add(AP, "ReviewDraft", "2023-11-20"), add(AP, "PhaseTransferDueDate", "2024-02-15"),
                  add(AP, "PhaseTransferFinalDate", "2024-02-10"))
    for year in (2025, 2026):
        result = check(tmp_path, items, name=f"HF_SEN2_{year}.xml", year=year)
        assert errors(result) == set(), [f.message for f in result.findings]
    assert errors(check(tmp_path, items)) == {"SEN2-R028"}     # 2024: not yet items
    no_draft = chain(add(AP, "ReviewMeeting", "2023-11-01"), add(AP, "ReviewOutcome", "A"))
    # an amend decision with no draft yet: late, or its date missing; a query, not an error
    late = check(tmp_path, no_draft, name="HF_SEN2_2026.xml", year=2026)
    assert errors(late) == set() and "SEN2-R069" in late.rules_with("query")
    voluntary = check(tmp_path, no_draft, name="HF_SEN2_2025.xml", year=2025)
    assert errors(voluntary) == set() and "SEN2-R069" not in voluntary.rules_with("query")


def test_r067_final_date_without_due_date(tmp_path):
    result = check(tmp_path, add(AP, "PhaseTransferFinalDate", "2024-02-10"), name="HF_SEN2_2025.xml",
                   year=2025)
    assert errors(result) == {"SEN2-R067"}


def test_r068_phase_transfer_due_and_not_final(tmp_path):
    result = check(tmp_path, add(AP, "PhaseTransferDueDate", "2025-02-15"), name="HF_SEN2_2026.xml",
                   year=2026)
    assert errors(result) == set() and "SEN2-R068" in result.rules_with("query")


def test_school_census_extended_ethnicity_codes(tmp_path):
    for code in ("WSCO", "AKPA", "WENG", "BBRI"):
        assert errors(check(tmp_path, set_text("Ethnicity", code))) == set(), code
    assert errors(check(tmp_path, set_text("Ethnicity", "ZZZZ"))) == {"SEN2-R021"}


@pytest.mark.parametrize("item", ["DMO", "DCO"])
def test_header_confirmations_are_y_n_or_r(tmp_path, item):
    def mutate(root):
        first(root, f"Header/Source/{item}").text = "X"
    assert errors(check(tmp_path, mutate)) == {"SEN2-R021"}


def test_sex_u_policy(tmp_path, monkeypatch):
    from foundation.settings import get_settings
    assert "SEN2-R036" in check(tmp_path, set_text("Sex", "U")).rules_with("query")
    for policy, expected in (("accept", set()), ("reject", {"SEN2-R021"})):
        monkeypatch.setenv("SENDWH_SEN2_SEX_U", policy)
        get_settings.cache_clear()
        try:
            result = check(tmp_path, set_text("Sex", "U"))
            assert errors(result) == expected and "SEN2-R036" not in result.rules_with()
        finally:
            monkeypatch.delenv("SENDWH_SEN2_SEX_U")
            get_settings.cache_clear()


def test_every_rule_says_where_it_comes_from():
    assert all(r.source and (r.source.startswith(("guide", "evidence", "ours"))) for r in RULES.values())


def test_the_rule_catalogue_lists_every_rule_with_its_source():
    import csv
    import io

    from sendwh.cli import app

    result = CliRunner().invoke(app, ["sen2", "rules", "--format", "csv"])
    assert result.exit_code == 0, result.output
    rows = {row["id"]: row for row in csv.DictReader(io.StringIO(result.output))}
    assert set(rows) == set(RULES)
    assert all(row["source"] for row in rows.values())
    assert rows["SEN2-R069"]["severity"] == "query" and "5.4d" in rows["SEN2-R069"]["source"]
    assert rows["SEN2-R064"]["source"].startswith("guide 4.7")
