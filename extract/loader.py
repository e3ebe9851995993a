"""Load one file into `raw` with COPY, in one transaction, with a batch record in `audit`.

- The same bytes loaded again change nothing (matched on sha256).
- A corrected file for the same borough, dataset and period supersedes the loaded batch;
  the old batch stays in `audit.batches` with status 'superseded'.
- A file that fails loads no rows, is copied to the quarantine folder with a `.reason.txt`
  beside it, and is recorded as 'rejected' with the row and field at fault.
A delimited file (case CSV, WCC's pipe file, ledgers) of SENDWH_LANDING_MIN_BYTES or more
goes to PostgreSQL as it is: COPY into a landing table, then mapped, checked and cast in
SQL (the reader's `copy_in_sql`, extract/landing.py, extract/sql_mapping.py), in a
savepoint. Anything that path cannot vouch for (odd bytes, a row the reader's rules refuse,
a value PostgreSQL cannot cast) rolls the savepoint back and the file is read row by row
instead, by the reader, whose message names the row and field. Rows stream from the reader:
a file that fills one table, or whose reader gives each table's rows together (a workbook,
sheet by sheet), is copied as it is read; a file that fills several tables in turn is spooled
per table (in memory up to a limit, then on disk), so memory stays flat however big the
file is.
"""
from __future__ import annotations

import csv
import hashlib
import json
import logging
import os
import re
import stat
import tempfile
import time
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterable

import psycopg
from psycopg import sql

from extract.entities import RawTable
from extract.errors import RejectedFile
from extract.landing import NeedsReader
from extract.source import SourceFile
from extract.values import ValueChecker
from foundation.catalog import column_types
from foundation.database import connect
from foundation.settings import get_settings

log = logging.getLogger(__name__)

SPOOL_BYTES = 16 * 1024 * 1024
SPOOL_BLOCK = 64 * 1024      # rows gathered before a write to a table's spool
COPY_CHUNK = 1024 * 1024


@dataclass
class LoadResult:
    path: Path
    source_kind: str
    borough: str | None
    status: str                      # loaded | already_loaded | rejected
    batch_id: int | None = None
    rows: int = 0
    rows_by_table: dict[str, int] = field(default_factory=dict)
    period: str | None = None
    reason: str | None = None
    superseded: list[int] = field(default_factory=list)
    seconds: float = 0.0
    quarantine_path: Path | None = None

    @property
    def ok(self) -> bool:
        return self.status != "rejected"


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(COPY_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


_KINDS_OF_FILE = ((stat.S_ISFIFO, "a named pipe (FIFO)"), (stat.S_ISCHR, "a character device"),
                  (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"),
                  (stat.S_ISDIR, "a folder"))


def read_once(path: Path, root: Path | None, into: Path, name: str | None = None
              ) -> tuple[Path, str]:
    """Copy the file's bytes into the private folder `into`, hashing them as they are read:
    the readers read this copy, so what is loaded is what was hashed, even if the file
    changes meanwhile. Only a regular file is read, and a symbolic link only when it stays
    inside `root` (the folder given); a refusal here copies nothing. The copy is named
    `name`, or the file's own name."""
    if ".." in path.parts:
        raise RejectedFile(path, "the path climbs out of its folder ('..'): not followed, "
                           "nothing read or copied; give the file's own folder")
    folder = Path(root if root is not None else path.parent).resolve()
    if path.is_symlink():
        target = path.resolve()
        if not target.is_relative_to(folder):
            raise RejectedFile(path, f"a symbolic link to {target}, outside the folder given "
                               f"({folder}): not followed, nothing read or copied")
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
    if not path.is_symlink():
        flags |= getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags)
    except OSError as err:
        raise RejectedFile(path, f"cannot be opened ({err.strerror}): nothing read") from None
    with os.fdopen(fd, "rb", closefd=True) as handle:
        mode = os.fstat(handle.fileno()).st_mode
        if not stat.S_ISREG(mode):
            kind = next((name for test, name in _KINDS_OF_FILE if test(mode)), "not a regular file")
            raise RejectedFile(path, f"{kind}, not a regular file: only regular files are read, "
                               "nothing read or copied")
        copy = into / (name or path.name)
        digest = hashlib.sha256()
        with os.fdopen(os.open(copy, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as out:
            while chunk := handle.read(COPY_CHUNK):
                digest.update(chunk)
                out.write(chunk)
    return copy, digest.hexdigest()


def load_file(open_source: Callable[[], SourceFile], path: Path, source_kind: str,
              borough: str | None = None, root: Path | None = None,
              conn: psycopg.Connection | None = None) -> LoadResult:
    """Load `path`; `open_source` builds a fresh reader for it (called again to explain errors).
    `root` is the folder the file was found in (links may not lead out of it). `conn`: an
    autocommit connection to load with (the files of one `ingest` share one: a connection
    of its own per file cost more than the statements of a small file); else one of its own.
    Nothing of one file's load outlives it on the connection: its transaction ends, its
    temporary tables are dropped at commit and its lock is released."""
    started = time.perf_counter()
    path = Path(path)
    with tempfile.TemporaryDirectory(prefix="sendwh-load-") as private, \
            (nullcontext(conn) if conn is not None else connect(autocommit=True)) as conn:
        copy: Path | None = None
        try:
            copy, sha = read_once(path, root, Path(private))
        except RejectedFile as rejected:
            return _reject(conn, path, source_kind, borough, None, "(not read)", rejected,
                           started, None)

        def opener() -> SourceFile:
            made = open_source()
            made.data = copy
            return made

        # Two loads of the same bytes for the same borough wait for each other here, so
        # the second finds the first's batch (session lock: held across the transaction).
        lock = f"load|{source_kind}|{borough}|{sha}"
        conn.execute("select pg_advisory_lock(hashtext(%s))", (lock,))
        try:
            return _load_once(conn, opener, path, source_kind, borough, sha, copy, started)
        finally:
            conn.execute("select pg_advisory_unlock(hashtext(%s))", (lock,))


def _load_once(conn: psycopg.Connection, opener: Callable[[], SourceFile], path: Path,
               source_kind: str, borough: str | None, sha: str, copy: Path,
               started: float) -> LoadResult:
    # "already loaded" is the same bytes for the same borough (a SEN2 return offered without
    # a borough is matched on its bytes alone: its LEA says whose it is)
    same_borough = "" if borough is None and source_kind == "sen2" else \
        " and borough is not distinct from %(borough)s"
    done = conn.execute(
        "select batch_id, borough, period, status, dataset from audit.batches where "
        "source_kind = %(kind)s and sha256 = %(sha)s and status in ('loaded', 'superseded')"
        f"{same_borough} order by batch_id desc limit 1",
        {"kind": source_kind, "sha": sha, "borough": borough}).fetchone()
    if done:
        batch_id, done_borough, period, status, dataset = done
        with conn.transaction():
            displaced = _reinstate(conn, source_kind, done_borough, dataset, period,
                                   batch_id) if status == "superseded" else []
            _resolve_refused(conn, source_kind, done_borough, path.name, dataset, period,
                             batch_id)
        return LoadResult(path, source_kind, done_borough, "already_loaded", batch_id=batch_id,
                          period=period, superseded=displaced,
                          seconds=time.perf_counter() - started)
    source: SourceFile | None = None
    try:
        source = opener()
        with conn.transaction():
            return _load(conn, source, sha, started)
    except RejectedFile as rejected:
        return _reject(conn, path, source_kind, source.borough if source else borough,
                       source, sha, rejected, started, copy)
    except (psycopg.errors.DataError, psycopg.errors.IntegrityError) as err:
        # COPY's own type errors, for anything the value checks let through
        rejected = _explain_copy_error(err, opener, path)
        return _reject(conn, path, source_kind, source.borough if source else borough,
                       source, sha, rejected, started, copy)


def _load(conn: psycopg.Connection, source: SourceFile, sha: str, started: float) -> LoadResult:
    batch_id = conn.execute(
        "insert into audit.batches (source_kind, borough, dataset, period, file_name, file_path,"
        " sha256, status) values (%s, %s, %s, %s, %s, %s, %s, 'loading') returning batch_id",
        (source.source_kind, source.borough, source.dataset, source.period or "?",
         source.path.name, str(source.path.resolve()), sha)).fetchone()[0]
    # A crash may lose the last few committed batches, never half of one: they are reloaded
    # from their files. Not waiting for the WAL flush at each file's commit is what makes
    # many small files (monthly ledgers) quick to load.
    conn.execute("set local synchronous_commit = off")
    conn.execute(sql.SQL("set local datestyle = {}").format(
        sql.Literal("ISO, DMY" if source.date_style == "DMY" else "ISO, YMD")))
    counts = _copy_rows(conn, source, batch_id)
    keyed = [table for table in source.tables if counts.get(table.name) and table.key]
    for table in _with_repeated_keys(conn, keyed, batch_id):
        _reject_conflicting_keys(conn, source, table, batch_id)
    if source.period is None:
        raise RejectedFile(source.path, "the file does not say which period it covers")
    # Serialise loads of the same borough, dataset and period, then supersede.
    key = f"{source.source_kind}|{source.borough}|{source.dataset}|{source.period}"
    conn.execute("select pg_advisory_xact_lock(hashtext(%s))", (key,))
    superseded = [r[0] for r in conn.execute(
        "update audit.batches set status = 'superseded', superseded_by = %s "
        "where source_kind = %s and borough is not distinct from %s and dataset = %s "
        "and period = %s and status = 'loaded' and batch_id <> %s returning batch_id",
        (batch_id, source.source_kind, source.borough, source.dataset, source.period, batch_id))]
    _resolve_refused(conn, source.source_kind, source.borough, source.path.name, source.dataset,
                     source.period, batch_id)
    total = sum(counts.values())
    seconds = time.perf_counter() - started
    conn.execute(
        "update audit.batches set status = 'loaded', borough = %s, period = %s, rows_loaded = %s,"
        " rows_by_table = %s, finished_at = now(), load_seconds = %s where batch_id = %s",
        (source.borough, source.period, total, json.dumps(counts), round(seconds, 3), batch_id))
    return LoadResult(source.path, source.source_kind, source.borough, "loaded", batch_id, total,
                      counts, source.period, superseded=superseded, seconds=seconds)


def _reinstate(conn: psycopg.Connection, source_kind: str, borough: str | None, dataset: str,
               period: str, batch_id: int) -> list[int]:
    """The latest file offered wins: offering again a file whose batch a later one superseded
    makes it current again (its rows are still in raw); returns the batches it displaces."""
    key = f"{source_kind}|{borough}|{dataset}|{period}"
    conn.execute("select pg_advisory_xact_lock(hashtext(%s))", (key,))
    displaced = [r[0] for r in conn.execute(
        "update audit.batches set status = 'superseded', superseded_by = %s "
        "where source_kind = %s and borough is not distinct from %s and dataset = %s "
        "and period = %s and status = 'loaded' and batch_id <> %s returning batch_id",
        (batch_id, source_kind, borough, dataset, period, batch_id))]
    conn.execute("update audit.batches set status = 'loaded', superseded_by = null "
                 "where batch_id = %s", (batch_id,))
    return displaced


def _resolve_refused(conn: psycopg.Connection, source_kind: str, borough: str | None,
                     file_name: str, dataset: str, period: str | None, batch_id: int) -> None:
    """Refused files this good one stands in for (same name, or same dataset and period) are
    marked as replaced by it; the quality gates block while a refused file is unreplaced."""
    conn.execute(
        "update audit.batches set superseded_by = %s where status = 'rejected' "
        "and superseded_by is null and source_kind = %s and borough is not distinct from %s "
        "and (file_name = %s or (dataset = %s and period = %s))",
        (batch_id, source_kind, borough, file_name, dataset, period))


def _copy_statement(table: RawTable) -> sql.Composed:
    return sql.SQL("copy raw.{} ({}) from stdin (format csv)").format(
        sql.Identifier(table.name), sql.SQL(", ").join(map(sql.Identifier, table.copy_columns)))


def _copy_in_sql(conn: psycopg.Connection, source: SourceFile, batch_id: int
                 ) -> dict[str, int] | None:
    """A delimited file's rows by COPY of its bytes and SQL (the reader's `copy_in_sql`), in
    a savepoint: None (nothing left behind) when the file is not plain enough for that, or
    when SQL finds a row the reader's rules refuse; the reader then reads it row by row and
    names the row and field at fault."""
    copy_in_sql = getattr(source, "copy_in_sql", None)
    if copy_in_sql is None or source.read_path.stat().st_size < get_settings().landing_min_bytes:
        return None
    try:
        with conn.transaction():
            return copy_in_sql(conn, batch_id)
    except (NeedsReader, psycopg.errors.DataError, psycopg.errors.IntegrityError) as why:
        log.info("%s: read row by row (%s)", source.path.name, why)
        return None


def _copy_rows(conn: psycopg.Connection, source: SourceFile, batch_id: int) -> dict[str, int]:
    counts = _copy_in_sql(conn, source, batch_id)
    if counts is not None:
        return counts
    counts = {}
    # a reader that checks its values as extract/values.py does says so (`checked`)
    rows = source.rows() if getattr(source, "checked", False) else _checked(source)
    with conn.cursor() as cur:
        if len(source.tables) == 1 or getattr(source, "grouped", False):
            # One table, or a reader that gives each table's rows together (a workbook's
            # sheets): stream straight into COPY while the file is read, a COPY per run.
            return _stream_runs(cur, rows, batch_id, source)
        # per table: its spool, a block buffer in front of it (a write to a spooled file per
        # row costs more than the row), the CSV writer's writerow, and the row prefix
        spools: dict[str, tuple[RawTable, Any, _Buffer, Callable, tuple]] = {}
        try:
            for table, values in rows:
                entry = spools.get(table.name)
                if entry is None:
                    handle = tempfile.SpooledTemporaryFile(SPOOL_BYTES, mode="w+", newline="")
                    buffer = _Buffer(handle.write, SPOOL_BLOCK)
                    prefix = (batch_id, source.borough) if table.per_borough else (batch_id,)
                    entry = spools[table.name] = (table, handle, buffer,
                                                  csv.writer(buffer).writerow, prefix)
                    counts[table.name] = 0
                entry[3]((*entry[4], *values))
                counts[table.name] += 1
            for table, handle, buffer, _, _ in spools.values():
                buffer.flush()
                handle.seek(0)
                with cur.copy(_copy_statement(table)) as copy:
                    while chunk := handle.read(COPY_CHUNK):
                        copy.write(chunk)
        finally:
            for _, handle, _, _, _ in spools.values():
                handle.close()
    return counts


def _checked(source: SourceFile) -> Iterable[tuple[RawTable, list[Any]]]:
    """The reader's rows, each value checked against its column's type (extract/values.py)."""
    checkers: dict[str, ValueChecker] = {}
    for table, values in source.rows():
        checker = checkers.get(table.name)
        if checker is None:
            checker = checkers[table.name] = ValueChecker(table, source.date_style,
                                                          source.field_names, source.path)
        checker.check(values)
        yield table, values


class _Buffer:
    """A csv.writer target that hands COPY a block at a time."""

    def __init__(self, sink: Callable[[str], Any], block: int = COPY_CHUNK) -> None:
        self.parts: list[str] = []
        self.size = 0
        self.sink = sink
        self.block = block

    def write(self, text: str) -> None:
        self.parts.append(text)
        self.size += len(text)
        if self.size >= self.block:
            self.flush()

    def flush(self) -> None:
        if self.parts:
            self.sink("".join(self.parts))
            self.parts, self.size = [], 0


def _stream_runs(cur: psycopg.Cursor, rows: Iterable[tuple[RawTable, list[Any]]],
                 batch_id: int, source: SourceFile) -> dict[str, int]:
    """Each run of rows of one table COPYed as it is read (CSV text, a block at a time)."""
    counts: dict[str, int] = {}
    rows = iter(rows)
    pending = next(rows, None)
    while pending is not None:
        table = pending[0]
        prefix = (batch_id, source.borough) if table.per_borough else (batch_id,)
        count = 0
        with cur.copy(_copy_statement(table)) as copy:
            buffer = _Buffer(copy.write)
            writerow = csv.writer(buffer).writerow
            while pending is not None and pending[0] is table:
                writerow((*prefix, *pending[1]))
                count += 1
                pending = next(rows, None)
            buffer.flush()
        counts[table.name] = counts.get(table.name, 0) + count
    return counts


def _with_repeated_keys(conn: psycopg.Connection, tables: list[RawTable],
                        batch_id: int) -> list[RawTable]:
    """The tables in which the batch repeats a key, asked of all the tables in one statement
    (a round trip per table cost a small file more than the question). Most keys are never
    repeated: grouping the keys alone says so, before the costlier comparison of whole rows
    per key (_reject_conflicting_keys)."""
    if not tables:
        return []
    repeated = conn.execute(sql.SQL("select {}").format(sql.SQL(", ").join(
        sql.SQL("exists (select 1 from raw.{t} where batch_id = {b} group by {key} "
                "having count(*) > 1)").format(
            t=sql.Identifier(table.name), b=sql.Literal(batch_id),
            key=sql.SQL(", ").join(map(sql.Identifier, table.key))) for table in tables))
    ).fetchone()
    return [table for table, again in zip(tables, repeated) if again]


def _reject_conflicting_keys(conn: psycopg.Connection, source: SourceFile, table: RawTable,
                             batch_id: int) -> None:
    """The same key twice with different values rejects the file (exact repeats are kept
    for the data-quality gates to count); called for a table whose keys repeat."""
    key = sql.SQL(", ").join(map(sql.Identifier, table.key))
    other = [c for c in table.columns if c not in table.key]
    body = sql.SQL("row({})").format(sql.SQL(", ").join(map(sql.Identifier, other))) if other else sql.SQL("1")
    found = conn.execute(sql.SQL(
        "select {key}, min(source_row), max(source_row) from raw.{t} where batch_id = %s "
        "group by {key} having count(distinct {body}) > 1 order by 2 limit 1").format(
            key=key, t=sql.Identifier(table.name), body=body), (batch_id,)).fetchone()
    if found:
        *values, first, last = found
        names = ", ".join(f"{c}={v}" for c, v in zip(table.key, values))
        raise RejectedFile(source.path, f"duplicate key {names} with different values (rows "
                           f"{first} and {last})", row=last,
                           field=source.field_names.get((table.name, table.key[0]), table.key[0]))


_COPY_CONTEXT = re.compile(r"COPY (\w+), line (\d+)(?:, column (\w+))?")


def _explain_copy_error(err: psycopg.Error, open_source: Callable[[], SourceFile],
                        path: Path) -> RejectedFile:
    """Turn COPY's 'table, line N, column C' into the source file's row and field."""
    message = err.diag.message_primary or str(err)
    found = _COPY_CONTEXT.search(err.diag.context or "")
    if not found:
        return RejectedFile(path, f"the database refused the rows: {message}")
    table, line, column = found.group(1), int(found.group(2)), found.group(3)
    if column is None and err.diag.column_name:
        column = err.diag.column_name
    source = open_source()
    n = 0
    try:
        for raw_table, values in source.rows():
            if raw_table.name != table:
                continue
            n += 1
            if n == line:
                field_name = source.field_names.get((table, column), column)
                kind = column_types("raw", table).get(column or "")
                hint = {"date": " (expected a date, as day/month/year)" if source.date_style == "DMY"
                        else " (expected a date, YYYY-MM-DD)",
                        "boolean": " (expected a yes/no value, Y or N)"}.get(kind or "", "")
                return RejectedFile(path, f"{message}{hint}", row=values[0], field=field_name)
    except RejectedFile as again:
        return again
    return RejectedFile(path, f"{message} (raw.{table}, record {line})", field=column)


def private_folder(folder: Path) -> Path:
    """Make `folder` (and the quarantine folders above it) readable by the owner alone:
    a quarantined file may hold personal data."""
    root = get_settings().quarantine
    root.parent.mkdir(parents=True, exist_ok=True)
    parts = [folder]
    if folder.is_relative_to(root):
        below = folder.relative_to(root)
        parts = [root, *(root / p for p in reversed(below.parents[:-1])), folder]
    for part in parts:
        part.mkdir(mode=0o700, exist_ok=True)
        part.chmod(0o700)
    return folder


def _private_write(target: Path, data: bytes | None = None, source: Path | None = None) -> None:
    """Write a file only its owner can read (0600), never through a link."""
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0),
                 0o600)
    with os.fdopen(fd, "wb") as out:
        if source is not None:
            with source.open("rb") as handle:
                while chunk := handle.read(COPY_CHUNK):
                    out.write(chunk)
        else:
            out.write(data or b"")


def _reject(conn: psycopg.Connection, path: Path, source_kind: str, borough: str | None,
            source: SourceFile | None, sha: str, rejected: RejectedFile,
            started: float, copy: Path | None) -> LoadResult:
    """Record the refusal and keep the refused file's bytes (the copy that was read; none
    when the file was not read: a device, a pipe, a link out of the folder) in quarantine
    with its reason, both readable by the owner only."""
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%f")
    folder = private_folder(get_settings().quarantine / source_kind / (borough or "unknown"))
    target = folder / f"{stamp}_{path.name}"
    if copy is not None and copy.exists():
        _private_write(target, source=copy)
    _private_write(target.with_name(target.name + ".reason.txt"),
                   (str(rejected) + "\n").encode("utf-8", "replace"))
    seconds = time.perf_counter() - started
    batch_id = conn.execute(
        "insert into audit.batches (source_kind, borough, dataset, period, file_name, file_path,"
        " sha256, status, reason, error_row, error_field, quarantine_path, finished_at,"
        " load_seconds) values (%s, %s, %s, %s, %s, %s, %s, 'rejected', %s, %s, %s, %s, now(), %s)"
        " returning batch_id",
        (source_kind, borough, source.dataset if source else "?",
         (source.period if source else None) or "?", path.name, str(path.absolute()), sha,
         str(rejected), rejected.row, rejected.field, str(target), round(seconds, 3))).fetchone()[0]
    log.warning("rejected %s", rejected)
    return LoadResult(path, source_kind, borough, "rejected", batch_id=batch_id,
                      reason=str(rejected), seconds=seconds, quarantine_path=target)
