"""Many monthly ledgers of a borough loaded together: one connection, one transaction, a COPY
per file into one landing table, and one INSERT for all of them.

A borough sends a ledger per fiscal month, a few hundred lines each. Loaded one by one
(extract/loader.py) a file's fixed cost (its connection, its transaction, its dozen
statements) is forty times the COPY of its rows. Here, for the files of one borough with the
same header:
- each file is read once into a private folder and hashed, as the loader does;
- files already loaded, files sharing a period (or their bytes) with another file given,
  files not in UTF-8 and files the reader refuses by their name or header take the
  one-by-one path, after the groups;
- the rest are COPYed one after another (one COPY) into one landing table, each row tagged
  with its file, and checked and cast in SQL by the one-file rules (LedgerExtract.table_sql), each
  file's fiscal year and month from its own name;
- each file gets its own batch in audit.batches with its own row count, supersedes the
  batch of its period, and stands in for refused files of its name or period, all in the
  one transaction (as extract/loader.py does for one file).
If SQL refuses a row, or a file is not plain enough for COPY, the transaction rolls back,
the group is split in two and each half tried again, down to files loaded one by one, whose
refusal names the file, row and field. Fewer than GROUP_MIN files are loaded one by one.
"""
from __future__ import annotations

import json
import logging
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import psycopg
from psycopg import sql

from extract.entities import LEDGER_TABLE
from extract.errors import RejectedFile
from extract.landing import NeedsReader, column_names, copy_files, create_landing
from extract.layouts import get_layout
from extract.ledger import MAX_CELL_CHARS, LedgerExtract
from extract.loader import LoadResult, load_file, read_once
from extract.sql_mapping import create_refused
from foundation.database import connect

log = logging.getLogger(__name__)
GROUP_MIN = 4    # fewer files than this go one by one (a group's own statements cost more)
KIND = "ledger"


@dataclass
class _Member:
    index: int                  # position in the files given
    source: LedgerExtract       # reading the private copy
    sha: str
    key: tuple                  # (borough, header): files landed together share it

    @property
    def borough(self) -> str:
        return self.source.borough


def load_ledgers(files: list[tuple[Path, str | None, Path]],
                 progress: Callable[[LoadResult], None] | None = None) -> list[LoadResult]:
    """Load ledger files, each (path, borough, folder given); a result per file, in order."""
    results: dict[int, LoadResult] = {}

    def done(index: int, result: LoadResult) -> None:
        results[index] = result
        if progress:
            progress(result)

    alone: list[int] = []
    with tempfile.TemporaryDirectory(prefix="sendwh-load-") as private:
        members = []
        for index, (path, borough, root) in enumerate(files):
            member = _member(index, path, borough, root, Path(private))
            if member is None:
                alone.append(index)
            else:
                members.append(member)
        members = _without_clashes(members, alone)
        groups: dict[tuple, list[_Member]] = {}
        for member in members:
            groups.setdefault(member.key, []).append(member)
        if any(len(group) >= GROUP_MIN for group in groups.values()):
            with connect(autocommit=True) as conn:
                for group in groups.values():
                    _load_group(conn, group, alone, done)
        else:
            alone.extend(m.index for m in members)
    for index in sorted(alone):
        path, borough, root = files[index]
        done(index, load_file(lambda p=path, b=borough: LedgerExtract(p, get_layout(b)), path,
                              KIND, borough, root=root))
    return [results[i] for i in range(len(files))]


def _member(index: int, path: Path, borough: str | None, root: Path,
            private: Path) -> _Member | None:
    """The file read once and its header read; None when it must go one by one."""
    if borough is None:
        return None
    try:
        copy, sha = read_once(path, root, private, f"{index}_{path.name}")
        source = LedgerExtract(path, get_layout(borough))
        source.data = copy
        if source.spec.get("encoding", "utf-8") != "utf-8":
            return None
        header = tuple(source.header())
    except (RejectedFile, OSError):
        return None              # the one-by-one path refuses it, with its reason
    return _Member(index, source, sha, (borough, header))


def _without_clashes(members: list[_Member], alone: list[int]) -> list[_Member]:
    """Files of the same borough sharing a period or bytes go one by one, in order (the
    later supersedes the earlier, as when loaded apart)."""
    periods = Counter((m.borough, m.source.period) for m in members)
    shas = Counter((m.borough, m.sha) for m in members)
    kept = []
    for m in members:
        if periods[m.borough, m.source.period] > 1 or shas[m.borough, m.sha] > 1:
            alone.append(m.index)
        else:
            kept.append(m)
    return kept


def _load_group(conn: psycopg.Connection, members: list[_Member], alone: list[int],
                done: Callable[[int, LoadResult], None]) -> None:
    if len(members) < GROUP_MIN:
        alone.extend(m.index for m in members)
        return
    started = time.perf_counter()
    borough = members[0].borough
    # the loader's lock on the same bytes for the same borough, for every file (sorted: two
    # groups never wait for each other in a circle)
    locks = sorted({f"load|{KIND}|{borough}|{m.sha}" for m in members})
    conn.execute("select pg_advisory_lock(hashtext(k)) from unnest(%s::text[]) as k", (locks,))
    try:
        loaded = {r[0] for r in conn.execute(
            "select sha256 from audit.batches where source_kind = %s and borough = %s "
            "and sha256 = any(%s) and status in ('loaded', 'superseded')",
            (KIND, borough, [m.sha for m in members]))}
        fresh = [m for m in members if m.sha not in loaded]
        alone.extend(m.index for m in members if m.sha in loaded)
        if len(fresh) < GROUP_MIN:
            alone.extend(m.index for m in fresh)
            return
        try:
            with conn.transaction():
                results = _insert_group(conn, fresh, started)
        except (NeedsReader, psycopg.errors.DataError, psycopg.errors.IntegrityError) as why:
            log.info("%d %s ledgers: not loaded together (%s); in halves", len(fresh), borough,
                     str(why).splitlines()[0] if str(why) else type(why).__name__)
            half = len(fresh) // 2
            _load_group(conn, fresh[:half], alone, done)
            _load_group(conn, fresh[half:], alone, done)
            return
        for member, result in zip(fresh, results):
            done(member.index, result)
    finally:
        conn.execute("select pg_advisory_unlock(hashtext(k)) from unnest(%s::text[]) as k",
                     (locks,))


def _insert_group(conn: psycopg.Connection, members: list[_Member],
                  started: float) -> list[LoadResult]:
    first = members[0].source
    borough, table = first.borough, LEDGER_TABLE
    sources = [m.source for m in members]
    periods = [s.period for s in sources]
    # as extract/loader.py: a crash may lose the last batches committed, never half of one
    conn.execute("set local synchronous_commit = off")
    conn.execute(sql.SQL("set local datestyle = {}").format(
        sql.Literal("ISO, DMY" if first.date_style == "DMY" else "ISO, YMD")))
    batch_of = dict(conn.execute(
        "insert into audit.batches (source_kind, borough, dataset, period, file_name, file_path,"
        " sha256, status) select %s, %s, %s, x.period, x.file_name, x.file_path, x.sha256,"
        " 'loading' from unnest(%s::text[], %s::text[], %s::text[], %s::text[])"
        " as x(period, file_name, file_path, sha256) returning sha256, batch_id",
        (KIND, borough, first.dataset, periods, [s.path.name for s in sources],
         [str(s.path.resolve()) for s in sources], [m.sha for m in members])).fetchall())
    batch_ids = [batch_of[m.sha] for m in members]

    width = len(members[0].key[1])
    create_landing(conn, "landing", width)
    create_refused(conn)
    landed = copy_files(conn, [s.read_path for s in sources], "landing", width,
                        first.spec.get("delimiter", ","), MAX_CELL_CHARS)
    for source, file_landed in zip(sources, landed):
        if not file_landed.records:
            raise NeedsReader(f"{source.path.name}: no data rows")
    strip = any(x.strip for x in landed)
    counts = [x.records for x in landed]
    # The landing table numbers its rows 1, 2, ... in the order copied: file f's rows start
    # at first_n[f], so width_bucket (a binary search of first_n) says each row's file, and
    # each file's facts are read from arrays by it: its batch, the year and month its name
    # says (checked below: every record is inserted once)
    first_n = [1 + sum(counts[:f]) for f in range(len(counts))]
    facts = {"file_batch_id": ("bigint", batch_ids),
             "name_year": ("integer", [s.name_year for s in sources]),
             "fiscal_year_text": ("text", [s.fiscal_year_text for s in sources]),
             "month_short": ("text", [s.month_texts[0] for s in sources]),
             "month_long": ("text", [s.month_texts[-1] for s in sources])}
    array = sql.SQL("(cast({} as {}[]))").format
    conn.execute(sql.SQL(
        "create temp view landing_files as select l.n - {first}[w] + 1 as n, {facts}, {cells} "
        "from (select *, width_bucket(n, {first}) as w from landing) as l").format(
            first=array(sql.Literal(first_n), sql.SQL("bigint")),
            facts=sql.SQL(", ").join(sql.SQL("{}[w] as {}").format(
                array(sql.Literal(values), sql.SQL(kind)), sql.Identifier(name))
                for name, (kind, values) in facts.items()),
            cells=sql.SQL(", ").join(map(sql.Identifier, column_names(width)))))
    mapping = first.table_sql(strip, sql.Identifier("name_year"),
                              sql.Identifier("fiscal_year_text"),
                              sql.SQL("array[month_short, month_long]"))
    with conn.cursor() as cur:
        cur.execute(mapping.insert("landing_files", sql.Identifier("file_batch_id"), borough, 2))
        inserted = cur.rowcount
    conn.execute("drop view landing_files")
    if inserted != sum(counts):
        raise NeedsReader(f"{inserted} rows inserted from {sum(counts)} records")

    keys = sorted({f"{KIND}|{borough}|{first.dataset}|{p}" for p in periods})
    conn.execute("select pg_advisory_xact_lock(hashtext(k)) from unnest(%s::text[]) as k", (keys,))
    superseded: dict[int, list[int]] = {}
    for new, old in conn.execute(
            "update audit.batches as b set status = 'superseded', superseded_by = x.batch_id "
            "from unnest(%s::bigint[], %s::text[]) as x(batch_id, period) where "
            "b.source_kind = %s and b.borough = %s and b.dataset = %s and b.period = x.period "
            "and b.status = 'loaded' returning x.batch_id, b.batch_id",
            (batch_ids, periods, KIND, borough, first.dataset)).fetchall():
        superseded.setdefault(new, []).append(old)
    conn.execute(
        "update audit.batches as b set superseded_by = x.batch_id from unnest(%s::bigint[], "
        "%s::text[], %s::text[]) as x(batch_id, file_name, period) where b.status = 'rejected' "
        "and b.superseded_by is null and b.source_kind = %s and b.borough = %s and "
        "(b.file_name = x.file_name or (b.dataset = %s and b.period = x.period))",
        (batch_ids, [s.path.name for s in sources], periods, KIND, borough, first.dataset))
    seconds = time.perf_counter() - started
    each = seconds / len(members)       # the group's time, shared
    rows = counts                       # each file's records, all inserted (checked above)
    conn.execute(
        "update audit.batches as b set status = 'loaded', rows_loaded = x.rows, rows_by_table"
        " = cast(x.by_table as jsonb), finished_at = now(), load_seconds = %s from"
        " unnest(%s::bigint[], %s::bigint[], %s::text[]) as x(batch_id, rows, by_table)"
        " where b.batch_id = x.batch_id",
        (round(each, 3), batch_ids, rows, [json.dumps({table.name: r}) for r in rows]))
    return [LoadResult(s.path, KIND, borough, "loaded", b, r, {table.name: r}, s.period,
                       superseded=superseded.get(b, []), seconds=each)
            for s, b, r in zip(sources, batch_ids, rows)]
