"""Published figures the sample data is calibrated to (domain.md, sen2-spec.md).

Active EHC plans at the January census and the share of plans issued within 20 weeks
(excluding exceptions) are hit exactly by construction; years outside the published
range are extrapolated (about -4%/yr before, +7%/yr after).
"""
from __future__ import annotations

from datetime import date, timedelta

from foundation.reference import census_dates

FIRST_YEAR = 2014          # first census simulated (all statements then)
EHCP_START = date(2014, 9, 1)
EARLIEST_REQUEST = date(2014, 5, 1)
TRANSFER_DEADLINE = date(2018, 4, 1)


def census_date(year: int) -> date:
    """The SEN2 reference date: the census_dates seed's, else (a year it does not know, such
    as the simulation's first, 2014) the third Thursday of January."""
    known = census_dates()
    if year in known:
        return known[year]
    d = date(year, 1, 15)
    while d.weekday() != 3:
        d += timedelta(days=1)
    return d


# Published active EHC plans at the January census (DfE), domain.md.
PUBLISHED_PLANS = {
    "HF": {2019: 1113, 2020: 1113, 2021: 1224, 2022: 1205, 2023: 1536, 2024: 1700},
    "KC": {2019: 617, 2020: 673, 2021: 725, 2022: 746, 2023: 759, 2024: 786},
    "WCC": {2019: 1084, 2020: 1171, 2021: 1261, 2022: 1338, 2023: 1368, 2024: 1413},
}
# Plans issued within 20 weeks excluding exceptions, % by calendar year of issue.
PUBLISHED_20_WEEKS = {
    "HF": {2019: 60.6, 2020: 66.3, 2021: 21.1, 2022: 82.1, 2023: 81.0},
    "KC": {2019: 97.4, 2020: 98.7, 2021: 100.0, 2022: 100.0, 2023: 98.9},
    "WCC": {2019: 99.2, 2020: 100.0, 2021: 99.1, 2022: 99.2, 2023: 99.4},
}
# HF statements and plans in January (DfE).
HF_STATEMENTS = {2014: 770, 2015: 775, 2016: 760, 2017: 597, 2018: 311, 2019: 0}
HF_PLANS_EARLY = {2014: 0, 2015: 3, 2016: 23, 2017: 179, 2018: 595}
# KC and WCC (invented): share of the caseload still on statements in January.
STATEMENT_SHARE = {2014: 1.0, 2015: 0.92, 2016: 0.62, 2017: 0.33, 2018: 0.05}

GROWTH_AFTER = 0.07
SHRINK_BEFORE = 0.04


def caseload_targets(template: str, last_year: int,
                     size: tuple[int, int] | None = None) -> dict[int, tuple[int, int]]:
    """{census year: (statements, plans)} from FIRST_YEAR to last_year.

    size = (year, plans): the template's curve scaled so that the plans at that January census
    are `plans` (a council of the England sample, sized from DfE's count of that year)."""
    targets = _template_targets(template, max(last_year, size[0] if size else last_year))
    if size is None:
        return targets
    year, plans = size
    factor = plans / max(1, sum(targets[year]))
    return {y: (round(st * factor), round(p * factor)) for y, (st, p) in targets.items()
            if y <= last_year}


def _template_targets(template: str, last_year: int) -> dict[int, tuple[int, int]]:
    pub = PUBLISHED_PLANS[template]
    out: dict[int, tuple[int, int]] = {}
    for year in range(FIRST_YEAR, last_year + 1):
        if year in pub:
            out[year] = (0, pub[year])
        elif year > max(pub):
            out[year] = (0, round(pub[max(pub)] * (1 + GROWTH_AFTER) ** (year - max(pub))))
        elif template == "HF":
            out[year] = (HF_STATEMENTS[year], HF_PLANS_EARLY[year])
        else:
            total = round(pub[min(pub)] * (1 - SHRINK_BEFORE) ** (min(pub) - year))
            st = round(total * STATEMENT_SHARE[year])
            out[year] = (st, total - st)
    return out


def timeliness_target(template: str, year: int) -> float:
    """Share (0..1) of plans issued in `year` within 20 weeks, exceptions excluded."""
    pub = PUBLISHED_20_WEEKS[template]
    if year in pub:
        return pub[year] / 100
    if template == "HF":
        return {2014: 0.55, 2015: 0.5, 2016: 0.45, 2017: 0.52, 2018: 0.58}.get(year, 0.8)
    return 0.97 if template == "KC" else 0.99


def exception_share(template: str, year: int) -> float:
    """Share of issued plans with a 20-week exception (Week20 = 1)."""
    return 0.08 if template == "HF" else 0.04


# Primary need of plans (SLCN high, ASD ~29%), sen2 codes.
NEED_MIX = {
    "ASD": 0.29, "SLCN": 0.25, "SEMH": 0.15, "MLD": 0.10, "SLD": 0.05, "PD": 0.04,
    "SPLD": 0.03, "PMLD": 0.02, "HI": 0.02, "VI": 0.01, "MSI": 0.005, "OTH": 0.035,
}
ETHNICITY_MIX = {
    "WBRI": 0.29, "WIRI": 0.01, "WIRT": 0.002, "WOTH": 0.14, "WROM": 0.003, "MWBC": 0.04,
    "MWBA": 0.02, "MWAS": 0.02, "MOTH": 0.05, "AIND": 0.03, "APKN": 0.02, "ABAN": 0.04,
    "AOTH": 0.04, "BCRB": 0.03, "BAFR": 0.12, "BOTH": 0.03, "CHNE": 0.01, "OOTH": 0.08,
    "REFU": 0.02, "NOBT": 0.005,
}
MALE_SHARE = 0.72
# Age (years) at a new plan's start; tuned so census age bands come out near national
# (under 5 ~6%, 5-10 ~37%, 11-15 ~33%, 16-19 ~19%, 20-25 ~5%).
START_AGE_WEIGHTS = [0.5, 1.5, 4, 7, 8, 7, 6.5, 6, 5.5, 5, 4.5, 4.5, 3.5, 3, 2.5, 2, 2,
                     1.5, 1, 0.6, 0.3, 0.2, 0.1, 0.05, 0.02]
# Age bands of the first (2014) caseload: (low, high exclusive, share).
INITIAL_AGE_BANDS = [(2, 5, 0.05), (5, 11, 0.38), (11, 16, 0.37), (16, 20, 0.18), (20, 25, 0.02)]


def cease_hazard(age: int) -> float:
    """Annual probability that a plan ends (other than reaching 25)."""
    if age < 11:
        return 0.03
    if age < 16:
        return 0.04
    if age < 18:
        return 0.12
    if age < 19:
        return 0.25
    return 0.40


REQUEST_SOURCE_MIX = {"1": 0.45, "2": 0.35, "3": 0.12, "4": 0.05, "5": 0.03}
EXTRA_REQUESTS_PER_PLAN = 0.45   # requests that do not lead to a plan, per plan issued
EXTRA_OUTCOMES = {"N": 0.62, "W": 0.07, "aN": 0.25, "aW": 0.06}
DECISION_WITHIN_6_WEEKS = 0.85
FLAG_RATE = 0.006                # per mediation/tribunal flag (~2% of requests any flag)


# Annual reviews and phase transfers (issue 12). DfE publishes no figures for these yet (SEN2
# collects ReviewDraft and the phase-transfer dates from 2025), and domain.md has none, so the
# shares below are assumptions: each borough's on-time share follows the same ordering as its
# published 20-week timeliness (HF well behind KC and WCC), set at levels inspection reports
# describe as common in London (most reviews on time, decisions after the meeting often slow).
# Share of annual review meetings held within 12 months of the plan or the last review; a late
# one is 1 to REVIEW_LATE_DAYS days late.
REVIEW_ON_TIME = {"HF": 0.70, "KC": 0.88, "WCC": 0.92}
REVIEW_LATE_DAYS = 150
# Share of decisions after the meeting notified within 4 weeks (else 29 to 90 days).
REVIEW_DECISION_ON_TIME = {"HF": 0.60, "KC": 0.80, "WCC": 0.85}
# After a decision to amend: the draft is issued with the decision, the final amended plan
# within 14 to N days at the first share (else later, up to 120 days).
AMENDED_PLAN_DAYS = (0.8, 56)
# Share of phase transfers whose amended plan is finalised by the deadline (15 February, or
# 31 March for a move into a post-16 institution; else up to 90 days late).
PHASE_TRANSFER_ON_TIME = {"HF": 0.75, "KC": 0.90, "WCC": 0.93}
