"""The warehouse's own tables and the boroughs every stage reads.

The tables (schemas, raw and audit tables, the gates' history, the forecast tables, the
pseudonymisation key) are versioned migrations (`foundation/migrations/`, applied by
`foundation/migrate.py`). `setup()` is safe to run every time and concurrently: every
command that writes to the warehouse runs it first. `setup_roles()` (`sendwh db setup`, as an
account that may create roles) creates the warehouse's roles and gives the engineer role
the schemas; the grants and row-level security follow (foundation/roles.py).
"""
from __future__ import annotations

import os
import uuid
from contextlib import contextmanager
from typing import Iterator
from urllib.parse import urlparse, urlunparse

import psycopg
from psycopg import sql

from foundation import catalog, roles
from foundation.database import admin_url, connect, is_embedded, warehouse_url, with_url_parts
from foundation.migrate import BOROUGHS_LOCK, Migration, migrate, xact_lock
from foundation.reference import boroughs
from foundation.settings import get_settings


def setup(grants: bool = False) -> list[Migration]:
    """Apply the pending migrations, then record the boroughs (raw.boroughs, which dbt
    reads); after a migration, or when `grants`, the roles' grants and row-level security
    (foundation/roles.py, as the owner). Returns the migrations applied: none when the
    warehouse was up to date."""
    with connect(autocommit=True) as conn:
        applied = migrate(conn)
        if applied:
            catalog.forget()           # the raw tables' columns may have changed
        if applied or grants:
            with conn.transaction():
                roles.grant_access(conn)
        with conn.transaction():
            xact_lock(conn, BOROUGHS_LOCK)     # concurrent set-ups rewrite the rows in turn
            conn.execute("delete from raw.boroughs")
            with conn.cursor() as cur:
                cur.executemany(
                    "insert into raw.boroughs (borough, borough_name, la_number, ons_code) "
                    "values (%s, %s, %s, %s)",
                    [(b.code, b.name, b.la_number, b.ons_code) for b in boroughs().values()])
    return applied


def setup_roles(say=print) -> list[str]:
    """`sendwh db setup`'s first step, as an account that may create roles (admin_url()): the
    group roles that are missing (never dropping one), and the engineer role as owner of the
    database's warehouse schemas. Returns the roles created."""
    with psycopg.connect(admin_url(), autocommit=True) as conn:
        with conn.transaction():
            conn.execute("select pg_advisory_xact_lock(0x53454E44, 4)")
            password = get_settings().pipeline_password
            created = roles.ensure_roles(conn, pipeline_login=bool(password) or is_embedded())
            if password:
                conn.execute(sql.SQL("alter role {} password {}").format(
                    sql.Identifier(roles.roles().pipeline_login), sql.Literal(password)))
            changed = roles.adopt(conn)
    for name in created:
        say(f"created role {name}")
    if changed:
        say(f"gave {changed} schemas and objects to {roles.roles().engineer}")
    return created


def adopt_after_setup() -> None:
    """Objects a migration made when WAREHOUSE_URL is the admin account go to the engineer."""
    with psycopg.connect(admin_url(), autocommit=True) as conn:
        roles.adopt(conn)


@contextmanager
def scratch_database(label: str, set_up: bool = True) -> Iterator[str]:
    """A new warehouse database on the same server, owned by the engineer role, set up unless
    `set_up` is False (then empty); WAREHOUSE_URL (and SENDWH_ADMIN_URL) point at it while
    in use, and it is dropped afterwards (tests, `sendwh sen2 summary`). The database is
    created and dropped by the admin account; everything in it is the engineer's."""
    previous = {name: os.environ.get(name) for name in ("WAREHOUSE_URL", "SENDWH_ADMIN_URL")}
    server_url = previous["WAREHOUSE_URL"] or warehouse_url()
    admin = admin_url()
    dbname = f"sendwh_{label}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        roles.ensure_roles(conn)
        conn.execute(f'create database "{dbname}" owner "{roles.roles().engineer}"')
    os.environ["WAREHOUSE_URL"] = urlunparse(urlparse(server_url)._replace(path=f"/{dbname}"))
    os.environ["SENDWH_ADMIN_URL"] = with_url_parts(admin, dbname=dbname)
    get_settings.cache_clear()
    try:
        if set_up:
            setup(grants=True)
        yield os.environ["WAREHOUSE_URL"]
    finally:
        for name, value in previous.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        get_settings.cache_clear()
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'drop database if exists "{dbname}" with (force)')
