"""Versioned migrations of the warehouse's own tables: raw, audit (the gates' history
included), forecast and the pseudonymisation key.

Each file `migrations/NNNN_name.sql` runs once, in the order of NNNN, in its own
transaction, and is recorded in `audit.schema_migrations` (version, name, sha256 of the
file, applied_at). `migrate()` costs one query when the warehouse is up to date; otherwise
it takes an advisory lock, so that set-ups running at the same time (the DAG's mapped
tasks, every `sendwh-dbt` call) apply each migration once while the others wait. It
refuses to touch a warehouse whose record disagrees with the files: an applied migration
whose file has changed since, or a migration this code does not know (newer code set the
warehouse up).
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import psycopg

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
FILE_NAME = re.compile(r"(\d{4})_([a-z0-9_]+)\.sql")

# The project's advisory locks: (LOCK_CLASS, one of the numbers below). Any pair unique to
# this project does; advisory locks are scoped to one database.
LOCK_CLASS = 0x53454E44   # 'SEND'
MIGRATIONS_LOCK, BOROUGHS_LOCK, PSEUDONYM_KEY_LOCK = 1, 2, 3
BUILD_LOCK = 4   # held by a `sendwh build` for its whole life (sendwh/build_runs.py)

RECORD_TABLE = "audit.schema_migrations"
CREATE_RECORD_TABLE = f"""
create schema if not exists audit;
create table if not exists {RECORD_TABLE} (
    version     integer primary key,
    name        text not null,
    sha256      text not null,
    applied_at  timestamptz not null default now()
);
comment on table {RECORD_TABLE} is
    'Migrations (foundation/migrations/NNNN_name.sql) applied to this warehouse, one row each.';
"""


class MigrationError(RuntimeError):
    """The warehouse and this code's migrations disagree, or a migration failed."""


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    path: Path
    sha256: str

    @property
    def label(self) -> str:
        return f"{self.version:04d}_{self.name}"

    def sql(self) -> str:
        return self.path.read_text(encoding="utf-8")


def file_sha256(path: Path) -> str:
    """sha256 of the file's text with its line endings as LF (a Windows checkout's CRLF
    files count as the same migration)."""
    return hashlib.sha256(path.read_text(encoding="utf-8").encode("utf-8")).hexdigest()


def discover(directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    """The migration files, in order. Every .sql file there must be named NNNN_name.sql."""
    migrations: dict[int, Migration] = {}
    for path in sorted(directory.glob("*.sql")):
        match = FILE_NAME.fullmatch(path.name)
        if not match:
            raise MigrationError(f"{path}: a migration file is named NNNN_name.sql "
                                 "(four digits, then lower-case letters, digits and _)")
        version = int(match.group(1))
        if version in migrations:
            raise MigrationError(f"{path.name} and {migrations[version].path.name} have the "
                                 f"same number {version:04d}: renumber one")
        migrations[version] = Migration(version, match.group(2), path, file_sha256(path))
    return [migrations[v] for v in sorted(migrations)]


def applied_migrations(conn: psycopg.Connection) -> dict[int, tuple[str, str]]:
    """version -> (name, sha256) as recorded in the warehouse ({} before the first migration)."""
    try:
        rows = conn.execute(f"select version, name, sha256 from {RECORD_TABLE}").fetchall()
    except psycopg.errors.UndefinedTable:
        return {}
    return {version: (name, sha) for version, name, sha in rows}


def pending_migrations(known: list[Migration], applied: dict[int, tuple[str, str]]) -> list[Migration]:
    """The migrations to apply, or MigrationError when the record and the files disagree."""
    by_version = {m.version: m for m in known}
    unknown = [f"{v:04d}_{applied[v][0]}" for v in sorted(applied) if v not in by_version]
    if unknown:
        raise MigrationError(
            f"the warehouse has migration {', '.join(unknown)}, which this code does not know: "
            "newer code has set it up. Run that code (or newer) against it; nothing was changed")
    for m in known:
        if m.version in applied and applied[m.version] != (m.name, m.sha256):
            name, sha = applied[m.version]
            raise MigrationError(
                f"migration {m.label} differs from the one applied to this warehouse "
                f"({m.version:04d}_{name}, sha256 {sha[:12]}; the file's is {m.sha256[:12]}): an "
                "applied migration must not be edited; restore the file and put the change in a "
                "new migration. Nothing was changed")
    pending = [m for m in known if m.version not in applied]
    if pending and applied and pending[0].version < max(applied):
        raise MigrationError(
            f"migration {pending[0].label} is numbered before {max(applied):04d}, which this "
            "warehouse has already applied: renumber it after the last applied migration. "
            "Nothing was changed")
    return pending


def _advisory_lock_sql(kind: str) -> str:
    return f"select {kind}(%s::int, %s::int)"


def xact_lock(conn: psycopg.Connection, lock: int) -> None:
    """Hold one of the project's advisory locks until the current transaction ends, so that
    concurrent set-ups take turns."""
    conn.execute(_advisory_lock_sql("pg_advisory_xact_lock"), (LOCK_CLASS, lock))


def migrate(conn: psycopg.Connection, directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    """Apply the pending migrations, each in one transaction, and return them ([] when the
    warehouse is up to date, which costs one query). `conn` must be in autocommit mode."""
    if not conn.autocommit:
        raise ValueError("migrate() needs an autocommit connection (it commits each migration)")
    known = discover(directory)
    if not pending_migrations(known, applied_migrations(conn)):
        return []
    conn.execute(_advisory_lock_sql("pg_advisory_lock"), (LOCK_CLASS, MIGRATIONS_LOCK))
    try:
        conn.execute(CREATE_RECORD_TABLE)
        # another set-up may have applied some while this one waited for the lock
        pending = pending_migrations(known, applied_migrations(conn))
        for migration in pending:
            try:
                with conn.transaction():
                    conn.execute(migration.sql())
                    conn.execute(f"insert into {RECORD_TABLE} (version, name, sha256) "
                                 "values (%s, %s, %s)",
                                 (migration.version, migration.name, migration.sha256))
            except psycopg.Error as error:
                raise MigrationError(f"migration {migration.label} failed and was rolled back: "
                                     f"{str(error).strip()}") from error
    finally:
        if not conn.closed:
            conn.execute(_advisory_lock_sql("pg_advisory_unlock"), (LOCK_CLASS, MIGRATIONS_LOCK))
    return pending
