"""Each borough's data stays that borough's (issue 14): real PostgreSQL roles, real logins.

One copy of the sample warehouse for the module; a login role per group role, made by the
admin account and dropped at the end. Every query below runs as one of those logins.
"""
from __future__ import annotations

import hashlib
import re
import stat
import subprocess
import threading
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass

import psycopg
import pytest
from psycopg import sql

from expectations.publish import BUILD_SCHEMAS, publish
from foundation.database import POSTGRES_BIN_PATH, admin_url, dsn_parts, with_url_parts
from foundation.pseudonym import keyed_hash
from foundation.roles import ALL_BOROUGHS, WORKLIST_MARTS, Roles, ensure_roles, finance_marts, roles
from foundation.schema import setup_roles
from foundation.settings import get_settings
from tests.conftest import BOROUGHS, copy_of_database, using_database

PASSWORD = "not-a-real-password-7Q"   # the embedded server trusts its socket; a real one checks it


@dataclass
class Warehouse:
    url: str                  # the copy, as the pipeline's (engineer) login
    logins: dict[str, str]    # group role -> a login role granted into it
    roles: Roles

    def url_as(self, group: str) -> str:
        parsed = with_url_parts(self.url, user=self.logins[group])
        return parsed.replace(f"{self.logins[group]}@", f"{self.logins[group]}:{PASSWORD}@", 1)

    @contextmanager
    def connect_as(self, group: str):
        with psycopg.connect(self.url_as(group), autocommit=True) as conn:
            yield conn


@pytest.fixture(scope="module")
def wh(sample_warehouse):
    r = roles()
    tag = uuid.uuid4().hex[:6]
    logins = {group: f"t{tag}_{group}" for group in r.groups}
    with copy_of_database(sample_warehouse.url, "roles") as url:
        with psycopg.connect(admin_url(), autocommit=True) as conn:
            for group, login in logins.items():
                conn.execute(sql.SQL("create role {} login password {} in role {}").format(
                    sql.Identifier(login), sql.Literal(PASSWORD), sql.Identifier(group)))
        try:
            yield Warehouse(url, logins, r)
        finally:
            cleanup = with_url_parts(admin_url(), dbname="postgres")
    with psycopg.connect(cleanup, autocommit=True) as conn:
        for login in logins.values():
            conn.execute(sql.SQL("drop role if exists {}").format(sql.Identifier(login)))


def _engineer(wh: Warehouse):
    return psycopg.connect(wh.url, autocommit=True)


def _borough_relations(conn, schema: str) -> list[str]:
    return [r[0] for r in conn.execute(
        "select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace "
        "join pg_attribute a on a.attrelid = c.oid and a.attname = 'borough' "
        "where n.nspname = %s and c.relkind in ('r', 'v') order by 1", (schema,))]


def _counts(conn, schema: str, relation: str) -> dict[str, int]:
    return dict(conn.execute(sql.SQL("select borough, count(*) from {} group by borough").format(
        sql.Identifier(schema, relation))).fetchall())


# --- the roles ---------------------------------------------------------------------------------
def test_db_setup_makes_group_roles_and_the_engineer_is_no_superuser(wh):
    with _engineer(wh) as conn:
        rows = dict(((name, (login, sup)) for name, login, sup in conn.execute(
            "select rolname, rolcanlogin, rolsuper from pg_roles where rolname = any(%s)",
            (wh.roles.groups,)).fetchall()))
        assert set(rows) == set(wh.roles.groups)
        assert all(not login and not sup for login, sup in rows.values())
        assert {"sendwh_analyst_hf", "sendwh_sen2_officer_wcc", "sendwh_finance"} <= set(rows)
        # the pipeline itself: its login acts as the engineer role, and is no superuser
        who = conn.execute("select session_user, current_user, (select rolsuper from pg_roles "
                           "where rolname = session_user)").fetchone()
        assert who[1] == wh.roles.engineer and who[2] is False
        owners = {r[0] for r in conn.execute(
            "select distinct pg_get_userbyid(nspowner) from pg_namespace where nspname in "
            "('raw', 'staging', 'intermediate', 'pii', 'audit', 'marts', 'restricted', 'forecast')")}
        assert owners == {wh.roles.engineer}


def test_db_setup_again_keeps_every_role_and_a_new_borough_gets_its_roles(wh):
    with using_database(wh.url):
        assert setup_roles(say=lambda _: None) == []          # idempotent: nothing to create
    prefix = f"t{uuid.uuid4().hex[:5]}_"
    grown = Roles(prefix, (*BOROUGHS, "NEWB"))
    with psycopg.connect(with_url_parts(admin_url(), dbname="postgres"), autocommit=True) as conn:
        try:
            first = ensure_roles(conn, Roles(prefix, BOROUGHS))
            conn.execute(sql.SQL("create role {} login in role {}").format(
                sql.Identifier(f"{prefix}alice"), sql.Identifier(f"{prefix}analyst_hf")))
            second = ensure_roles(conn, grown)
            assert set(second) == {f"{prefix}analyst_newb", f"{prefix}sen2_officer_newb"}
            assert len(first) == len(grown.groups) - 2
            assert conn.execute("select pg_has_role(%s, %s, 'member')",
                                (f"{prefix}alice", f"{prefix}analyst_hf")).fetchone()[0]
        finally:
            for name in [f"{prefix}alice", *grown.groups]:
                conn.execute(sql.SQL("drop role if exists {}").format(sql.Identifier(name)))


# --- what each role sees -----------------------------------------------------------------------
def test_each_borough_analyst_sees_its_rows_and_the_all_rows_in_every_mart(wh):
    with _engineer(wh) as conn:
        relations = _borough_relations(conn, "marts")
        truth = {rel: _counts(conn, "marts", rel) for rel in relations}
    assert {"ehcp_caseload", "ehc_open_cases", "ehc_timeliness", "demand_forecast"} <= set(relations)
    for borough in BOROUGHS:
        with wh.connect_as(wh.roles.borough_analyst(borough)) as conn:
            for rel in relations:
                allowed = {borough} if rel in WORKLIST_MARTS else {borough, ALL_BOROUGHS}
                expected = {b: n for b, n in truth[rel].items() if b in allowed}
                assert _counts(conn, "marts", rel) == expected, (borough, rel)
    with wh.connect_as(wh.roles.analyst) as conn:
        for rel in relations:
            assert _counts(conn, "marts", rel) == truth[rel], rel
        assert conn.execute("select count(*) from audit.dq_scorecard").fetchone()[0] > 0


def test_finance_reads_the_finance_marts_only(wh):
    with wh.connect_as(wh.roles.finance) as conn:
        for mart in sorted(finance_marts()):
            conn.execute(sql.SQL("select count(*) from {}").format(sql.Identifier("marts", mart)))
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="permission denied"):
            conn.execute("select count(*) from marts.ehcp_caseload")


@pytest.mark.parametrize("relation", ["restricted.sen2_return_persons", "restricted.forecast_history",
                                      "raw.case_persons", "pii.persons", "pii.stg_case__persons",
                                      "staging.stg_case__requests", "intermediate.int_requests"])
def test_analysts_are_denied_the_restricted_schemas_and_raw(wh, relation):
    for group in (wh.roles.analyst, wh.roles.borough_analyst("HF"), wh.roles.finance):
        with wh.connect_as(group) as conn:
            with pytest.raises(psycopg.errors.InsufficientPrivilege, match="permission denied"):
                conn.execute(f"select * from {relation} limit 1")


# --- no route to another borough's rows --------------------------------------------------------
def test_a_borough_analyst_cannot_reach_another_boroughs_rows_by_any_route(wh):
    with wh.connect_as(wh.roles.borough_analyst("HF")) as conn:
        # direct
        assert conn.execute("select count(*) from marts.ehcp_caseload where borough = 'KC'").fetchone()[0] == 0
        # a view of its own (temporary: it may create nothing in marts)
        conn.execute("create temporary view mine as select * from marts.ehc_open_cases")
        assert {r[0] for r in conn.execute("select distinct borough from mine")} == {"HF"}
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("create view marts.mine as select 1")
        # a join across marts, and a view of ours over the forecast tables (security_invoker)
        joined = conn.execute(
            "select distinct c.borough from marts.ehcp_caseload c "
            "join marts.ehc_timeliness t on t.borough <> c.borough").fetchall()
        assert {r[0] for r in joined} <= {"HF", ALL_BOROUGHS}
        assert {r[0] for r in conn.execute("select distinct borough from marts.demand_forecast")} \
            <= {"HF", ALL_BOROUGHS}
        # the planner's statistics of a table under row-level security are hidden
        assert conn.execute("select count(*) from pg_stats where schemaname = 'marts' "
                            "and tablename = 'ehc_open_cases'").fetchone()[0] == 0
        # the ALL rows minus its own: the other two boroughs together (what ALL reveals; README)
        derived = dict(conn.execute(
            "select census_year, sum(case when borough = 'ALL' then ehcplans else -ehcplans end) "
            "from marts.ehcp_caseload group by census_year").fetchall())
    with _engineer(wh) as conn:
        kc, wcc = (dict(conn.execute(
            "select census_year, sum(ehcplans) from marts.ehcp_caseload where borough = %s "
            "group by census_year", (b,)).fetchall()) for b in ("KC", "WCC"))
    assert derived
    assert all(derived[y] == kc.get(y, 0) + wcc.get(y, 0) for y in derived)
    assert all(derived[y] != kc.get(y, 0) for y in derived if wcc.get(y))   # not one borough's figure


# --- publishing keeps the policies -------------------------------------------------------------
def _simulated_build(conn) -> None:
    """marts_build and restricted_build as a new build would leave them: copies of the
    published relations, with HF's caseload cut to 10 rows (a visible change)."""
    for published, build in BUILD_SCHEMAS.items():
        conn.execute(sql.SQL("create schema {}").format(sql.Identifier(build)))
        for name, kind in conn.execute(
                "select c.relname, c.relkind from pg_class c join pg_namespace n on n.oid = c.relnamespace "
                "where n.nspname = %s and c.relkind in ('r', 'v') order by c.relkind", (published,)).fetchall():
            if kind == "r":
                conn.execute(sql.SQL("create table {} as select * from {}").format(
                    sql.Identifier(build, name), sql.Identifier(published, name)))
            else:
                definition = conn.execute("select pg_get_viewdef(%s::regclass)",
                                          (f"{published}.{name}",)).fetchone()[0]
                conn.execute(sql.SQL("create view {} as {}").format(sql.Identifier(build, name), sql.SQL(definition)))
    conn.execute("delete from marts_build.ehcp_caseload where borough = 'HF' and ctid not in "
                 "(select ctid from marts_build.ehcp_caseload where borough = 'HF' limit 10)")


def test_after_a_publish_policies_and_grants_are_in_place_and_a_running_query_sees_one_version(wh):
    hf = wh.roles.borough_analyst("HF")
    with _engineer(wh) as conn:
        before = _counts(conn, "marts", "ehcp_caseload")
        _simulated_build(conn)
    with wh.connect_as(hf) as conn:        # nothing in a build schema is readable before it is published
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("select count(*) from marts_build.ehcp_caseload")
    results: dict[str, tuple] = {}

    def long_query():
        with wh.connect_as(hf) as conn:
            results["during"] = conn.execute(
                "select (select count(*) from marts.ehcp_caseload), pg_sleep(2.5), "
                "(select count(*) from marts.ehcp_caseload)").fetchone()

    reader = threading.Thread(target=long_query)
    reader.start()
    time.sleep(0.8)
    with _engineer(wh) as conn:        # as `sendwh build` publishes: with the gate run that passed it
        run_id = conn.execute("select run_id from audit.dq_runs where status in ('passed', 'warned') "
                              "order by started_at desc limit 1").fetchone()[0]
        published = publish(conn, BUILD_SCHEMAS, gate_run_id=run_id)
        results["published_at"] = (time.monotonic(),)
    reader.join()
    assert published.grants_copied > 0
    first, _, last = results["during"]
    assert first == last == before["HF"] + before[ALL_BOROUGHS]     # the old version, whole
    with wh.connect_as(hf) as conn:
        assert _counts(conn, "marts", "ehcp_caseload") == {"HF": 10, ALL_BOROUGHS: before[ALL_BOROUGHS]}
        with pytest.raises(psycopg.errors.InsufficientPrivilege):     # the old version: no new readers
            conn.execute("select count(*) from marts_previous.ehcp_caseload")
    with wh.connect_as(wh.roles.borough_analyst("KC")) as conn:
        assert _counts(conn, "marts", "ehcp_caseload") == {"KC": before["KC"], ALL_BOROUGHS: before[ALL_BOROUGHS]}
    with _engineer(wh) as conn:
        for schema in ("marts", "restricted"):
            unprotected = conn.execute(
                "select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace "
                "join pg_attribute a on a.attrelid = c.oid and a.attname = 'borough' "
                "where n.nspname = %s and c.relkind = 'r' and not c.relrowsecurity", (schema,)).fetchall()
            assert unprotected == [], schema
        policies = {r[0] for r in conn.execute(
            "select roles[1]::text from pg_policies where schemaname = 'marts' and tablename = 'ehcp_caseload'")}
        assert {wh.roles.borough_analyst(b) for b in BOROUGHS} | {wh.roles.analyst} <= policies
        views = conn.execute(
            "select c.relname, c.reloptions from pg_class c join pg_namespace n on n.oid = c.relnamespace "
            "where n.nspname = 'marts' and c.relkind = 'v'").fetchall()
        assert views and all("security_invoker=true" in (opts or []) for _, opts in views)


# --- the SEN2 officers -------------------------------------------------------------------------
def test_a_sen2_officer_makes_its_boroughs_return_and_not_anothers(wh, tmp_path):
    from sen2.generate import GenerateError, generate

    officer = wh.roles.sen2_officer("HF")
    with using_database(wh.url_as(officer)):
        made = generate("HF", 2026, tmp_path)
        assert made.persons > 0
        assert stat.S_IMODE(made.path.stat().st_mode) == 0o600
        with pytest.raises(GenerateError, match="permission denied"):
            generate("KC", 2026, tmp_path / "kc")
    with wh.connect_as(officer) as conn:
        assert {r[0] for r in conn.execute("select distinct borough from restricted.sen2_return_persons")} == {"HF"}
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("select 1 from restricted.forecast_history limit 1")
    with _engineer(wh) as conn:
        step = conn.execute("select login_role, acting_role from audit.pipeline_steps "
                            "where step = 'sen2 generate' order by step_id desc limit 1").fetchone()
    assert step == (wh.logins[officer], wh.logins[officer])


# --- the pipeline ran as the engineer role -----------------------------------------------------
def test_every_step_of_the_sample_build_ran_as_the_engineer_role(wh):
    with _engineer(wh) as conn:
        steps = conn.execute("select step, acting_role, (select rolsuper from pg_roles "
                             "where rolname = login_role) from audit.pipeline_steps").fetchall()
        loads = conn.execute("select distinct loaded_as from audit.batches").fetchall()
        gates = conn.execute("select distinct run_as from audit.dq_runs").fetchall()
        superuser = conn.execute("select rolname from pg_roles where rolsuper limit 1").fetchone()[0]
        with pytest.raises(psycopg.errors.InsufficientPrivilege):      # no way up to a superuser
            conn.execute(sql.SQL("set role {}").format(sql.Identifier(superuser)))
    assert {"dbt", "publish"} <= {s for s, _, _ in steps}
    assert {(a, sup) for s, a, sup in steps if s in ("dbt", "publish")} == {(wh.roles.engineer, False)}
    assert loads == [(wh.roles.engineer,)] and gates == [(wh.roles.engineer,)]


# --- re-identification attempts ----------------------------------------------------------------
def test_guessing_case_ids_recovers_no_request_key(wh):
    with _engineer(wh) as conn:
        ids = conn.execute("select borough, request_id from raw.case_requests").fetchall()
    with wh.connect_as(wh.roles.analyst) as conn:
        keys = {r[0] for r in conn.execute(
            "select request_key from marts.ehc_open_cases where request_key is not null")}
    assert len(keys) > 100
    guesses = {f(f"{b}:case:{i}".encode()).hexdigest() for b, i in ids
               for f in (hashlib.md5, hashlib.sha256, hashlib.sha1)}
    assert not keys & guesses
    # they are HMACs with the secret (so the team, who holds it, can still join them)
    secret = get_settings().pseudonym_key
    assert keys & {keyed_hash(secret, f"{b}:case:{i}") for b, i in ids} == keys


def test_no_table_and_no_dump_holds_the_key_or_its_pads(wh):
    secret = get_settings().pseudonym_key
    key = secret.encode().ljust(64, b"\0")
    pads = [bytes(b ^ c for b in key) for c in (0x36, 0x5C)]
    needles = [secret, *(p.hex() for p in pads), hashlib.sha256(secret.encode()).hexdigest()]
    admin = admin_url()
    dbname = dsn_parts(wh.url)["dbname"]
    dumps = []
    for tool, args in (("pg_dump", ["--dbname", with_url_parts(admin, dbname=dbname)]),
                       ("pg_dumpall", ["--globals-only", "--dbname", with_url_parts(admin, dbname="postgres")])):
        done = subprocess.run([str(POSTGRES_BIN_PATH / tool), *args], capture_output=True, timeout=300)
        assert done.returncode == 0, done.stderr[-2000:]
        dumps.append(done.stdout)
    assert len(dumps[0]) > 1_000_000          # the whole warehouse, data included
    for dump in dumps:
        for needle in needles:
            assert needle.encode() not in dump
        for pad in pads:
            assert pad not in dump
    with _engineer(wh) as conn:
        assert conn.execute("select to_regclass('pii.pseudonym_key')").fetchone()[0] is None
        # and a session without the key cannot make one
        with pytest.raises(psycopg.errors.RaiseException, match="no pseudonymisation key"):
            conn.execute("select pii.hmac_pad(54)")


def test_persons_are_built_in_pii_never_in_staging(wh):
    with _engineer(wh) as conn:
        assert conn.execute("select to_regclass('staging.stg_case__persons'), "
                            "to_regclass('staging.stg_sen2__persons')").fetchone() == (None, None)
        assert conn.execute("select to_regclass('pii.stg_case__persons') is not null").fetchone()[0]


NAME_PATTERN = re.compile(r"(^|_)(upn|uln|surname|forename|first_?name|last_?name|given_?name|family_?name|"
                          r"person_?name|child_?name|full_?name|birth|dob|postcode|post_code)(_|$)")
UPN = re.compile(r"^[A-Z][0-9]{11}[0-9A-Z]$")
ULN = re.compile(r"^[0-9]{10}$")
POSTCODE = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][A-Z]{2}$", re.IGNORECASE)


def test_nothing_an_analyst_role_reads_looks_like_a_name_upn_uln_birth_date_or_postcode(wh):
    with _engineer(wh) as conn:
        names = {r[0].lower() for r in conn.execute(
            "select surname from pii.persons union select forename from pii.persons") if r[0] and len(r[0]) > 2}
        births = {r[0] for r in conn.execute("select distinct birth_on from pii.persons where birth_on is not null")}
    assert names and births
    for group in (wh.roles.analyst, wh.roles.finance, *(wh.roles.borough_analyst(b) for b in BOROUGHS)):
        with wh.connect_as(group) as conn:
            columns = conn.execute(
                "select n.nspname, c.relname, a.attname, format_type(a.atttypid, a.atttypmod) "
                "from pg_class c join pg_namespace n on n.oid = c.relnamespace "
                "join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped "
                "where c.relkind in ('r', 'v', 'm', 'p') "
                "and n.nspname not in ('pg_catalog', 'information_schema') and n.nspname not like 'pg_%%' "
                "and has_table_privilege(c.oid, 'select') and has_schema_privilege(n.oid, 'usage')").fetchall()
            assert {(s, t) for s, t, _, _ in columns} >= {("marts", "ehcp_caseload"), ("audit", "dq_scorecard")} \
                if group == wh.roles.analyst else True
            for schema, table, column, kind in columns:
                assert not NAME_PATTERN.search(column.lower()), (group, schema, table, column)
                values = [r[0].strip() for r in conn.execute(sql.SQL("select distinct {}::text from {} limit 5000")
                          .format(sql.Identifier(column), sql.Identifier(schema, table))) if r[0] is not None]
                for text in values:
                    assert not (UPN.match(text) or ULN.match(text) or POSTCODE.match(text)), \
                        (group, schema, table, column, "identifier-like value")
                # a column of names: most of its values are persons' names ('green' alone is a RAG status)
                named = sum(text.lower() in names for text in values)
                assert not (named >= 3 and named >= 0.5 * len(values)), (group, schema, table, column, "names")
                if kind == "date":
                    dates = {r[0] for r in conn.execute(sql.SQL("select distinct {} from {}").format(
                        sql.Identifier(column), sql.Identifier(schema, table)))}
                    # a date column matching most of the persons' birth dates is one
                    assert len(dates & births) < 0.5 * len(births), (group, schema, table, column)


# --- what leaves the warehouse -----------------------------------------------------------------
def test_an_export_suppresses_small_numbers_and_the_totals_that_would_reveal_them(wh, tmp_path):
    import csv

    from foundation.suppression import SUPPRESSED
    from sendwh.export import export_mart

    out = tmp_path / "caseload.csv"
    with wh.connect_as(wh.roles.borough_analyst("KC")) as conn:
        rows = export_mart(conn, "ehcp_caseload", out, threshold=5)
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    written = list(csv.DictReader(out.open()))
    assert len(written) == rows > 0
    assert {r["borough"] for r in written} == {"KC", ALL_BOROUGHS}
    cells = [r["ehcplans"] for r in written]
    assert SUPPRESSED in cells
    assert not [c for c in cells if c != SUPPRESSED and 0 < int(c) < 5]
    with _engineer(wh) as conn:      # the mart itself keeps the true counts for the team
        assert conn.execute("select count(*) from marts.ehcp_caseload where ehcplans between 1 and 4").fetchone()[0] > 0
