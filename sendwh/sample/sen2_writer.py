"""Write SEN2 person-level XML returns (sen2-spec.md "XML shape"), one per year, streamed
with lxml.etree.xmlfile. The return describes the case data as it stood at the census
date: decisions and outcomes dated after the census are reported as A (awaiting).

Each Person is built with every item the population gives, whatever the year, then put into
the year's shape by its profile (sen2.shape): 2023's GenderCurrent, AttendancePattern and
Res/WBP under ActivePlans; RequestSource and DSCO from 2025; ReviewDraft and the phase-transfer
dates where the population has them. The items no case system here records are derived
deterministically from the population: AttendancePattern FT for a placement at a school or
college (URN or UKPRN); ReviewDraft a few days after a review that decided to amend; a phase
transfer for a child whose plan is active and who moved into secondary school or into post-16
in the collection period, due on the statutory deadline, finalised on time for most."""
from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from lxml import etree

from foundation.identifiers import make_upn
from foundation.reference import gender_current_sex, statutory
from sen2.shape import shape
from sen2.xsd import code_list_for_year

from . import calibration as cal
from .defects import Injector, corrupt_upn
from .population import BoroughData, Plan, Request

E = etree.Element
SE = etree.SubElement


def _iso(d: date) -> str:
    return d.isoformat()


def _b(v: bool) -> str:
    return "1" if v else "0"


def _text(parent, tag: str, value) -> None:
    SE(parent, tag).text = value


def _active(pl: Plan | None, c: date) -> bool:
    return pl is not None and pl.start <= c and (pl.cease_date is None or pl.cease_date > c)


LIMITS = statutory()
YEAR = [0]   # the year being written (write_sen2 sets it)


def settings_in(year: int) -> list[str]:
    return code_list_for_year("sen_setting", year)

# Sex -> 2023's GenderCurrent code (the first code read as that sex: U -> 0, not known)
GENDER_CURRENT = {sex: code for code, sex in sorted(gender_current_sex().items(), reverse=True)}
# age on 31 August at the start of the phase a child moves into: secondary, post-16
SECONDARY_AGE, POST16_AGE = 11, 16


def _age_on(birth: date, on: date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def _phase_transfer(pl: Plan, year: int, c: date) -> tuple[date, date | None] | None:
    """(due, final) for a child moving phase in September of the collection period (Y-1)."""
    age = _age_on(pl.person.birth, date(year - 1, 8, 31))
    deadline = {SECONDARY_AGE: LIMITS.phase_transfer_deadline,
                POST16_AGE: LIMITS.post16_transfer_deadline}.get(age)
    if deadline is None or pl.start > date(year - 2, 9, 1):
        return None
    due = LIMITS.deadline_on(deadline, year - 1)
    idx = pl.person.idx
    if idx % 10 == 1:
        return due, None                                   # still open
    final = due + timedelta(days=1 + idx % 40) if idx % 10 == 0 else due - timedelta(days=idx % 60)
    return due, (final if final <= c else None)


def _placement(parent, tag: str, x, with_entry: bool) -> None:
    el = SE(parent, tag)
    if x.urn:
        _text(el, "URN", x.urn)
    elif x.ukprn:
        _text(el, "UKPRN", x.ukprn)
    else:   # a setting the year's list does not have yet (NEET, NIEC, NIEO before 2024): OTH
        _text(el, "SENSetting", x.setting if x.setting in settings_in(YEAR[0]) else "OTH")
    _text(el, "PlacementRank", str(x.rank))
    if with_entry:
        _text(el, "EntryDate", _iso(x.entry))
        if x.urn or x.ukprn:
            _text(el, "AttendancePattern", "FT")
    _text(el, "SENunitIndicator", _b(x.sen_unit))
    _text(el, "ResourcedProvisionIndicator", _b(x.resourced))


def _named_plan(parent, pl: Plan, c: date, p0: date) -> None:
    np_ = SE(parent, "NamedPlan")
    _text(np_, "StartDate", _iso(pl.start))
    at_issue = [x for x in pl.placements
                if x.entry <= pl.start and (x.leaving is None or x.leaving >= pl.start)]
    for x in sorted(at_issue or pl.placements[:1], key=lambda x: x.rank):
        _placement(np_, "PlanDetail", x, False)
    if pl.res:
        _text(np_, "PlanRes", pl.res)
    if pl.wbp:
        _text(np_, "PlanWBP", pl.wbp)
    _text(np_, "PB", _b(pl.pb))
    _text(np_, "OA", _b(pl.oa))
    if pl.dp:
        _text(np_, "DP", pl.dp)
    if pl.cease_date is not None and p0 <= pl.cease_date <= c:
        _text(np_, "CeaseDate", _iso(pl.cease_date))
        _text(np_, "CeaseReason", pl.cease_reason)


def _active_plans(parent, pl: Plan, c: date, year: int) -> None:
    ap = SE(parent, "ActivePlans")
    now = [x for x in pl.placements if x.entry <= c and (x.leaving is None or x.leaving >= c)]
    if not any(x.rank == 1 for x in now):
        now = [x for x in pl.placements if x.rank == 1][-1:] + [x for x in now if x.rank != 1]
    for x in sorted(now, key=lambda x: x.rank):
        _placement(ap, "PlacementDetail", x, True)
    if pl.res:
        _text(ap, "Res", pl.res)
    if pl.wbp:
        _text(ap, "WBP", pl.wbp)
    for code, rank, _d in pl.person.needs:
        n = SE(ap, "SENneed")
        _text(n, "SENtype", code)
        _text(n, "SENtypeRank", str(rank))
    past = [r for r in pl.reviews if r.date <= c]
    if past:
        r = past[-1]
        _text(ap, "ReviewMeeting", _iso(r.date))
        _text(ap, "ReviewOutcome", r.outcome)
        _text(ap, "LastReview", _iso(r.date))
        draft = r.date + timedelta(days=7 + pl.person.idx % (LIMITS.review_decision_days - 7))
        if r.outcome == "A" and draft <= c:
            _text(ap, "ReviewDraft", _iso(draft))
    transfer = _phase_transfer(pl, year, c)
    if transfer is not None:
        _text(ap, "PhaseTransferDueDate", _iso(transfer[0]))
        if transfer[1] is not None:
            _text(ap, "PhaseTransferFinalDate", _iso(transfer[1]))


def _request(parent, r: Request, pl: Plan | None, c: date, p0: date, p1: date, year: int) -> None:
    req = SE(parent, "Requests")
    _text(req, "ReceivedDate", _iso(r.received))
    _text(req, "RequestSource", r.source)
    _text(req, "RYA", _b(r.rya))
    if r.decision_date is None or r.decision_date > c or r.outcome == "A":
        outcome, odate = "A", None
    else:
        outcome, odate = r.outcome, r.decision_date
        if outcome == "Y" and odate < p0:
            outcome = "H"
    if odate is not None:
        _text(req, "RequestOutcomeDate", _iso(odate))
    _text(req, "RequestOutcome", outcome)
    _text(req, "RequestMediation", _b(r.mediation))
    _text(req, "RequestTribunal", _b(r.tribunal))
    if outcome in ("Y", "H") and r.asm_outcome is not None:
        asm = SE(req, "Assessment")
        if r.asm_date is None or r.asm_date > c or r.asm_outcome == "A":
            aout, adate = "A", None
        else:
            aout, adate = r.asm_outcome, r.asm_date
            if adate < p0:
                aout = "H"
        _text(asm, "AssessmentOutcome", aout)
        if adate is not None:
            _text(asm, "AssessmentOutcomeDate", _iso(adate))
        _text(asm, "AssessmentMediation", _b(r.asm_mediation))
        _text(asm, "AssessmentTribunal", _b(r.asm_tribunal))
        _text(asm, "OtherMediation", "0")
        _text(asm, "OtherTribunal", "0")
        _text(asm, "Week20", _b(r.week20))
        if aout in ("Y", "H") and pl is not None:
            _named_plan(asm, pl, c, p0)
    if pl is not None and _active(pl, c):
        _active_plans(req, pl, c, year)


def _transfer_request(parent, pl: Plan, c: date, p0: date, year: int) -> None:
    t = pl.transfer
    req = SE(parent, "Requests")
    _text(req, "ReceivedDate", _iso(t.review_start))
    _text(req, "RequestSource", "2")
    _text(req, "RYA", "0")
    _text(req, "RequestOutcome", "H")
    _text(req, "RequestMediation", "0")
    _text(req, "RequestTribunal", "0")
    asm = SE(req, "Assessment")
    _text(asm, "AssessmentOutcome", "H")
    _text(asm, "AssessmentOutcomeDate", _iso(t.transfer_date))
    for tag in ("AssessmentMediation", "AssessmentTribunal", "OtherMediation", "OtherTribunal",
                "Week20"):
        _text(asm, tag, "0")
    _named_plan(asm, pl, c, p0)
    if _active(pl, c):
        _active_plans(req, pl, c, year)


def person_element(p, year: int) -> etree._Element | None:
    c = cal.census_date(year)
    p0, p1 = date(year - 1, 1, 1), date(year - 1, 12, 31)
    pl = p.plan
    plan_relevant = pl is not None and pl.start <= c and (
        _active(pl, c) or p0 <= pl.start or (pl.cease_date is not None and pl.cease_date >= p0))
    reqs = []
    for r in p.requests:
        if r.received > c:
            continue
        open_at_c = (r.outcome == "A" or r.decision_date is None or r.decision_date > c or
                     (r.outcome == "Y" and (r.asm_date is None or r.asm_date > c)
                      and r.asm_outcome is not None))
        if (p0 <= r.received <= p1 or open_at_c or (r.plan is not None and plan_relevant)
                or (r.decision_date and p0 <= r.decision_date <= p1)
                or (r.asm_date and p0 <= r.asm_date <= p1)):
            reqs.append(r)
    transfer_plan = plan_relevant and pl.request is None and pl.transfer is not None
    if not reqs and not transfer_plan:
        return None
    el = E("Person")
    _text(el, "Surname", p.surname)
    _text(el, "Forename", p.forename)
    _text(el, "PersonBirthDate", _iso(p.birth))
    _text(el, "Sex", p.sex)
    _text(el, "GenderCurrent", GENDER_CURRENT.get(p.sex, GENDER_CURRENT["U"]))
    _text(el, "Ethnicity", p.ethnicity)
    _text(el, "PostCode", p.postcode)
    if p.upn:
        _text(el, "UPN", p.upn)
    if p.uln:
        _text(el, "UniqueLearnerNumber", p.uln)
    if p.upn_unknown and not p.upn and not p.uln:
        _text(el, "UPNunknown", p.upn_unknown)
    if transfer_plan:
        _transfer_request(el, pl, c, p0, year)
    for r in reqs:
        _request(el, r, r.plan if (r.plan is not None and plan_relevant) else None, c, p0, p1, year)
    return shape(el, year)


def _person_defect(el, inj: Injector, position: int) -> int:
    """Maybe corrupt a person element; returns how many copies to write."""
    kinds = ["missing_upn", "invalid_upn", "unknown_code", "duplicate_row", "blank_mandatory"]
    dated = [r for r in el.findall("Requests") if r.find("RequestOutcomeDate") is not None]
    if dated:
        kinds.append("decision_before_request")
    kind = inj.draw(kinds)
    if kind is None:
        return 1
    if kind == "duplicate_row":
        inj.record(position + 1, "Person", kind)
        return 2
    if kind == "missing_upn":
        for tag in ("UPN", "UniqueLearnerNumber", "UPNunknown"):
            for x in el.findall(tag):
                el.remove(x)
        field = "UPN"
    elif kind == "invalid_upn":
        upn = el.find("UPN")
        if upn is None:
            upn = E("UPN")
            upn.text = make_upn("999", 1000, 10, position % 1000)
            el.insert(list(el).index(el.find("PostCode")) + 1, upn)
        upn.text = corrupt_upn(upn.text)
        field = "UPN"
    elif kind == "unknown_code":
        sex = el.find("Sex") if el.find("Sex") is not None else el.find("GenderCurrent")
        sex.text = "X"
        field = sex.tag
    elif kind == "blank_mandatory":
        el.find("Requests/ReceivedDate").text = ""
        field = "ReceivedDate"
    else:
        r = dated[0]
        received = date.fromisoformat(r.find("ReceivedDate").text)
        r.find("RequestOutcomeDate").text = _iso(received - timedelta(days=5))
        field = "RequestOutcomeDate"
    inj.record(position, field, kind)
    return 1


def write_sen2(data: BoroughData, year: int, path: Path, inj: Injector, serial: int) -> int:
    c = cal.census_date(year)
    YEAR[0] = year
    la = data.spec.la_number
    if inj.rate > 0 and inj.rng.random() < inj.rate:
        la = inj.other_la
        inj.record(0, "LEA", "wrong_borough")
    n = 0
    with etree.xmlfile(str(path), encoding="utf-8") as xf:
        xf.write_declaration()
        with xf.element("Message"):
            header = E("Header")
            cd = SE(header, "CollectionDetails")
            _text(cd, "Collection", "SEN2")
            _text(cd, "Year", str(year))
            _text(cd, "ReferenceDate", _iso(c))
            src = SE(header, "Source")
            _text(src, "SourceLevel", "L")
            _text(src, "LEA", la)
            _text(src, "SoftwareCode", "sendwh")
            _text(src, "Release", "0.1")
            _text(src, "SerialNo", f"{serial % 1000:03d}")   # three digits
            _text(src, "DateTime", f"{year}-02-01T09:00:00")
            _text(src, "DMO", "Y")
            _text(src, "DCO", "Y")
            _text(src, "DSCO", "Y")
            xf.write(shape(header, year), pretty_print=True)
            with xf.element("Persons"):
                for p in data.persons:
                    el = person_element(p, year)
                    if el is None:
                        continue
                    copies = _person_defect(el, inj, n + 1)
                    for _ in range(copies):
                        xf.write(el, pretty_print=True)
                        n += 1
    return n
