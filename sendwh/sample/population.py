"""Simulate one borough's SEND caseload: statements, transfers, requests, plans,
placements, needs, annual reviews and phase transfers, calibrated to the published figures
(calibration.py).

Stock and flow per census interval: existing cases cease by an age hazard (and at 25),
statements transfer to plans on the published/invented schedule, and new plans fill the
gap to the next census target, so active plans at every January census hit the target
exactly. Timeliness is hit exactly per issue year by choosing request dates backwards
from the issue date.
"""
from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np

from foundation.identifiers import make_upn, uln_check_digit
from foundation.reference import statutory

from . import calibration as cal
from .reference import FEMALE_NAMES, MALE_NAMES, POSTCODE_DISTRICTS, POSTCODE_LETTERS, SURNAMES, School, load_schools


@dataclass(frozen=True, slots=True)
class BoroughSpec:
    code: str
    name: str
    la_number: str
    ons_code: str
    like: str          # layout/calibration template: HF, KC or WCC
    index: int         # position in the borough list (seeds its random stream)
    size: tuple[int, int] | None = None   # (January census year, plans then): scales the template


@dataclass(slots=True, eq=False)
class Person:
    pid: str
    idx: int
    first_event: date
    birth: date
    sex: str
    ethnicity: str
    surname: str = ""
    forename: str = ""
    postcode: str = ""
    upn: str | None = None
    uln: str | None = None
    upn_unknown: str | None = None
    needs: list = field(default_factory=list)       # (code, rank, recorded date)
    requests: list = field(default_factory=list)
    plan: "Plan | None" = None
    transfer: "Transfer | None" = None


@dataclass(slots=True, eq=False)
class Request:
    rid: str
    person: Person
    received: date
    source: str
    rya: bool
    outcome: str                       # Y N A W (as at as_of)
    decision_date: date | None
    mediation: bool = False
    tribunal: bool = False
    asm_outcome: str | None = None     # Y N A W, None when no assessment
    asm_date: date | None = None
    week20: bool = False
    asm_mediation: bool = False
    asm_tribunal: bool = False
    plan: "Plan | None" = None


@dataclass(slots=True, eq=False)
class Plan:
    plan_id: str
    person: Person
    start: date
    request: Request | None = None
    transfer: "Transfer | None" = None
    res: str | None = None
    wbp: str | None = None
    pb: bool = False
    oa: bool = False
    dp: str | None = None
    cease_date: date | None = None
    cease_reason: str | None = None
    placements: list = field(default_factory=list)
    reviews: list = field(default_factory=list)


@dataclass(slots=True, eq=False)
class Transfer:
    tid: str
    person: Person
    statement_date: date
    review_start: date
    transfer_date: date | None
    outcome: str                       # P plan issued, C ceased, O outstanding
    plan: Plan | None = None


@dataclass(slots=True, eq=False)
class Placement:
    pl_id: str
    plan: Plan
    kind: str
    urn: str | None
    ukprn: str | None
    setting: str | None
    rank: int
    entry: date
    leaving: date | None
    sen_unit: bool
    resourced: bool


@dataclass(slots=True, eq=False)
class Review:
    rv_id: str
    plan: Plan
    date: date                         # the annual review meeting
    outcome: str                       # the decision after it: A amend, M maintain, C cease
    decision_date: date | None = None  # the decision notified (None: not yet, as at as_of)
    draft_date: date | None = None     # draft amended plan issued (amend only)
    final_date: date | None = None     # final amended plan issued


@dataclass(slots=True, eq=False)
class PhaseTransfer:
    pt_id: str
    plan: Plan
    kind: str                          # EY, SEC, P16 (the phase_transfer code list)
    transfer_date: date                # the move (1 September)
    due_date: date                     # the plan must be amended by then (SEND Regulations 2014)
    final_date: date | None            # the amended plan finalised (None: still open)


@dataclass(slots=True, eq=False)
class BoroughData:
    spec: BoroughSpec
    as_of: date
    persons: list
    requests: list
    plans: list
    transfers: list
    placements: list
    reviews: list
    schools: dict
    census_years: list
    phase_transfers: list = field(default_factory=list)


@dataclass(slots=True, eq=False)
class _Case:
    birth: date
    start: date                 # statement date or plan start
    statement: bool
    plan_start: date | None = None
    transfer_date: date | None = None
    review_start: date | None = None
    transfer_outcome: str | None = None
    end: date | None = None
    reason: str | None = None


LIMITS = statutory()
CEASE_REASONS_UNDER_16 = {"2": 0.45, "5": 0.25, "7": 0.15, "9": 0.12, "8": 0.03}
CEASE_REASONS_16_PLUS = {"2": 0.2, "3": 0.15, "4": 0.2, "6": 0.2, "5": 0.1, "7": 0.05, "9": 0.1}


def age_on(birth: date, d: date) -> int:
    return d.year - birth.year - ((d.month, d.day) < (birth.month, birth.day))


def add_years(d: date, years: int) -> date:
    try:
        return d.replace(year=d.year + years)
    except ValueError:          # 29 February
        return d.replace(year=d.year + years, day=28)


class _Sim:
    def __init__(self, spec: BoroughSpec, seed: int, as_of: date):
        self.spec = spec
        self.as_of = as_of
        self.rng = np.random.default_rng([int(seed), 7919, spec.index])
        self._mixes: dict = {}
        self.start_ages = np.array(cal.START_AGE_WEIGHTS) / sum(cal.START_AGE_WEIGHTS)

    # -- small random helpers -------------------------------------------------------
    def day_between(self, a: date, b: date) -> date:
        """A day in [a, b) (a when the window is empty)."""
        n = (b - a).days
        return a if n <= 0 else a + timedelta(days=int(self.rng.integers(0, n)))

    def pick(self, mix: dict) -> str:
        cached = self._mixes.get(id(mix))
        if cached is None:
            keys = list(mix)
            cdf = np.cumsum([mix[k] for k in keys], dtype=float)
            cached = self._mixes[id(mix)] = (keys, (cdf / cdf[-1]).tolist(), mix)
        keys, cdf, _ = cached
        return keys[min(bisect.bisect_right(cdf, self.rng.random()), len(keys) - 1)]

    def birth_for_start(self, start: date) -> date:
        age = int(self.rng.choice(len(self.start_ages), p=self.start_ages))
        days = int(age * 365.25 + self.rng.integers(0, 365))
        # at least ~13 months before the plan starts, so that its request (up to a year or
        # more before the plan) never comes before the child is born
        return start - timedelta(days=max(days, 400))

    # -- caseload ------------------------------------------------------------------
    def caseload(self) -> tuple[list[_Case], list[int]]:
        rng = self.rng
        years = [y for y in range(cal.FIRST_YEAR, self.as_of.year + 1)
                 if cal.census_date(y) <= self.as_of]
        targets = cal.caseload_targets(self.spec.like, years[-1] + 1, self.spec.size)
        c0 = cal.census_date(years[0])
        cases: list[_Case] = []
        st0, p0 = targets[years[0]]
        bands = cal.INITIAL_AGE_BANDS
        shares = np.array([b[2] for b in bands])
        for _ in range(st0 + p0):
            lo, hi, _s = bands[int(rng.choice(len(bands), p=shares / shares.sum()))]
            birth = c0 - timedelta(days=int(rng.uniform(lo, hi) * 365.25))
            earliest = add_years(birth, 2)
            sdate = self.day_between(min(earliest, c0 - timedelta(days=60)), c0 - timedelta(days=30))
            cases.append(_Case(birth, sdate, True))

        intervals = [(years[i], cal.census_date(years[i]), cal.census_date(years[i + 1]),
                      targets[years[i + 1]]) for i in range(len(years) - 1)]
        last = cal.census_date(years[-1])
        # the part-year after the last census: interpolate towards next January's target
        frac = (self.as_of - last).days / (cal.census_date(years[-1] + 1) - last).days
        (st_l, p_l), (st_n, p_n) = targets[years[-1]], targets[years[-1] + 1]
        intervals.append((years[-1], last, self.as_of + timedelta(days=1),
                          (round(st_l + (st_n - st_l) * frac), round(p_l + (p_n - p_l) * frac))))

        for _y, a, b, (st_next, p_next) in intervals:
            a1 = a + timedelta(days=1)
            frac = (b - a).days / 365.25
            active = [c for c in cases if c.end is None]
            # the last statements must go (transfer or cease) by the transfer deadline
            st_end = (min(b, cal.TRANSFER_DEADLINE)
                      if st_next == 0 and a < cal.TRANSFER_DEADLINE < b else b)
            for c in active:
                age = age_on(c.birth, a)
                bday25 = add_years(c.birth, 25)
                if rng.random() < 1 - (1 - cal.cease_hazard(age)) ** frac:
                    pending = c.statement and c.transfer_outcome is None
                    c.end = self.day_between(a1, st_end if pending else b)
                    c.reason = self.cease_reason(age)
                if bday25 < b and (c.end is None or c.end > bday25):
                    c.end, c.reason = max(bday25, a1), "1"
                    if c.statement and c.transfer_outcome is None and c.end >= st_end:
                        c.end = self.day_between(a1, st_end)
            for c in active:
                if c.statement and c.transfer_outcome is None and c.end is not None:
                    c.transfer_outcome, c.transfer_date = "C", c.end
            # statements -> plans
            held = [c for c in active if c.statement and c.transfer_outcome is None]
            n_transfer = len(held) - st_next
            if n_transfer < 0:      # new statements (only possible before September 2014)
                for _ in range(-n_transfer):
                    sdate = self.day_between(a1, min(b, cal.EHCP_START))
                    cases.append(_Case(self.birth_for_start(sdate), sdate, True))
                n_transfer = 0
            lo = max(a1, cal.EHCP_START)
            hi = min(b, cal.TRANSFER_DEADLINE) if st_next == 0 and b > cal.TRANSFER_DEADLINE else b
            hi = max(hi, lo + timedelta(days=1))
            for i in (rng.permutation(len(held))[:n_transfer] if n_transfer else []):
                c = held[int(i)]
                c.transfer_date = self.day_between(lo, hi)
                c.transfer_outcome, c.plan_start = "P", c.transfer_date
                back = timedelta(days=int(rng.integers(42, 150)))
                c.review_start = max(c.transfer_date - back, c.start + timedelta(days=1))
            # new plans fill the gap to the target
            surviving = [c for c in cases if c.plan_start is not None and c.end is None]
            n_new = p_next - len(surviving)
            if n_new < 0:
                for i in rng.permutation(len(surviving))[:-n_new]:
                    c = surviving[int(i)]
                    c.end, c.reason = self.day_between(a1, b), "2"
                n_new = 0
            for _ in range(n_new):
                start = self.day_between(max(a1, cal.EHCP_START), b)
                c = _Case(self.birth_for_start(start), start, False, plan_start=start)
                bday25 = add_years(c.birth, 25)
                if bday25 < b:
                    c.end, c.reason = max(bday25, start + timedelta(days=1)), "1"
                cases.append(c)
        # statements that ended with a transfer review still open at the cut-off
        for c in cases:
            if c.statement and c.transfer_outcome is None:
                c.transfer_outcome = "O"
        return cases, years

    def cease_reason(self, age: int) -> str:
        if age < 16:
            return self.pick(CEASE_REASONS_UNDER_16)
        return self.pick(CEASE_REASONS_16_PLUS)

    # -- requests ------------------------------------------------------------------
    def decision_days(self) -> int:
        six_weeks = LIMITS.decision_deadline_days
        if self.rng.random() < cal.DECISION_WITHIN_6_WEEKS:
            return int(self.rng.integers(14, six_weeks + 1))
        return int(self.rng.integers(six_weeks + 1, 71))

    def request_durations(self, issue_dates: list[date]) -> tuple[list[int], list[bool]]:
        """Days from request to issue and Week20 flags, timeliness exact per issue year."""
        rng = self.rng
        twenty_weeks, one_year = LIMITS.plan_deadline_days, LIMITS.one_year_days
        n = len(issue_dates)
        days = [0] * n
        week20 = [False] * n
        by_year: dict[int, list[int]] = {}
        for i, d in enumerate(issue_dates):
            by_year.setdefault(d.year, []).append(i)
        for year in sorted(by_year):
            idx = by_year[year]
            order = [idx[int(j)] for j in rng.permutation(len(idx))]
            n_exc = round(len(order) * cal.exception_share(self.spec.like, year))
            exc, rest = order[:n_exc], order[n_exc:]
            n_timely = round(len(rest) * cal.timeliness_target(self.spec.like, year))
            for i in exc:
                week20[i] = True
                days[i] = int(rng.integers(110, 300))
            for k, i in enumerate(rest):
                if k < n_timely:
                    days[i] = int(rng.integers(80, twenty_weeks + 1))
                elif rng.random() < 0.1:
                    days[i] = int(rng.integers(one_year + 1, 480))
                else:
                    days[i] = int(rng.integers(twenty_weeks + 1, one_year + 1))
        return days, week20

    def flags(self) -> tuple[bool, bool, bool, bool]:
        r = self.rng.random(4)
        return tuple(bool(x < cal.FLAG_RATE) for x in r)  # type: ignore[return-value]


def simulate(spec: BoroughSpec, seed: int, as_of: date) -> BoroughData:
    sim = _Sim(spec, seed, as_of)
    rng = sim.rng
    cases, years = sim.caseload()
    code = spec.code
    schools = load_schools(spec.like)

    # persons: one per case, then the people whose requests did not lead to a plan
    raw_people: list[tuple[date, date, object]] = []   # (first event, birth, payload)
    for c in cases:
        raw_people.append((c.start, c.birth, c))

    plan_cases = [c for c in cases if not c.statement]
    issue = [c.plan_start for c in plan_cases]
    durations, week20 = sim.request_durations(issue)
    plan_requests = []
    for c, d, w in zip(plan_cases, durations, week20):
        # no EHC request before the reforms' run-up (plans began in September 2014)
        d = max(min(d, (c.plan_start - cal.EARLIEST_REQUEST).days), 42)
        received = c.plan_start - timedelta(days=d)
        dd = min(sim.decision_days(), d - 28)
        plan_requests.append((c, received, received + timedelta(days=dd), w))

    # requests without a plan, and the pipeline of plans not yet issued at as_of
    extras = []
    # extra requests follow the flow of plan requests (about 0.45 per plan request)
    extra_at = rng.random(len(plan_requests)) < cal.EXTRA_REQUESTS_PER_PLAN
    for (c, plan_received, _dec, _w), chosen in zip(plan_requests, extra_at):
        if not chosen:
            continue
        received = plan_received + timedelta(days=int(rng.integers(-90, 91)))
        received = min(max(received, cal.EHCP_START), as_of)
        kind = sim.pick(cal.EXTRA_OUTCOMES)
        dd = sim.decision_days()
        if kind == "N":
            dec, asm = received + timedelta(days=dd), None
        elif kind == "W":
            dec, asm = received + timedelta(days=int(rng.integers(7, 36))), None
        elif kind == "aN":
            dec = received + timedelta(days=dd)
            asm = received + timedelta(days=int(rng.integers(max(dd + 14, 70), 113)))
        else:
            dec = received + timedelta(days=dd)
            asm = received + timedelta(days=int(rng.integers(dd + 7, 131)))
        extras.append((kind, received, dec, asm))
    recent = [c for c in plan_cases if c.plan_start > as_of - timedelta(days=365)]
    n_pipe = round(len(recent) * 150 / 365)
    pipe_issue = [as_of + timedelta(days=int(rng.integers(1, 151))) for _ in range(n_pipe)]
    pipe_days, pipe_w20 = sim.request_durations(pipe_issue)
    for s, d, w in zip(pipe_issue, pipe_days, pipe_w20):
        received = s - timedelta(days=d)
        if received > as_of:
            continue
        dd = min(sim.decision_days(), d - 28)
        extras.append(("pipe", received, received + timedelta(days=dd), s))
    for e in extras:
        raw_people.append((e[1], sim.birth_for_start(e[1]), e))

    order = sorted(range(len(raw_people)), key=lambda i: (raw_people[i][0], i))
    persons: list[Person] = []
    person_of: dict[int, Person] = {}
    sexes = rng.random(len(order))
    eth_keys = list(cal.ETHNICITY_MIX)
    eth_p = np.array([cal.ETHNICITY_MIX[k] for k in eth_keys])
    eths = rng.choice(len(eth_keys), size=len(order), p=eth_p / eth_p.sum())
    districts = POSTCODE_DISTRICTS[spec.like]
    for n, i in enumerate(order):
        first, birth, payload = raw_people[i]
        sex = "M" if sexes[n] < cal.MALE_SHARE else ("F" if sexes[n] < 0.997 else "U")
        p = Person(f"{code}-C{n + 1:06d}", n + 1, first, birth, sex, eth_keys[int(eths[n])])
        names = MALE_NAMES if sex == "M" else FEMALE_NAMES
        p.surname = SURNAMES[int(rng.integers(len(SURNAMES)))]
        p.forename = names[int(rng.integers(len(names)))]
        letters = rng.integers(0, len(POSTCODE_LETTERS), 2)
        p.postcode = (f"{districts[int(rng.integers(len(districts)))]} {int(rng.integers(1, 10))}"
                      f"{POSTCODE_LETTERS[letters[0]]}{POSTCODE_LETTERS[letters[1]]}")
        _identity(p, spec, rng)
        persons.append(p)
        person_of[id(payload)] = p

    # requests (ids in order of receipt)
    req_rows = []
    for c, received, dec, w in plan_requests:
        req_rows.append((received, "plan", c, dec, w))
    for e in extras:
        req_rows.append((e[1], e[0], e, e[2], e[3]))
    req_rows.sort(key=lambda r: (r[0], r[1] == "plan"))
    requests: list[Request] = []
    plan_of_case: dict[int, Request] = {}
    for n, (received, kind, payload, dec, extra) in enumerate(req_rows):
        person = person_of[id(payload)]
        age = age_on(person.birth, received)
        med, trib, amed, atrib = sim.flags()
        r = Request(f"{code}-R{n + 1:07d}", person, received, sim.pick(cal.REQUEST_SOURCE_MIX),
                    bool(age >= 16 and rng.random() < 0.5), "Y", dec, med, trib)
        if kind == "plan":
            r.asm_outcome, r.asm_date, r.week20 = "Y", payload.plan_start, extra
            r.asm_mediation, r.asm_tribunal = amed, atrib
            plan_of_case[id(payload)] = r
        elif kind == "pipe":
            r.asm_outcome, r.asm_date = "A", None
            r.week20 = bool(rng.random() < 0.03)
        else:
            asm = extra
            r.outcome = {"N": "N", "W": "W"}.get(kind, "Y")
            if kind in ("aN", "aW"):
                r.asm_outcome = "N" if kind == "aN" else "W"
                r.asm_date = asm
                r.asm_mediation, r.asm_tribunal = amed, atrib
                if asm > as_of:
                    r.asm_outcome, r.asm_date = "A", None
        if dec > as_of:
            r.outcome, r.decision_date, r.asm_outcome, r.asm_date = "A", None, None, None
        if r.outcome in ("N", "W", "A"):
            r.mediation = r.mediation and r.outcome == "N"
        person.requests.append(r)
        requests.append(r)

    # plans and transfers (ids in order of start)
    plan_cases_all = sorted((c for c in cases if c.plan_start is not None),
                            key=lambda c: (c.plan_start, person_of[id(c)].idx))
    plans: list[Plan] = []
    for n, c in enumerate(plan_cases_all):
        person = person_of[id(c)]
        pl = Plan(f"{code}-P{n + 1:07d}", person, c.plan_start, cease_date=c.end,
                  cease_reason=c.reason)
        if not c.statement:
            pl.request = plan_of_case[id(c)]
            pl.request.plan = pl
        person.plan = pl
        plans.append(pl)
    transfers: list[Transfer] = []
    st_cases = sorted((c for c in cases if c.statement), key=lambda c: (c.start, person_of[id(c)].idx))
    for n, c in enumerate(st_cases):
        person = person_of[id(c)]
        review_start = c.review_start or max(c.start + timedelta(days=1),
                                             (c.transfer_date or as_of) - timedelta(days=90))
        t = Transfer(f"{code}-T{n + 1:06d}", person, c.start, review_start, c.transfer_date,
                     c.transfer_outcome or "O", person.plan)
        if t.plan is not None:
            t.plan.transfer = t
        person.transfer = t
        transfers.append(t)

    # needs, plan attributes, placements, reviews
    need_keys = list(cal.NEED_MIX)
    need_p = np.array([cal.NEED_MIX[k] for k in need_keys])
    need_p /= need_p.sum()
    placements: list[Placement] = []
    reviews: list[Review] = []
    for person in persons:
        if person.plan is None and person.transfer is None:
            continue
        first = int(rng.choice(len(need_keys), p=need_p))
        person.needs.append((need_keys[first], 1, person.first_event))
        if rng.random() < 0.3:
            second = int(rng.choice(len(need_keys), p=need_p))
            if second != first:
                person.needs.append((need_keys[second], 2, person.first_event))
    for pl in plans:
        _placements(pl, sim, schools, placements, as_of)
        _attributes(pl, sim)
        _reviews(pl, sim, reviews, as_of)
    for n, p in enumerate(placements):
        p.pl_id = f"{code}-PL{n + 1:07d}"
    # reviews and phase transfers draw from their own stream, so that adding them left every
    # other figure of the sample as it was
    review_rng = np.random.default_rng([int(seed), 6151, spec.index])
    reviews = []
    phase_transfers: list[PhaseTransfer] = []
    for pl in plans:
        _review_cycle(pl, spec.like, review_rng, reviews, as_of)
        _phase_transfers(pl, spec.like, review_rng, phase_transfers, as_of)
    for n, r in enumerate(reviews):
        r.rv_id = f"{code}-RV{n + 1:07d}"
    for n, t in enumerate(phase_transfers):
        t.pt_id = f"{code}-PT{n + 1:06d}"
    return BoroughData(spec, as_of, persons, requests, plans, transfers, placements, reviews,
                       schools, years, phase_transfers)


def _identity(p: Person, spec: BoroughSpec, rng: np.random.Generator) -> None:
    age = age_on(p.birth, p.first_event)
    r = rng.random()
    if r < 0.03:
        p.upn_unknown = "UN1" if age < 6 else ("UN2", "UN3", "UN8", "UN9")[int(rng.integers(4))]
        return
    if r < 0.045 and age >= 16:
        p.uln = _uln(rng)
        return
    p.upn = make_upn(spec.la_number, 1000 + p.idx // 1000, p.birth.year + 5, p.idx % 1000)
    if age >= 16 and rng.random() < 0.3:
        p.uln = _uln(rng)


def _uln(rng: np.random.Generator) -> str:
    while True:
        body = str(int(rng.integers(100000000, 1000000000)))
        check = uln_check_digit(body)
        if check is not None:
            return body + str(check)


PHASE_MIX = {
    "early": {"mainstream_primary": 0.55, "special": 0.15, "EYP": 0.25, "independent": 0.05},
    "primary": {"mainstream_primary": 0.62, "special": 0.24, "independent": 0.08, "SETTING": 0.06},
    "secondary": {"mainstream_secondary": 0.5, "special": 0.3, "independent": 0.13, "SETTING": 0.07},
    "post16": {"college": 0.5, "special": 0.2, "independent": 0.12, "mainstream_secondary": 0.08,
               "SETTING16": 0.1},
}


def _phase(age: int) -> str:
    return "early" if age < 5 else "primary" if age < 11 else "secondary" if age < 16 else "post16"


def _placements(pl: Plan, sim: _Sim, schools: dict, out: list, as_of: date) -> None:
    person = pl.person
    rng = sim.rng
    begin = person.transfer.statement_date if person.transfer is not None else pl.start
    limit = pl.cease_date or as_of
    bounds = [begin]
    for age in (5, 11, 16):
        bday = add_years(person.birth, age)
        sept = date(bday.year if bday <= date(bday.year, 9, 1) else bday.year + 1, 9, 1)
        if begin < sept <= limit and sept > pl.start:
            bounds.append(sept)
    # segments overlapping the plan: the last boundary at or before the plan start onwards
    first = max(i for i, b in enumerate(bounds) if b <= pl.start)
    bounds = bounds[first:]
    for k, entry in enumerate(bounds):
        leaving = bounds[k + 1] - timedelta(days=1) if k + 1 < len(bounds) else pl.cease_date
        kind = sim.pick(PHASE_MIX[_phase(age_on(person.birth, entry))])
        out.append(_placement(pl, kind, 1, entry, leaving, schools, rng))
        pl.placements.append(out[-1])
        if k == 0 and rng.random() < 0.03:
            kind2 = "special" if kind != "special" else "mainstream_primary"
            out.append(_placement(pl, kind2, 2, entry, leaving, schools, rng))
            pl.placements.append(out[-1])


def _placement(pl, kind, rank, entry, leaving, schools, rng) -> Placement:
    if kind in ("EYP", "SETTING", "SETTING16"):
        setting = {"EYP": ("EYP",), "SETTING": ("EHE", "OLA", "OPA", "OTH"),
                   "SETTING16": ("NEET", "OTH", "OLA", "NIEO")}[kind]
        return Placement("", pl, "setting", None, None, setting[int(rng.integers(len(setting)))],
                         rank, entry, leaving, False, False)
    school: School = schools[kind][int(rng.integers(len(schools[kind])))]
    mainstream = kind.startswith("mainstream")
    return Placement("", pl, kind, school.urn, school.ukprn, None, rank, entry, leaving,
                     bool(mainstream and rng.random() < 0.05),
                     bool(mainstream and rng.random() < 0.08))


def _attributes(pl: Plan, sim: _Sim) -> None:
    rng = sim.rng
    first = pl.placements[0].kind if pl.placements else ""
    if first in ("independent", "special") and rng.random() < 0.12:
        pl.res = "A" if rng.random() < 0.6 else "B"
    if age_on(pl.person.birth, pl.start) >= 16 and rng.random() < 0.06:
        pl.wbp = ("S", "A", "T")[int(rng.integers(3))]
    pl.pb = bool(rng.random() < 0.1)
    pl.oa = bool(rng.random() < 0.03)
    if pl.pb and rng.random() < 0.5:
        pl.dp = ("E", "S", "H", "I")[int(rng.integers(4))]


def _reviews(pl: Plan, sim: _Sim, out: list, as_of: date) -> None:
    rng = sim.rng
    end = pl.cease_date or as_of + timedelta(days=1)
    k = 1
    while True:
        d = add_years(pl.start, k) + timedelta(days=int(rng.integers(-20, 21)))
        if d >= end or d > as_of:
            break
        outcome = "A" if rng.random() < 0.25 else "M"
        if pl.cease_date and pl.cease_reason != "1" and (pl.cease_date - d).days < 120:
            outcome = "C"
        r = Review("", pl, d, outcome)
        out.append(r)
        pl.reviews.append(r)
        k += 1


def _review_cycle(pl: Plan, like: str, rng: np.random.Generator, out: list, as_of: date) -> None:
    """Re-date a plan's annual reviews as a chain: each meeting within 12 months of the plan or
    the last review (the borough's on-time share, calibration.REVIEW_ON_TIME), else late by up
    to REVIEW_LATE_DAYS; then the decision, notified within 4 weeks at the borough's share, and
    for an amendment the draft (with the decision) and final amended plans."""
    four_weeks = LIMITS.review_decision_days
    end = pl.cease_date or as_of + timedelta(days=1)
    outcomes = [r.outcome for r in pl.reviews]
    pl.reviews = []
    anchor = pl.start
    while True:
        due = add_years(anchor, 1)
        if rng.random() < cal.REVIEW_ON_TIME[like]:
            meeting = due - timedelta(days=int(rng.integers(0, 43)))
        else:
            meeting = due + timedelta(days=int(rng.integers(1, cal.REVIEW_LATE_DAYS + 1)))
        if meeting >= end or meeting > as_of:
            break
        k = len(pl.reviews)
        outcome = outcomes[k] if k < len(outcomes) else ("A" if rng.random() < 0.25 else "M")
        if pl.cease_date and pl.cease_reason != "1" and (pl.cease_date - meeting).days < 120:
            outcome = "C"
        if rng.random() < cal.REVIEW_DECISION_ON_TIME[like]:
            days = int(rng.integers(3, four_weeks + 1))
        else:
            days = int(rng.integers(four_weeks + 1, 91))
        decision = meeting + timedelta(days=days)
        r = Review("", pl, meeting, outcome, decision if decision <= as_of else None)
        if outcome == "A" and r.decision_date is not None:
            r.draft_date = r.decision_date
            final = r.draft_date + timedelta(days=int(rng.integers(14, cal.AMENDED_PLAN_DAYS[1] + 1)
                                                  if rng.random() < cal.AMENDED_PLAN_DAYS[0]
                                                  else rng.integers(cal.AMENDED_PLAN_DAYS[1] + 1, 121)))
            r.final_date = final if final <= as_of else None
        out.append(r)
        pl.reviews.append(r)
        anchor = meeting


# the phase transfers a plan is amended for: (code, age at the birthday before the September
# move, as _placements draws its phases) and which statutory deadline applies
PHASE_TRANSFERS = (("EY", 5, "phase_transfer_deadline"), ("SEC", 11, "phase_transfer_deadline"),
                   ("P16", 16, "post16_transfer_deadline"))


def _phase_transfers(pl: Plan, like: str, rng: np.random.Generator, out: list, as_of: date) -> None:
    """The plan's moves between phases: each September move whose deadline (15 February, or
    31 March into post-16) falls while the plan is active, recorded from a year before the move;
    finalised by the deadline at the borough's share (calibration.PHASE_TRANSFER_ON_TIME)."""
    for kind, age, deadline in PHASE_TRANSFERS:
        bday = add_years(pl.person.birth, age)
        move = date(bday.year if bday <= date(bday.year, 9, 1) else bday.year + 1, 9, 1)
        due = LIMITS.deadline_on(getattr(LIMITS, deadline), move.year)
        if pl.start > due or (pl.cease_date is not None and pl.cease_date < due):
            continue
        if move - timedelta(days=365) > as_of or due < cal.EHCP_START:
            continue
        if rng.random() < cal.PHASE_TRANSFER_ON_TIME[like]:
            final = due - timedelta(days=int(rng.integers(0, 61)))
        else:
            final = due + timedelta(days=int(rng.integers(1, 91)))
        final = max(final, pl.start)
        out.append(PhaseTransfer("", pl, kind, move, due, final if final <= as_of else None))
