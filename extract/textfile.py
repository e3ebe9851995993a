"""Reading delimited text files defensively, streaming, with errors that name the row.

Checks every text reader shares: empty file, UTF-16 exports, invalid UTF-8, mixed line
endings, spreadsheet formulas and oversized cells. A UTF-8 byte-order mark (what Excel
writes in "CSV UTF-8") is accepted and skipped.
"""
from __future__ import annotations

import csv
from pathlib import Path
from typing import Iterator, Sequence

from extract.errors import RejectedFile

FORMULA_STARTS = ("=", "@")
_SEP = "\x1f"


class TextSource:
    def __init__(self, path: Path, encoding: str = "utf-8", quoted: bool = True,
                 shown: Path | None = None) -> None:
        self.path = shown or path     # what messages name
        self._file = path             # what is read (the loader's copy)
        self.line_no = 0
        self._quoted = quoted
        with path.open("rb") as raw:
            head = raw.read(4)
        if not head:
            raise RejectedFile(path, "the file is empty (0 bytes): was the export cut short?")
        if head[:2] in (b"\xff\xfe", b"\xfe\xff"):
            raise RejectedFile(path, "the file is UTF-16 (it starts with a UTF-16 byte-order "
                               "mark, as Excel's 'Unicode text' writes): export it as UTF-8 CSV",
                               row=1)
        self.encoding = "utf-8-sig" if head[:3] == b"\xef\xbb\xbf" and encoding == "utf-8" else encoding

    def lines(self) -> Iterator[str]:
        """Decoded lines, each checked: decoding errors and line endings name their row."""
        first_seen: dict[str, int] = {}
        in_quotes = False
        encoding = "utf-8" if self.encoding == "utf-8-sig" else self.encoding
        with self._file.open("rb") as handle:
            for raw in handle:
                self.line_no += 1
                if self.line_no == 1 and self.encoding == "utf-8-sig":
                    raw = raw[3:]
                try:
                    line = raw.decode(encoding)
                except UnicodeDecodeError as err:
                    bad = raw[err.start:err.start + 1].hex()
                    raise RejectedFile(
                        self.path, f"not valid {encoding}: byte 0x{bad} at character "
                        f"{err.start + 1} cannot be decoded (wrong encoding, e.g. Windows-1252): "
                        "re-export as UTF-8", row=self.line_no) from None
                if self._quoted and line.count('"') % 2:
                    in_quotes = not in_quotes
                if not in_quotes:
                    ending = "CRLF" if line.endswith("\r\n") else "LF" if line.endswith("\n") else None
                    if ending and ending not in first_seen:
                        first_seen[ending] = self.line_no
                        if len(first_seen) > 1:
                            (a, a_line), (b, b_line) = first_seen.items()
                            raise RejectedFile(
                                self.path, f"mixed line endings: row {a_line} ends {a}, "
                                f"row {b_line} ends {b}; the file was edited or joined by "
                                "hand: re-export it", row=b_line)
                yield line


def csv_rows(source: TextSource, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    """(row, cells) for each record, header included: the row as a spreadsheet numbers it
    (a quoted value spanning lines is one row, so it does not shift the rows after it)."""
    quoting = csv.QUOTE_MINIMAL if source._quoted else csv.QUOTE_NONE
    reader = csv.reader(source.lines(), delimiter=delimiter, quoting=quoting, strict=True)
    try:
        for row, cells in enumerate(reader, start=1):
            yield row, cells
    except csv.Error as err:
        raise RejectedFile(source.path, f"malformed CSV: {err}", row=reader.line_num) from None


def check_cells(path: Path, row: int, cells: Sequence[str], headers: Sequence[str],
                max_chars: int) -> None:
    """Reject spreadsheet formulas, NUL bytes and oversized cells. Fast path: one join per row."""
    joined = _SEP + _SEP.join(cells)
    if "\x00" in joined:
        i = next(i for i, c in enumerate(cells) if "\x00" in c)
        raise RejectedFile(path, "cell contains a NUL byte (0x00): the export is damaged or "
                           "binary", row=row, field=_name(headers, i))
    if len(joined) > max_chars and any(len(c) > max_chars for c in cells):
        i = next(i for i, c in enumerate(cells) if len(c) > max_chars)
        raise RejectedFile(path, f"cell is {len(cells[i])} characters long, more than the "
                           f"{max_chars} the layout allows: a column has shifted or text was "
                           "pasted in", row=row, field=_name(headers, i))
    if _SEP + "=" in joined or _SEP + "@" in joined:
        i = next(i for i, c in enumerate(cells) if c.startswith(FORMULA_STARTS))
        raise RejectedFile(path, f"cell starts with '{cells[i][0]}' ({cells[i][:30]!r}): a "
                           "spreadsheet formula, refused so that it cannot run when opened",
                           row=row, field=_name(headers, i))


def check_header(path: Path, header: Sequence[str], expected: Sequence[str],
                 layout_file: str) -> dict[str, int]:
    """Column positions by name; reject missing, extra or repeated columns."""
    header = [h.strip() for h in header]
    seen: set[str] = set()
    for h in header:
        if h in seen:
            raise RejectedFile(path, f"column '{h}' appears twice in the header", row=1, field=h)
        seen.add(h)
    missing = [c for c in expected if c not in seen]
    if missing:
        raise RejectedFile(path, f"missing column '{missing[0]}' (expected by {layout_file})",
                           row=1, field=missing[0])
    extra = [h for h in header if h not in set(expected)]
    if extra:
        raise RejectedFile(path, f"unexpected column '{extra[0]}': if the export changed, "
                           f"update {layout_file}", row=1, field=extra[0])
    return {h: i for i, h in enumerate(header)}


def _name(headers: Sequence[str], i: int) -> str:
    return headers[i] if i < len(headers) else f"column {i + 1}"
