"""XML that declares more than elements is refused, before anything is read from it.

SEN2 returns and the XML parts of an XLSX workbook are parsed with entities, DTDs and
network access off (lxml: resolve_entities=False, load_dtd=False, no_network=True). That
alone would quietly drop what an entity or an XInclude stands for (a Surname read as
blank), so a document that declares a DTD (any <!DOCTYPE>, with or without entities) or
uses XInclude is refused outright, with the reason.
"""
from __future__ import annotations

import re
import zipfile
import zlib
from pathlib import Path
from typing import NamedTuple

from lxml import etree

from extract.errors import RejectedFile

XINCLUDE = "{http://www.w3.org/2001/XInclude}"
DECLARATIONS = (b"<!DOCTYPE", b"<!ENTITY")
# a worksheet's formula element: <f>, <f t="shared" ...>, <x:f> under a namespace prefix
_FORMULA = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?f[\s/>]")
PARSE_OPTIONS = {"resolve_entities": False, "no_network": True, "load_dtd": False,
                 "huge_tree": False}


def declared_dtd(element) -> str | None:
    """At the root's start event: the DOCTYPE the document declares, if any."""
    info = element.getroottree().docinfo
    if info.doctype or info.internalDTD is not None or info.externalDTD is not None:
        return info.doctype or "<!DOCTYPE ...>"
    return None


def dtd_reason(doctype: str) -> str:
    return (f"the document declares a DTD ({doctype[:60]}): DTDs and entities are refused "
            "(an entity could stand for any text, or for a file on this machine)")


def xinclude_reason(element) -> str:
    href = element.get("href") or "?"
    return (f"XInclude element <{element.tag.rsplit('}', 1)[-1]} href={href[:60]!r}>: "
            "including other documents is refused")


def is_xinclude(element) -> bool:
    return isinstance(element.tag, str) and element.tag.startswith(XINCLUDE)


CELL_BYTES = 10   # the most bytes one character of a cell can take in the XML (&#x10FFFF;)


def _longest_text(chunk: bytes, run: int, limit: int, shown: Path, part: str,
                  max_cell: int) -> int:
    """The text between tags, counted across chunks; too long a run is too long a cell."""
    pieces = chunk.split(b"<")
    longest = max(run + len(pieces[0]), max(map(len, pieces[1:]), default=0))
    if longest > limit:
        raise RejectedFile(shown, f"part {part} holds a cell of more than {max_cell} characters "
                           f"(a text of over {limit:,} bytes): refused before it is read",
                           field=part)
    return len(pieces[-1]) if len(pieces) > 1 else run + len(chunk)


def _has_formula(window: bytes) -> bool:
    """A formula element, <f> (or <x:f> under a prefix); a false alarm only costs speed."""
    return (b"<f" in window or b":f" in window) and _FORMULA.search(window) is not None


class WorkbookParts(NamedTuple):
    formulas: bool          # a worksheet holds a formula (<f>)
    largest_sheet: int      # the largest worksheet part, inflated, in bytes


def check_workbook(path: Path, shown: Path, max_inflated: int, max_part: int,
                   max_cell: int = 0) -> WorkbookParts:
    """Before a reader opens a workbook: each part is inflated as a stream (memory stays at
    one chunk) and counted, so a zip bomb is refused as soon as it passes the bound, whatever
    the archive claims; an XML part that declares a DTD or an entity is refused. Returns
    whether a worksheet holds a formula (a reader of cached values would not see it) and the
    size of the largest worksheet (a reader that holds a sheet whole needs memory for it)."""
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError) as err:
        raise RejectedFile(shown, f"not a readable XLSX workbook ({err}): truncated, or saved "
                           "in another format") from None
    total = 0
    formulas = False
    largest_sheet = 0
    with archive:
        for info in archive.infolist():
            if info.is_dir():
                continue
            part = 0
            tail = b""
            run = 0     # bytes since the last '<': the longest text (a cell's value) so far
            is_xml = info.filename.endswith((".xml", ".rels", ".vml"))
            is_sheet = info.filename.startswith("xl/worksheets/")
            try:
                with archive.open(info) as member:
                    while chunk := member.read(1 << 16):
                        part += len(chunk)
                        total += len(chunk)
                        if part > max_part:
                            raise RejectedFile(shown, f"part {info.filename} inflates to more "
                                               f"than {max_part:,} bytes: a cell or sheet too "
                                               "large to be an export (or a zip bomb)",
                                               field=info.filename)
                        if total > max_inflated:
                            raise RejectedFile(shown, f"the workbook inflates to more than "
                                               f"{max_inflated:,} bytes (at part "
                                               f"{info.filename}): too large to be an export (or "
                                               "a zip bomb)", field=info.filename)
                        if not is_xml:
                            continue
                        if max_cell:
                            run = _longest_text(chunk, run, max_cell * CELL_BYTES + 64, shown,
                                                info.filename, max_cell)
                        window = tail + chunk
                        if is_sheet and not formulas:
                            formulas = _has_formula(window)
                        if any(d in window for d in DECLARATIONS):
                            raise RejectedFile(shown, f"part {info.filename} declares a DTD or an "
                                               "entity (<!DOCTYPE/<!ENTITY): refused (an entity "
                                               "could stand for any text, or a file on this "
                                               "machine)", field=info.filename)
                        tail = window[-16:]
                if is_sheet:
                    largest_sheet = max(largest_sheet, part)
            except (zipfile.BadZipFile, zlib.error, OSError, EOFError, ValueError,
                    NotImplementedError, RuntimeError) as err:
                raise RejectedFile(shown, f"not a readable XLSX workbook (part {info.filename}: "
                                   f"{err}): truncated, or saved in another format") from None
        names = set(archive.namelist())
        if max_cell and "xl/sharedStrings.xml" in names:
            _check_shared_strings(archive, shown, max_cell)
    return WorkbookParts(formulas, largest_sheet)


def _check_shared_strings(archive: zipfile.ZipFile, shown: Path, max_cell: int) -> None:
    """A reader takes in every shared string at open: refuse a too-long one first, streaming."""
    with archive.open("xl/sharedStrings.xml") as member:
        n = 0
        try:
            for _, element in etree.iterparse(member, events=("end",), tag="{*}si",
                                              **PARSE_OPTIONS):
                n += 1
                size = sum(len(t) for t in element.itertext())
                if size > max_cell:
                    raise RejectedFile(shown, f"shared string {n} is {size:,} characters long, "
                                       f"more than the {max_cell} the layout allows in a cell",
                                       field="xl/sharedStrings.xml")
                element.clear(keep_tail=False)
        except etree.XMLSyntaxError as err:
            raise RejectedFile(shown, f"not a readable XLSX workbook (xl/sharedStrings.xml: "
                               f"{err.msg})", field="xl/sharedStrings.xml") from None
