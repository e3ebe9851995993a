"""`sendwh sen2 generate`: a borough's SEN2 return for a census year, from the warehouse.

What goes in (sen2-spec.md) is decided by the dbt models of the return
(dbt_project/models/restricted/sen2_return/): every person with a plan active at the census
date; every request received, decided or assessed in the previous calendar year, every plan
issued or ceased in it; and work still open at the census date, with outcomes as they stood on
the census date. They are built in `restricted_build` and published to `restricted` with the
marts once the quality gates pass, so a return is always made from data that passed its
checks (after a blocked run, from the last published data). Before reading, the generator
checks that `restricted` is what a completed gate run published (foundation/published.py)
and refuses otherwise (NotPublished); the return's result names that gate run.

This module only streams those rows into XML (lxml's incremental writer, one person at a
time; every model is read through a server-side cursor in person order, so memory stays
flat) and validates the file it wrote. Each Person (and the Header) is built with every item
the rows have, then put into the collection year's shape by its profile (sen2.shape): that
year's items only, in the evidence's order and spelling (GenderCurrent in 2023, RequestSource
and DSCO from 2025, SENunitIndicator).

ReviewDraft, PhaseTransferDueDate and PhaseTransferFinalDate (voluntary 2025, mandatory 2026)
come from the case extracts' annual reviews and phase transfers (int_reviews,
int_return_phase_transfers), or from what a loaded return said.
"""
from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import psycopg
from lxml import etree
from psycopg.rows import dict_row

from foundation.database import connect
from foundation.private_files import private_path, write_private_text
from foundation.published import published_run
from foundation.reference import gender_current_sex
from foundation.roles import may_read_borough
from foundation.settings import get_settings
from sen2.report import render
from sen2.shape import shape
from sen2.validator import FileResult, validate_file

log = logging.getLogger(__name__)

SOFTWARE_CODE = "sendwh"
RELEASE = "0.1.0"
SCHEMA = "restricted"   # published with the marts (expectations/publish.py)

# Each model's rows for one borough and collection year, in person order (the order the
# Persons are written in). Parameters: borough, collection year.
HEADER_SQL = f"""
select census_date, la_number from {SCHEMA}.sen2_return_headers
where borough = %s and collection_year = %s
"""

PERSONS_SQL = f"""
select person_key, surname, forename, birth_on, sex, ethnicity, postcode, upn, uln, upn_unknown
from {SCHEMA}.sen2_return_persons
where borough = %s and collection_year = %s
order by person_key
"""

REQUESTS_SQL = f"""
select person_key, request_key, plan_key, received_on, request_source, is_young_person_request,
       request_outcome_on, request_outcome, has_request_mediation, has_request_tribunal,
       assessment_outcome, assessment_outcome_on, has_assessment_mediation,
       has_assessment_tribunal, has_week20_exception, named_plan_start_on, has_personal_budget,
       cease_on, cease_reason, has_active_plan, review_on, review_outcome, review_draft_on,
       phase_transfer_due_on, phase_transfer_final_on
from {SCHEMA}.sen2_return_requests
where borough = %s and collection_year = %s
order by person_key, received_on, request_key, plan_key
"""

PLACEMENTS_SQL = f"""
select person_key, request_key, plan_key, detail, urn, ukprn, sen_setting, placement_rank, entry_on
from {SCHEMA}.sen2_return_placements
where borough = %s and collection_year = %s
order by person_key, request_key, plan_key, detail, rank_slot
"""

NEEDS_SQL = f"""
select person_key, need_type, need_rank
from {SCHEMA}.sen2_return_needs
where borough = %s and collection_year = %s
order by person_key, need_rank
"""


@dataclass
class GeneratedReturn:
    path: Path
    borough: str
    year: int
    persons: int
    requests: int
    errors: int
    queries: int
    findings: list[Any]
    published_from: str = ""     # the gate run the data came from (foundation/published.py)


class GenerateError(Exception):
    """The warehouse cannot produce this return (usage error: exit 2)."""


def _yn(value: Any) -> str:
    return "1" if value else "0"


def _d(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _leaf(xf, name: str, value: Any) -> None:
    if value is None or value == "":
        return
    element = etree.Element(name)
    element.text = str(value)
    xf.write(element)


class _Tree:
    """The writer's interface (element(), write()) building an element tree, so a Person can
    be put into its year's shape before it is streamed out."""

    def __init__(self, tag: str) -> None:
        self.root = etree.Element(tag)
        self._stack = [self.root]

    @contextmanager
    def element(self, tag: str):
        child = etree.SubElement(self._stack[-1], tag)
        self._stack.append(child)
        try:
            yield child
        finally:
            self._stack.pop()

    def write(self, element) -> None:
        if not isinstance(element, str):
            self._stack[-1].append(element)


def _lines(element: etree._Element) -> etree._Element:
    """One item a line, so validation findings can name the line."""
    for el in element.iter():
        el.tail = "\n"
        if len(el):
            el.text = "\n"
    return element


# Sex -> 2023's GenderCurrent code (the first code read as that sex: U -> 0, not known)
GENDER_CURRENT = {sex: code for code, sex in sorted(gender_current_sex().items(), reverse=True)}


def _context(conn, borough: str, year: int) -> dict[str, Any]:
    try:
        row = conn.execute(HEADER_SQL, (borough, year)).fetchone()
    except psycopg.errors.UndefinedTable as err:
        raise GenerateError("the warehouse has no published SEN2 return rows yet: load the "
                            "sources and run `sendwh build`") from err
    if not row:
        raise GenerateError(f"the warehouse has no data for {borough} at the {year} census (its "
                            "date must be in the census_dates seed, and a case extract or SEN2 "
                            "return must cover it): load its sources and run `sendwh build`")
    census, lea = row
    return {"borough": borough, "year": year, "census": census, "lea": lea}


class _PersonRows:
    """One model's rows for a return, read through a server-side cursor in person order:
    `take(person_key)` returns that person's rows (every model's persons are among the
    persons model's, in the same order)."""

    def __init__(self, conn, name: str, query: str, params: tuple) -> None:
        self._cursor = conn.cursor(name=name, row_factory=dict_row)
        self._cursor.itersize = 2000
        self._rows = iter(self._cursor.execute(query, params))
        self._next = next(self._rows, None)

    @property
    def next_person(self) -> str | None:
        return self._next["person_key"] if self._next is not None else None

    def take(self, person_key: str) -> list[dict]:
        rows = []
        while self._next is not None and self._next["person_key"] == person_key:
            rows.append(self._next)
            self._next = next(self._rows, None)
        return rows

    def close(self) -> None:
        if self._next is not None:   # a row of a person not in the return: models out of step
            raise RuntimeError(f"SEN2 return rows out of person order at {self._next['person_key']}")
        self._cursor.close()


def _people(conn, ctx: dict[str, Any]) -> Iterator[tuple[dict, list[dict], list[dict], list[dict]]]:
    """(person, requests, placements, needs) for each person of the return, in order."""
    # A cursor is planned for its first rows by default; the whole result is wanted.
    conn.execute("set cursor_tuple_fraction = 1.0")
    params = (ctx["borough"], ctx["year"])
    persons = _PersonRows(conn, "sen2_persons", PERSONS_SQL, params)
    streams = [_PersonRows(conn, f"sen2_{name}", query, params) for name, query in
               (("requests", REQUESTS_SQL), ("placements", PLACEMENTS_SQL), ("needs", NEEDS_SQL))]
    while persons.next_person is not None:
        [person] = persons.take(persons.next_person)
        yield (person, *(stream.take(person["person_key"]) for stream in streams))
    for stream in (persons, *streams):
        stream.close()


def generate(borough: str, year: int, out_dir: Path) -> GeneratedReturn:
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{borough}_SEN2_{year}.xml"
    persons = requests = 0
    with connect() as conn:
        if not may_read_borough(conn, borough):
            raise GenerateError(f"permission denied: {conn.info.user} may not make {borough}'s SEN2 "
                                f"return (only {borough}'s SEN2 officer role or the engineer role may)")
        source = published_run(conn)     # NotPublished: not from a completed gate run
        ctx = _context(conn, borough, year)
        conn.execute("insert into audit.pipeline_steps (step, detail) values ('sen2 generate', %s)",
                     (f"{borough} {year}",))
        with etree.xmlfile(str(private_path(path)), encoding="UTF-8") as xf:
            xf.write_declaration()
            with xf.element("Message"):
                _header(xf, ctx)
                with xf.element("Persons"):
                    for person, rows, placements, needs in _people(conn, ctx):
                        persons += 1
                        requests += len(rows)
                        tree = _Tree("Persons")
                        _write_person(tree, person, rows, placements, needs)
                        xf.write(_lines(shape(tree.root[0], year)))
    result = validate_file(path, year=year, lea=ctx["lea"])
    return GeneratedReturn(path, borough, year, persons, requests, result.errors, result.queries,
                           result.findings, source.describe())


def generate_with_reports(borough: str, year: int, out_dir: Path) -> tuple[GeneratedReturn, list[Path]]:
    """The return plus its validation report (HTML and CSV, grouped by rule) beside it."""
    made = generate(borough, year, out_dir)
    result = FileResult(str(made.path), made.findings, made.persons, made.year)
    reports = []
    for fmt in ("html", "csv"):
        report = made.path.with_suffix(f".report.{fmt}")
        write_private_text(report, render([result], fmt))   # names persons by UPN
        reports.append(report)
    return made, reports


def _header(xf, ctx: dict[str, Any]) -> None:
    tree = _Tree("Message")
    _header_items(tree, ctx)
    xf.write(_lines(shape(tree.root[0], ctx["year"])))


def _header_items(xf, ctx: dict[str, Any]) -> None:
    with xf.element("Header"):
        with xf.element("CollectionDetails"):
            _leaf(xf, "Collection", "SEN2")
            _leaf(xf, "Year", ctx["year"])
            _leaf(xf, "ReferenceDate", _d(ctx["census"]))
        with xf.element("Source"):
            _leaf(xf, "SourceLevel", "L")
            _leaf(xf, "LEA", ctx["lea"])
            _leaf(xf, "SoftwareCode", SOFTWARE_CODE)
            _leaf(xf, "Release", RELEASE)
            _leaf(xf, "SerialNo", "001")
            _leaf(xf, "DateTime", datetime.now().replace(microsecond=0).isoformat())
            settings = get_settings()
            _leaf(xf, "DMO", settings.sen2_dmo)
            _leaf(xf, "DCO", settings.sen2_dco)
            _leaf(xf, "DSCO", settings.sen2_dsco)       # kept from the year it is an item


def _write_person(xf, person: dict, rows: list[dict], placements: list[dict],
                  needs: list[dict]) -> None:
    details: dict[tuple, list[dict]] = {}
    for p in placements:
        details.setdefault((p["request_key"], p["plan_key"], p["detail"]), []).append(p)
    with xf.element("Person"):
        _leaf(xf, "Surname", person["surname"])
        _leaf(xf, "Forename", person["forename"])
        _leaf(xf, "PersonBirthDate", _d(person["birth_on"]))
        _leaf(xf, "Sex", person["sex"])
        _leaf(xf, "GenderCurrent", GENDER_CURRENT.get(person["sex"], GENDER_CURRENT["U"]))
        _leaf(xf, "Ethnicity", person["ethnicity"])
        _leaf(xf, "PostCode", person["postcode"])
        _leaf(xf, "UPN", person["upn"])
        _leaf(xf, "UniqueLearnerNumber", person["uln"])
        _leaf(xf, "UPNunknown", person["upn_unknown"])
        for r in rows:
            key = (r["request_key"], r["plan_key"])
            _write_request(xf, r, details.get((*key, "PlanDetail"), []),
                           details.get((*key, "PlacementDetail"), []), needs)


def _write_request(xf, r: dict, plan_details: list[dict], placement_details: list[dict],
                   needs: list[dict]) -> None:
    with xf.element("Requests"):
        _leaf(xf, "ReceivedDate", _d(r["received_on"]))
        _leaf(xf, "RequestSource", r["request_source"])
        _leaf(xf, "RYA", _yn(r["is_young_person_request"]))
        _leaf(xf, "RequestOutcomeDate", _d(r["request_outcome_on"]))
        _leaf(xf, "RequestOutcome", r["request_outcome"])
        _leaf(xf, "RequestMediation", _yn(r["has_request_mediation"]))
        _leaf(xf, "RequestTribunal", _yn(r["has_request_tribunal"]))
        if r["assessment_outcome"] is None:
            return
        with xf.element("Assessment"):
            _leaf(xf, "AssessmentOutcome", r["assessment_outcome"])
            _leaf(xf, "AssessmentOutcomeDate", _d(r["assessment_outcome_on"]))
            _leaf(xf, "AssessmentMediation", _yn(r["has_assessment_mediation"]))
            _leaf(xf, "AssessmentTribunal", _yn(r["has_assessment_tribunal"]))
            _leaf(xf, "OtherMediation", "0")
            _leaf(xf, "OtherTribunal", "0")
            _leaf(xf, "Week20", _yn(r["has_week20_exception"]))
            if r["named_plan_start_on"] is not None:
                with xf.element("NamedPlan"):
                    _leaf(xf, "StartDate", _d(r["named_plan_start_on"]))
                    for p in plan_details:
                        _write_placement(xf, "PlanDetail", p)
                    _leaf(xf, "PB", _yn(r["has_personal_budget"]))
                    _leaf(xf, "OA", "0")
                    _leaf(xf, "CeaseDate", _d(r["cease_on"]))
                    _leaf(xf, "CeaseReason", r["cease_reason"])
        if r["has_active_plan"]:
            with xf.element("ActivePlans"):
                for p in placement_details:
                    _write_placement(xf, "PlacementDetail", p)
                for need in needs:
                    with xf.element("SENneed"):
                        _leaf(xf, "SENtype", need["need_type"])
                        _leaf(xf, "SENtypeRank", need["need_rank"])
                _leaf(xf, "ReviewMeeting", _d(r["review_on"]))
                _leaf(xf, "ReviewOutcome", r["review_outcome"])
                _leaf(xf, "LastReview", _d(r["review_on"]))
                _leaf(xf, "ReviewDraft", _d(r["review_draft_on"]))
                _leaf(xf, "PhaseTransferDueDate", _d(r["phase_transfer_due_on"]))
                _leaf(xf, "PhaseTransferFinalDate", _d(r["phase_transfer_final_on"]))


def _write_placement(xf, element: str, p: dict) -> None:
    with xf.element(element):
        _leaf(xf, "URN", p["urn"])
        _leaf(xf, "UKPRN", p["ukprn"])
        _leaf(xf, "SENSetting", p["sen_setting"])
        _leaf(xf, "PlacementRank", p["placement_rank"])
        _leaf(xf, "EntryDate", _d(p["entry_on"]))
        _leaf(xf, "SENunitIndicator", "0")
        _leaf(xf, "ResourcedProvisionIndicator", "0")
