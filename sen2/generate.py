"""`sendwh sen2 generate`: a borough's SEN2 return for a census year, from the warehouse.

What goes in (sen2-spec.md): every person with a plan active at the census date; every
request received, decided or assessed in the previous calendar year, every plan issued or
ceased in it; and work still open at the census date. Outcomes are as they stood on the
census date (a decision dated after it is still awaited, 'A'); decisions from before the
collection year are historical ('H'). Plans from statement transfers, which have no request
in the case systems, are written under a historical request dated at the plan's start.

The selection and the recoding are SQL over the person-level model (intermediate and pii
schemas); this module only streams the XML (lxml's incremental writer, one person at a time)
and validates the file it wrote.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, Iterator

from lxml import etree

from foundation.settings import get_settings
from foundation.database import connect
from foundation.reference import sen2_item

log = logging.getLogger(__name__)

SOFTWARE_CODE = "sendwh"
RELEASE = "0.1.0"

# Requests in the return, recoded as at the census date. Parameters: borough, source,
# period start, period end, census date.
REQUESTS_SQL = """
with
requests as (
    select * from intermediate.int_requests where borough = %(borough)s and source = %(source)s
),
plans as (
    select * from intermediate.int_plans where borough = %(borough)s and source = %(source)s
),
active as (
    select plan_key, person_key from intermediate.int_plans_at_census
    where borough = %(borough)s and census_year = %(year)s
),
plan_requests as (
    -- plans without a request (statement transfers, plans from earlier systems)
    select
        md5(plans.plan_key || ':request') as request_key, plans.person_key,
        plans.start_on as received_on, null::text as request_source, false as is_young_person_request,
        'H' as request_outcome, null::date as request_outcome_on,
        false as has_request_mediation, false as has_request_tribunal,
        'H' as assessment_outcome, null::date as assessment_outcome_on,
        false as has_week20_exception, false as has_assessment_mediation,
        false as has_assessment_tribunal,
        plans.plan_key
    from plans where plans.request_key is null
),
requests_with_plans as (
    select requests.request_key, requests.person_key, requests.received_on,
           requests.request_source, requests.is_young_person_request, requests.request_outcome,
           requests.request_outcome_on, requests.has_request_mediation,
           requests.has_request_tribunal, requests.assessment_outcome,
           requests.assessment_outcome_on, requests.has_week20_exception,
           requests.has_assessment_mediation, requests.has_assessment_tribunal, plans.plan_key
    from requests
    left join plans on plans.request_key = requests.request_key
    union all
    select * from plan_requests
),
with_plans as (
    select requests_with_plans.*, plans.start_on, plans.cease_on, plans.cease_reason,
           plans.has_personal_budget, active.plan_key is not null as is_active
    from requests_with_plans
    left join plans using (plan_key)
    left join active using (plan_key)
),
as_at_census as (
    select
        *,
        -- a decision is what it was on the census date
        case when request_outcome in ('Y', 'N', 'W') and request_outcome_on > %(census)s then 'A'
             when request_outcome in ('Y', 'N') and request_outcome_on < %(period_start)s then 'H'
             else request_outcome end as outcome_at_census,
        case when assessment_outcome in ('Y', 'N', 'W') and assessment_outcome_on > %(census)s then 'A'
             when assessment_outcome in ('Y', 'N') and assessment_outcome_on < %(period_start)s then 'H'
             else assessment_outcome end as assessment_at_census
    from with_plans
    where received_on <= %(census)s
),
selected as (
    select * from as_at_census
    where received_on between %(period_start)s and %(period_end)s
        or request_outcome_on between %(period_start)s and %(period_end)s
        or assessment_outcome_on between %(period_start)s and %(period_end)s
        or start_on between %(period_start)s and %(period_end)s
        or cease_on between %(period_start)s and %(period_end)s
        or is_active
        or outcome_at_census = 'A'
        or (request_outcome in ('Y', 'H') and outcome_at_census <> 'A'
            and coalesce(assessment_at_census, 'A') = 'A')
)
select * from selected
order by person_key, received_on, request_key
"""

PERSONS_SQL = """
select person_key, surname, forename, birth_on, sex, ethnicity, postcode, upn, uln, upn_unknown
from pii.persons where borough = %(borough)s and person_key = any(%(keys)s)
"""

PLACEMENTS_SQL = """
select plan_key, urn, ukprn, sen_setting, placement_rank, entry_on, leaving_on
from intermediate.int_placements
where borough = %(borough)s and source = %(source)s and plan_key = any(%(keys)s)
order by plan_key, placement_rank, entry_on
"""

NEEDS_SQL = """
select distinct on (person_key, need_rank) person_key, need_type, need_rank
from intermediate.int_needs
where borough = %(borough)s and source = %(source)s and person_key = any(%(keys)s)
order by person_key, need_rank, (recorded_on > %(census)s), recorded_on desc
"""

REVIEWS_SQL = """
select distinct on (plan_key) plan_key, review_on, review_outcome
from intermediate.int_reviews
where borough = %(borough)s and source = %(source)s and plan_key = any(%(keys)s)
    and review_on <= %(census)s
order by plan_key, review_on desc
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
    xf.write("\n")  # one item a line, so validation findings can name the line


def _gates_passed(conn) -> None:
    """A return goes to DfE only from data that passed the quality gates: the intermediate
    tables it reads are rebuilt before the gates run, so after a blocked run they hold data
    that failed its checks."""
    last = conn.execute("select run_id, status from audit.dq_runs where status <> 'running' "
                        "order by started_at desc limit 1").fetchone()
    if last and last[1] == "blocked":
        raise GenerateError(
            f"the last quality-gate run ({last[0]}) blocked publishing, so the warehouse holds "
            "data that failed its checks: fix the sources and run `sendwh build` again "
            "(failures: audit.dq_scorecard)")


def _context(conn, borough: str, year: int) -> dict[str, Any]:
    _gates_passed(conn)
    row = conn.execute("select census_date from staging.census_dates where return_year = %s",
                       (year,)).fetchone()
    if not row:
        raise GenerateError(f"no census date for {year} in the census_dates seed")
    coverage = conn.execute(
        "select census_source, activity_source from intermediate.int_borough_coverage "
        "where borough = %s and year = %s", (borough, year)).fetchone()
    if not coverage or not coverage[0]:
        raise GenerateError(f"the warehouse has no data for {borough} at the {year} census: "
                            "load its case extract or SEN2 returns and run `sendwh build`")
    la = conn.execute("select la_number from raw.boroughs where borough = %s", (borough,)).fetchone()
    return {"borough": borough, "year": year, "census": row[0], "source": coverage[0],
            "period_start": date(year - 1, 1, 1), "period_end": date(year - 1, 12, 31),
            "lea": la[0] if la else None}


def _lookup(conn, sql: str, params: dict[str, Any], key: str) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    with conn.cursor() as cur:
        cur.execute(sql, params)
        names = [c.name for c in cur.description]
        for values in cur:
            row = dict(zip(names, values))
            out.setdefault(row[key], []).append(row)
    return out


def _requests_by_person(conn, ctx: dict[str, Any]) -> Iterator[tuple[str, list[dict]]]:
    # A cursor is planned for its first rows by default, which picks nested loops here;
    # the whole result is wanted, so plan for all of it.
    conn.execute("set cursor_tuple_fraction = 1.0")
    with conn.cursor(name="sen2_requests") as cur:  # server-side cursor: flat memory
        cur.execute(REQUESTS_SQL, ctx)
        names = [c.name for c in cur.description]
        current, batch = None, []
        for values in cur:
            row = dict(zip(names, values))
            if row["person_key"] != current and batch:
                yield current, batch
                batch = []
            current = row["person_key"]
            batch.append(row)
        if batch:
            yield current, batch


def generate(borough: str, year: int, out_dir: Path, chunk: int = 2000) -> GeneratedReturn:
    from sen2.validator import validate_file

    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{borough}_SEN2_{year}.xml"
    persons = requests = 0
    with connect() as conn, connect() as reader:
        ctx = _context(conn, borough, year)
        with etree.xmlfile(str(path), encoding="UTF-8") as xf:
            xf.write_declaration()
            with xf.element("Message"):
                _header(xf, ctx)
                with xf.element("Persons"):
                    pending: list[tuple[str, list[dict]]] = []
                    for item in _requests_by_person(reader, ctx):
                        pending.append(item)
                        if len(pending) >= chunk:
                            persons, requests = _write_people(conn, xf, ctx, pending, persons, requests)
                            pending = []
                    persons, requests = _write_people(conn, xf, ctx, pending, persons, requests)
    result = validate_file(path, year=year, lea=ctx["lea"])
    return GeneratedReturn(path, borough, year, persons, requests, result.errors, result.queries,
                           result.findings)


def generate_with_reports(borough: str, year: int, out_dir: Path) -> tuple[GeneratedReturn, list[Path]]:
    """The return plus its validation report (HTML and CSV, grouped by rule) beside it."""
    from sen2.report import render
    from sen2.validator import FileResult

    made = generate(borough, year, out_dir)
    result = FileResult(str(made.path), made.findings, made.persons, made.year)
    reports = []
    for fmt in ("html", "csv"):
        report = made.path.with_suffix(f".report.{fmt}")
        report.write_text(render([result], fmt), encoding="utf-8")
        reports.append(report)
    return made, reports


def _header(xf, ctx: dict[str, Any]) -> None:
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
            _leaf(xf, "SerialNo", 1)
            _leaf(xf, "DateTime", datetime.now().replace(microsecond=0).isoformat())
            settings = get_settings()
            _leaf(xf, "DMO", settings.sen2_dmo)
            _leaf(xf, "DCO", settings.sen2_dco)
            if sen2_item("DSCO").in_year(ctx["year"]):
                _leaf(xf, "DSCO", settings.sen2_dsco)


def _write_people(conn, xf, ctx, people, persons: int, requests: int) -> tuple[int, int]:
    if not people:
        return persons, requests
    keys = [key for key, _ in people]
    plan_keys = [r["plan_key"] for _, rows in people for r in rows if r["plan_key"]]
    who = _lookup(conn, PERSONS_SQL, {**ctx, "keys": keys}, "person_key")
    placements = _lookup(conn, PLACEMENTS_SQL, {**ctx, "keys": plan_keys}, "plan_key")
    needs = _lookup(conn, NEEDS_SQL, {**ctx, "keys": keys}, "person_key")
    reviews = _lookup(conn, REVIEWS_SQL, {**ctx, "keys": plan_keys}, "plan_key")
    for key, rows in people:
        [person] = who.get(key, [None])
        if person is None:
            continue
        persons += 1
        with xf.element("Person"):
            _leaf(xf, "Surname", person["surname"])
            _leaf(xf, "Forename", person["forename"])
            _leaf(xf, "PersonBirthDate", _d(person["birth_on"]))
            _leaf(xf, "Sex", person["sex"])
            _leaf(xf, "Ethnicity", person["ethnicity"])
            _leaf(xf, "PostCode", person["postcode"])
            _leaf(xf, "UPN", person["upn"])
            _leaf(xf, "UniqueLearnerNumber", person["uln"])
            if not person["upn"] and not person["uln"]:
                _leaf(xf, "UPNunknown", person["upn_unknown"] or "UN8")
            for row in rows:
                requests += 1
                _write_request(xf, ctx, row, placements.get(row["plan_key"], []),
                               needs.get(key, []), (reviews.get(row["plan_key"]) or [None])[0])
    return persons, requests


def _write_request(xf, ctx, r: dict, placements: list[dict], needs: list[dict],
                   review: dict | None) -> None:
    census = ctx["census"]
    outcome, assessment = r["outcome_at_census"], r["assessment_at_census"]
    with xf.element("Requests"):
        _leaf(xf, "ReceivedDate", _d(r["received_on"]))
        _leaf(xf, "RequestSource", r["request_source"] or "5")
        _leaf(xf, "RYA", _yn(r["is_young_person_request"]))
        if outcome in ("Y", "N"):
            _leaf(xf, "RequestOutcomeDate", _d(r["request_outcome_on"]))
        _leaf(xf, "RequestOutcome", outcome)
        _leaf(xf, "RequestMediation", _yn(r["has_request_mediation"]))
        _leaf(xf, "RequestTribunal", _yn(r["has_request_tribunal"]))
        if outcome not in ("Y", "H") or assessment is None:
            return
        with xf.element("Assessment"):
            _leaf(xf, "AssessmentOutcome", assessment)
            if assessment in ("Y", "N"):
                _leaf(xf, "AssessmentOutcomeDate", _d(r["assessment_outcome_on"]))
            _leaf(xf, "AssessmentMediation", _yn(r["has_assessment_mediation"]))
            _leaf(xf, "AssessmentTribunal", _yn(r["has_assessment_tribunal"]))
            _leaf(xf, "OtherMediation", "0")
            _leaf(xf, "OtherTribunal", "0")
            _leaf(xf, "Week20", _yn(r["has_week20_exception"]))
            if assessment in ("Y", "H") and r["plan_key"] and r["start_on"] and r["start_on"] <= census:
                ceased = r["cease_on"] is not None and r["cease_on"] <= census
                at_start = [p for p in placements if p["entry_on"] is None or p["entry_on"] <= r["start_on"]] \
                    or placements[:1]
                with xf.element("NamedPlan"):
                    _leaf(xf, "StartDate", _d(r["start_on"]))
                    for rank, p in enumerate(_one_per_rank(at_start) or [None], start=1):
                        with xf.element("PlanDetail"):
                            _placement_place(xf, p)
                            _leaf(xf, "PlacementRank", p["placement_rank"] if p else rank)
                            _leaf(xf, "SENUnitIndicator", "0")
                            _leaf(xf, "ResourcedProvisionIndicator", "0")
                    _leaf(xf, "PB", _yn(r["has_personal_budget"]))
                    _leaf(xf, "OA", "0")
                    if ceased:
                        _leaf(xf, "CeaseDate", _d(r["cease_on"]))
                        _leaf(xf, "CeaseReason", r["cease_reason"])
        if r["is_active"]:
            current = [p for p in placements
                       if (p["entry_on"] is None or p["entry_on"] <= census)
                       and (p["leaving_on"] is None or p["leaving_on"] > census)]
            with xf.element("ActivePlans"):
                for p in _one_per_rank(current or placements[-1:]) or [None]:
                    with xf.element("PlacementDetail"):
                        _placement_place(xf, p)
                        _leaf(xf, "PlacementRank", p["placement_rank"] if p else 1)
                        _leaf(xf, "EntryDate", _d(p["entry_on"] if p else r["start_on"]))
                        _leaf(xf, "SENUnitIndicator", "0")
                        _leaf(xf, "ResourcedProvisionIndicator", "0")
                for need in sorted(needs, key=lambda n: n["need_rank"])[:2]:
                    with xf.element("SENneed"):
                        _leaf(xf, "SENtype", need["need_type"])
                        _leaf(xf, "SENtypeRank", need["need_rank"])
                if review:
                    _leaf(xf, "ReviewMeeting", _d(review["review_on"]))
                    _leaf(xf, "ReviewOutcome", review["review_outcome"])
                    _leaf(xf, "LastReview", _d(review["review_on"]))


def _one_per_rank(placements: list[dict]) -> list[dict]:
    """The latest placement of each rank (a return names one rank-1 placement)."""
    best: dict[int, dict] = {}
    for p in placements:
        rank = int(p["placement_rank"] or 1)
        if rank not in best or (p["entry_on"] or date.min) >= (best[rank]["entry_on"] or date.min):
            best[rank] = p
    return [best[k] for k in sorted(best)]


def _placement_place(xf, p: dict | None) -> None:
    if p and p["urn"]:
        _leaf(xf, "URN", p["urn"])
    elif p and p["ukprn"]:
        _leaf(xf, "UKPRN", p["ukprn"])
    else:
        _leaf(xf, "SENSetting", (p or {}).get("sen_setting") or "OTH")
