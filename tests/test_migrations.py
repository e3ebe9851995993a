"""Versioned migrations (foundation/migrations/): each applied once, in order, recorded with
its checksum; a warehouse that disagrees with the files is refused untouched; and a
warehouse created by the code before migrations (commit 845a258) upgrades in place, then
loads and builds. Real PostgreSQL throughout."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import psycopg
import pytest

from extract.ingest import ingest
from foundation.database import connect
from foundation.migrate import MIGRATIONS_DIR, MigrationError, discover, migrate
from foundation.schema import setup
from sendwh.pipeline import build
from tests.conftest import ROOT, scratch_database

BEFORE_MIGRATIONS = "845a258"   # the last commit whose set-up ran `create ... if not exists`
TODAY = "2026-11-30"
# the warehouse's own schemas: what the migrations create (dbt's schemas are dbt's)
OWN_SCHEMAS = ("raw", "audit", "forecast", "pii", "gates_work")


def _recorded(conn) -> list[tuple[int, str, str]]:
    return conn.execute("select version, name, sha256 from audit.schema_migrations "
                        "order by version").fetchall()


def _shape(conn) -> dict[str, list]:
    """The warehouse's own tables, views, columns, indexes, functions and schema grants."""
    return {
        "columns": conn.execute(
            "select table_schema, table_name, column_name, data_type, is_nullable, column_default "
            "from information_schema.columns where table_schema = any(%s) order by 1, 2, 3",
            (list(OWN_SCHEMAS),)).fetchall(),
        "relations": conn.execute(
            "select n.nspname, c.relname, c.relkind from pg_class c "
            "join pg_namespace n on n.oid = c.relnamespace where n.nspname = any(%s) "
            "order by 1, 2", (list(OWN_SCHEMAS),)).fetchall(),
        "indexes": conn.execute(
            "select schemaname, indexname, indexdef from pg_indexes "
            "where schemaname = any(%s) order by 1, 2", (list(OWN_SCHEMAS),)).fetchall(),
        "functions": conn.execute(
            "select n.nspname, p.proname, pg_get_functiondef(p.oid) from pg_proc p "
            "join pg_namespace n on n.oid = p.pronamespace where n.nspname = any(%s) "
            "order by 1, 2", (list(OWN_SCHEMAS),)).fetchall(),
        "schemas": conn.execute(
            "select nspname, array_length(nspacl, 1) from pg_namespace "
            "where nspname = any(%s) order by 1", (list(OWN_SCHEMAS),)).fetchall(),
    }


class CountingConnection:
    """An autocommit connection that counts the statements sent through it."""

    def __init__(self, conn: psycopg.Connection) -> None:
        self.conn, self.statements = conn, 0

    @property
    def autocommit(self) -> bool:
        return self.conn.autocommit

    def execute(self, *args, **kwargs):
        self.statements += 1
        return self.conn.execute(*args, **kwargs)


@pytest.fixture
def migrations_copy(tmp_path) -> Path:
    """This code's migration files in a folder a test may change."""
    folder = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS_DIR, folder)
    return folder


def test_a_fresh_warehouse_gets_every_migration_recorded_with_its_checksum():
    with scratch_database("mig_fresh", set_up=False):
        applied = setup()
        with connect() as conn:
            recorded = _recorded(conn)
            tables = {r[0] for r in conn.execute(
                "select format('%s.%s', table_schema, table_name) from information_schema.tables")}
    known = discover()
    assert [m.label for m in applied] == [m.label for m in known]
    assert [m.label for m in known][:4] == ["0001_raw_and_audit", "0002_quality_gates",
                                            "0003_forecast", "0004_pseudonym_key"]
    assert recorded == [(m.version, m.name, m.sha256) for m in known]
    assert {"audit.batches", "raw.case_requests", "audit.dq_runs", "forecast.demand",
            "audit.pipeline_steps", "audit.schema_migrations"} <= tables
    assert "pii.pseudonym_key" not in tables   # the key's pads left the warehouse (0008)


def test_setting_up_twice_applies_nothing_the_second_time_with_one_query():
    with scratch_database("mig_twice", set_up=False):
        assert setup()
        assert setup() == []
        with connect(autocommit=True) as conn:
            counting = CountingConnection(conn)
            assert migrate(counting) == []
            assert counting.statements == 1
            assert len(_recorded(conn)) == len(discover())


def test_concurrent_set_ups_apply_each_migration_once():
    with scratch_database("mig_race", set_up=False):
        errors: list[BaseException] = []
        applied: list[list] = []

        def run() -> None:
            try:
                applied.append(setup())
            except BaseException as error:    # noqa: BLE001 - reported by the assertion below
                errors.append(error)

        threads = [threading.Thread(target=run) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        with connect() as conn:
            recorded = _recorded(conn)
            boroughs = conn.execute("select count(*) from raw.boroughs").fetchone()[0]
    assert errors == []
    assert sorted(m.label for run in applied for m in run) == sorted(m.label for m in discover())
    assert len(recorded) == len(discover())
    assert boroughs >= 3


def test_a_changed_applied_migration_is_refused_and_nothing_is_changed(migrations_copy):
    with scratch_database("mig_changed", set_up=False):
        with connect(autocommit=True) as conn:
            migrate(conn, migrations_copy)
            edited = migrations_copy / "0001_raw_and_audit.sql"
            edited.write_text(edited.read_text() + "\nalter table raw.case_persons add column x text;\n")
            (migrations_copy / "0099_later.sql").write_text("create table raw.later (x int);\n")
            with pytest.raises(MigrationError, match="0001_raw_and_audit.*must not be edited"):
                migrate(conn, migrations_copy)
            assert len(_recorded(conn)) == len(discover())
            assert conn.execute("select to_regclass('raw.later')").fetchone()[0] is None


def test_a_warehouse_with_a_migration_this_code_does_not_know_is_refused(migrations_copy):
    (migrations_copy / "0099_from_newer_code.sql").write_text("create table raw.newer (x int);\n")
    with scratch_database("mig_newer", set_up=False):
        with connect(autocommit=True) as conn:
            migrate(conn, migrations_copy)
        with pytest.raises(MigrationError, match="0099_from_newer_code.*does not know"):
            setup()


def test_a_new_migration_is_applied_alone_and_a_failing_one_rolls_back(migrations_copy):
    with scratch_database("mig_new", set_up=True):
        with connect(autocommit=True) as conn:
            (migrations_copy / "0098_ledger_note.sql").write_text(
                "alter table raw.ledger_lines add column note text;\n")
            assert [m.label for m in migrate(conn, migrations_copy)] == ["0098_ledger_note"]
            (migrations_copy / "0099_broken.sql").write_text(
                "create table raw.half_done (x int);\nselect no_such_function();\n")
            with pytest.raises(MigrationError, match="0099_broken failed"):
                migrate(conn, migrations_copy)
            assert conn.execute("select to_regclass('raw.half_done')").fetchone()[0] is None
            assert [r[1] for r in _recorded(conn)][-1] == "ledger_note"


def _git(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True)


@pytest.fixture(scope="module")
def code_before_migrations(tmp_path_factory) -> Path:
    """The project as it was at BEFORE_MIGRATIONS, extracted with `git archive`."""
    if shutil.which("git") is None or _git("cat-file", "-e", f"{BEFORE_MIGRATIONS}^{{commit}}").returncode:
        pytest.skip(f"git history with commit {BEFORE_MIGRATIONS} is not available "
                    "(a shallow clone or an unpacked archive): the upgrade test needs it")
    folder = tmp_path_factory.mktemp("before_migrations")
    archive = _git("archive", "--format=tar", BEFORE_MIGRATIONS)
    assert archive.returncode == 0, archive.stderr.decode()
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive.stdout, check=True)
    return folder


OLD_CODE_USES_THE_WAREHOUSE = """
import sys
from pathlib import Path
from extract.ingest import ingest
from sendwh.build import prepare_database
from sendwh.warehouse import setup

setup()
[result] = ingest("case", [Path(sys.argv[1])], "HF")
assert result.status == "loaded", result
prepare_database()    # the old set-up plus the pseudonymisation key's table
"""


@pytest.mark.slow    # a gated build, about 2 minutes on 2 cores
def test_a_warehouse_created_before_migrations_upgrades_in_place_then_loads_and_builds(
        code_before_migrations, files):
    old_file = files.hf_requests()
    with scratch_database("mig_shape") as fresh_url:
        with psycopg.connect(fresh_url) as conn:
            fresh_shape = _shape(conn)
    with scratch_database("mig_upgrade", set_up=False) as url:
        old = subprocess.run(
            [sys.executable, "-c", OLD_CODE_USES_THE_WAREHOUSE, str(old_file)],
            cwd=code_before_migrations, capture_output=True, text=True,
            env={**os.environ, "PYTHONPATH": str(code_before_migrations), "WAREHOUSE_URL": url})
        assert old.returncode == 0, old.stderr[-3000:]
        with connect() as conn:
            assert conn.execute("select to_regclass('audit.schema_migrations')").fetchone()[0] is None
            old_batches = conn.execute("select batch_id, status from audit.batches").fetchall()
        assert [status for _, status in old_batches] == ["loaded"]

        adopted = setup()
        assert [m.label for m in adopted] == [m.label for m in discover()]
        assert setup() == []
        with connect() as conn:
            assert _shape(conn) == fresh_shape
            assert conn.execute("select batch_id, status from audit.batches").fetchall() == old_batches

        loaded = ingest("case", [files.wcc_extract()], "WCC") + ingest("sen2", [files.sen2_return()])
        assert [r.status for r in loaded] == ["loaded", "loaded"]
        assert build(today=TODAY, quiet=True) == 0
        with connect() as conn:
            requests = dict(conn.execute(
                "select borough, sum(requests_received_in_year) from marts.ehc_timeliness "
                "where borough in ('HF', 'WCC') and calendar_year = 2023 group by borough"))
            runs = conn.execute("select status, published from audit.dq_runs").fetchall()
    assert requests == {"HF": 2, "WCC": 1}
    assert [published for _, published in runs] == [True]
