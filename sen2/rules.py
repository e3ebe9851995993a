"""The SEN2 validation rule list (docs sen2-spec.md, "Validation rules").

DfE's own rule ids are not public, so these are ours. An id, once given, keeps its meaning:
add new rules with new ids, never renumber. Severities:

- ``error``: the return would be rejected; ``sendwh sen2 validate`` exits 1;
- ``query``: needs a human look, does not block (exit 0);
- ``info``: a note only, e.g. a known spelling variant that was accepted (exit 0).

Decisions (the spec leaves these open; kept here so they are visible and easy to change):

- XSD per year: a return is checked against the newest ``xsd/sen2_YYYY.xsd`` whose year is
  not after the return's, and a return older than every XSD against the oldest: so 2023 and
  2024 returns use ``sen2_2024.xsd`` (the spec gives no other 2023 difference than
  GenderCurrent, which the validator accepts either way), 2025 ``sen2_2025.xsd`` (DSCO
  required), 2026 and later ``sen2_2026.xsd`` (SENtype DS). The XSD files are the one home of
  that fact; the items and codes that start (or end) in a given year are in the dbt seeds
  (``sen2_items``, and a code list's ``first_year``), the census dates and the statutory
  limits in the seeds and vars too (foundation.reference). RequestSource is required in every
  year: the spec does not limit it to any.
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
- Spelling: names in another case (``<receiveddate>``) are SEN2-R025 queries; the spec's known
  variants (SENsetting, SENunitIndicator, PlanWPB, WPB, GenderCurrent from 2024 / Sex before
  2024) are SEN2-R026 notes. Both are reported once per spelling per file, with a count, so a
  file spelled throughout in lower case gives a handful of findings, not millions.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from foundation.reference import census_dates, sen2_first_year, sen2_item, statutory

ERROR, QUERY, INFO = "error", "query", "info"
SEVERITIES = (ERROR, QUERY, INFO)


@dataclass(frozen=True)
class Rule:
    id: str
    severity: str
    description: str
    area: str


# Facts the rules apply, read from their one home (foundation.reference: dbt seeds and vars).
LIMITS = statutory()
FIRST_YEAR = sen2_first_year()                  # person-level SEN2 began with this return
SEX_FROM = sen2_item("Sex").first_year          # before it, the item was GenderCurrent
DSCO_FROM = sen2_item("DSCO").first_year
LATEST_CENSUS_YEAR = max(census_dates())
PLAN_WEEKS = LIMITS.plan_deadline_days // 7        # 20 weeks
NO_PLAN_WEEKS = LIMITS.no_plan_notice_days // 7     # 16 weeks

_RULES = [
    # file and schema
    ("SEN2-R000", ERROR, "the file is well-formed XML", "file"),
    ("SEN2-R001", ERROR, "the element conforms to the year's XSD (shape not covered by another rule)", "file"),
    ("SEN2-R002", ERROR, "root is Message with a Header and a Persons block holding at least one Person", "file"),
    # header
    ("SEN2-R010", ERROR, "Collection is SEN2", "header"),
    ("SEN2-R011", ERROR, f"Year is a 4-digit collection year from {FIRST_YEAR} on (or --year is given)", "header"),
    ("SEN2-R012", ERROR, "ReferenceDate is that year's census date", "header"),
    ("SEN2-R013", ERROR, "LEA is a 3-digit LA number", "header"),
    ("SEN2-R014", ERROR, "LEA is the borough's (--lea, --borough or the file name)", "header"),
    ("SEN2-R015", ERROR, f"DSCO is given (from {DSCO_FROM})", "header"),
    ("SEN2-R016", QUERY, f"DSCO is given before {DSCO_FROM}, when it was not part of the return", "header"),
    ("SEN2-R017", QUERY, "Header Year differs from --year (--year is used)", "header"),
    # generic item checks
    ("SEN2-R020", ERROR, "a required item is present", "schema"),
    ("SEN2-R021", ERROR, "a coded item holds a code from its list (for the return's year)", "schema"),
    ("SEN2-R022", ERROR, "a date is a real date (YYYY-MM-DD; DateTime an xs:dateTime)", "schema"),
    ("SEN2-R023", ERROR, "a required item is not empty", "schema"),
    ("SEN2-R024", QUERY, "an optional item is present but empty (leave it out instead)", "schema"),
    ("SEN2-R025", QUERY, "an element name is spelled in another case (accepted)", "schema"),
    ("SEN2-R026", INFO, "a known spelling variant of an element name was accepted", "schema"),
    ("SEN2-R027", ERROR, "an item that occurs once is given more than once", "schema"),
    # identity
    ("SEN2-R030", ERROR, "a person has at least one of UPN, UniqueLearnerNumber, UPNunknown", "identity"),
    ("SEN2-R031", ERROR, "UPN is 13 characters with a correct check letter", "identity"),
    ("SEN2-R032", ERROR, "UniqueLearnerNumber is 10 digits with a correct check digit", "identity"),
    ("SEN2-R033", ERROR, "the same UPN is not on two Person records", "identity"),
    ("SEN2-R034", ERROR, "PersonBirthDate is not in the future", "identity"),
    ("SEN2-R035", ERROR, f"age at the reference date is 0 to {LIMITS.max_age}", "identity"),
    # request
    ("SEN2-R040", ERROR, "RequestOutcomeDate is given when RequestOutcome is Y or N", "request"),
    ("SEN2-R041", ERROR, "RequestOutcomeDate is not before ReceivedDate", "request"),
    ("SEN2-R042", ERROR, "Assessment is present only when RequestOutcome is Y or H", "request"),
    # assessment
    ("SEN2-R045", ERROR, "AssessmentOutcomeDate is given when AssessmentOutcome is Y or N", "assessment"),
    ("SEN2-R046", ERROR, "AssessmentOutcomeDate is not before the request's ReceivedDate", "assessment"),
    ("SEN2-R047", ERROR, "NamedPlan is present only when AssessmentOutcome is Y or H", "assessment"),
    ("SEN2-R048", QUERY, f"a decision not to issue a plan (N) came more than {NO_PLAN_WEEKS} weeks after "
     "ReceivedDate", "assessment"),
    # plan
    ("SEN2-R050", ERROR, "CeaseDate and CeaseReason are given together", "plan"),
    ("SEN2-R051", ERROR, "CeaseDate is after StartDate", "plan"),
    ("SEN2-R052", ERROR, "a plan ceased by the reference date carries no ActivePlans", "plan"),
    ("SEN2-R053", ERROR, "StartDate is no later than the reference date", "plan"),
    ("SEN2-R054", ERROR, "a plan does not cease before a placement's EntryDate or LeavingDate", "plan"),
    # active plan and placements
    ("SEN2-R055", ERROR, "ActivePlans has exactly one SENneed of rank 1 and at most two SENneed", "active plan"),
    ("SEN2-R056", ERROR, "ActivePlans has exactly one PlacementDetail of rank 1", "active plan"),
    ("SEN2-R057", ERROR, "LeavingDate is after EntryDate", "active plan"),
    ("SEN2-R058", ERROR, "LastReview is on or after ReviewMeeting", "active plan"),
    ("SEN2-R059", QUERY, "a plan transferred in during the period (AssessmentOutcome H) names TransferLA",
     "active plan"),
    ("SEN2-R060", ERROR, "each placement names a URN, a UKPRN or a SENSetting", "active plan"),
    ("SEN2-R061", ERROR, "URN is 6 digits", "active plan"),
    ("SEN2-R062", ERROR, "UKPRN is 8 digits", "active plan"),
    ("SEN2-R063", ERROR, "TransferLA is a 3-digit LA number", "active plan"),
    # timeliness
    ("SEN2-R070", QUERY, f"a request over {PLAN_WEEKS} weeks old at the reference date has no outcome",
     "timeliness"),
    ("SEN2-R071", QUERY, f"Week20 = 1 (exception) on a plan issued within {PLAN_WEEKS} weeks", "timeliness"),
]

RULES: dict[str, Rule] = {r[0]: Rule(*r) for r in _RULES}

XSD_DIR = Path(__file__).with_name("xsd")
# the years the XSD files start from (sen2_2024.xsd -> 2024), oldest first
XSD_YEARS: tuple[int, ...] = tuple(sorted(int(path.stem.rsplit("_", 1)[1])
                                          for path in XSD_DIR.glob("sen2_*.xsd")))


def xsd_year(year: int) -> int:
    """The XSD a return year is checked against (see the decisions above)."""
    return max((y for y in XSD_YEARS if y <= year), default=XSD_YEARS[0])
