"""Shared fixtures: a real PostgreSQL database per test session, and small source files.

Tests use their own database on the same server as everything else (the embedded pgserver,
or WAREHOUSE_URL's server), so they never touch the demo's data.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from foundation.schema import scratch_database  # noqa: F401  (tests import it from here)

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session", autouse=True)
def test_settings(tmp_path_factory):
    """A throw-away database and outputs folder for the whole session."""
    os.environ["AIRFLOW__COSMOS__ENABLE_TELEMETRY"] = "False"
    os.environ["SENDWH_OUTPUTS_DIR"] = str(tmp_path_factory.mktemp("outputs"))
    os.environ["SENDWH_AIRFLOW_HOME"] = str(tmp_path_factory.mktemp("airflow"))
    os.environ.pop("SENDWH_TODAY", None)
    from sendwh.airflow_run import use_local_airflow
    use_local_airflow()  # before anything imports airflow
    from foundation.settings import get_settings
    get_settings.cache_clear()
    with scratch_database("test"):
        yield get_settings()


@pytest.fixture
def fresh(test_settings):
    """Empty raw and audit tables, for tests that count what a load adds."""
    from foundation.database import connect

    with connect(autocommit=True) as conn:
        tables = [r[0] for r in conn.execute(
            "select format('%I.%I', table_schema, table_name) from information_schema.tables "
            "where table_schema in ('raw', 'audit') and table_type = 'BASE TABLE' "
            "and table_name <> 'schema_migrations'")]
        conn.execute(f"truncate {', '.join(tables)} restart identity")


@pytest.fixture
def db():
    from foundation.database import connect

    with connect(autocommit=True) as conn:
        yield conn


@pytest.fixture
def files(tmp_path):
    """Small valid source files for every layout (see tests/source_files.py)."""
    from tests import source_files

    return source_files.SourceFiles(tmp_path)
