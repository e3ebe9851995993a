"""A delimited file copied as it is into a landing table by PostgreSQL's own COPY.

The bytes go to COPY block by block, unparsed; Python looks only at the bytes of each block
(and refuses nothing itself): a byte-order mark other than UTF-8's, a NUL, line endings that
change, a cell that starts like a spreadsheet formula, a cell longer (in bytes) than the
layout allows (in characters), a quote that is not part of a plain quoted field, COPY's
end-of-data marker. Any of those raises `NeedsReader`: the loader then
reads the file row by row instead (extract/loader.py), and that reader gives the reason.
PostgreSQL itself refuses bytes that are not UTF-8 and rows with too many or too few fields.

It also notes whether any cell may start or end with white space (or a non-ASCII byte, which
may be white space to Python): only then does the SQL strip the cells.

The landing table is a temporary table, dropped at the end of the load's transaction; its
`n` numbers the data records from 1 in file order.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql

COPY_CHUNK = 1024 * 1024
UTF8_BOM = b"\xef\xbb\xbf"
# what Python's str.strip() strips: the landing SQL strips the same characters (btrim)
WHITESPACE = "".join(chr(c) for c in range(0x110000) if chr(c).isspace())
# the quote character given to COPY for files without quoting: a byte no text file holds
NO_QUOTE = "\x01"
NO_DELIMITER = "\x02"    # the delimiter given to COPY for whole lines
# white space Python strips that is rare in an export: a file holding any of it is stripped
_RARE_SPACE = (b"\t", b"\x0b", b"\x0c", b"\x1c", b"\x1d", b"\x1e", b"\x1f")


class NeedsReader(Exception):
    """The bytes are not plain enough for COPY alone: read the file row by row."""


def column_names(width: int) -> list[str]:
    return [f"c{i + 1}" for i in range(width)]


def create_landing(conn: psycopg.Connection, name: str, width: int) -> None:
    """(PostgreSQL's own temp_buffers, 8 MB: 256 MB made no difference for a 14.5 MB file.)"""
    cols = sql.SQL(", ").join(sql.SQL("{} text").format(sql.Identifier(c))
                              for c in column_names(width))
    conn.execute(sql.SQL("create temp table {} (n bigint generated always as identity, {}) "
                         "on commit drop").format(sql.Identifier(name), cols))


class _Blocks:
    """The file's blocks, each ending at a line end, each looked at before COPY gets it
    (with bytes methods: a regular expression over every byte costs more than the COPY)."""

    def __init__(self, path: Path, delimiter: str, quoted: bool, max_chars: int) -> None:
        self.path = path
        self.quoted = quoted
        self.max_chars = max_chars
        self.d = d = delimiter.encode()
        starts = (d, b"\n", d + b'"', b'\n"')
        self._formulas = [s + c for s in starts for c in (b"=", b"@")]
        self._edges = [d + b" ", b"\n ", b" " + d, b" \n", b" \r"]
        self._quoted_edges = [d + b'" ', b'\n" ', b' "' + d, b' "\n', b' "\r']
        self._quoted_field = re.compile(rb"(?:^|" + re.escape(d) + rb")\"(?:[^\"\r\n]|\"\")*\"(?="
                                        + re.escape(d) + rb"|\r?$)", re.M)
        self.ending: str | None = None
        self.edge_space = False

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
                self._look(b"\n" + block)
                yield block

    def _look(self, block: bytes) -> None:
        """`block` with a line end put before it, so its first line starts like the others."""
        if b"\x00" in block or b"\\." in block or NO_DELIMITER.encode() in block:
            raise NeedsReader("NUL or end-of-data marker")
        cr = block.count(b"\r")
        lf = block.count(b"\n") - 1 if cr else None
        ending = "LF" if not cr else "CRLF" if lf and cr == lf == block.count(b"\r\n") else None
        if ending is None or (block.find(b"\n", 1) > 0 and self.ending not in (None, ending)):
            raise NeedsReader("line endings")
        if block.find(b"\n", 1) > 0:
            self.ending = ending
        if (b"=" in block or b"@" in block) and any(f in block for f in self._formulas):
            raise NeedsReader("a cell may start like a formula")
        # measured in C: a line no longer than a cell may be has no cell too long; else every
        # cell is measured (a Python loop over the cells of a file whose lines are all longer
        # than that cost half the COPY's time)
        if (max(map(len, block.split(b"\n"))) > self.max_chars and max(map(
                len, block.replace(b"\n", self.d).split(self.d))) > self.max_chars):
            raise NeedsReader("a cell may be too long")
        quotes = block.count(b'"') if self.quoted else block.count(NO_QUOTE.encode())
        if quotes:
            fields = [m.group() for m in self._quoted_field.finditer(block)] if self.quoted else []
            if quotes != sum(f.count(b'"') for f in fields):
                raise NeedsReader("quotes")
            if any(len(f) > self.max_chars for f in fields):
                raise NeedsReader("a cell may be too long")
        if not self.edge_space:
            self.edge_space = (not block.isascii() or block.endswith(b" ")
                               or any(s in block for s in _RARE_SPACE)
                               or any(e in block for e in self._edges)
                               or bool(quotes and any(e in block for e in self._quoted_edges)))


@dataclass
class Landed:
    records: int            # data records copied
    strip: bool             # some cell may have white space at an end


def copy_file(conn: psycopg.Connection, path: Path, table: str, width: int, delimiter: str,
              max_chars: int, quoted: bool = True, header: bool = True,
              whole_lines: bool = False) -> Landed:
    """COPY the file's records (the first skipped when `header`) into the landing table's
    c1..c<width>; `whole_lines`: each line whole into c1 (records of different widths)."""
    options = sql.SQL("format csv, delimiter {}, header {}").format(
        sql.Literal(NO_DELIMITER if whole_lines else delimiter), sql.SQL("true" if header else "false"))
    if not quoted:
        options = sql.SQL("{}, quote {}").format(options, sql.Literal(NO_QUOTE))
    statement = sql.SQL("copy {} ({}) from stdin ({})").format(
        sql.Identifier(table), sql.SQL(", ").join(map(sql.Identifier, column_names(width))),
        options)
    blocks = _Blocks(path, delimiter, quoted, max_chars)
    with conn.cursor() as cur:
        with cur.copy(statement) as copy:
            for block in blocks:
                copy.write(block)
        return Landed(cur.rowcount, blocks.edge_space)


def copy_files(conn: psycopg.Connection, paths: list[Path], table: str, width: int,
               delimiter: str, max_chars: int) -> list[Landed]:
    """Files of the same layout, each with a header line, COPYed one after another by ONE
    COPY into the landing table's c1..c<width> (a COPY per file cost a ledger of a few hundred
    lines more than its rows); each file's Landed, in order. Each file's header line is left
    out here and its records counted as its data lines: the blocks let through hold no line
    break inside a cell (quotes span no line end), so a record never has fewer lines than
    one; a file not ending with a line end is given one, and CRLF is sent as LF (COPY wants
    one line ending in a stream). The COPY's row count must then be
    the sum of the files' lines, or NeedsReader: no file is given another's rows."""
    statement = sql.SQL("copy {} ({}) from stdin (format csv, delimiter {}, header false)").format(
        sql.Identifier(table), sql.SQL(", ").join(map(sql.Identifier, column_names(width))),
        sql.Literal(delimiter))
    landed = []
    with conn.cursor() as cur:
        with cur.copy(statement) as copy:
            for path in paths:
                blocks = _Blocks(path, delimiter, True, max_chars)
                lines, open_end = 0, False
                for i, block in enumerate(blocks):
                    if i == 0:      # the header line
                        block = block[block.find(b"\n") + 1:] if b"\n" in block else b""
                    if b"\r" in block:
                        # COPY takes the line ending of the stream's first line: the blocks
                        # let through end every line with CRLF when one does, so as LF
                        block = block.replace(b"\r\n", b"\n")
                    if block:
                        lines += block.count(b"\n")
                        open_end = not block.endswith(b"\n")
                        copy.write(block)
                if open_end:
                    copy.write(b"\n")
                    lines += 1
                landed.append(Landed(lines, blocks.edge_space))
        if cur.rowcount != sum(x.records for x in landed):
            raise NeedsReader(f"{cur.rowcount} records from {sum(x.records for x in landed)} lines")
    return landed
