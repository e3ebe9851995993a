"""Each collection year's XSD, derived from its profile (foundation.reference.sen2_profile).

There are no hand-written schema files: the profile (`seeds/sen2_profiles.csv`) is the one
home of a year's items, and this module turns it into the schema the validator applies per
Header and per Person. `sendwh sen2 xsd --year Y` prints it.

Decisions kept from the spec: element order inside a block is not enforced (a block whose
children occur at most once is an `xs:all`; one with a repeating child an unbounded
`xs:choice`, its counts checked by the rules); required items are required only where the
profile says `required` (conditional items are the rules' business). Code lists are the seeds'
codes in the list for that year. Yes/no items accept 1/0 and true/false (the spec's reading
decision); the writer always writes 1/0.
"""
from __future__ import annotations

from functools import lru_cache
from xml.sax.saxutils import quoteattr

from foundation.reference import ProfileItem, codes, ethnicity_main_codes, sen2_profile

XS = "http://www.w3.org/2001/XMLSchema"

# item kind -> (type name, its xs:simpleType body), for the kinds that are not code lists
_SIMPLE = {
    "text": ("NonEmpty", '<xs:restriction base="xs:string"><xs:minLength value="1"/>'
                         '<xs:pattern value=".*\\S.*"/></xs:restriction>'),
    "yesno": ("YesNo", '<xs:restriction base="xs:boolean"/>'),
    "lea": ("LANumber", '<xs:restriction base="xs:string"><xs:pattern value="[0-9]{3}"/></xs:restriction>'),
    "la": ("LANumber", '<xs:restriction base="xs:string"><xs:pattern value="[0-9]{3}"/></xs:restriction>'),
    "upn": ("UPN", '<xs:restriction base="xs:string"><xs:pattern value="[A-Z][0-9]{11}[0-9A-Z]"/></xs:restriction>'),
    "uln": ("ULN", '<xs:restriction base="xs:string"><xs:pattern value="[0-9]{10}"/></xs:restriction>'),
    "urn": ("URN", '<xs:restriction base="xs:string"><xs:pattern value="[0-9]{6}"/></xs:restriction>'),
    "ukprn": ("UKPRN", '<xs:restriction base="xs:string"><xs:pattern value="[0-9]{8}"/></xs:restriction>'),
    "serial": ("SerialNo", '<xs:restriction base="xs:string"><xs:pattern value="[0-9]{3}"/></xs:restriction>'),
    "year": ("Year", '<xs:restriction base="xs:string"><xs:pattern value="[0-9]{4}"/></xs:restriction>'),
    "fixed": ("Collection", '<xs:restriction base="xs:string"><xs:enumeration value="SEN2"/></xs:restriction>'),
}
_BUILTIN = {"date": "xs:date", "datetime": "xs:dateTime"}


def code_list_for_year(name: str, year: int) -> list[str]:
    """A code list's codes in a collection year (a code's first_year, when given, limits it)."""
    return [c.code for c in codes(name).values() if not c.first_year or c.first_year <= year]


def _type_of(item: ProfileItem) -> str:
    if item.kind in _BUILTIN:
        return _BUILTIN[item.kind]
    if item.kind == "code":
        return f"CL_{item.code_list}"
    if item.kind == "ethnicity":
        return "Ethnicity"
    return _SIMPLE[item.kind][0]


def _simple_types(items: tuple[ProfileItem, ...], year: int) -> list[str]:
    out: dict[str, str] = {}
    for item in items:
        if item.kind == "code" and item.code_list:
            enum = "".join(f"<xs:enumeration value={quoteattr(c)}/>"
                           for c in code_list_for_year(item.code_list, year))
            out[f"CL_{item.code_list}"] = f'<xs:restriction base="xs:string">{enum}</xs:restriction>'
        elif item.kind == "ethnicity":
            enum = "".join(f"<xs:enumeration value={quoteattr(c)}/>" for c in ethnicity_main_codes())
            out["Ethnicity"] = f'<xs:restriction base="xs:string">{enum}</xs:restriction>'
        elif item.kind in _SIMPLE:
            name, body = _SIMPLE[item.kind]
            out[name] = body
    return [f'  <xs:simpleType name="{name}">{body}</xs:simpleType>' for name, body in sorted(out.items())]


def _block(name: str, children: list[ProfileItem], blocks: set[str]) -> str:
    repeating = any(c.max_occurs != 1 for c in children)
    lines = []
    for child in children:
        if child.item in blocks:
            decl = f'<xs:element ref="{child.item}"'
        else:
            decl = f'<xs:element name="{child.item}" type="{_type_of(child)}"'
        if not repeating and child.status != "required":
            decl += ' minOccurs="0"'
        if not repeating and child.max_occurs != 1:
            decl += ' maxOccurs="unbounded"'
        lines.append(f"      {decl}/>")
    group = ('<xs:choice maxOccurs="unbounded">', "</xs:choice>") if repeating else ("<xs:all>", "</xs:all>")
    if name == "Persons":
        group = ("<xs:sequence>", "</xs:sequence>")
        lines = [f'      <xs:element ref="{children[0].item}" maxOccurs="unbounded"/>']
    return (f'  <xs:element name="{name}">\n    <xs:complexType>{group[0]}\n' + "\n".join(lines)
            + f"\n    {group[1]}</xs:complexType>\n  </xs:element>")


@lru_cache(maxsize=None)
def xsd_text(year: int) -> str:
    """The XSD of a collection year, as text (every block a global element, so the validator
    can apply the Header's and a Person's declaration to that subtree alone)."""
    items = sen2_profile(year)
    by_block: dict[str, list[ProfileItem]] = {}
    for item in items:
        by_block.setdefault(item.block, []).append(item)
    blocks = set(by_block)
    parts = [f'<?xml version="1.0" encoding="UTF-8"?>\n<!-- SEN2 {year}: generated from '
             'seeds/sen2_profiles.csv by sen2/xsd.py; do not edit -->',
             f'<xs:schema xmlns:xs="{XS}">', *_simple_types(items, year)]
    for block in sorted(blocks):
        parts.append(_block(block, by_block[block], blocks))
    parts.append("</xs:schema>\n")
    return "\n".join(parts)
