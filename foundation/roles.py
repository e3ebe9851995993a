"""The warehouse's database roles and what each may read (issue 14).

Every role here is a group role (NOLOGIN); a council grants a person one by granting it to
that person's login role (README, "Roles"). Borough roles carry the borough's code in lower
case: `sendwh_analyst_hf`, `sendwh_sen2_officer_wcc` (prefix `SENDWH_ROLE_PREFIX`).

- engineer: runs the pipeline; owns raw, staging, intermediate, pii, the build schemas,
  marts, restricted, audit and forecast; not a superuser (owners bypass row-level security).
- analyst: reads every mart and audit.dq_scorecard, every borough.
- analyst_<b>: reads the marts through row-level security: its borough's rows and the `ALL`
  (tri-borough) rows, never another borough's own rows; the worklist only its own cases.
- sen2_officer_<b>: reads the restricted relations the SEN2 return is built from, its
  borough's rows only.
- finance: reads the finance marts.

Three steps, each with its own privileges:
- `ensure_roles` (an account that may create roles: `sendwh db setup`): creates the roles
  that are missing, never drops or alters one that exists beyond making sure it cannot log
  in and is not a superuser;
- `adopt` (the same account): gives the engineer role the database's CREATE privilege and
  the warehouse's schemas and their objects (a warehouse built before roles existed);
- `grant_access` and `secure_schema` (the engineer, as owner): schema and table grants,
  row-level security policies and `security_invoker` views. Publishing runs `secure_schema`
  on the build schemas before they are swapped in, in the same transaction.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import psycopg
from psycopg import sql

from foundation.reference import DBT_PROJECT, boroughs
from foundation.settings import get_settings

# the schemas the engineer role owns (dbt's and the migrations')
ENGINEER_SCHEMAS = ("raw", "staging", "intermediate", "pii", "audit", "forecast", "marts", "restricted",
                    "marts_build", "restricted_build", "marts_previous", "restricted_previous", "gates_work")
# the relations the SEN2 return is made from (dbt_project/models/restricted/sen2_return/)
SEN2_RETURN_PREFIX = "sen2_return_"
# the worklist: case-level rows, no tri-borough rows; a borough analyst sees its own cases only
WORKLIST_MARTS = frozenset({"ehc_open_cases"})
# the tri-borough rows' borough code
ALL_BOROUGHS = "ALL"


def finance_marts() -> frozenset[str]:
    """The marts dbt builds from models/marts/finance/ (what the finance role reads)."""
    return frozenset(p.stem for p in (DBT_PROJECT / "models" / "marts" / "finance").glob("*.sql"))


@dataclass(frozen=True)
class Roles:
    prefix: str
    borough_codes: tuple[str, ...]

    @property
    def engineer(self) -> str:
        return f"{self.prefix}engineer"

    @property
    def analyst(self) -> str:
        return f"{self.prefix}analyst"

    @property
    def finance(self) -> str:
        return f"{self.prefix}finance"

    @property
    def pipeline_login(self) -> str:
        """The login the embedded warehouse's pipeline connects as (a member of engineer)."""
        return f"{self.prefix}pipeline"

    def borough_analyst(self, borough: str) -> str:
        return f"{self.prefix}analyst_{borough.lower()}"

    def sen2_officer(self, borough: str) -> str:
        return f"{self.prefix}sen2_officer_{borough.lower()}"

    @cached_property
    def groups(self) -> list[str]:
        """Every group role, in the order they are created."""
        return [self.engineer, self.analyst, self.finance,
                *(self.borough_analyst(b) for b in self.borough_codes),
                *(self.sen2_officer(b) for b in self.borough_codes)]

    def readers(self) -> list[str]:
        """Roles that read marts (every analyst role and finance)."""
        return [self.analyst, self.finance, *(self.borough_analyst(b) for b in self.borough_codes)]


def roles() -> Roles:
    return Roles(get_settings().role_prefix, tuple(boroughs()))


def _existing(conn: psycopg.Connection) -> set[str]:
    return {r[0] for r in conn.execute("select rolname from pg_roles")}


# --- as an account that may create roles ---------------------------------------------------
def ensure_roles(conn: psycopg.Connection, r: Roles | None = None, pipeline_login: bool = False) -> list[str]:
    """Create the group roles that do not exist yet (and, for the embedded warehouse, the
    pipeline's login). Never drops a role. Returns the roles created."""
    r = r or roles()
    existing = _existing(conn)
    created = []
    for name in r.groups:
        if name not in existing:
            conn.execute(sql.SQL("create role {} nologin").format(sql.Identifier(name)))
            created.append(name)
    # the engineer role is never a superuser, whatever someone did to it by hand
    conn.execute(sql.SQL("alter role {} nosuperuser nobypassrls").format(sql.Identifier(r.engineer)))
    # ... but may see and end a dead build's queries (sendwh/build_runs.py): they run under
    # the pipeline's login, whose sessions act as the engineer role (never a superuser's)
    conn.execute(sql.SQL("grant pg_signal_backend, pg_read_all_stats to {}").format(sql.Identifier(r.engineer)))
    if pipeline_login:
        login = r.pipeline_login
        if login not in existing:
            conn.execute(sql.SQL("create role {} login").format(sql.Identifier(login)))
            created.append(login)
        conn.execute(sql.SQL("grant {} to {}").format(sql.Identifier(r.engineer), sql.Identifier(login)))
        # its sessions act as the engineer role, so what it creates is owned by the group
        conn.execute(sql.SQL("alter role {} set role = {}").format(
            sql.Identifier(login), sql.Literal(r.engineer)))
    return created


def in_place(conn: psycopg.Connection, r: Roles | None = None) -> bool:
    """Whether the roles, the pipeline's login and the engineer's ownership of the current
    database's warehouse schemas are all in place already (one query; nothing to do)."""
    r = r or roles()
    return bool(conn.execute(
        "select (select count(*) from pg_roles where rolname = any(%(groups)s)) = cardinality(%(groups)s) "
        "and exists (select 1 from pg_roles where rolname = %(login)s) "
        "and pg_has_role(%(login)s, %(engineer)s, 'member') "
        "and has_database_privilege(%(engineer)s, current_database(), 'create') "
        "and pg_has_role(%(engineer)s, 'pg_signal_backend', 'member') "
        "and pg_has_role(%(engineer)s, 'pg_read_all_stats', 'member') "
        "and not exists (select 1 from pg_namespace where nspname = any(%(schemas)s) "
        "                and nspowner <> (select oid from pg_roles where rolname = %(engineer)s))",
        {"groups": r.groups, "login": r.pipeline_login, "engineer": r.engineer,
         "schemas": list(ENGINEER_SCHEMAS)}).fetchone()[0])


def adopt(conn: psycopg.Connection, r: Roles | None = None) -> int:
    """Give the engineer role CREATE on the current database and every warehouse schema and
    the objects in it (a warehouse built by a superuser before roles existed). Returns the
    objects whose owner changed."""
    r = r or roles()
    engineer = sql.Identifier(r.engineer)
    conn.execute(sql.SQL("grant connect, create, temporary on database {} to {}").format(
        sql.Identifier(conn.info.dbname), engineer))
    changed = 0
    for (schema,) in conn.execute(
            "select nspname from pg_namespace where nspname = any(%s) "
            "and nspowner <> (select oid from pg_roles where rolname = %s)",
            (list(ENGINEER_SCHEMAS), r.engineer)).fetchall():
        conn.execute(sql.SQL("alter schema {} owner to {}").format(sql.Identifier(schema), engineer))
        changed += 1
    for schema, name, kind in conn.execute(
            "select n.nspname, c.relname, c.relkind from pg_class c "
            "join pg_namespace n on n.oid = c.relnamespace "
            "where n.nspname = any(%s) and c.relkind in ('r', 'v', 'm', 'p', 'S', 'f') "
            "and c.relowner <> (select oid from pg_roles where rolname = %s) "
            "and not exists (select 1 from pg_depend d where d.classid = 'pg_class'::regclass "
            "                and d.objid = c.oid and d.deptype in ('a', 'i'))",
            (list(ENGINEER_SCHEMAS), r.engineer)).fetchall():
        keyword = {"v": "view", "m": "materialized view", "S": "sequence", "f": "foreign table"}.get(kind, "table")
        conn.execute(sql.SQL("alter {} {} owner to {}").format(
            sql.SQL(keyword), sql.Identifier(schema, name), engineer))
        changed += 1
    for (signature,) in conn.execute(
            "select p.oid::regprocedure::text from pg_proc p join pg_namespace n on n.oid = p.pronamespace "
            "where n.nspname = any(%s) and p.proowner <> (select oid from pg_roles where rolname = %s)",
            (list(ENGINEER_SCHEMAS), r.engineer)).fetchall():
        conn.execute(sql.SQL("alter routine {} owner to {}").format(sql.SQL(signature), engineer))
        changed += 1
    return changed


# --- as the engineer (the owner) -------------------------------------------------------------
def grant_access(conn: psycopg.Connection, r: Roles | None = None) -> None:
    """The grants outside the published schemas: audit's scorecard to the analyst role, the
    forecast tables the demand_forecast view reads (with row-level security), and nothing on
    raw, staging, intermediate or pii to anyone. Then the published schemas themselves."""
    r = r or roles()
    existing = _existing(conn)
    ident = sql.Identifier
    for schema in ("raw", "staging", "intermediate", "pii", "audit", "forecast", "gates_work"):
        if _schema_exists(conn, schema):
            conn.execute(sql.SQL("revoke all on schema {} from public").format(ident(schema)))
    if r.analyst in existing:
        conn.execute(sql.SQL("grant usage on schema audit to {}").format(ident(r.analyst)))
        conn.execute(sql.SQL("grant select on audit.dq_scorecard to {}").format(ident(r.analyst)))
    officers = [r.sen2_officer(b) for b in r.borough_codes if r.sen2_officer(b) in existing]
    if officers:
        # the return is made from data of a completed gate run: officers read the run records
        conn.execute(sql.SQL("grant usage on schema audit to {}").format(sql.SQL(", ").join(map(ident, officers))))
        conn.execute(sql.SQL("grant select on audit.dq_runs to {}").format(sql.SQL(", ").join(map(ident, officers))))
        if conn.execute("select to_regclass('audit.publications')").fetchone()[0]:
            conn.execute(sql.SQL("grant select on audit.publications to {}").format(
                sql.SQL(", ").join(map(ident, officers))))
        # ... and record that they made a return
        conn.execute(sql.SQL("grant insert on audit.pipeline_steps to {}").format(
            sql.SQL(", ").join(map(ident, officers))))
    if _schema_exists(conn, "forecast"):
        secure_schema(conn, "forecast", "marts", r, only={"demand", "runs", "backtest"}, existing=existing)
    for schema in ("marts", "restricted"):
        if _schema_exists(conn, schema):
            secure_schema(conn, schema, schema, r, existing=existing)


def _schema_exists(conn: psycopg.Connection, schema: str) -> bool:
    return conn.execute("select 1 from pg_namespace where nspname = %s", (schema,)).fetchone() is not None


def _policy_sql(table: sql.Composable, role: str, using: str, *params) -> sql.Composed:
    return sql.SQL("create policy {} on {} for select to {} using ({})").format(
        sql.Identifier(f"{role}_rows"), table, sql.Identifier(role),
        sql.SQL(using).format(*map(sql.Literal, params)))


def secure_schema(conn: psycopg.Connection, schema: str, published: str, r: Roles | None = None,
                  only: set[str] | None = None, existing: set[str] | None = None) -> int:
    """Grants, row-level security and security_invoker views on every relation of `schema`,
    which is (or will be, once swapped in) the published schema `published` ('marts' or
    'restricted'). Idempotent; returns the number of grants made. Roles that do not exist
    are skipped (a warehouse whose roles were never set up stays readable by its owner only).

    marts: every analyst role and finance (finance marts only for finance) may read; a table
    with a `borough` column has row-level security: analyst and finance all rows, a borough
    analyst its borough's and the ALL rows (its own cases only in the worklist).
    restricted: the SEN2 officers read the sen2_return_* tables, their borough's rows only.
    """
    r = r or roles()
    existing = existing if existing is not None else _existing(conn)
    ident = sql.Identifier
    relations = conn.execute(
        "select c.relname, c.relkind, exists (select 1 from pg_attribute a where a.attrelid = c.oid "
        "and a.attname = 'borough' and not a.attisdropped) "
        "from pg_class c join pg_namespace n on n.oid = c.relnamespace "
        "where n.nspname = %s and c.relkind in ('r', 'v', 'm', 'p') order by c.relname", (schema,)).fetchall()
    finance = finance_marts()
    grants = 0
    schema_readers: set[str] = set()
    for relname, kind, has_borough in relations:
        if only is not None and relname not in only:
            continue
        table = ident(schema, relname)
        # name -> the policy's condition (None: no policy, the role reads no rows)
        readers: dict[str, tuple[str, tuple]] = {}
        if published == "marts":
            if relname in finance:
                readers[r.finance] = ("true", ())
            readers[r.analyst] = ("true", ())
            for b in r.borough_codes:
                if relname in WORKLIST_MARTS:
                    readers[r.borough_analyst(b)] = ("borough = {}", (b,))
                else:
                    readers[r.borough_analyst(b)] = ("borough in ({}, {})", (b, ALL_BOROUGHS))
        elif published == "restricted" and relname.startswith(SEN2_RETURN_PREFIX):
            for b in r.borough_codes:
                readers[r.sen2_officer(b)] = ("borough = {}", (b,))
        readers = {role: rule for role, rule in readers.items() if role in existing}
        if kind == "v":
            # policies on the tables under a view apply to the reader, not the view's owner
            conn.execute(sql.SQL("alter view {} set (security_invoker = true)").format(table))
        if kind in ("r", "p") and has_borough:
            conn.execute(sql.SQL("alter table {} enable row level security").format(table))
            for (policy,) in conn.execute(
                    "select polname from pg_policy where polrelid = %s::regclass",
                    (f'{_quote(schema)}.{_quote(relname)}',)).fetchall():
                conn.execute(sql.SQL("drop policy {} on {}").format(ident(policy), table))
            for role, (using, params) in readers.items():
                conn.execute(_policy_sql(table, role, using, *params))
        elif kind in ("r", "p", "m") and published == "restricted":
            readers = {}    # a restricted relation without a borough is the engineer's alone
        for role in readers:
            conn.execute(sql.SQL("grant select on {} to {}").format(table, ident(role)))
            grants += 1
            schema_readers.add(role)
    if schema_readers:
        conn.execute(sql.SQL("grant usage on schema {} to {}").format(
            ident(schema), sql.SQL(", ").join(map(ident, sorted(schema_readers)))))
    if published == "restricted":
        conn.execute(sql.SQL("revoke all on schema {} from public").format(ident(schema)))
    return grants


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


# --- who may do what ------------------------------------------------------------------------
def may_read_borough(conn: psycopg.Connection, borough: str, r: Roles | None = None) -> bool:
    """Whether the connected role may make `borough`'s SEN2 return: a superuser, the engineer
    role (the pipeline) or that borough's SEN2 officer role (row-level security would show it
    no rows of another borough anyway; this says why)."""
    r = r or roles()
    row = conn.execute(
        "select rolsuper from pg_roles where rolname = current_user").fetchone()
    if row and row[0]:
        return True
    for role in (r.engineer, r.sen2_officer(borough)):
        member = conn.execute(
            "select case when exists (select 1 from pg_roles where rolname = %s) "
            "then pg_has_role(current_user, %s, 'usage') else false end", (role, role)).fetchone()
        if member and member[0]:
            return True
    return False
