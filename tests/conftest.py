"""Shared fixtures: a real PostgreSQL database per test session, the sample warehouse built
once for the session, and small source files.

Tests use their own databases on the same server as everything else (the embedded pgserver,
or WAREHOUSE_URL's server), so they never touch the demo's data.

Tests marked `slow` need a built warehouse (dbt build) or run an Airflow DAG;
`pytest -m "not slow"` (`make test-fast`) leaves them out. A test that uses
`sample_warehouse`, directly or through another fixture, is marked slow here.
"""
from __future__ import annotations

import os
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator
from urllib.parse import urlparse, urlunparse

import psycopg
import pytest
from psycopg import sql

from extract.ingest import ingest
from foundation.database import admin_url, connect, with_url_parts
from foundation.roles import roles
from foundation.schema import scratch_database  # tests import it from here too
from foundation.settings import get_settings
from sendwh.airflow_run import use_local_airflow
from sendwh.pipeline import build
from sendwh.sample import generate
from tests import source_files

ROOT = Path(__file__).resolve().parents[1]
SAMPLE_TODAY = "2026-11-30"   # "today" of the sample warehouse's build
BOROUGHS = ("HF", "KC", "WCC")
DFE_FILES = ("caseload", "requests", "timeliness_20_week")


@pytest.hookimpl(tryfirst=True)   # before `-m` selects on the marks
def pytest_collection_modifyitems(items):
    for item in items:
        if "sample_warehouse" in item.fixturenames:
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session", autouse=True)
def test_settings(tmp_path_factory):
    """A throw-away database and outputs folder for the whole session."""
    os.environ["AIRFLOW__COSMOS__ENABLE_TELEMETRY"] = "False"
    os.environ["SENDWH_OUTPUTS_DIR"] = str(tmp_path_factory.mktemp("outputs"))
    os.environ["SENDWH_AIRFLOW_HOME"] = str(tmp_path_factory.mktemp("airflow"))
    os.environ.pop("SENDWH_TODAY", None)
    # every delimited file through the landing table, however small: the broken-file corpus
    # proves it refuses what the row-by-row reader refuses, with the reader's reasons
    os.environ["SENDWH_LANDING_MIN_BYTES"] = "0"
    use_local_airflow()  # before anything imports airflow
    get_settings.cache_clear()
    with scratch_database("test") as url:
        SESSION["url"] = url
        yield get_settings()


SESSION: dict[str, str] = {}   # the session database's URL, set by test_settings


@contextmanager
def using_database(url: str) -> Iterator[str]:
    """WAREHOUSE_URL points at `url` while inside, then back at what it was."""
    previous = os.environ.get("WAREHOUSE_URL")
    os.environ["WAREHOUSE_URL"] = url
    get_settings.cache_clear()
    try:
        yield url
    finally:
        if previous is None:
            os.environ.pop("WAREHOUSE_URL", None)
        else:
            os.environ["WAREHOUSE_URL"] = previous
        get_settings.cache_clear()


@contextmanager
def copy_of_database(url: str, label: str) -> Iterator[str]:
    """A copy of the database at `url` (CREATE DATABASE ... TEMPLATE: a file copy, seconds),
    WAREHOUSE_URL pointing at it while inside; dropped afterwards. For modules that write
    to the sample warehouse, so that their writes reach no other module. The admin account
    makes and drops the copy (owned by the engineer role, like everything in it)."""
    server_url = with_url_parts(admin_url(), dbname="postgres")
    template = urlparse(url).path.lstrip("/")
    copy = f"sendwh_{label}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(server_url, autocommit=True) as conn:
        # a template must have no other sessions: close what a library left open in it
        conn.execute("select pg_terminate_backend(pid) from pg_stat_activity "
                     "where datname = %s and pid <> pg_backend_pid()", (template,))
        conn.execute(sql.SQL("create database {} template {} owner {}").format(
            sql.Identifier(copy), sql.Identifier(template), sql.Identifier(roles().engineer)))
    try:
        with using_database(urlunparse(urlparse(url)._replace(path=f"/{copy}"))) as copy_url:
            yield copy_url
    finally:
        with psycopg.connect(server_url, autocommit=True) as conn:
            conn.execute(sql.SQL("drop database if exists {} with (force)").format(
                sql.Identifier(copy)))


@dataclass(frozen=True)
class SampleWarehouse:
    url: str      # its database; point at it with using_database(), or write to a copy
    files: Path   # the sample's source files (read only)


@pytest.fixture(scope="session")
def sample_files(tmp_path_factory) -> Path:
    """The scale-1 sample's source files (seed 1), generated once for the session."""
    folder = tmp_path_factory.mktemp("sample")
    generate(folder, seed=1)
    return folder


@pytest.fixture(scope="session")
def sample_warehouse(test_settings, sample_files) -> Iterator[SampleWarehouse]:
    """The scale-1 sample warehouse, built once for the session in its own database: every
    borough's case, SEN2 and ledger files and DfE's published files (when present) loaded,
    then `build(today=SAMPLE_TODAY)` (dbt build, gates, publish).

    Modules that only read it point at it (`using_database(sample_warehouse.url)`); modules
    that write to it work on a copy (`copy_of_database(sample_warehouse.url, label)`)."""
    # whatever database a module fixture points at now (a scratch one that it drops when
    # its module ends), the sample is made on the server through the session's database
    # and, while in use, leaves WAREHOUSE_URL as it found it
    before = os.environ["WAREHOUSE_URL"]
    with using_database(SESSION["url"]), scratch_database("sample") as url:
        for borough in BOROUGHS:
            for kind in ("case", "sen2", "ledger"):
                results = ingest(kind, [sample_files / borough / kind], borough)
                assert all(r.status == "loaded" for r in results), [r.reason for r in results if not r.ok]
        dfe = get_settings().dfe_dir
        if dfe and (Path(dfe) / "release-2025").is_dir():
            ingest("dfe", [Path(dfe) / "release-2025" / f"{name}.csv" for name in DFE_FILES])
        assert build(today=SAMPLE_TODAY, quiet=True) == 0, \
            "dbt build (models, data tests, unit tests) failed"
        with using_database(before):
            yield SampleWarehouse(url, sample_files)


@pytest.fixture
def fresh(test_settings):
    """Empty raw and audit tables, for tests that count what a load adds."""
    with connect(autocommit=True) as conn:
        tables = [r[0] for r in conn.execute(
            "select format('%I.%I', table_schema, table_name) from information_schema.tables "
            "where table_schema in ('raw', 'audit') and table_type = 'BASE TABLE' "
            "and table_name <> 'schema_migrations'")]
        conn.execute(f"truncate {', '.join(tables)} restart identity")


@pytest.fixture
def db():
    with connect(autocommit=True) as conn:
        yield conn


@pytest.fixture
def files(tmp_path):
    """Small valid source files for every layout (see tests/source_files.py)."""
    return source_files.SourceFiles(tmp_path)
