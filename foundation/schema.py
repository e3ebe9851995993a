"""The warehouse's own tables: schemas, raw and audit tables, the gates' history and the
forecast tables (SQL files beside this module), and the boroughs every stage reads.

`setup()` is idempotent: every command that writes to the warehouse runs it first.
"""
from __future__ import annotations

import os
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator
from urllib.parse import urlparse, urlunparse

import psycopg

from foundation.database import connect, warehouse_url
from foundation.reference import boroughs
from foundation.settings import get_settings

SQL_DIR = Path(__file__).parent
DDL_FILES = ("setup.sql", "gates.sql", "forecast.sql")
FORECAST_DDL = SQL_DIR / "forecast.sql"


def setup() -> None:
    """Create the schemas and the raw/audit tables, and record the boroughs (raw.boroughs,
    which dbt reads). Idempotent: safe to run every time."""
    with connect() as conn:
        for name in DDL_FILES:
            conn.execute((SQL_DIR / name).read_text())
        with conn.cursor() as cur:
            cur.execute("delete from raw.boroughs")
            cur.executemany(
                "insert into raw.boroughs (borough, borough_name, la_number, ons_code) "
                "values (%s, %s, %s, %s)",
                [(b.code, b.name, b.la_number, b.ons_code) for b in boroughs().values()])


@contextmanager
def scratch_database(label: str) -> Iterator[str]:
    """A new, empty warehouse database on the same server; WAREHOUSE_URL points at it while
    in use, and it is dropped afterwards (tests, `sendwh sen2 summary`)."""
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
