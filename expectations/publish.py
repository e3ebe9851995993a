"""Publishing: the marts built (and gated) in the build schema become `marts` in one
transaction, by renaming schemas. An analyst's query sees the old marts or the new ones,
never a mix: a query that has started keeps the tables it opened; one that starts after
the commit sees only the new schema. The grants on `marts` and its tables are copied to the
new ones first, so access is kept. The old marts stay as `marts_previous` until the next
publish (so a query still reading them is never blocked or broken by this one).
"""
from __future__ import annotations

from dataclasses import dataclass

from psycopg import sql

PUBLISHED = "marts"
PREVIOUS = "marts_previous"
LOCK_KEY = 4210501  # one publish at a time (pg_advisory_xact_lock)


class PublishError(RuntimeError):
    pass


@dataclass
class Published:
    relations: int
    grants_copied: int


def _grants_sql(conn, build_schema: str) -> list[sql.Composed]:
    """GRANT statements giving the build schema and its relations the privileges that
    `marts` and its same-named relations have now (owners' own privileges excepted)."""
    statements = []
    for grantee, privilege, grantable in conn.execute(
            "select coalesce(r.rolname, 'public'), a.privilege_type, a.is_grantable "
            "from pg_namespace n cross join aclexplode(n.nspacl) a "
            "left join pg_roles r on r.oid = a.grantee "
            "where n.nspname = %s and a.grantee <> n.nspowner", (PUBLISHED,)).fetchall():
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
            (PUBLISHED, build_schema)).fetchall():
        statements.append(sql.SQL("grant {} on {} to {}{}").format(
            sql.SQL(privilege), sql.Identifier(build_schema, relname), _role(grantee),
            sql.SQL(" with grant option" if grantable else "")))
    return statements


def _role(name: str) -> sql.Composable:
    return sql.SQL("public") if name == "public" else sql.Identifier(name)


def publish(conn, build_schema: str, expected: set[str] | None = None) -> Published:
    """Swap the build schema in as `marts`. `expected`: relations it must hold (a partial
    build must not publish fewer marts than the project defines)."""
    with conn.transaction():
        conn.execute("select pg_advisory_xact_lock(%s)", (LOCK_KEY,))
        names = {r[0] for r in conn.execute(
            "select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace "
            "where n.nspname = %s and c.relkind in ('r', 'v', 'm', 'p')", (build_schema,))}
        if not names:
            raise PublishError(f"nothing to publish: schema {build_schema} has no tables or views")
        missing = sorted((expected or set()) - names)
        if missing:
            raise PublishError(f"not publishing: {build_schema} lacks {', '.join(missing)} "
                               "(a partial build; run a full `sendwh build`)")
        relations = len(names)
        grants = _grants_sql(conn, build_schema)
        for statement in grants:
            conn.execute(statement)
        conn.execute(sql.SQL("drop schema if exists {} cascade").format(sql.Identifier(PREVIOUS)))
        if conn.execute("select 1 from pg_namespace where nspname = %s", (PUBLISHED,)).fetchone():
            conn.execute(sql.SQL("alter schema {} rename to {}").format(
                sql.Identifier(PUBLISHED), sql.Identifier(PREVIOUS)))
        conn.execute(sql.SQL("alter schema {} rename to {}").format(
            sql.Identifier(build_schema), sql.Identifier(PUBLISHED)))
    return Published(relations=relations, grants_copied=len(grants))


def mark_published(conn, run_id: str) -> None:
    conn.execute("update audit.dq_runs set published = true where run_id = %s", (run_id,))
