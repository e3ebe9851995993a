"""SEN2 person-level XML returns (sen2-spec.md), read as a stream: one Person at a time.

Element names are matched case-insensitively and the known spelling variants (SENsetting,
SENUnitIndicator, PlanWPB, WPB) are accepted. Every collection year's shape loads (the
profiles, seeds/sen2_profiles.csv): 2023's GenderCurrent (0/1/2/9) is read as Sex, its
AttendancePattern and its Res/WBP under ActivePlans go to their own columns, as do the review
draft and phase-transfer dates of 2025 on. Element order inside a
block is not enforced (a decision in the spec). Each element becomes a row of a raw.sen2_*
table keyed by the person's and request's position in the file.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Iterator

from lxml import etree

from extract.entities import SEN2_TABLES, RawTable
from extract.errors import RejectedFile
from extract.fields import code_lookup
from extract.source import SourceFile
from extract.xmlsafe import PARSE_OPTIONS, XINCLUDE, declared_dtd, dtd_reason, xinclude_reason
from foundation.codes import normalise_ethnicity
from foundation.reference import gender_current_sex

# lower-case element name -> raw column name
ALIASES = {
    "surname": "surname", "forename": "forename", "personbirthdate": "birth_date",
    "sex": "sex", "gendercurrent": "sex", "ethnicity": "ethnicity", "postcode": "postcode",
    "upn": "upn", "uniquelearnernumber": "uln", "upnunknown": "upn_unknown",
    "receiveddate": "received_date", "requestsource": "request_source", "rya": "rya",
    "requestoutcomedate": "request_outcome_date", "requestoutcome": "request_outcome",
    "requestmediation": "request_mediation", "requesttribunal": "request_tribunal",
    "exported": "exported",
    "assessmentoutcome": "assessment_outcome", "assessmentoutcomedate": "assessment_outcome_date",
    "assessmentmediation": "assessment_mediation", "assessmenttribunal": "assessment_tribunal",
    "othermediation": "other_mediation", "othertribunal": "other_tribunal", "week20": "week20",
    "startdate": "start_date", "planres": "plan_res", "planwbp": "plan_wbp", "planwpb": "plan_wbp",
    "pb": "pb", "oa": "oa", "dp": "dp", "ceasedate": "cease_date", "ceasereason": "cease_reason",
    "urn": "urn", "ukprn": "ukprn", "sensetting": "sen_setting", "sensettingother": "sen_setting_other",
    "placementrank": "placement_rank", "senunitindicator": "sen_unit",
    "resourcedprovisionindicator": "resourced_provision", "entrydate": "entry_date",
    "leavingdate": "leaving_date", "res": "res", "wbp": "wbp", "wpb": "wbp",
    "attendancepattern": "attendance_pattern",
    "transferla": "transfer_la", "reviewmeeting": "review_meeting",
    "reviewoutcome": "review_outcome", "lastreview": "last_review", "reviewdraft": "review_draft",
    "phasetransferduedate": "phase_transfer_due_date",
    "phasetransferfinaldate": "phase_transfer_final_date",
    "sentype": "sen_type", "sentyperank": "sen_type_rank",
    "collection": "collection", "year": "year", "referencedate": "reference_date",
    "sourcelevel": "source_level", "lea": "lea", "softwarecode": "software_code",
    "release": "release", "serialno": "serial_no", "datetime": "generated_at",
    "dmo": "dmo", "dco": "dco", "dsco": "dsco",
}
# spellings other public sources use for an item, accepted (the validator notes them):
# variant -> the spelling of the evidence's XSDs (../shared/data/sen2-external, README)
KNOWN_VARIANTS = {"SENsetting": "SENSetting", "SENUnitIndicator": "SENunitIndicator",
                  "PlanWPB": "PlanWBP", "WPB": "WBP"}
_LOOKUPS = {t: {c: code_lookup(c, None) for c in table.codes} for t, table in SEN2_TABLES.items()}


# tag -> its key (lower-case local name), learnt once per distinct tag: a return has a few
# dozen tags and hundreds of thousands of elements
_KEYS: dict[Any, str] = {}
_XINCLUDE_KEY = "\x00xinclude"   # the key of any XInclude element: no SEN2 name is like it


def _key_of(tag: Any) -> str:
    key = _KEYS.get(tag)
    if key is None:
        text = tag if isinstance(tag, str) else ""
        key = _XINCLUDE_KEY if text.startswith(XINCLUDE) else text.rsplit("}", 1)[-1].lower()
        if len(_KEYS) < 10_000:   # a hostile file's made-up tags cannot grow it for ever
            _KEYS[tag] = key
    return key


# tag -> its raw column (None when the name is no SEN2 item's), learnt once per distinct tag
_COLUMNS: dict[Any, str | None] = {}


def _column_of(tag: Any) -> str | None:
    key = _key_of(tag)
    column = None if key is _XINCLUDE_KEY else ALIASES.get(key)
    if len(_COLUMNS) < 10_000:
        _COLUMNS[tag] = column
    return column


PERSON, HEADER = "Person", "Header"


def _spelt_as_the_spec(path: Path) -> bool:
    """Whether every 'person' and 'header' in the file, in any case, is spelt Person and
    Header (as element names are in the spec): then the parser need only report those
    elements. A name in another case (allowed: names are matched case-insensitively), or
    the word in a value, makes the parser report every element instead."""
    tail = None
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            if tail is None and not chunk.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
                return False     # not ASCII-compatible (UTF-16, say): the counts would miss
            window = (tail or b"") + chunk
            if b"\x00" in window:
                return False
            lower = window.lower()
            if (lower.count(b"person") != window.count(PERSON.encode())
                    or lower.count(b"header") != window.count(HEADER.encode())):
                return False
            tail = window[-5:]   # a word of six letters across two chunks is seen whole
    return True


def _key(element: etree._Element) -> str:
    key = _key_of(element.tag)
    return "" if key is _XINCLUDE_KEY else key


def _parent_tag(element: etree._Element) -> str | None:
    parent = element.getparent()
    return parent.tag if parent is not None and isinstance(parent.tag, str) else None


class Sen2Return(SourceFile):
    def __init__(self, path: Path, borough: str | None,
                 borough_for_lea: Callable[[str], str | None]) -> None:
        super().__init__(path, "sen2", borough, "return", tables=list(SEN2_TABLES.values()))
        self._borough_for_lea = borough_for_lea
        # each table's columns (the catalog's), looked up once per file rather than per row
        self._columns = {name: table.columns for name, table in SEN2_TABLES.items()}
        self.lea: str | None = None

    def rows(self) -> Iterator[tuple[RawTable, list[Any]]]:
        if self.read_path.stat().st_size == 0:
            raise RejectedFile(self.path, "the file is empty (0 bytes)")
        # end events only (the start of every element would double the Python work), and
        # only of the elements read here when the file spells them as the spec does (the
        # children of each Person are walked by _person); the root is looked at with the
        # first element to end, before anything is yielded
        tags = (f"{{*}}{PERSON}", f"{{*}}{HEADER}", f"{XINCLUDE}*") \
            if _spelt_as_the_spec(self.read_path) else None
        parser = etree.iterparse(str(self.read_path), events=("end",), tag=tags,
                                 remove_comments=True, **PARSE_OPTIONS)
        person_seq = 0
        first = True
        keys = _KEYS
        try:
            for _, element in parser:
                tag = element.tag
                key = keys.get(tag) or _key_of(tag)
                if first:
                    first = False
                    self._check_root(element.getroottree().getroot())
                if key == "person":
                    if self.borough is None:
                        raise RejectedFile(self.path, "no Header with an LEA before the first "
                                           "Person, and no --borough given", row=element.sourceline)
                    person_seq += 1
                    yield from self._person(element, person_seq)
                    element.clear(keep_tail=False)
                    parent = element.getparent()
                    while element.getprevious() is not None:
                        del parent[0]
                elif key is _XINCLUDE_KEY:
                    raise RejectedFile(self.path, xinclude_reason(element),
                                       row=element.sourceline, field=_parent_tag(element))
                elif key == "header":
                    yield from self._header(element)
            if first and parser.root is not None:
                self._check_root(parser.root)
        except etree.XMLSyntaxError as err:
            line = err.lineno if err.lineno else None
            raise RejectedFile(self.path, f"not well-formed XML: {err.msg} (truncated file or "
                               "wrong encoding?)", row=line) from None
        if self.period is None:
            raise RejectedFile(self.path, "no Header/CollectionDetails/Year: not a SEN2 return")
        if person_seq == 0:
            raise RejectedFile(self.path, "the return has no Person records")

    def _check_root(self, root: etree._Element) -> None:
        """No DTD; the root is <Message> (and no XInclude)."""
        if doctype := declared_dtd(root):
            raise RejectedFile(self.path, dtd_reason(doctype))
        root_key = _key_of(root.tag)
        if root_key is _XINCLUDE_KEY:
            raise RejectedFile(self.path, xinclude_reason(root), row=root.sourceline)
        if root_key != "message":
            raise RejectedFile(self.path, f"root element is <{root.tag}>, a SEN2 return's is "
                               "<Message>", row=root.sourceline)

    # --- header ---------------------------------------------------------------------------
    def _header(self, header: etree._Element) -> Iterator[tuple[RawTable, list[Any]]]:
        values: dict[str, str | None] = {}
        lines: dict[str, int] = {}
        for child in header.iter():
            column = ALIASES.get(_key(child))
            if column and len(child) == 0:
                values[column] = (child.text or "").strip() or None
                lines[column] = child.sourceline
        year, lea = values.get("year"), values.get("lea")
        if not year or not year.isdigit() or len(year) != 4:
            raise RejectedFile(self.path, f"Header Year {year!r} is not a 4-digit year",
                               row=header.sourceline, field="Year")
        if not lea:
            raise RejectedFile(self.path, "Header has no LEA", row=header.sourceline, field="LEA")
        expected = self._borough_for_lea(lea)
        if self.borough is None:
            if expected is None:
                raise RejectedFile(self.path, f"LEA {lea} is no known borough's", row=header.sourceline,
                                   field="LEA")
            self.borough = expected
        elif expected != self.borough:
            raise RejectedFile(self.path, f"LEA {lea} is not {self.borough}'s: this return belongs "
                               f"to {expected or 'another authority'}", row=lines["lea"], field="LEA")
        self.lea, self.period = lea, year
        yield SEN2_TABLES["headers"], [header.sourceline,
                                       *(values.get(c) for c in self._columns["headers"])]

    # --- persons ----------------------------------------------------------------------------
    def _fields(self, element: etree._Element, table: str, who: str) -> tuple[dict[str, Any], list]:
        """Leaf children as column -> text, and the non-leaf children for the caller."""
        values: dict[str, Any] = {}
        blocks = []
        lookups = _LOOKUPS[table]
        columns = _COLUMNS
        for child in element:
            tag = child.tag
            if len(child):
                if tag.__class__ is str:
                    blocks.append(child)
                continue
            column = columns[tag] if tag in columns else _column_of(tag)
            if column is None:
                continue
            text = child.text
            text = (text.strip() or None) if text else None
            if text is not None and column == "sex" and _key(child) == "gendercurrent":
                text = gender_current_sex().get(text, text)   # 2023: 0/1/2/9 -> Sex
            if text is not None and column in lookups:
                mapped = lookups[column].get(text) or lookups[column].get(text.upper())
                if mapped is None and column == "ethnicity":
                    mapped = normalise_ethnicity(text.upper())
                    mapped = mapped if mapped in lookups[column] else None
                if mapped is None:
                    raise RejectedFile(self.path, f"{who}: unknown {child.tag} code {text!r}",
                                       row=child.sourceline, field=child.tag)
                text = mapped
            values[column] = text
        return values, blocks

    def _row(self, table: str, line: int, values: dict[str, Any], **keys: Any) -> tuple[RawTable, list]:
        values.update(keys)
        return SEN2_TABLES[table], [line, *map(values.get, self._columns[table])]

    def _person(self, person: etree._Element, seq: int) -> Iterator[tuple[RawTable, list[Any]]]:
        values, blocks = self._fields(person, "persons", f"person {seq}")
        who = f"person {seq} (UPN {values.get('upn') or 'none'})"
        yield self._row("persons", person.sourceline, values, person_seq=seq)
        request_seq = 0
        for block in blocks:
            if _key(block) != "requests":
                continue
            request_seq += 1
            yield from self._request(block, seq, request_seq, f"{who}, request {request_seq}")

    def _request(self, request: etree._Element, p: int, r: int, who: str):
        values, blocks = self._fields(request, "requests", who)
        yield self._row("requests", request.sourceline, values, person_seq=p, request_seq=r)
        for block in blocks:
            key = _key(block)
            if key == "assessment":
                yield from self._assessment(block, p, r, who)
            elif key == "activeplans":
                yield from self._active(block, p, r, who)

    def _assessment(self, assessment: etree._Element, p: int, r: int, who: str):
        values, blocks = self._fields(assessment, "assessments", who)
        yield self._row("assessments", assessment.sourceline, values, person_seq=p, request_seq=r)
        for block in blocks:
            if _key(block) != "namedplan":
                continue
            plan, details = self._fields(block, "named_plans", who)
            yield self._row("named_plans", block.sourceline, plan, person_seq=p, request_seq=r)
            n = 0
            for detail in details:
                if _key(detail) == "plandetail":
                    n += 1
                    d, _ = self._fields(detail, "plan_details", who)
                    yield self._row("plan_details", detail.sourceline, d, person_seq=p,
                                    request_seq=r, detail_seq=n)

    def _active(self, active: etree._Element, p: int, r: int, who: str):
        values, blocks = self._fields(active, "active_plans", who)
        yield self._row("active_plans", active.sourceline, values, person_seq=p, request_seq=r)
        n = 0
        for block in blocks:
            key = _key(block)
            if key == "placementdetail":
                n += 1
                d, _ = self._fields(block, "placements", who)
                yield self._row("placements", block.sourceline, d, person_seq=p, request_seq=r,
                                placement_seq=n)
            elif key == "senneed":
                d, _ = self._fields(block, "needs", who)
                yield self._row("needs", block.sourceline, d, person_seq=p, request_seq=r)
