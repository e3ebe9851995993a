"""Validate a SEN2 return as a stream, one Person at a time (docs sen2-spec.md).

    from sen2.validator import validate_file
    result = validate_file(Path("HF_SEN2_2026.xml"))          # FileResult
    result.errors, result.queries, result.findings

Order of checks: well-formed XML (SEN2-R000), the year's XSD (SEN2-R001, see below), then
every rule in sen2.rules. Memory stays flat whatever the file size:

- lxml iterparse; each Person is checked, validated and cleared before the next is read
  (and the finished siblings are deleted), so only one Person subtree is ever in memory;
- the XSD is applied per subtree: the Header against the schema's Header element and each
  Person against its Person element (the schema declares both globally). The whole
  document is never validated in one go;
- the only cross-person state is a dict UPN -> first person position, for duplicate UPNs
  (SEN2-R033): about 13 characters and an int per person, some 10 MB for 100,000 persons;
- spelling notes (SEN2-R025/R026) are counted per spelling, not stored per element.
  Findings themselves are kept (a report groups them), so a file where every person is
  wrong holds one small record per finding.

Element names are matched case-insensitively and the spec's known variants are accepted,
using extract.sen2_xml.ALIASES (the reader's map) to find each element's spec spelling.
Before the XSD check each element is renamed to that spelling, so the XSD sees one form.
XSD messages duplicate the rules' (a missing item, a code not in its list); an XSD message
is only reported (as SEN2-R001) when no rule reported a finding on the same element.

A namespace on the elements (the spec says none) is ignored: names are matched on their
local part.

A file is "unreadable" (raises Unreadable, exit 2 from the CLI) when it is missing, empty
or not XML at all (fails before the root element). A later syntax error is SEN2-R000.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable

from lxml import etree

from extract.sen2_xml import KNOWN_VARIANTS
from extract.xmlsafe import PARSE_OPTIONS, declared_dtd, dtd_reason, is_xinclude, xinclude_reason
from foundation import codes
from foundation.identifiers import uln_is_valid, upn_is_valid
from foundation.reference import (
    ProfileItem,
    boroughs,
    census_date,
    ethnicity_main_codes,
    sen2_profile,
    sen2_profile_years,
)
from foundation.reference import codes as code_list
from foundation.settings import get_settings

from . import rules as R
from .rules import ERROR, QUERY, RULES
from .xsd import code_list_for_year, xsd_text

# --- element names and items: the collection-year profiles --------------------------------
PROFILE_YEARS = sen2_profile_years()
# every item of any year, lower-case -> its spelling in the evidence; and the variants
CANONICAL: dict[str, str] = {i.item.lower(): i.item for y in PROFILE_YEARS for i in sen2_profile(y)}
CANONICAL.update({b.lower(): b for y in PROFILE_YEARS for b in {i.block for i in sen2_profile(y)}})
CANONICAL.update({variant.lower(): item for variant, item in KNOWN_VARIANTS.items()})
BLOCKS = frozenset(i.item for y in PROFILE_YEARS for i in sen2_profile(y) if i.kind == "block") | {"Message"}

# yes/no items: the evidence's 1/0, and true/false (the spec's reading decision)
YES_NO = frozenset(code_list("yes_no")) | {"true", "false"}


@lru_cache(maxsize=None)
def spec(year: int) -> dict[str, dict[str, ProfileItem]]:
    """{block: {item: its profile entry}} for a collection year (the newest profile for a
    later year, the oldest for an earlier one)."""
    year = max(year, PROFILE_YEARS[0])
    out: dict[str, dict[str, ProfileItem]] = {}
    for item in sen2_profile(year):
        out.setdefault(item.block, {})[item.item] = item
    return out


@lru_cache(maxsize=None)
def item_years(block: str, item: str) -> tuple[tuple[int, ...], tuple[tuple[str, tuple[int, ...]], ...]]:
    """The years an item is in this block, and the (other block, years) it is in elsewhere."""
    here: list[int] = []
    elsewhere: dict[str, list[int]] = {}
    for year in PROFILE_YEARS:
        for entry in sen2_profile(year):
            if entry.item != item:
                continue
            (here if entry.block == block else elsewhere.setdefault(entry.block, [])).append(year)
    return tuple(here), tuple((b, tuple(ys)) for b, ys in elsewhere.items())


def years_text(years: tuple[int, ...]) -> str:
    """2023; 2023-2024; 2025 on (the newest profile's items run on)."""
    if not years:
        return "no year"
    newest = PROFILE_YEARS[-1]
    if years[-1] == newest:
        return f"{years[0]} on" if len(years) > 1 or years[0] != newest else f"{newest} on"
    return str(years[0]) if len(years) == 1 else f"{years[0]}-{years[-1]}"


@lru_cache(maxsize=None)
def codes_in(name: str, year: int) -> frozenset[str]:
    if name == "yes_no":
        return YES_NO
    return frozenset(code_list_for_year(name, year))


_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?")
_FILE_NAME = re.compile(r"^(?P<borough>[A-Za-z0-9]+)_SEN2_(?P<year>\d{4})", re.I)


class Unreadable(Exception):
    """The file cannot be read as XML at all (missing, empty, not XML): exit 2."""


@dataclass
class Finding:
    rule: str
    severity: str
    person: str | None
    item: str | None
    message: str
    file: str | None = None
    line: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"rule": self.rule, "severity": self.severity, "person": self.person,
                "item": self.item, "message": self.message, "file": self.file, "line": self.line}


@dataclass
class FileResult:
    path: str
    findings: list[Finding] = field(default_factory=list)
    persons: int = 0
    year: int | None = None
    lea: str | None = None
    unreadable: str | None = None

    def count(self, severity: str) -> int:
        return sum(1 for f in self.findings if f.severity == severity)

    @property
    def errors(self) -> int:
        return self.count(ERROR)

    @property
    def queries(self) -> int:
        return self.count(QUERY)

    def rule_counts(self) -> Counter:
        return Counter(f.rule for f in self.findings)

    def rules_with(self, severity: str | None = None) -> set[str]:
        return {f.rule for f in self.findings if severity is None or f.severity == severity}


@lru_cache(maxsize=None)
def schema(year: int) -> etree.XMLSchema:
    """The compiled XSD for a return year, derived from its profile (sen2.xsd)."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    return etree.XMLSchema(etree.fromstring(xsd_text(max(year, PROFILE_YEARS[0])).encode(), parser))


def borough_lea(borough: str) -> str | None:
    """A borough code's LA number (foundation.reference: the boroughs seed and extra boroughs)."""
    known = boroughs()
    return known[borough].la_number if borough in known else None


def _local(element) -> str:
    tag = element.tag
    return _local_name(tag) if isinstance(tag, str) else ""


@lru_cache(maxsize=4096)
def _local_name(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


@lru_cache(maxsize=4096)
def _key(tag: str) -> str:
    return tag.rsplit("}", 1)[-1].lower()


def _text(element) -> str | None:
    text = (element.text or "").strip()
    return text or None


def _parse_date(value: str) -> date | None:
    if not _DATE.fullmatch(value):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def _age(birth: date, on: date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


class _Validator:
    def __init__(self, path: Path, year: int | None, lea: str | None, borough: str | None,
                 today: date | None) -> None:
        self.path = Path(path)
        self.file = str(path)
        self.result = FileResult(self.file)
        self.year_option = year
        self.lea_option = lea
        self.borough_option = borough
        self.today = today or date.today()
        self.year: int | None = None
        self.ref: date | None = None
        self.expected_lea: str | None = None
        self.expected_from = ""
        self.upns: dict[str, int] = {}
        self.spellings: dict[tuple[str, str, str], list] = {}
        # per-block context
        self.person_label: str | None = None
        self.base: str = ""          # getpath() of the Person/Header being checked
        self.root_name = ""          # "/Person" or "/Header"
        self.anchored: set[str] = set()

    # --- findings -------------------------------------------------------------------------
    def add(self, rule_id: str, anchor, item: str | None, text: str) -> None:
        rule = RULES[rule_id]
        where = ", ".join(x for x in (self.person_label, item) if x)
        line = anchor.sourceline if anchor is not None else None
        if anchor is not None and self.base:
            self.anchored.add(self._rel(anchor))
        message = f"{where}: {text}" if where else text
        if line:
            message += f" (line {line})"
        self.result.findings.append(Finding(rule_id, rule.severity, self.person_label, item,
                                            message, self.file, line))

    def _rel(self, element) -> str:
        full = element.getroottree().getpath(element)
        return self.root_name + full[len(self.base):]

    # --- names ----------------------------------------------------------------------------
    def _normalise(self, block) -> None:
        """Rename each element to the spec's spelling, noting other spellings (R025/R026)."""
        for element in block.iter():
            if not isinstance(element.tag, str):
                continue
            local = _local_name(element.tag)
            canon = CANONICAL.get(_key(element.tag))
            if canon is None:
                if local != element.tag:
                    element.tag = local
                continue
            expected = canon
            if local != expected:
                rule_id = "SEN2-R026" if local in KNOWN_VARIANTS else "SEN2-R025"
                key = (rule_id, local, expected)
                seen = self.spellings.get(key)
                if seen is None:
                    self.spellings[key] = [1, self.person_label, element.sourceline]
                else:
                    seen[0] += 1
            if element.tag != canon:
                element.tag = canon

    def _spelling_findings(self) -> None:
        for (rule_id, used, expected), (count, first, line) in self.spellings.items():
            times = f"{count:,} time{'s' if count != 1 else ''}"
            where = f"first at {first}, line {line}" if first else f"first at line {line}"
            if rule_id == "SEN2-R025":
                text = (f"element <{used}> read as {expected} ({times}, {where}): element names "
                        f"are matched case-insensitively; write <{expected}>")
            else:
                text = (f"<{used}> accepted for <{expected}>, a known spelling variant "
                        f"({times}, {where})")
            self.result.findings.append(Finding(rule_id, RULES[rule_id].severity, first, expected,
                                                text, self.file, line))

    # --- generic item checks -------------------------------------------------------------
    def _split(self, block) -> tuple[dict[str, list], dict[str, list]]:
        leaves: dict[str, list] = {}
        blocks: dict[str, list] = {}
        for child in block:
            if not isinstance(child.tag, str):
                continue
            name = child.tag
            (blocks if name in BLOCKS else leaves).setdefault(name, []).append(child)
        return leaves, blocks

    def _fields(self, block, spec_name: str, prefix: str, needed: Iterable[str] = (),
                quiet: Iterable[str] = (), exempt: Iterable[str] = ()) -> tuple[dict[str, Any], dict, dict]:
        """Check a block's items against the year's profile: items of the block only (another
        year's item is SEN2-R028), presence of required items (and of the conditional ones the
        caller says are `needed` here), once only, empty, type and code. `quiet` items are
        left to the caller; `exempt` ones are not required here. Returns the parsed values
        (None when absent, empty or invalid), the leaf and the block children."""
        items = spec(self.year or R.LATEST_CENSUS_YEAR).get(spec_name, {})
        needed, quiet, exempt = set(needed), set(quiet), set(exempt)
        leaves, blocks = self._split(block)
        values: dict[str, Any] = {}
        label = prefix or spec_name
        for name, elements in [*leaves.items(), *blocks.items()]:
            if name in items or name in quiet:
                continue
            item = f"{prefix}/{name}".lstrip("/")
            here, elsewhere = item_years(spec_name, name)
            if not here and not elsewhere:
                self.add("SEN2-R001", elements[0], item,
                         f"<{name}> is not part of {spec_name} in the return's shape")
                continue
            where = [f"in {spec_name} in {years_text(here)}"] if here else []
            where += [f"in {other} in {years_text(years)}" for other, years in elsewhere]
            self.add("SEN2-R028", elements[0], item,
                     f"<{name}> is not part of {spec_name} in a {self.year} return; it belongs "
                     f"{' and '.join(where)} (a file in another year's shape?)")
        for name, elements in leaves.items():
            if name in items and items[name].max_occurs == 1 and len(elements) > 1:
                self.add("SEN2-R027", elements[1], f"{prefix}/{name}".lstrip("/"),
                         f"{name} is given {len(elements)} times in {spec_name}; it occurs once")
        for name, entry in items.items():
            if entry.kind == "block" or name in quiet:
                continue
            item = f"{prefix}/{name}".lstrip("/")
            required = (entry.status == "required" or name in needed) and name not in exempt
            elements = leaves.get(name)
            if not elements:
                values[name] = None
                if required:
                    why = "" if entry.status == "required" else " here"
                    self.add("SEN2-R020", block, item,
                             f"required item {name} is missing from {label}{why}"
                             + (f" ({entry.note})" if entry.status == "conditional" and entry.note else ""))
                continue
            element = elements[0]
            raw = _text(element)
            if raw is None:
                values[name] = None
                if required:
                    self.add("SEN2-R023", element, item, f"required item <{name}> is empty")
                else:
                    self.add("SEN2-R024", element, item,
                             f"empty element <{name}/>: leave an optional item out rather than "
                             "sending it empty")
                continue
            values[name] = self._typed(name, entry.kind, entry.code_list, raw, element, item)
        return values, leaves, blocks

    def _code(self, name: str, list_name: str, raw: str, element, item: str) -> str | None:
        year = self.year or R.LATEST_CENSUS_YEAR
        allowed = codes_in(list_name, year)
        if raw in allowed:
            return raw
        known = code_list(list_name) if list_name != "yes_no" else {}
        if raw in known and known[raw].first_year and known[raw].first_year > year:
            self.add("SEN2-R021", element, item, f"{name} {raw!r} ({known[raw].description}) is "
                     f"in the list only from {known[raw].first_year}; this is a {year} return")
            return None
        hint = f" (did you mean {raw.upper()!r}?)" if raw.upper() in allowed else ""
        self.add("SEN2-R021", element, item, f"{name} {raw!r} is not in its code list "
                 f"({' '.join(sorted(allowed))}){hint}")
        return None

    def _typed(self, name: str, kind: str, list_name: str | None, raw: str, element, item: str) -> Any:
        if kind == "date":
            value = _parse_date(raw)
            if value is None:
                self.add("SEN2-R022", element, item, f"{name} {raw!r} is not a real date (YYYY-MM-DD)")
            return value
        if kind == "datetime":
            ok = _DATETIME.fullmatch(raw)
            if ok:
                try:
                    datetime.fromisoformat(raw)
                except ValueError:
                    ok = None
            if not ok:
                self.add("SEN2-R022", element, item,
                         f"{name} {raw!r} is not a real date-time (YYYY-MM-DDThh:mm:ss)")
            return raw if ok else None
        if kind in ("code", "yesno"):
            value = self._code(name, list_name or "yes_no", raw, element, item)
            if name == "Sex" and value == "U" and (self.year or 0) >= R.SEX_FROM:
                policy = get_settings().sen2_sex_u
                if policy == "reject":
                    self.add("SEN2-R021", element, item, "Sex 'U' is not in the list from "
                             f"{R.SEX_FROM} (SENDWH_SEN2_SEX_U=reject; the evidence lists M, F)")
                    return None
                if policy != "accept":
                    self.add("SEN2-R036", element, item, f"Sex 'U' in a {self.year} return: the "
                             f"{R.SEX_FROM}-{R.LATEST_PROFILE} evidence XSDs list M and F only "
                             "(set SENDWH_SEN2_SEX_U=accept or reject to decide)")
            return value
        if kind == "serial":
            if not (raw.isascii() and raw.isdigit() and len(raw) == 3):
                self.add("SEN2-R019", element, item, f"SerialNo {raw!r} is not three digits "
                         "(e.g. 001)")
                return None
            return raw
        if kind == "ethnicity":
            main = ethnicity_main_codes().get(raw) or codes.normalise_ethnicity(raw)
            if main not in codes.ETHNICITY:
                self.add("SEN2-R021", element, item, f"Ethnicity {raw!r} is neither a school "
                         "census main code nor an extended code")
                return None
            return main
        if kind == "upn":
            if not upn_is_valid(raw):
                why = ("wrong check letter" if len(raw) == 13 and raw[1:12].isdigit()
                       else "not 13 characters: a check letter, 11 digits and a digit or letter")
                self.add("SEN2-R031", element, item, f"UPN {raw!r} is not a valid UPN ({why})")
            return raw
        if kind == "uln":
            if not uln_is_valid(raw):
                why = ("wrong check digit" if len(raw) == 10 and raw.isdigit() else "not 10 digits")
                self.add("SEN2-R032", element, item, f"UniqueLearnerNumber {raw!r} is not valid ({why})")
                return None
            return raw
        if kind in ("urn", "ukprn", "la", "lea"):
            digits, rule_id = {"urn": (6, "SEN2-R061"), "ukprn": (8, "SEN2-R062"),
                               "la": (3, "SEN2-R063"), "lea": (3, "SEN2-R013")}[kind]
            if not (raw.isdigit() and raw.isascii() and len(raw) == digits):
                self.add(rule_id, element, item, f"{name} {raw!r} is not {digits} digits")
                return None
            return raw
        return raw  # text; year and Collection are checked with the header

    # --- header ----------------------------------------------------------------------------
    def prescan(self) -> dict[str, str | None]:
        """Read up to the end of the Header (usually the first kilobyte) for Year and LEA."""
        found: dict[str, str | None] = {}
        started = False
        try:
            for event, element in etree.iterparse(str(self.path), events=("start", "end"),
                                                  remove_comments=True, remove_pis=True,
                                                  **PARSE_OPTIONS):
                if event == "start":
                    if not started and (doctype := declared_dtd(element)):
                        raise Unreadable(f"{self.file}: {dtd_reason(doctype)}")
                    started = True
                    continue
                key = _local(element).lower()
                if key == "header":
                    for child in element.iter():
                        canon = CANONICAL.get(_local(child).lower())
                        if canon in ("Year", "ReferenceDate", "LEA") and len(child) == 0:
                            found[canon] = _text(child)
                    break
                if key == "person":   # a Header after the Persons: keep reading, flat
                    element.clear(keep_tail=False)
                    parent = element.getparent()
                    while parent is not None and element.getprevious() is not None:
                        del parent[0]
        except etree.XMLSyntaxError as err:
            if not started:
                raise Unreadable(f"{self.file}: not XML ({err.msg})") from None
        if not started:
            raise Unreadable(f"{self.file}: not XML (no root element)")
        return found

    def resolve(self, found: dict[str, str | None]) -> None:
        header_year = found.get("Year")
        year = int(header_year) if header_year and header_year.isdigit() and len(header_year) == 4 else None
        match = _FILE_NAME.match(self.path.name)
        if self.year_option:
            self.year = self.year_option
        elif year:
            self.year = year
        elif match:
            self.year = int(match["year"])
        self.ref = census_date(self.year)
        if self.ref is None and found.get("ReferenceDate"):
            self.ref = _parse_date(found["ReferenceDate"] or "")
        if self.lea_option:
            self.expected_lea, self.expected_from = self.lea_option, "--lea"
        elif self.borough_option:
            self.expected_lea = borough_lea(self.borough_option)
            self.expected_from = f"--borough {self.borough_option}"
        elif match and borough_lea(match["borough"].upper()):
            self.expected_lea = borough_lea(match["borough"].upper())
            self.expected_from = f"the file name ({match['borough'].upper()})"
        self.result.year = self.year

    def header(self, header) -> None:
        self.person_label = None
        self.base = header.getroottree().getpath(header)
        self.root_name = "/Header"
        self.anchored = set()
        self._normalise(header)
        leaves, blocks = self._split(header)
        for name, elements in [*leaves.items(), *blocks.items()]:
            if name not in ("CollectionDetails", "Source"):
                self.add("SEN2-R001", elements[0], f"Header/{name}",
                         f"<{name}> is not part of Header in the return's shape")
            elif len(elements) > 1:
                self.add("SEN2-R027", elements[1], f"Header/{name}",
                         f"{name} is given {len(elements)} times in the Header; it occurs once")
        for name in ("CollectionDetails", "Source"):
            if not blocks.get(name):
                self.add("SEN2-R020", header, f"Header/{name}", f"required block {name} is missing "
                         "from the Header")
        cd = (blocks.get("CollectionDetails") or [None])[0]
        if cd is not None:
            v, leaves, _ = self._fields(cd, "CollectionDetails", "Header/CollectionDetails")
            if v["Collection"] is not None and v["Collection"] != "SEN2":
                self.add("SEN2-R010", leaves["Collection"][0], "Header/CollectionDetails/Collection",
                         f"Collection is {v['Collection']!r}, not 'SEN2'")
            raw_year = v["Year"]
            if raw_year is not None:
                element = leaves["Year"][0]
                if not (raw_year.isdigit() and len(raw_year) == 4 and int(raw_year) >= R.FIRST_YEAR):
                    self.add("SEN2-R011", element, "Header/CollectionDetails/Year",
                             f"Year {raw_year!r} is not a 4-digit collection year from "
                             f"{R.FIRST_YEAR} on")
                elif self.year_option and int(raw_year) != self.year_option:
                    self.add("SEN2-R017", element, "Header/CollectionDetails/Year",
                             f"Header Year is {raw_year} but --year {self.year_option} was given; "
                             f"checking as a {self.year_option} return")
            expected = census_date(self.year)
            if v["ReferenceDate"] is not None and expected and v["ReferenceDate"] != expected:
                self.add("SEN2-R012", leaves["ReferenceDate"][0], "Header/CollectionDetails/ReferenceDate",
                         f"ReferenceDate is {v['ReferenceDate']}, but the {self.year} census date "
                         f"is {expected}")
        src = (blocks.get("Source") or [None])[0]
        if src is not None:
            early = self.year is not None and self.year < R.DSCO_FROM
            v, leaves, _ = self._fields(src, "Source", "Header/Source",
                                        quiet=("DSCO",) if early else (), exempt=("DSCO",))
            lea = v["LEA"]
            self.result.lea = lea
            if lea and self.expected_lea and lea != self.expected_lea:
                self.add("SEN2-R014", leaves["LEA"][0], "Header/Source/LEA",
                         f"LEA is {lea}, but {self.expected_from} gives {self.expected_lea}")
            dsco = leaves.get("DSCO")
            if self.year is not None and self.year >= R.DSCO_REQUIRED_FROM and not dsco:
                self.add("SEN2-R015", src, "Header/Source/DSCO",
                         f"DSCO is required from {R.DSCO_REQUIRED_FROM}; this is a {self.year} return")
            elif self.year is not None and self.year < R.DSCO_FROM and dsco:
                self.add("SEN2-R016", dsco[0], "Header/Source/DSCO",
                         f"DSCO is given in a {self.year} return; it is part of the return "
                         f"only from {R.DSCO_FROM} (voluntary in {R.DSCO_FROM}, required from "
                         f"{R.DSCO_REQUIRED_FROM})")
        if self.year is None:
            self.add("SEN2-R011", header, "Header/CollectionDetails/Year",
                     "no usable collection Year (header, --year or file name): year-dependent "
                     f"checks use the {R.LATEST_CENSUS_YEAR} schema and are skipped where they "
                     "need a reference date")
        self._xsd(header)

    # --- XSD ------------------------------------------------------------------------------
    def _xsd(self, element) -> None:
        xsd = schema(self.year or R.LATEST_CENSUS_YEAR)
        if xsd.validate(element):
            return
        seen: set[str] = set()
        for error in xsd.error_log:
            path = error.path or ""
            if path in self.anchored or path in seen:
                continue
            seen.add(path)
            parts = path.split("/")[1:]
            item = "/".join(parts if self.root_name == "/Header" else parts[1:]) or None
            message = re.sub(r"^Element '[^']*':\s*", "", error.message)
            where = ", ".join(x for x in (self.person_label, item or path.lstrip("/")) if x)
            text = f"{where}: XSD: {message}"
            if error.line:
                text += f" (line {error.line})"
            self.result.findings.append(Finding("SEN2-R001", ERROR, self.person_label, item,
                                                text, self.file, error.line or None))

    # --- person -----------------------------------------------------------------------------
    def person(self, person, position: int) -> None:
        self.result.persons = position
        self.base = person.getroottree().getpath(person)
        self.root_name = "/Person"
        self.anchored = set()
        upn = None
        for child in person:
            if isinstance(child.tag, str) and _local(child).lower() == "upn":
                upn = _text(child)
                break
        self.person_label = f"person {position}" + (f" (UPN {upn})" if upn else "")
        self._normalise(person)
        person_items = spec(self.year or R.LATEST_CENSUS_YEAR)["Person"]
        sex_instead = "GenderCurrent" in person_items and self._peek(person, "Sex") is not None
        v, leaves, blocks = self._fields(person, "Person", "", quiet=("Sex",) if sex_instead else (),
                                         exempt=("GenderCurrent",) if sex_instead else ())
        if sex_instead:
            sex = leaves["Sex"][0]
            self.add("SEN2-R026", sex, "Sex", f"<Sex> accepted for <GenderCurrent> in a {self.year} "
                     "return (the evidence notes a live 2023 file that used Sex)")
            if _text(sex):
                self._code("Sex", "sex", _text(sex), sex, "Sex")
        if not any(leaves.get(k) and _text(leaves[k][0]) for k in
                   ("UPN", "UniqueLearnerNumber", "UPNunknown")):
            self.add("SEN2-R030", person, "UPN", "none of UPN, UniqueLearnerNumber or UPNunknown "
                     "is given")
        if v["UPN"]:
            first = self.upns.get(v["UPN"])
            if first is None:
                self.upns[v["UPN"]] = position
            else:
                self.add("SEN2-R033", leaves["UPN"][0], "UPN", f"UPN {v['UPN']} is also on "
                         f"person {first}: one Person record per child")
        requests = blocks.get("Requests", [])
        if not requests:
            self.add("SEN2-R020", person, "Requests", "a Person needs at least one Requests block")
        for n, request in enumerate(requests, 1):
            self._request(request, f"Requests[{n}]")
        birth = v["PersonBirthDate"]
        if birth is not None:
            self._age(birth, leaves["PersonBirthDate"][0],
                      any(r.find("ActivePlans") is not None for r in requests))
        self._xsd(person)

    def _age(self, birth: date, element, active: bool) -> None:
        if birth > self.today:
            self.add("SEN2-R034", element, "PersonBirthDate", f"PersonBirthDate {birth} is in the future")
            return
        if self.ref is None:
            return
        age = _age(birth, self.ref)
        if age < 0:
            self.add("SEN2-R035", element, "PersonBirthDate", f"born {birth}, after the reference "
                     f"date {self.ref} (age {age})")
            return
        # a person with no active plan is in the return for the period (calendar year Y-1):
        # the upper limit applies at its start, so a plan that ceased at 25 is no error
        on = self.ref if active or self.year is None else date(self.year - 1, 1, 1)
        age = _age(birth, on)
        if age > R.LIMITS.max_age:
            what = "the reference date" if on == self.ref else "the start of the period"
            self.add("SEN2-R035", element, "PersonBirthDate", f"age at {what} {on} is {age}, over "
                     f"{R.LIMITS.max_age} (PersonBirthDate {birth})")

    def _once(self, blocks: dict, name: str, prefix: str):
        elements = blocks.get(name) or []
        if len(elements) > 1:
            self.add("SEN2-R027", elements[1], f"{prefix}/{name}",
                     f"{name} is given {len(elements)} times; it occurs at most once")
        return elements[0] if elements else None

    def _peek(self, block, name: str) -> str | None:
        """A child item's text before the block is checked (to decide what it needs)."""
        for child in block:
            if child.tag == name:
                return _text(child)
        return None

    def _request(self, request, prefix: str) -> None:
        items = spec(self.year or R.LATEST_CENSUS_YEAR)["Requests"]
        outcome = self._peek(request, "RequestOutcome")
        needed = set()
        if outcome != "H":   # guide 2.1, 2.3: not required for a historical request
            needed |= {"ReceivedDate", "RYA"}
            if "RequestSource" in items and items["RequestSource"].status == "conditional":
                needed.add("RequestSource")
        if outcome not in ("A", "W", "H") and self._peek(request, "Exported") is None:
            needed |= {"RequestMediation", "RequestTribunal"}   # guide 2.5, 2.8
        v, leaves, blocks = self._fields(request, "Requests", prefix, needed=needed)
        received, outcome, outcome_date = v["ReceivedDate"], v["RequestOutcome"], v["RequestOutcomeDate"]
        if outcome in ("Y", "N") and outcome_date is None and not (
                leaves.get("RequestOutcomeDate") and _text(leaves["RequestOutcomeDate"][0])):
            self.add("SEN2-R040", request, f"{prefix}/RequestOutcomeDate",
                     f"RequestOutcomeDate is required when RequestOutcome is {outcome}")
        if outcome_date and received and outcome_date < received:
            self.add("SEN2-R041", leaves["RequestOutcomeDate"][0], f"{prefix}/RequestOutcomeDate",
                     f"RequestOutcomeDate {outcome_date} is before ReceivedDate {received}")
        assessment = self._once(blocks, "Assessment", prefix)
        active = self._once(blocks, "ActivePlans", prefix)
        if assessment is not None and outcome is not None and outcome not in ("Y", "H"):
            self.add("SEN2-R042", assessment, f"{prefix}/Assessment",
                     f"an Assessment is given but RequestOutcome is {outcome}; only Y or H "
                     "requests have one")
        a = plan = None
        if assessment is not None:
            a, plan = self._assessment(assessment, f"{prefix}/Assessment", received)
        placements: list[tuple[Any, date | None, date | None]] = []
        transfer_la = None
        if active is not None:
            placements, transfer_la = self._active(active, f"{prefix}/ActivePlans")
        asm_outcome = a["AssessmentOutcome"] if a else None
        asm_date = a["AssessmentOutcomeDate"] if a else None
        # plan ceasing before later placements (R054), or ceased with ActivePlans (R052)
        if plan is not None and plan.get("CeaseDate"):
            cease = plan["CeaseDate"]
            later = [(el, entry, leaving) for el, entry, leaving in placements
                     if (entry and entry > cease) or (leaving and leaving > cease)]
            if later:
                el, entry, leaving = later[0]
                what = (f"EntryDate {entry}" if entry and entry > cease else f"LeavingDate {leaving}")
                self.add("SEN2-R054", el, f"{prefix}/ActivePlans/PlacementDetail",
                         f"the plan ceases on {cease} but a placement has {what}, later than the "
                         f"CeaseDate ({len(later)} such placement{'s' if len(later) > 1 else ''})")
            elif active is not None and self.ref is not None and cease <= self.ref:
                self.add("SEN2-R052", active, f"{prefix}/ActivePlans",
                         f"the plan ceased on {cease}, by the reference date {self.ref}, yet the "
                         "request carries ActivePlans")
        # transferred in during the period: names TransferLA (query, see sen2.rules)
        if (asm_outcome == "H" and asm_date and self.year and active is not None
                and asm_date >= date(self.year - 1, 1, 1) and not transfer_la):
            self.add("SEN2-R059", active, f"{prefix}/ActivePlans/TransferLA",
                     f"AssessmentOutcome H dated {asm_date}, inside the collection period, so a "
                     "plan transferred in from another LA: TransferLA should name that LA")
        # timeliness: over 20 weeks old at the reference date and no outcome
        if received and self.ref and (self.ref - received).days > R.LIMITS.plan_deadline_days:
            pending = None
            if outcome == "A":
                pending = "RequestOutcome is A (awaiting decision)"
            elif outcome == "Y" and (assessment is None or asm_outcome == "A"):
                pending = ("the request was agreed (Y) but AssessmentOutcome is A (not yet decided)"
                           if assessment is not None else "the request was agreed (Y) but there "
                           "is no Assessment")
            if pending:
                self.add("SEN2-R070", request, f"{prefix}/RequestOutcome",
                         f"received {received}, {(self.ref - received).days} days (over "
                         f"{R.PLAN_WEEKS} weeks) "
                         f"before the reference date, and {pending}")

    def _assessment(self, assessment, prefix: str, received: date | None):
        outcome = self._peek(assessment, "AssessmentOutcome")
        needed = () if outcome in ("A", "W") else (   # guide 3.1: nothing further after A or W
            "AssessmentMediation", "AssessmentTribunal", "OtherMediation", "OtherTribunal", "Week20")
        v, leaves, blocks = self._fields(assessment, "Assessment", prefix, needed=needed)
        outcome, when = v["AssessmentOutcome"], v["AssessmentOutcomeDate"]
        if outcome in ("Y", "N") and when is None and not (
                leaves.get("AssessmentOutcomeDate") and _text(leaves["AssessmentOutcomeDate"][0])):
            self.add("SEN2-R045", assessment, f"{prefix}/AssessmentOutcomeDate",
                     f"AssessmentOutcomeDate is required when AssessmentOutcome is {outcome}")
        if when and received and when < received:
            self.add("SEN2-R046", leaves["AssessmentOutcomeDate"][0], f"{prefix}/AssessmentOutcomeDate",
                     f"AssessmentOutcomeDate {when} is before the request's ReceivedDate {received}")
        days = (when - received).days if when and received else None
        if outcome == "N" and days is not None and days > R.LIMITS.no_plan_notice_days:
            self.add("SEN2-R048", leaves["AssessmentOutcomeDate"][0], f"{prefix}/AssessmentOutcomeDate",
                     f"decision not to issue a plan (N) on {when}, {days} days after ReceivedDate "
                     f"{received}: over {R.NO_PLAN_WEEKS} weeks")
        if (outcome == "Y" and v["Week20"] == "1" and days is not None
                and 0 <= days <= R.LIMITS.plan_deadline_days):
            self.add("SEN2-R071", leaves["Week20"][0], f"{prefix}/Week20",
                     f"Week20 = 1 (exception) but the plan was issued {days} days after ReceivedDate, "
                     f"within {R.PLAN_WEEKS} weeks")
        plan_el = self._once(blocks, "NamedPlan", prefix)
        plan = None
        if plan_el is not None:
            if outcome is not None and outcome not in ("Y", "H"):
                self.add("SEN2-R047", plan_el, f"{prefix}/NamedPlan",
                         f"a NamedPlan is given but AssessmentOutcome is {outcome}; only Y or H "
                         "assessments have one")
            plan = self._plan(plan_el, f"{prefix}/NamedPlan")
        return v, plan

    def _plan(self, plan, prefix: str) -> dict[str, Any]:
        v, leaves, blocks = self._fields(plan, "NamedPlan", prefix)
        start, cease = v["StartDate"], v["CeaseDate"]
        has_cease = bool(leaves.get("CeaseDate") and _text(leaves["CeaseDate"][0]))
        has_reason = bool(leaves.get("CeaseReason") and _text(leaves["CeaseReason"][0]))
        if has_cease != has_reason:
            given, missing = ("CeaseDate", "CeaseReason") if has_cease else ("CeaseReason", "CeaseDate")
            self.add("SEN2-R050", plan, f"{prefix}/{missing}",
                     f"{given} is given without {missing}: they come together")
        if cease and start and cease <= start:
            self.add("SEN2-R051", leaves["CeaseDate"][0], f"{prefix}/CeaseDate",
                     f"CeaseDate {cease} is not after StartDate {start}")
        if start and self.ref and start > self.ref:
            self.add("SEN2-R053", leaves["StartDate"][0], f"{prefix}/StartDate",
                     f"StartDate {start} is after the reference date {self.ref}")
        details = blocks.get("PlanDetail", [])
        if not details:
            self.add("SEN2-R020", plan, f"{prefix}/PlanDetail", "a NamedPlan needs at least one "
                     "PlanDetail")
        ranks = []
        for n, detail in enumerate(details, 1):
            ranks.append(self._placement(detail, "PlanDetail", f"{prefix}/PlanDetail[{n}]")["PlacementRank"])
        given = [r for r in ranks if r]
        if len(details) > 2 or len(set(given)) != len(given):
            self.add("SEN2-R065", details[min(2, len(details) - 1)], f"{prefix}/PlanDetail",
                     f"{len(details)} PlanDetail with ranks {', '.join(r or '?' for r in ranks)}: "
                     "at most two, with distinct PlacementRank")
        return v

    def _placement(self, element, kind: str, prefix: str) -> dict[str, Any]:
        v, leaves, _ = self._fields(element, kind, prefix)
        named = [k for k in ("URN", "UKPRN", "SENSetting") if leaves.get(k) and _text(leaves[k][0])]
        if not named:
            self.add("SEN2-R060", element, prefix, f"the {kind} names none of URN, UKPRN or SENSetting")
        elif len(named) > 1:
            self.add("SEN2-R064", leaves[named[1]][0], f"{prefix}/{named[1]}",
                     f"the {kind} names {', '.join(named)}: complete only one of URN, UKPRN, "
                     "SENSetting")
        return v

    def _active(self, active, prefix: str):
        items = spec(self.year or R.LATEST_CENSUS_YEAR)["ActivePlans"]
        draft = items.get("ReviewDraft")
        meeting = _parse_date(self._peek(active, "ReviewMeeting") or "")
        if (draft is not None and draft.status != "voluntary" and self._peek(active, "ReviewOutcome") == "A"
                and self._peek(active, "ReviewDraft") is None
                and meeting and self.ref and (self.ref - meeting).days >= R.LIMITS.review_decision_days):
            self.add("SEN2-R069", active, f"{prefix}/ReviewDraft",
                     f"ReviewOutcome A (amend) after the ReviewMeeting of {meeting}, 4 weeks or more "
                     f"before the reference date {self.ref}, and no ReviewDraft: the draft amended plan "
                     "is late or its date is missing")
        v, leaves, blocks = self._fields(active, "ActivePlans", prefix)
        due, final = v.get("PhaseTransferDueDate"), v.get("PhaseTransferFinalDate")
        if leaves.get("PhaseTransferFinalDate") and not leaves.get("PhaseTransferDueDate"):
            self.add("SEN2-R067", leaves["PhaseTransferFinalDate"][0], f"{prefix}/PhaseTransferFinalDate",
                     "PhaseTransferFinalDate is given without PhaseTransferDueDate")
        final_item = items.get("PhaseTransferFinalDate")
        if (due and final is None and not leaves.get("PhaseTransferFinalDate") and self.ref
                and due <= self.ref and final_item is not None and final_item.status == "conditional"):
            self.add("SEN2-R068", leaves["PhaseTransferDueDate"][0], f"{prefix}/PhaseTransferFinalDate",
                     f"PhaseTransferDueDate {due} passed by the reference date {self.ref} and no "
                     "PhaseTransferFinalDate is given: the amended plan is late or the date is missing")
        placements = []
        rank_one = 0
        details = blocks.get("PlacementDetail", [])
        for n, detail in enumerate(details, 1):
            p = self._placement(detail, "PlacementDetail", f"{prefix}/PlacementDetail[{n}]")
            entry, leaving = p["EntryDate"], p["LeavingDate"]
            if entry and leaving and leaving <= entry:
                self.add("SEN2-R057", detail.find("LeavingDate"), f"{prefix}/PlacementDetail[{n}]/LeavingDate",
                         f"LeavingDate {leaving} is not after EntryDate {entry}")
            rank_one += p["PlacementRank"] == "1"
            placements.append((detail, entry, leaving))
        if rank_one != 1:
            self.add("SEN2-R056", active, f"{prefix}/PlacementDetail",
                     f"{rank_one} PlacementDetail of rank 1 among {len(details)}; exactly one is needed")
        needs = blocks.get("SENneed", [])
        need_ranks = []
        for n, need in enumerate(needs, 1):
            nv, _, _ = self._fields(need, "SENneed", f"{prefix}/SENneed[{n}]")
            need_ranks.append(nv["SENtypeRank"])
        ones = need_ranks.count("1")
        if ones != 1 or len(needs) > 2:
            self.add("SEN2-R055", active, f"{prefix}/SENneed",
                     f"{len(needs)} SENneed with {ones} of rank 1; exactly one of rank 1 and at "
                     "most two in all are allowed")
        meeting, last = v.get("ReviewMeeting"), v.get("LastReview")
        if meeting and last and last < meeting:
            self.add("SEN2-R058", leaves["LastReview"][0], f"{prefix}/LastReview",
                     f"LastReview {last} is before ReviewMeeting {meeting}")
        return placements, v["TransferLA"]

    # --- the stream -----------------------------------------------------------------------
    def run(self) -> FileResult:
        if not self.path.is_file():
            raise Unreadable(f"{self.file}: no such file")
        if self.path.stat().st_size == 0:
            raise Unreadable(f"{self.file}: the file is empty (0 bytes)")
        self.resolve(self.prescan())
        depth = 0
        seen_header = seen_persons = False
        position = 0
        parser = etree.iterparse(str(self.path), events=("start", "end"), remove_comments=True,
                                 remove_pis=True, **PARSE_OPTIONS)
        try:
            for event, element in parser:
                key = _key(element.tag) if isinstance(element.tag, str) else ""
                if event == "start":
                    depth += 1
                    if is_xinclude(element):
                        self.person_label, self.base = None, ""
                        self.result.findings.append(Finding(
                            "SEN2-R000", ERROR, None, None, f"{xinclude_reason(element)}; "
                            f"{position:,} persons were checked before it", self.file,
                            element.sourceline))
                        return self.result
                    if depth == 1 and key != "message":
                        self.person_label, self.base = None, ""
                        self.add("SEN2-R002", element, None, f"the root element is "
                                 f"<{_local(element)}>; a SEN2 return's is <Message>")
                    elif depth == 2 and key not in ("header", "persons"):
                        self.person_label, self.base = None, ""
                        self.add("SEN2-R001", element, _local(element), f"<{_local(element)}> is "
                                 "not allowed in Message (Header and Persons are)")
                    elif depth == 3 and key != "person" and element.getparent() is not None \
                            and _local(element.getparent()).lower() == "persons":
                        self.person_label, self.base = None, ""
                        self.add("SEN2-R001", element, f"Persons/{_local(element)}",
                                 f"<{_local(element)}> is not allowed in Persons")
                    continue
                depth -= 1
                if key == "header" and depth == 1:
                    seen_header = True
                    self.header(element)
                elif key == "person" and depth == 2:
                    position += 1
                    self.person(element, position)
                    element.clear(keep_tail=False)
                    parent = element.getparent()
                    while parent is not None and element.getprevious() is not None:
                        del parent[0]
                elif key == "persons" and depth == 1:
                    seen_persons = True
        except etree.XMLSyntaxError as err:
            self.person_label, self.base = None, ""
            self.result.findings.append(Finding(
                "SEN2-R000", ERROR, None, None, f"not well-formed XML at line {err.lineno}: "
                f"{err.msg} (truncated file or wrong encoding?); {position:,} persons were "
                "checked before it", self.file, err.lineno))
            self._spelling_findings()
            return self.result
        self.person_label, self.base = None, ""
        if not seen_header:
            self.add("SEN2-R002", None, "Header", "the return has no Header")
        if not seen_persons:
            self.add("SEN2-R002", None, "Persons", "the return has no Persons block")
        elif position == 0:
            self.add("SEN2-R002", None, "Person", "the return has no Person records")
        self._spelling_findings()
        return self.result


def validate_file(path: Path | str, year: int | None = None, lea: str | None = None,
                  borough: str | None = None, today: date | None = None) -> FileResult:
    """Validate one SEN2 file; raises Unreadable when it is missing, empty or not XML."""
    return _Validator(Path(path), year, lea, borough, today).run()


def validate_files(paths: Iterable[Path | str], year: int | None = None, lea: str | None = None,
                   borough: str | None = None, today: date | None = None) -> list[FileResult]:
    """Validate several files; an unreadable one gets a FileResult with `unreadable` set."""
    results = []
    for path in paths:
        try:
            results.append(validate_file(path, year, lea, borough, today))
        except Unreadable as err:
            results.append(FileResult(str(path), unreadable=str(err)))
    return results
