"""The SEN2 validation rule list (docs sen2-spec.md, "Validation rules").

DfE's own rule ids are not public, so these are ours. An id, once given, keeps its meaning:
add new rules with new ids, never renumber. Severities:

- ``error``: the return would be rejected; ``sendwh sen2 validate`` exits 1;
- ``query``: needs a human look, does not block (exit 0);
- ``info``: a note only, e.g. a known spelling variant that was accepted (exit 0).

Where each rule comes from is its ``source``: the item of DfE's "SEN2 guide for local
authorities" the evidence quotes (``guide 2.5``; the third-party XSDs in
../shared/data/sen2-external, README there), the evidence XSDs themselves (``evidence``), or
``ours`` with the reason. The items of each collection year, their order and status, live in
one place, the profiles (``seeds/sen2_profiles.csv``, foundation.reference.sen2_profile); the
year's XSD is derived from it (sen2.xsd), so is the generator's order.

Decisions (the spec and the evidence leave these open; kept here so they are visible):

- Conditional items (the profile's ``conditional``): after RequestOutcome A, W or H nothing
  further is required in the Requests module (guide 2.5), nor after Exported (2.8); an H
  request needs no ReceivedDate or RYA (2.1, 2.3); after AssessmentOutcome A or W nothing
  further (3.1). From 2026 RequestSource is required except on an H request (ours: a
  historical request predates the item). ReviewDraft answers an amend decision (ReviewOutcome
  A), but a draft not yet issued has no date to give: its absence 4 weeks or more after the
  meeting is a query from 2026 (SEN2-R069, the draft is late or its date missing), not an
  error; PhaseTransferDueDate cannot be required from the
  return itself (whether a transfer is due is not in it), so only its consistency is checked
  (SEN2-R067, SEN2-R068).
- Another year's item (AttendancePattern in 2024, ReviewDraft in 2024, GenderCurrent from
  2024, Res/WBP under ActivePlans from 2024...) is SEN2-R028, naming the years it belongs to;
  DSCO before 2025 stays a query (SEN2-R016). ``Sex`` in a 2023 return is accepted with a note
  (SEN2-R026): the evidence notes a live 2023 file that used it.
- Sex ``U`` from 2024 (evidence conflict: the 2024-2026 XSDs list M and F, an older 2024 XSD
  and our spec have U): setting ``SENDWH_SEN2_SEX_U``: ``query`` (default, SEN2-R036),
  ``accept`` or ``reject`` (SEN2-R021).
- URN: 6 digits (ours; the evidence allows 1 to 6 digits, but every GIAS URN in use has 6).
- Yes/no items: the evidence has 1/0; true/false are accepted too (the spec's decision).
- Element order inside a block is not enforced (the spec's decision): the evidence's order is
  what the generator writes, and what the third-party XSDs (strict sequences) check.
- XSD messages are reported as SEN2-R001 only when no rule already reported the same element
  (the rules give the clearer message); the two never both count for one problem.
- SEN2-R059 (a transferred-in plan names TransferLA) is a query, not an error, and only fires
  for an AssessmentOutcome H dated inside the collection period (on or after 1 January of
  Y-1) on a request with ActivePlans: H also means "historical" (decided before the period,
  e.g. statements converted in-LA), and those carry no TransferLA.
- SEN2-R054 (a plan ceasing before later placements) replaces SEN2-R052 (a ceased plan
  carries ActivePlans) when both would describe the same request.
- SEN2-R035: age 0..25 inclusive in whole years at the reference date; a birth date after
  today is SEN2-R034 alone. For a person with no ActivePlans (only requests, assessments or
  plans that ceased in calendar year Y-1) the upper limit is checked at 1 January of Y-1, the
  start of the period: a plan that ceased at 25 during Y-1 leaves a person who is 26 at the
  census, and that is no error.
- SEN2-R070 counts a request as having "no outcome" when RequestOutcome is A, or when it is Y
  and the assessment is missing or has AssessmentOutcome A.
- A file that is not XML at all (fails before the root element) is unreadable: exit 2, no
  finding. One that breaks later (truncated) gets SEN2-R000 and keeps the findings so far.
- Spelling: names in another case (``<receiveddate>``) are SEN2-R025 queries; the known
  variants (SENsetting, SENUnitIndicator, PlanWPB, WPB) are SEN2-R026 notes. Both are
  reported once per spelling per file, with a count.
"""
from __future__ import annotations

from dataclasses import dataclass

from foundation.reference import census_dates, sen2_first_year, sen2_item, sen2_profile_years, statutory

ERROR, QUERY, INFO = "error", "query", "info"
SEVERITIES = (ERROR, QUERY, INFO)


@dataclass(frozen=True)
class Rule:
    id: str
    severity: str
    description: str
    area: str
    source: str       # the guide item the evidence quotes, "evidence", or "ours: <reason>"


# Facts the rules apply, read from their one home (foundation.reference: dbt seeds and vars).
LIMITS = statutory()
FIRST_YEAR = sen2_first_year()                  # person-level SEN2 began with this return
SEX_FROM = sen2_item("Sex").first_year          # before it, the item was GenderCurrent
DSCO_FROM = sen2_item("DSCO").first_year        # voluntary from here
DSCO_REQUIRED_FROM = sen2_item("DSCO").required_from or DSCO_FROM
LATEST_PROFILE = max(sen2_profile_years())
LATEST_CENSUS_YEAR = max(census_dates())
PLAN_WEEKS = LIMITS.plan_deadline_days // 7        # 20 weeks
NO_PLAN_WEEKS = LIMITS.no_plan_notice_days // 7     # 16 weeks

_RULES = [
    # file and schema
    ("SEN2-R000", ERROR, "the file is well-formed XML", "file", "ours: a file COLLECT cannot parse"),
    ("SEN2-R001", ERROR, "the element conforms to the year's XSD (shape not covered by another rule)", "file",
     "evidence: the year's profile, as its derived XSD"),
    ("SEN2-R002", ERROR, "root is Message with a Header and a Persons block holding at least one Person", "file",
     "evidence: Message, Header, Persons, Person"),
    # header
    ("SEN2-R010", ERROR, "Collection is SEN2", "header", "evidence: Collection enumeration"),
    ("SEN2-R011", ERROR, f"Year is a 4-digit collection year from {FIRST_YEAR} on (or --year is given)", "header",
     "evidence: Year is xs:gYear; the first person-level return"),
    ("SEN2-R012", ERROR, "ReferenceDate is that year's census date", "header",
     "ours: the census dates seed (sen2-spec.md, Reference dates)"),
    ("SEN2-R013", ERROR, "LEA is a 3-digit LA number", "header", "evidence: LEA is an LA number"),
    ("SEN2-R014", ERROR, "LEA is the borough's (--lea, --borough or the file name)", "header",
     "ours: a borough sends its own return"),
    ("SEN2-R015", ERROR, f"DSCO is given (required from {DSCO_REQUIRED_FROM})", "header",
     f"evidence: {DSCO_REQUIRED_FROM} XSD comment, DSCO now mandatory"),
    ("SEN2-R016", QUERY, f"DSCO is given before {DSCO_FROM}, when it was not part of the return", "header",
     f"evidence: DSCO absent before {DSCO_FROM}"),
    ("SEN2-R017", QUERY, "Header Year differs from --year (--year is used)", "header", "ours: the option wins"),
    ("SEN2-R019", ERROR, "SerialNo is three digits", "header", "evidence: SerialNo pattern \\d{3}"),
    # generic item checks
    ("SEN2-R020", ERROR, "a required item is present", "schema",
     "guide: the item's status in the year's profile (required, or conditional and needed here)"),
    ("SEN2-R021", ERROR, "a coded item holds a code from its list (for the return's year)", "schema",
     "evidence: the code lists (seeds) and the year a code joins its list"),
    ("SEN2-R022", ERROR, "a date is a real date (YYYY-MM-DD; DateTime an xs:dateTime)", "schema",
     "evidence: xs:date, xs:dateTime"),
    ("SEN2-R023", ERROR, "a required item is not empty", "schema", "evidence: nonEmptyString"),
    ("SEN2-R024", QUERY, "an optional item is present but empty (leave it out instead)", "schema",
     "ours: an empty element is not a value"),
    ("SEN2-R025", QUERY, "an element name is spelled in another case (accepted)", "schema",
     "ours: accept suppliers' files, say what was read"),
    ("SEN2-R026", INFO, "a known spelling variant of an element name was accepted", "schema",
     "ours: spellings differ between public sources"),
    ("SEN2-R027", ERROR, "an item that occurs once is given more than once", "schema", "evidence: maxOccurs 1"),
    ("SEN2-R028", ERROR, "an item belongs to the block in the return's year (not another year's shape)",
     "schema", "evidence: the items per year (profiles)"),
    # identity
    ("SEN2-R030", ERROR, "a person has at least one of UPN, UniqueLearnerNumber, UPNunknown", "identity",
     "guide 1.7a-c"),
    ("SEN2-R031", ERROR, "UPN is 13 characters with a correct check letter", "identity",
     "guide 1.7a; the UPN check letter (DfE UPN guidance)"),
    ("SEN2-R032", ERROR, "UniqueLearnerNumber is 10 digits with a correct check digit", "identity",
     "guide 1.7b; ours: 10 digits (the evidence's 8 is a known fault)"),
    ("SEN2-R033", ERROR, "the same UPN is not on two Person records", "identity", "ours: one Person per child"),
    ("SEN2-R034", ERROR, "PersonBirthDate is not in the future", "identity", "ours: plausibility"),
    ("SEN2-R035", ERROR, f"age at the reference date is 0 to {LIMITS.max_age}", "identity",
     "ours: plans cover ages 0-25 (statutory var max_age)"),
    ("SEN2-R036", QUERY, f"Sex U from {SEX_FROM}, where the evidence lists M and F only", "identity",
     "evidence conflict: 2024-2026 XSDs M/F, older 2024 XSD M/F/U; SENDWH_SEN2_SEX_U"),
    # request
    ("SEN2-R040", ERROR, "RequestOutcomeDate is given when RequestOutcome is Y or N", "request", "guide 2.4"),
    ("SEN2-R041", ERROR, "RequestOutcomeDate is not before ReceivedDate", "request", "ours: date order"),
    ("SEN2-R042", ERROR, "Assessment is present only when RequestOutcome is Y or H", "request",
     "guide 2.5: nothing further after A or W; ours: not after N"),
    # assessment
    ("SEN2-R045", ERROR, "AssessmentOutcomeDate is given when AssessmentOutcome is Y or N", "assessment",
     "guide 3.2"),
    ("SEN2-R046", ERROR, "AssessmentOutcomeDate is not before the request's ReceivedDate", "assessment",
     "ours: date order"),
    ("SEN2-R047", ERROR, "NamedPlan is present only when AssessmentOutcome is Y or H", "assessment",
     "guide 3.1: nothing further after A or W; ours: not after N"),
    ("SEN2-R048", QUERY, f"a decision not to issue a plan (N) came more than {NO_PLAN_WEEKS} weeks after "
     "ReceivedDate", "assessment", "ours: the statutory 16-week notice (var no_plan_notice_days)"),
    # plan
    ("SEN2-R050", ERROR, "CeaseDate and CeaseReason are given together", "plan", "guide 4.5, 4.6"),
    ("SEN2-R051", ERROR, "CeaseDate is after StartDate", "plan", "ours: date order"),
    ("SEN2-R052", ERROR, "a plan ceased by the reference date carries no ActivePlans", "plan",
     "ours: a ceased plan is not active"),
    ("SEN2-R053", ERROR, "StartDate is no later than the reference date", "plan", "ours: date order"),
    ("SEN2-R054", ERROR, "a plan does not cease before a placement's EntryDate or LeavingDate", "plan",
     "ours: date order"),
    # active plan and placements
    ("SEN2-R055", ERROR, "ActivePlans has exactly one SENneed of rank 1 and at most two SENneed", "active plan",
     "guide 5.8; evidence: SENneed maxOccurs 2"),
    ("SEN2-R056", ERROR, "ActivePlans has exactly one PlacementDetail of rank 1", "active plan",
     "guide 5.7d: a primary placement"),
    ("SEN2-R057", ERROR, "LeavingDate is after EntryDate", "active plan", "ours: date order"),
    ("SEN2-R058", ERROR, "LastReview is on or after ReviewMeeting", "active plan", "ours: date order"),
    ("SEN2-R059", QUERY, "a plan transferred in during the period (AssessmentOutcome H) names TransferLA",
     "active plan", "guide 3.1 (H includes plans transferred in), 5.1"),
    ("SEN2-R060", ERROR, "each placement names a URN, a UKPRN or a SENSetting", "active plan",
     "guide 4.7a-c, 5.7a-c"),
    ("SEN2-R061", ERROR, "URN is 6 digits", "active plan", "ours: every GIAS URN in use has 6 (evidence: 1-6)"),
    ("SEN2-R062", ERROR, "UKPRN is 8 digits", "active plan", "evidence: UKPRN pattern"),
    ("SEN2-R063", ERROR, "TransferLA and Exported are 3-digit LA numbers", "active plan",
     "evidence: LA numbers (guide 2.8, 5.1)"),
    ("SEN2-R064", ERROR, "a placement names only one of URN, UKPRN, SENSetting", "active plan",
     "guide 4.7a-c, 5.7a-c: complete only one"),
    ("SEN2-R065", ERROR, "a NamedPlan has at most two PlanDetail, with distinct PlacementRank", "plan",
     "evidence: PlanDetail maxOccurs 2; guide 4.7d ranks"),
    ("SEN2-R067", ERROR, "PhaseTransferFinalDate is given only with PhaseTransferDueDate", "active plan",
     "guide 5.6a, 5.6b: the final date answers the due date"),
    ("SEN2-R068", QUERY, "a PhaseTransferDueDate passed by the reference date has a PhaseTransferFinalDate",
     "active plan", "guide 5.6b, mandatory from 2026; ours: a query, the transfer may be late"),
    ("SEN2-R069", QUERY, "an amend decision (ReviewOutcome A) 4 weeks or more before the reference date "
     "has a ReviewDraft", "active plan",
     "guide 5.4d, mandatory from 2026; ours: a query, a draft not yet issued has no date"),
    # timeliness
    ("SEN2-R070", QUERY, f"a request over {PLAN_WEEKS} weeks old at the reference date has no outcome",
     "timeliness", "ours: the 20-week limit (var plan_deadline_days)"),
    ("SEN2-R071", QUERY, f"Week20 = 1 (exception) on a plan issued within {PLAN_WEEKS} weeks", "timeliness",
     "guide 3.7; ours: an exception only matters past 20 weeks"),
]

RULES: dict[str, Rule] = {r[0]: Rule(*r) for r in _RULES}



def xsd_year(year: int) -> int:
    """The profile (and so the XSD) a return year is checked against: its own, the newest for a
    later year, the oldest for an earlier one."""
    years = sen2_profile_years()
    return min(max(year, years[0]), years[-1])
