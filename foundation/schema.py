"""The warehouse's own tables and the boroughs every stage reads.

The tables (schemas, raw and audit tables, the gates' history, the forecast tables, the
pseudonymisation key) are versioned migrations (`foundation/migrations/`, applied by
`foundation/migrate.py`). `setup()` is safe to run every time and concurrently: every
command that writes to the warehouse runs it first.
"""
from __future__ import annotations

import os
import uuid
from contextlib import contextmanager
from typing import Iterator
from urllib.parse import urlparse, urlunparse

import psycopg

from foundation import catalog
from foundation.database import connect, warehouse_url
from foundation.migrate import BOROUGHS_LOCK, Migration, migrate, xact_lock
from foundation.reference import boroughs
from foundation.settings import get_settings


def setup() -> list[Migration]:
    """Apply the pending migrations, then record the boroughs (raw.boroughs, which dbt
    reads). Returns the migrations applied: none when the warehouse was up to date."""
    with connect(autocommit=True) as conn:
        applied = migrate(conn)
        if applied:
            catalog.forget()           # the raw tables' columns may have changed
        with conn.transaction():
            xact_lock(conn, BOROUGHS_LOCK)     # concurrent set-ups rewrite the rows in turn
            conn.execute("delete from raw.boroughs")
            with conn.cursor() as cur:
                cur.executemany(
                    "insert into raw.boroughs (borough, borough_name, la_number, ons_code) "
                    "values (%s, %s, %s, %s)",
                    [(b.code, b.name, b.la_number, b.ons_code) for b in boroughs().values()])
    return applied


@contextmanager
def scratch_database(label: str, set_up: bool = True) -> Iterator[str]:
    """A new warehouse database on the same server, set up unless `set_up` is False (then
    empty); WAREHOUSE_URL points at it while in use, and it is dropped afterwards (tests,
    `sendwh sen2 summary`)."""
    previous = os.environ.get("WAREHOUSE_URL")
    server_url = previous or warehouse_url()
    dbname = f"sendwh_{label}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f'create database "{dbname}"')
    os.environ["WAREHOUSE_URL"] = urlunparse(urlparse(server_url)._replace(path=f"/{dbname}"))
    get_settings.cache_clear()
    try:
        if set_up:
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
