"""The warehouse connection: `WAREHOUSE_URL`, or an embedded PostgreSQL from pgserver.

The embedded server keeps running between commands (it is reused, not restarted) until
`sendwh db stop`. It listens only on a Unix socket in (or near) its data folder. Its
superuser only creates roles and databases (`admin_url`); everything else connects as the
pipeline's login role, a member of the engineer role (foundation/roles.py), which that
superuser creates on first use.
"""
from __future__ import annotations

import logging
import os
import subprocess
from contextlib import contextmanager
from typing import Iterator
from urllib.parse import parse_qs, urlparse, urlunparse

import pgserver
import psycopg
from pgserver._commands import POSTGRES_BIN_PATH

from foundation import roles
from foundation.settings import get_settings


def _embedded_server(start: bool = True):
    pgdata = get_settings().embedded_dir
    pgdata.mkdir(parents=True, exist_ok=True)
    # cleanup_mode=None: leave the server running for the next command to reuse.
    return pgserver.get_server(pgdata, cleanup_mode=None)


_BOOTSTRAPPED: set[tuple[str, str]] = set()   # (superuser URL, prefix) set up in this process


def with_url_parts(url: str, user: str | None = None, dbname: str | None = None) -> str:
    """`url` with its user (password dropped) or database replaced."""
    parsed = urlparse(url)
    if user is not None:
        host = parsed.netloc.rpartition("@")[2]
        parsed = parsed._replace(netloc=f"{user}@{host}" if host else f"{user}@")
    if dbname is not None:
        parsed = parsed._replace(path=f"/{dbname}")
    return urlunparse(parsed)


def _bootstrap_embedded(superuser_url: str) -> str:
    """The embedded server's roles (once per process): the group roles, and the pipeline's
    login as a member of the engineer role, which gets the default database and its schemas.
    Returns the login's name."""
    r = roles.roles()
    if (superuser_url, r.prefix) not in _BOOTSTRAPPED:
        with psycopg.connect(superuser_url, autocommit=True) as conn:
            if not _roles_in_place(conn, r):
                with conn.transaction():
                    conn.execute("select pg_advisory_xact_lock(0x53454E44, 4)")   # concurrent first uses
                    roles.ensure_roles(conn, r, pipeline_login=True)
                    roles.adopt(conn, r)
        _BOOTSTRAPPED.add((superuser_url, r.prefix))
    return r.pipeline_login


def _roles_in_place(conn: psycopg.Connection, r: roles.Roles) -> bool:
    try:
        return roles.in_place(conn, r)
    except psycopg.errors.UndefinedObject:     # a role pg_has_role names does not exist yet
        return False


def warehouse_url() -> str:
    """The URL every part of the project uses (psycopg, dbt, Great Expectations): WAREHOUSE_URL,
    else the embedded server as the pipeline's login role (never its superuser)."""
    url = get_settings().warehouse_url
    if url:
        return url
    superuser = _embedded_server().get_uri()
    return with_url_parts(superuser, user=_bootstrap_embedded(superuser))


def admin_url() -> str:
    """An account that may create roles and databases, on the warehouse's database:
    SENDWH_ADMIN_URL, else the embedded server's superuser, else WAREHOUSE_URL itself."""
    settings = get_settings()
    if settings.admin_url:
        base = settings.admin_url
    elif is_embedded():
        base = _embedded_server().get_uri()
    else:
        base = settings.warehouse_url
    return with_url_parts(base, dbname=dsn_parts(warehouse_url())["dbname"])


def is_embedded() -> bool:
    return not get_settings().warehouse_url


def stop_embedded() -> bool:
    """Stop the embedded server if it runs. Returns True when one was stopped."""
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


def analyze_raw() -> None:
    """Planner statistics for the raw tables after a load (autovacuum may be minutes away;
    without them dbt's joins over a freshly loaded batch are planned as nested loops): the
    tables changed since they were last analysed, or never analysed (a daily load changes a
    few; analysing the others again would only sample the same rows)."""
    with connect(autocommit=True) as conn:
        conn.execute("analyze raw.boroughs")
        for (table,) in conn.execute(
                "select format('%I.%I', schemaname, relname) from pg_stat_user_tables "
                "where schemaname in ('raw', 'audit') and (n_mod_since_analyze > 0 "
                "or coalesce(last_analyze, last_autoanalyze) is null)").fetchall():
            conn.execute(f"analyze {table}")
