"""Publishing: what dbt built (and the gates checked) in the build schemas becomes what
readers outside dbt see, in one transaction, by renaming schemas: `marts_build` -> `marts`
(what analysts query) and `restricted_build` -> `restricted` (the SEN2 return's rows with
their identifiers, and the forecast's person-level history; no public access). Both change
in the same commit. A query sees a schema's old relations or its new ones, never a mix: a
query that has started keeps the tables it opened; one that starts after the commit sees only
the new ones. (One statement reading both schemas could, at the instant of the commit, resolve
one schema's names before the swap and the other's after: PostgreSQL looks names up schema by
schema. No reader joins the two.) The grants on each
published schema and its tables are copied to the new ones first, so access is kept. The
old schemas stay as `marts_previous` and `restricted_previous` until the next publish (so a
query still reading them is never blocked or broken by this one), readable by no new reader.

Given the gate run that judged the build schemas, publishing first checks that the run
finished passed or warned (never a run still `running`, abandoned or blocked), and in the
same transaction as the swap marks it published and records it in audit.publications with a
fingerprint of what was swapped in, which readers check (foundation/published.py). A process
killed at any point leaves either the old schemas and no record, or the new ones and the
record.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from psycopg import sql

from foundation.published import PUBLISHED_STATUSES, fingerprint
from foundation.roles import secure_schema

# published schema -> the schema dbt builds it in (dbt_project/macros/generate_schema_name.sql)
BUILD_SCHEMAS = {"marts": "marts_build", "restricted": "restricted_build"}
# published schemas that only granted roles may read: no grant to public is ever carried over
RESTRICTED = frozenset({"restricted"})
LOCK_KEY = 4210501  # one publish at a time (pg_advisory_xact_lock)


class PublishError(RuntimeError):
    pass


@dataclass
class Published:
    relations: int
    grants_copied: int


def previous_schema(published: str) -> str:
    return f"{published}_previous"


def _grants_sql(conn, published: str, build_schema: str) -> list[sql.Composed]:
    """GRANT statements giving the build schema and its relations the privileges that the
    published schema and its same-named relations have now (owners' own privileges
    excepted; none to public on a restricted schema)."""
    statements = []
    skip_public = published in RESTRICTED
    for grantee, privilege, grantable in conn.execute(
            "select coalesce(r.rolname, 'public'), a.privilege_type, a.is_grantable "
            "from pg_namespace n cross join aclexplode(n.nspacl) a "
            "left join pg_roles r on r.oid = a.grantee "
            "where n.nspname = %s and a.grantee <> n.nspowner", (published,)).fetchall():
        if grantee == "public" and skip_public:
            continue
        statements.append(sql.SQL("grant {} on schema {} to {}{}").format(
            sql.SQL(privilege), sql.Identifier(build_schema), _role(grantee),
            sql.SQL(" with grant option" if grantable else "")))
    for relname, grantee, privilege, grantable in conn.execute(
            "select c.relname, coalesce(r.rolname, 'public'), a.privilege_type, a.is_grantable "
            "from pg_class c join pg_namespace n on n.oid = c.relnamespace "
            "cross join aclexplode(c.relacl) a left join pg_roles r on r.oid = a.grantee "
            "where n.nspname = %s and a.grantee <> c.relowner "
            "and exists (select 1 from pg_class b join pg_namespace bn on bn.oid = b.relnamespace "
            "            where bn.nspname = %s and b.relname = c.relname)",
            (published, build_schema)).fetchall():
        if grantee == "public" and skip_public:
            continue
        statements.append(sql.SQL("grant {} on {} to {}{}").format(
            sql.SQL(privilege), sql.Identifier(build_schema, relname), _role(grantee),
            sql.SQL(" with grant option" if grantable else "")))
    return statements


def _revoke_readers(conn, schema: str) -> None:
    """The previous version is kept for the queries still reading it (they were checked when
    they started), not for new readers: no role but its owner may use the schema."""
    for (grantee,) in conn.execute(
            "select distinct coalesce(r.rolname, 'public') from pg_namespace n "
            "cross join aclexplode(n.nspacl) a left join pg_roles r on r.oid = a.grantee "
            "where n.nspname = %s and a.grantee <> n.nspowner", (schema,)).fetchall():
        conn.execute(sql.SQL("revoke all on schema {} from {}").format(sql.Identifier(schema), _role(grantee)))


def _role(name: str) -> sql.Composable:
    return sql.SQL("public") if name == "public" else sql.Identifier(name)


def _relations(conn, schema: str) -> set[str]:
    return {r[0] for r in conn.execute(
        "select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace "
        "where n.nspname = %s and c.relkind in ('r', 'v', 'm', 'p')", (schema,))}


def publish(conn, schemas: Mapping[str, str] | None = None,
            expected: Mapping[str, set[str]] | None = None, gate_run_id: str | None = None,
            before_commit: Callable[[], None] | None = None) -> Published:
    """Swap each build schema in as its published schema, all in one transaction.
    `schemas`: {published: build} (default BUILD_SCHEMAS). `expected`: {published: relations
    its build schema must hold} (a partial build must not publish fewer relations than the
    project defines); nothing is published if any build schema is empty or lacks one.
    `gate_run_id`: the gate run that judged the build schemas; it must have finished passed
    or warned, and is recorded as published with the swap. Without one nothing is recorded,
    and readers that check (foundation/published.py) refuse what was swapped in.
    `before_commit`: called last inside the transaction (`sendwh build`'s pause point)."""
    schemas = dict(schemas or BUILD_SCHEMAS)
    with conn.transaction():
        conn.execute("select pg_advisory_xact_lock(%s)", (LOCK_KEY,))
        if gate_run_id is not None:
            _check_verdict(conn, gate_run_id)
        relations = 0
        for published, build_schema in schemas.items():
            names = _relations(conn, build_schema)
            if not names:
                raise PublishError(f"nothing to publish: schema {build_schema} has no tables or views")
            missing = sorted((expected or {}).get(published, set()) - names)
            if missing:
                raise PublishError(f"not publishing: {build_schema} lacks {', '.join(missing)} "
                                   "(a partial build; run a full `sendwh build`)")
            relations += len(names)
        grants = 0
        for published, build_schema in schemas.items():
            if published in RESTRICTED:
                conn.execute(sql.SQL("revoke all on schema {} from public").format(
                    sql.Identifier(build_schema)))
            statements = _grants_sql(conn, published, build_schema)
            for statement in statements:
                conn.execute(statement)
            grants += len(statements)
            grants += secure_schema(conn, build_schema, published)
            previous = previous_schema(published)
            conn.execute(sql.SQL("drop schema if exists {} cascade").format(sql.Identifier(previous)))
            if conn.execute("select 1 from pg_namespace where nspname = %s", (published,)).fetchone():
                conn.execute(sql.SQL("alter schema {} rename to {}").format(
                    sql.Identifier(published), sql.Identifier(previous)))
                _revoke_readers(conn, previous)
            conn.execute(sql.SQL("alter schema {} rename to {}").format(
                sql.Identifier(build_schema), sql.Identifier(published)))
        conn.execute("insert into audit.pipeline_steps (step, detail) values ('publish', %s)",
                     (", ".join(f"{b} -> {p}" for p, b in schemas.items())
                      + (f" (gate run {gate_run_id})" if gate_run_id else ""),))
        if gate_run_id is not None:
            mark_published(conn, gate_run_id)
            count, digest = fingerprint(conn, list(schemas))
            conn.execute("insert into audit.publications (gate_run_id, schemas, relations, "
                         "fingerprint) values (%s, %s, %s, %s)",
                         (gate_run_id, list(schemas), count, digest))
        if before_commit is not None:
            before_commit()
    return Published(relations=relations, grants_copied=grants)


def _check_verdict(conn, gate_run_id: str) -> None:
    row = conn.execute("select status, finished_at from audit.dq_runs where run_id = %s for update",
                       (gate_run_id,)).fetchone()
    if row is None:
        raise PublishError(f"not publishing: there is no quality-gate run {gate_run_id}")
    status, finished_at = row
    if status not in PUBLISHED_STATUSES or finished_at is None:
        raise PublishError(f"not publishing: quality-gate run {gate_run_id} is {status}, not "
                           f"{' or '.join(PUBLISHED_STATUSES)} (run `sendwh build`)")


def mark_published(conn, run_id: str) -> None:
    conn.execute("update audit.dq_runs set published = true where run_id = %s", (run_id,))
