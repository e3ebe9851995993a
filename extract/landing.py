"""A delimited file copied as it is into a landing table by PostgreSQL's own COPY.

The bytes go to COPY block by block, unparsed; Python looks only at the bytes of each block
(and refuses nothing itself): a byte-order mark other than UTF-8's, a NUL, line endings that
change, a cell that starts like a spreadsheet formula, a quote that is not part of a plain
quoted field, COPY's end-of-data marker. Any of those raises `NeedsReader`: the loader then
reads the file row by row instead (extract/loader.py), and that reader gives the reason.
PostgreSQL itself refuses bytes that are not UTF-8 and rows with too many or too few fields.

The landing table is a temporary table, dropped at the end of the load's transaction; its
`n` numbers the data records from 1 in file order.
"""
from __future__ import annotations

import re
from pathlib import Path

import psycopg
from psycopg import sql

COPY_CHUNK = 1024 * 1024
UTF8_BOM = b"\xef\xbb\xbf"
# what Python's str.strip() strips: the landing SQL strips the same characters (btrim)
WHITESPACE = "".join(chr(c) for c in range(0x110000) if chr(c).isspace())
# the quote character given to COPY for files without quoting: a byte no text file holds
NO_QUOTE = "\x01"


class NeedsReader(Exception):
    """The bytes are not plain enough for COPY alone: read the file row by row."""


def column_names(width: int) -> list[str]:
    return [f"c{i + 1}" for i in range(width)]


def create_landing(conn: psycopg.Connection, name: str, width: int) -> None:
    cols = sql.SQL(", ").join(sql.SQL("{} text").format(sql.Identifier(c))
                              for c in column_names(width))
    conn.execute(sql.SQL("create temp table {} (n bigint generated always as identity, {}) "
                         "on commit drop").format(sql.Identifier(name), cols))


class _Blocks:
    """The file's blocks, each ending at a line end, each looked at before COPY gets it."""

    def __init__(self, path: Path, delimiter: str, quoted: bool) -> None:
        self.path = path
        self.quoted = quoted
        d = re.escape(delimiter.encode())
        self._formula = re.compile(rb"(?:^|" + d + rb")\"?[=@]", re.M)
        self._quoted_field = re.compile(rb"(?:^|" + d + rb")\"(?:[^\"\r\n]|\"\")*\"(?=" + d
                                        + rb"|\r?$)", re.M)
        self.ending: str | None = None

    def __iter__(self):
        with self.path.open("rb") as handle:
            first = True
            while block := handle.read(COPY_CHUNK):
                if not block.endswith(b"\n"):
                    block += handle.readline()
                if first:
                    if block[:2] in (b"\xff\xfe", b"\xfe\xff"):
                        raise NeedsReader("UTF-16")
                    first = False
                self._look(block)
                yield block

    def _look(self, block: bytes) -> None:
        if b"\x00" in block or b"\\." in block:
            raise NeedsReader("NUL or end-of-data marker")
        lf, cr, crlf = block.count(b"\n"), block.count(b"\r"), block.count(b"\r\n")
        ending = "CRLF" if lf and crlf == lf == cr else "LF" if not cr else None
        if ending is None or (lf and self.ending not in (None, ending)):
            raise NeedsReader("line endings")
        if lf:
            self.ending = ending
        if self._formula.search(block):
            raise NeedsReader("a cell may start like a formula")
        quotes = block.count(b'"') if self.quoted else block.count(NO_QUOTE.encode())
        if quotes and (not self.quoted or quotes != sum(
                m.group().count(b'"') for m in self._quoted_field.finditer(block))):
            raise NeedsReader("quotes")


def copy_file(conn: psycopg.Connection, path: Path, table: str, width: int, delimiter: str,
              quoted: bool = True, header: bool = True) -> int:
    """COPY the file's records (the first skipped when `header`) into the landing table's
    c1..c<width>; returns the number of records copied."""
    options = sql.SQL("format csv, delimiter {}, header {}").format(
        sql.Literal(delimiter), sql.SQL("true" if header else "false"))
    if not quoted:
        options = sql.SQL("{}, quote {}").format(options, sql.Literal(NO_QUOTE))
    statement = sql.SQL("copy {} ({}) from stdin ({})").format(
        sql.Identifier(table), sql.SQL(", ").join(map(sql.Identifier, column_names(width))),
        options)
    with conn.cursor() as cur:
        with cur.copy(statement) as copy:
            for block in _Blocks(path, delimiter, quoted):
                copy.write(block)
        return cur.rowcount
