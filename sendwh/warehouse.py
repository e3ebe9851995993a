"""The warehouse connection: `WAREHOUSE_URL`, or an embedded PostgreSQL from pgserver.

The embedded server keeps running between commands (it is reused, not restarted) until
`sendwh db stop`. It listens only on a Unix socket in (or near) its data folder.
"""
from __future__ import annotations

import subprocess
import warnings
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator
from urllib.parse import parse_qs, urlparse, urlunparse

import psycopg

from sendwh.settings import PROJECT_ROOT, get_settings

# pgserver asks platformdirs for XDG_RUNTIME_DIR, which servers and CI rarely set
warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")

SCHEMAS = ("raw", "staging", "intermediate", "marts", "audit")


def _embedded_server(start: bool = True):
    import pgserver  # imported lazily: only the embedded mode needs it

    pgdata = get_settings().embedded_dir
    pgdata.mkdir(parents=True, exist_ok=True)
    # cleanup_mode=None: leave the server running for the next command to reuse.
    return pgserver.get_server(pgdata, cleanup_mode=None)


def warehouse_url() -> str:
    """The URL every part of the project uses (psycopg, dbt, Great Expectations)."""
    url = get_settings().warehouse_url
    if url:
        return url
    return _embedded_server().get_uri()


def is_embedded() -> bool:
    return not get_settings().warehouse_url


def stop_embedded() -> bool:
    """Stop the embedded server if it runs. Returns True when one was stopped."""
    import logging
    import os

    from pgserver._commands import POSTGRES_BIN_PATH

    pgdata = get_settings().embedded_dir
    if not (pgdata / "postmaster.pid").exists():
        return False
    # pgserver runs PostgreSQL as its own 'pgserver' user when started by root
    user = {"user": "pgserver"} if os.geteuid() == 0 else {}
    logging.getLogger("pgserver").setLevel(logging.CRITICAL)
    result = subprocess.run([str(POSTGRES_BIN_PATH / "pg_ctl"), "-D", str(pgdata), "-w", "stop",
                             "-m", "fast"], capture_output=True, text=True, **user)
    return result.returncode == 0


def dsn_parts(url: str | None = None) -> dict[str, str]:
    """host/port/user/password/dbname of a URL, for dbt's profile (socket folder as host)."""
    parsed = urlparse(url or warehouse_url())
    query = {k: v[0] for k, v in parse_qs(parsed.query).items()}
    return {
        "host": query.get("host") or parsed.hostname or "localhost",
        "port": str(parsed.port or query.get("port") or 5432),
        "user": parsed.username or query.get("user") or "postgres",
        "password": parsed.password or query.get("password") or "",
        "dbname": (parsed.path or "/postgres").lstrip("/") or "postgres",
    }


@contextmanager
def connect(autocommit: bool = False) -> Iterator[psycopg.Connection]:
    with psycopg.connect(warehouse_url(), autocommit=autocommit) as conn:
        yield conn


SETUP_SQL = Path(__file__).with_name("setup.sql")
STAGE_SQL = (PROJECT_ROOT / "expectations" / "schema.sql", PROJECT_ROOT / "forecast" / "schema.sql")


def setup() -> None:
    """Create the schemas and the raw/audit tables, and record the boroughs the layouts
    define (raw.boroughs, which dbt reads). Idempotent: safe to run every time."""
    from extract.layouts import all_layouts

    with connect() as conn:
        conn.execute(SETUP_SQL.read_text())
        for stage_sql in STAGE_SQL:          # tables other stages own (gate history, forecasts)
            if stage_sql.exists():
                conn.execute(stage_sql.read_text())
        with conn.cursor() as cur:
            cur.execute("delete from raw.boroughs")
            cur.executemany(
                "insert into raw.boroughs (borough, borough_name, la_number, ons_code) "
                "values (%s, %s, %s, %s)",
                [(code, layout["name"], str(layout["la_number"]), layout.get("ons_code"))
                 for code, layout in all_layouts().items()])


def analyze_raw() -> None:
    """Planner statistics for the raw tables after a load (autovacuum may be minutes away;
    without them dbt's joins over a freshly loaded batch are planned as nested loops)."""
    with connect(autocommit=True) as conn:
        conn.execute("analyze raw.boroughs")
        for (table,) in conn.execute(
                "select format('%I.%I', schemaname, relname) from pg_stat_user_tables "
                "where schemaname in ('raw', 'audit')").fetchall():
            conn.execute(f"analyze {table}")


@contextmanager
def scratch_database(label: str) -> Iterator[str]:
    """A new, empty warehouse database on the same server; WAREHOUSE_URL points at it while
    in use, and it is dropped afterwards (tests, `sendwh sen2 summary`)."""
    import os
    import uuid

    previous = os.environ.get("WAREHOUSE_URL")
    server_url = previous or warehouse_url()
    dbname = f"sendwh_{label}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f'create database "{dbname}"')
    os.environ["WAREHOUSE_URL"] = urlunparse(urlparse(server_url)._replace(path=f"/{dbname}"))
    get_settings.cache_clear()
    try:
        setup()
        yield os.environ["WAREHOUSE_URL"]
    finally:
        if previous is None:
            os.environ.pop("WAREHOUSE_URL", None)
        else:
            os.environ["WAREHOUSE_URL"] = previous
        get_settings.cache_clear()
        with psycopg.connect(server_url, autocommit=True) as conn:
            conn.execute(f'drop database if exists "{dbname}" with (force)')
