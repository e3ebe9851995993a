"""Data-quality gates: write, audit, publish. Real PostgreSQL, real dbt, real Great
Expectations: clean data publishes; a warning publishes and is recorded; each kind of
record-level defect the loader lets through is caught by its check and blocks, leaving every
mart byte-for-byte as it was; publishing is atomic and keeps grants; no secret is written."""
from __future__ import annotations

import os
import re
import threading
import uuid
from pathlib import Path
from urllib.parse import urlparse, urlunparse

import psycopg
import pytest
from psycopg import sql

from tests.conftest import copy_of_database, scratch_database

TODAY = "2026-11-30"
# record-level defects the loader lets through, and the check that must catch each
CAUGHT_BY_CHECK = {"missing_upn": "identifiers_present", "invalid_upn": "upn_check_letter",
                   "decision_before_request": "decision_after_request",
                   "duplicate_row": "no_duplicates"}
PASSWORD = "Gate-Secret-7QX4"           # in WAREHOUSE_URL during the module's runs
PSEUDONYM_KEY = "pseudonym-secret-9ZK2"


def _load_all(sample: Path) -> None:
    from extract.ingest import ingest

    for borough in ("HF", "KC", "WCC"):
        for kind in ("case", "sen2", "ledger"):
            ingest(kind, [sample / borough / kind], borough)


def _checksums(conn) -> dict[str, str]:
    """md5 of every table's and view's full contents in the published schemas, marts and
    restricted (rows sorted as text)."""
    names = conn.execute(
        "select n.nspname, c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace "
        "where n.nspname in ('marts', 'restricted') and c.relkind in ('r', 'v', 'm') order by 1, 2"
    ).fetchall()
    return {f"{schema}.{name}": conn.execute(sql.SQL(
        "select md5(coalesce(string_agg(t::text, E'\\n' order by t::text), '')) from {} t")
        .format(sql.Identifier(schema, name))).fetchone()[0] for schema, name in names}


def _without_timestamp(path: Path) -> bytes:
    """A generated return's bytes without its header's DateTime (the moment it was written)."""
    return re.sub(rb"<DateTime>[^<]*</DateTime>", b"", path.read_bytes())


def _latest_run(conn):
    return conn.execute("select run_id, status, published, blocking_failures, warnings "
                        "from audit.dq_runs order by started_at desc limit 1").fetchone()


@pytest.fixture(scope="module")
def gated(sample_warehouse):
    """A copy of the sample warehouse reached through a password-carrying WAREHOUSE_URL,
    built and gated."""
    from foundation.database import admin_url
    from foundation.roles import roles
    from foundation.settings import get_settings
    from sendwh.pipeline import build

    role = f"gate_runner_{uuid.uuid4().hex[:6]}"
    saved = {k: os.environ.get(k) for k in ("WAREHOUSE_URL", "SENDWH_PSEUDONYM_KEY")}
    with copy_of_database(sample_warehouse.url, "gates") as url:
        # a login of the engineer role (never a superuser), made by the admin account
        engineer = roles().engineer
        with psycopg.connect(admin_url(), autocommit=True) as conn:
            conn.execute(sql.SQL("create role {} login password {} in role {}").format(
                sql.Identifier(role), sql.Literal(PASSWORD), sql.Identifier(engineer)))
            conn.execute(sql.SQL("alter role {} set role = {}").format(sql.Identifier(role), sql.Literal(engineer)))
        parts = urlparse(url)
        os.environ["WAREHOUSE_URL"] = urlunparse(parts._replace(
            netloc=f"{role}:{PASSWORD}@{parts.hostname or ''}"
                   + (f":{parts.port}" if parts.port else "")))
        os.environ["SENDWH_PSEUDONYM_KEY"] = PSEUDONYM_KEY
        get_settings.cache_clear()
        try:
            status = build(today=TODAY, quiet=True)
            yield {"status": status, "url": url, "outputs": get_settings().outputs_dir}
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
            os.environ["WAREHOUSE_URL"] = url
            get_settings.cache_clear()
    with psycopg.connect(admin_url(), autocommit=True) as conn:
        conn.execute(sql.SQL("drop role if exists {}").format(sql.Identifier(role)))


def test_clean_sample_publishes(gated):
    from foundation.database import connect
    from sendwh.dbt_runner import expected_marts, expected_relations

    assert gated["status"] == 0
    with connect() as conn:
        run_id, status, published, blocking, _ = _latest_run(conn)
        assert (status, published, blocking) == ("passed", True, 0)
        marts = {r[0] for r in conn.execute(
            "select table_name from information_schema.tables where table_schema = 'marts'")}
        assert expected_marts() <= marts
        assert "ehcp_caseload" in marts and "savings_delivery" in marts
        # the SEN2 return's rows and the forecast's history are published beside the marts
        restricted = {r[0] for r in conn.execute(
            "select table_name from information_schema.tables where table_schema = 'restricted'")}
        assert expected_relations()["restricted"] == restricted
        assert {"sen2_return_persons", "sen2_return_requests", "forecast_history"} <= restricted
        assert conn.execute("select count(*) from pg_namespace "
                            "where nspname in ('marts_build', 'restricted_build')").fetchone()[0] == 0
        # identifiers: no access for public
        assert conn.execute("select has_schema_privilege('public', 'restricted', 'usage')"
                            ).fetchone()[0] is False
        # every check of every borough and source kind ran and passed
        checks = conn.execute("select count(*), count(*) filter (where passed), "
                              "count(distinct borough || source) from audit.dq_scorecard "
                              "where run_id = %s", (run_id,)).fetchone()
        assert checks[0] == checks[1] >= 100
        assert checks[2] == 3 * 3 + 3 + 1   # 3 boroughs x 3 kinds, marts per borough, ALL
    assert (gated["outputs"] / "gx" / "uncommitted" / "data_docs" / "local_site"
            / "index.html").exists()


def test_a_warning_publishes_and_is_recorded(gated):
    """Judged seven months later, the sample is stale: freshness (warn) fails, marts publish."""
    from foundation.database import connect
    from sendwh.pipeline import build

    assert build(today="2027-06-30", quiet=True) == 0
    with connect() as conn:
        run_id, status, published, blocking, warnings = _latest_run(conn)
        assert (status, published, blocking) == ("warned", True, 0)
        stale = conn.execute(
            "select borough, source, severity, observed_value, threshold, outcome "
            "from audit.dq_scorecard where run_id = %s and not passed order by 1, 2",
            (run_id,)).fetchall()
        assert warnings == len(stale) >= 6
        assert {(b, s) for b, s, *_ in stale} >= {(b, k) for b in ("HF", "KC", "WCC")
                                                  for k in ("case", "ledger")}
        assert all(sev == "warn" and outcome == "fail (warning)" for _, _, sev, _, _, outcome in stale)
        case_hf = next(r for r in stale if r[:2] == ("HF", "case"))
        assert case_hf[3] >= 1 and "days_since_data between 0 and 45" in case_hf[4]
        # published: the worklist now carries the new 'today'
        assert conn.execute("select distinct today_on from marts.ehc_open_cases").fetchall() == \
            [(__import__("datetime").date(2027, 6, 30),)]


def test_a_daily_build_gates_only_the_changed_boroughs_sources_and_every_mart(gated):
    """`sendwh build --gate-sources-of KC`: KC's sources are checked, HF's and WCC's are not
    (their files did not change), and every borough's marts are."""
    from foundation.database import connect
    from sendwh.pipeline import build

    assert build(today=TODAY, quiet=True, gate_sources_of=["KC"]) == 0
    with connect() as conn:
        run_id, status, published, _, _ = _latest_run(conn)
        assert (status, published) == ("passed", True)
        scope = {(b, s) for b, s in conn.execute(
            "select distinct borough, source from audit.dq_scorecard where run_id = %s", (run_id,))}
    assert {s for b, s in scope if s != "mart"} == {"case", "sen2", "ledger"}
    assert {b for b, s in scope if s != "mart"} == {"KC"}
    assert {b for b, s in scope if s == "mart"} >= {"HF", "KC", "WCC"}


def test_defects_block_and_leave_marts_exactly_as_they_were(gated, tmp_path):
    from foundation.database import connect
    from sen2.generate import generate_with_reports
    from sendwh.pipeline import build
    from sendwh.sample import generate

    with connect() as conn:
        before = _checksums(conn)
    assert {"marts.ehcp_caseload", "restricted.sen2_return_requests"} <= set(before)
    returned_before, _ = generate_with_reports("HF", 2026, tmp_path / "before")
    manifest = generate(tmp_path / "defects", seed=1, defects=0.01,
                        defect_kinds=tuple(CAUGHT_BY_CHECK))
    _load_all(tmp_path / "defects")
    assert build(today=TODAY, quiet=True) == 1
    with connect() as conn:
        assert _checksums(conn) == before
        run_id, status, published, blocking, _ = _latest_run(conn)
        assert (status, published) == ("blocked", False) and blocking > 0
        failed = {(b, s, c): (sev, obs) for b, s, c, sev, obs in conn.execute(
            'select borough, source, "check", severity, observed_value from audit.dq_scorecard '
            "where run_id = %s and not passed", (run_id,))}
        injected = {(d["file"].split("/")[0], d["file"].split("/")[1], d["kind"])
                    for d in manifest["defects"]}
        assert len(injected) >= 20
        for borough, kind, defect in injected:
            severity, observed = failed[(borough, kind, CAUGHT_BY_CHECK[defect])]
            assert severity == "block" and observed >= 1, (borough, kind, defect)
        from expectations.history import summary_lines
        lines = summary_lines(conn, run_id)
        assert lines[0].startswith("quality gates blocked")
        hf_case = next(line for line in lines if "[block] HF case identifiers_present" in line)
        assert "rows fail" in hf_case and "row " in hf_case
    # the SEN2 return is made from the last published data, never from data that failed
    # its checks: the same file as before the blocked run
    returned_after, _ = generate_with_reports("HF", 2026, tmp_path / "after")
    assert returned_after.persons == returned_before.persons > 0
    assert _without_timestamp(returned_after.path) == _without_timestamp(returned_before.path)


def test_boroughs_validated_together_get_the_verdicts_they_get_alone(gated, monkeypatch):
    """Boroughs whose checks share a validation (the default) get the same verdict, counts and
    failing rows per borough and check as when each borough is validated alone; here with the
    defects loaded by the test above, so that some checks fail on some boroughs and are
    validated again borough by borough."""
    from datetime import date

    from expectations import gate

    def outcome(report):
        return sorted((r.check.borough, r.check.source, r.check.asset, r.check.name, r.passed,
                       r.observed_value, r.observed_unit, r.rows_checked, r.error,
                       sorted(r.failing_rows) if (r.observed_value or 0) <= 20 else len(r.failing_rows))
                      for r in report.results)

    together = gate.run_gates(date.fromisoformat(TODAY), say=lambda *a: None)
    monkeypatch.setattr(gate, "BOROUGHS_PER_VALIDATION", 1)
    alone = gate.run_gates(date.fromisoformat(TODAY), say=lambda *a: None)
    assert outcome(together) == outcome(alone)
    assert together.blocked and len(together.results) == len(alone.results) >= 100
    assert {r.check.borough for r in together.blocking} >= {"HF", "KC", "WCC"}


def test_a_sudden_drop_in_volume_is_flagged(gated, tmp_path):
    """A ledger period with 3 lines after periods of over 300 trips volume_change (warn)."""
    from datetime import date

    from expectations.gate import run_gates
    from extract.ingest import ingest
    from foundation.database import connect

    folder = tmp_path / "HF" / "ledger"
    folder.mkdir(parents=True)
    (folder / "HF_ledger_2026-27_P09.csv").write_text(
        "Year,Period,Cost Centre,Subjective,Value Type,Amount\n"
        "2026/27,9,H50100,5000,ACT,125000.50\n2026/27,9,H50100,5000,BUD,130000.00\n"
        "2026/27,9,H50110,5000,ACT,1000.00\n")
    [loaded] = ingest("ledger", [folder], "HF")
    assert loaded.status == "loaded", loaded.reason
    report = run_gates(date(2026, 12, 31))
    with connect() as conn:
        [(severity, observed, rows, failing)] = conn.execute(
            "select severity, observed_value, rows_checked, failing_rows from audit.dq_results "
            "where run_id = %s and borough = 'HF' and source = 'ledger' "
            "and check_name = 'volume_change'", (report.run_id,)).fetchall()
    assert (severity, observed, rows) == ("warn", 1, 1)
    assert failing == ["HF_ledger_2026-27_P09.csv ledger 2026/27 P09"]


def test_no_secret_is_written_to_any_file(gated):
    """After all the runs above: the outputs folder (Great Expectations' project, its Data
    Docs and results) and dbt's target and logs hold neither the password nor the key."""
    from sendwh.dbt_runner import DBT_PROJECT

    folders = [gated["outputs"], DBT_PROJECT / "target", DBT_PROJECT / "logs"]
    folders += [Path(os.environ[v]) for v in ("DBT_TARGET_PATH", "DBT_LOG_PATH") if os.environ.get(v)]
    scanned = 0
    for folder in folders:
        for path in (p for p in folder.rglob("*") if p.is_file()):
            data = path.read_bytes()
            scanned += 1
            assert PASSWORD.encode() not in data, path
            assert PSEUDONYM_KEY.encode() not in data, path
    assert scanned > 50
    gx_yml = (gated["outputs"] / "gx" / "great_expectations.yml").read_text()
    assert "connection_string: ${WAREHOUSE_URL}" in gx_yml


@pytest.fixture
def swap_db():
    with scratch_database("publish") as url:
        yield url


def _stage(conn, version: int) -> None:
    """Two marts and two restricted models, each holding `version`, in the build schemas."""
    for schema in ("marts_build", "restricted_build"):
        conn.execute(sql.SQL("create schema if not exists {}").format(sql.Identifier(schema)))
        for table in ("first", "second"):
            conn.execute(sql.SQL("create table {} as select %s::int as version")
                         .format(sql.Identifier(schema, table)), (version,))


def test_publishing_is_atomic_and_keeps_grants(swap_db):
    """A reader querying two marts in one statement, then two restricted models in another,
    over and over while they are published 30 times, always sees one version of a schema's
    relations; grants on marts and restricted carry over, except public's on restricted."""
    from expectations.publish import publish
    from foundation.database import admin_url

    role = f"analyst_{uuid.uuid4().hex[:6]}"
    with psycopg.connect(admin_url(), autocommit=True) as conn:     # roles are the admin's to make
        conn.execute(sql.SQL("create role {}").format(sql.Identifier(role)))
    with psycopg.connect(swap_db) as conn:
        _stage(conn, 0)
        conn.commit()
        publish(conn)
        for statement in ("grant usage on schema marts to {}", "grant select on marts.first to {}",
                          "grant usage on schema restricted to {}",
                          "grant select on restricted.first to {}"):
            conn.execute(sql.SQL(statement).format(sql.Identifier(role)))
        conn.execute("grant usage on schema restricted to public")   # never carried over
        conn.commit()
    seen, errors, done = [], [], threading.Event()

    def reader():
        with psycopg.connect(swap_db, autocommit=True) as conn:
            while not done.is_set():
                for schema in ("marts", "restricted"):
                    try:
                        seen.append(conn.execute(sql.SQL(
                            "select (select version from {}), pg_sleep(0.002), (select version from {})"
                        ).format(sql.Identifier(schema, "first"), sql.Identifier(schema, "second"))
                        ).fetchone())
                    except psycopg.Error as err:  # pragma: no cover - the failure being tested
                        errors.append(str(err))

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        with psycopg.connect(swap_db) as conn:
            for version in range(1, 31):
                _stage(conn, version)
                conn.commit()
                publish(conn)
    finally:
        done.set()
        thread.join()
    assert not errors
    assert len(seen) > 60
    assert all(first == second for first, _, second in seen)
    assert len({first for first, _, _ in seen}) > 1      # it did see publishes happen
    with psycopg.connect(swap_db) as conn:
        assert conn.execute("select version from marts.first").fetchone()[0] == 30
        assert conn.execute("select version from restricted.first").fetchone()[0] == 30
        assert conn.execute("select has_table_privilege(%s, 'marts.first', 'select'), "
                            "has_schema_privilege(%s, 'marts', 'usage'), "
                            "has_table_privilege(%s, 'marts.second', 'select'), "
                            "has_table_privilege(%s, 'restricted.first', 'select'), "
                            "has_schema_privilege(%s, 'restricted', 'usage'), "
                            "has_schema_privilege('public', 'restricted', 'usage')",
                            (role,) * 5).fetchone() == (True, True, False, True, True, False)
        conn.execute("drop schema marts cascade; drop schema if exists marts_previous cascade; "
                     "drop schema restricted cascade; drop schema if exists restricted_previous cascade")
        conn.commit()
    with psycopg.connect(admin_url(), autocommit=True) as conn:
        conn.execute(sql.SQL("drop role {}").format(sql.Identifier(role)))


def test_publish_refuses_a_partial_build(swap_db):
    """A build schema lacking a model the project defines publishes nothing, not even the
    complete one."""
    from expectations.publish import PublishError, publish

    with psycopg.connect(swap_db) as conn:
        _stage(conn, 1)
        conn.commit()
        with pytest.raises(PublishError, match="restricted_build lacks sen2_return_requests"):
            publish(conn, expected={"marts": {"first", "second"},
                                    "restricted": {"first", "second", "sen2_return_requests"}})
        conn.rollback()
        assert conn.execute("select schemaname, count(*) from pg_tables "
                            "where schemaname like '%%_build' group by 1 order by 1"
                            ).fetchall() == [("marts_build", 2), ("restricted_build", 2)]
        assert conn.execute("select count(*) from pg_tables where schemaname in ('marts', 'restricted')"
                            ).fetchone()[0] == 0


def test_upn_and_uln_checks_in_sql_match_python(db):
    import numpy as np

    from foundation.identifiers import UPN_CHECK_ALPHABET, make_upn, uln_is_valid, upn_is_valid

    rng = np.random.default_rng(5)
    upns = [make_upn(str(rng.integers(201, 999)), int(rng.integers(1000, 9999)),
                     int(rng.integers(0, 99)), int(rng.integers(0, 999))) for _ in range(300)]
    upns += [UPN_CHECK_ALPHABET[(UPN_CHECK_ALPHABET.index(u[0]) + 3) % 23] + u[1:] for u in upns[:100]]
    upns += [u[:12] + "K" for u in upns[:50]] + ["A12345", "I123456789012", ""]
    ulns = [str(n) for n in rng.integers(10**9, 10**10 - 1, 400)] + ["123", "abcdefghij"]
    got = db.execute("select audit.upn_is_valid(u) from unnest(%s::text[]) u", (upns,)).fetchall()
    assert [r[0] for r in got] == [upn_is_valid(u) if u else False for u in upns]
    assert sum(r[0] for r in got) >= 300
    got = db.execute("select audit.uln_is_valid(u) from unnest(%s::text[]) u", (ulns,)).fetchall()
    assert [r[0] for r in got] == [uln_is_valid(u) for u in ulns]
    assert 0 < sum(r[0] for r in got) < len(ulns)
