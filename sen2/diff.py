"""`sendwh sen2 diff OLD.xml NEW.xml`: what changed between two SEN2 returns.

Persons are matched by UPN, else ULN, else surname, forename and birth date; plans by their
person and start date. Reported: persons and plans added and removed, persons whose
requests or plans changed, and plans that were active in the old return but are neither
active nor ceased (with a reason) in the new one: the case the SEN2 officer must explain.
Each file is streamed one Person at a time; only a small summary per person is kept.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from lxml import etree

from extract.sen2_xml import ALIASES
from extract.xmlsafe import PARSE_OPTIONS, declared_dtd, dtd_reason, is_xinclude, xinclude_reason


class UnsafeReturn(ValueError):
    """A return that declares a DTD or uses XInclude: refused, as the loader refuses it."""


@dataclass(frozen=True)
class PlanState:
    start: str
    cease: str | None
    reason: str | None
    active: bool


@dataclass
class PersonState:
    label: str
    requests: tuple[tuple[str | None, ...], ...]
    plans: dict[str, PlanState]


@dataclass
class ReturnDiff:
    old: str
    new: str
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    changed: list[tuple[str, str]] = field(default_factory=list)
    plans_added: list[str] = field(default_factory=list)
    plans_removed: list[str] = field(default_factory=list)
    plans_vanished: list[str] = field(default_factory=list)   # active, then gone without a cease


def _name(element) -> str | None:
    tag = element.tag if isinstance(element.tag, str) else ""
    return ALIASES.get(tag.rsplit("}", 1)[-1].lower())


def _leaves(element) -> dict[str, str | None]:
    return {_name(c): (c.text or "").strip() or None for c in element
            if isinstance(c.tag, str) and len(c) == 0 and _name(c)}


def _blocks(element, local: str) -> list:
    return [c for c in element if isinstance(c.tag, str) and c.tag.rsplit("}", 1)[-1].lower() == local]


def read_persons(path: Path) -> Iterator[tuple[str, PersonState]]:
    started = False
    for event, person in etree.iterparse(str(path), events=("start", "end"), **PARSE_OPTIONS):
        if event == "start":
            if not started and (doctype := declared_dtd(person)):
                raise UnsafeReturn(f"{path.name}: {dtd_reason(doctype)}")
            started = True
            if is_xinclude(person):
                raise UnsafeReturn(f"{path.name}: {xinclude_reason(person)}")
            continue
        if not isinstance(person.tag, str) or person.tag.rsplit("}", 1)[-1].lower() != "person":
            continue
        f = _leaves(person)
        key = (f"UPN:{f['upn']}" if f.get("upn") else f"ULN:{f['uln']}" if f.get("uln")
               else f"NDB:{(f.get('surname') or '').lower()}|{(f.get('forename') or '').lower()}|{f.get('birth_date')}")
        label = f.get("upn") or f.get("uln") or f"{f.get('forename')} {f.get('surname')} ({f.get('birth_date')})"
        requests, plans = [], {}
        for request in _blocks(person, "requests"):
            r = _leaves(request)
            requests.append((r.get("received_date"), r.get("request_outcome"), r.get("request_outcome_date")))
            active = bool(_blocks(request, "activeplans"))
            for assessment in _blocks(request, "assessment"):
                a = _leaves(assessment)
                requests[-1] += (a.get("assessment_outcome"), a.get("assessment_outcome_date"))
                for plan in _blocks(assessment, "namedplan"):
                    p = _leaves(plan)
                    if p.get("start_date"):
                        plans[p["start_date"]] = PlanState(p["start_date"], p.get("cease_date"),
                                                           p.get("cease_reason"), active)
        yield key, PersonState(label, tuple(sorted(requests, key=str)), plans)
        person.clear()
        while person.getprevious() is not None:
            del person.getparent()[0]


def diff_returns(old: Path, new: Path) -> ReturnDiff:
    result = ReturnDiff(str(old), str(new))
    before = dict(read_persons(old))
    seen: set[str] = set()
    for key, now in read_persons(new):
        seen.add(key)
        was = before.get(key)
        if was is None:
            result.added.append(now.label)
            result.plans_added += [f"{now.label} plan from {s}" for s in now.plans]
            continue
        if was.requests != now.requests or was.plans != now.plans:
            what = []
            if was.requests != now.requests:
                what.append("requests")
            if was.plans != now.plans:
                what.append("plans")
            result.changed.append((now.label, " and ".join(what)))
        for start, plan in was.plans.items():
            later = now.plans.get(start)
            if later is None:
                result.plans_removed.append(f"{now.label} plan from {start}")
            if plan.active and not plan.cease and (later is None or not (later.active or later.cease)):
                result.plans_vanished.append(f"{now.label} plan from {start}")
        result.plans_added += [f"{now.label} plan from {s}" for s in now.plans if s not in was.plans]
    for key, was in before.items():
        if key in seen:
            continue
        result.removed.append(was.label)
        for start, plan in was.plans.items():
            result.plans_removed.append(f"{was.label} plan from {start}")
            if plan.active and not plan.cease:
                result.plans_vanished.append(f"{was.label} plan from {start}")
    return result
