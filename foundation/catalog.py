"""The warehouse's own description of its tables (PostgreSQL's catalog), read once per database.

The DDL is the one home of a table's columns: code that needs a table's column names (the
loader's COPY column list, the readers' row order) asks here instead of keeping a copy.
"""
from __future__ import annotations

from functools import lru_cache

import psycopg

from foundation.database import warehouse_url
from foundation.settings import get_settings


class UnknownTable(LookupError):
    """The warehouse has no such table (its set-up has not run, or the name is wrong)."""


@lru_cache(maxsize=32)
def _columns(database: str, schema: str) -> dict[str, tuple[str, ...]]:
    """{table: its columns in table order} for one schema of one database."""
    del database  # the cache key only: which warehouse this was read from
    with psycopg.connect(warehouse_url()) as conn:
        rows = conn.execute(
            "select table_name, column_name from information_schema.columns "
            "where table_schema = %s order by table_name, ordinal_position", (schema,)).fetchall()
    out: dict[str, list[str]] = {}
    for table, column in rows:
        out.setdefault(table, []).append(column)
    return {table: tuple(columns) for table, columns in out.items()}


def _database() -> str:
    """Which warehouse the settings point at, without starting or asking the server."""
    settings = get_settings()
    return settings.warehouse_url or f"embedded:{settings.embedded_dir}"


def table_columns(schema: str, table: str) -> tuple[str, ...]:
    """A table's columns in table order. Read once per database and schema; a table that is
    missing is looked for again (set-up may have created it since)."""
    found = _columns(_database(), schema).get(table)
    if found is None:
        forget()
        found = _columns(_database(), schema).get(table)
    if found is None:
        raise UnknownTable(f"{schema}.{table} is not in the warehouse: run `sendwh db setup`")
    return found


@lru_cache(maxsize=32)
def _types(database: str, schema: str) -> dict[str, dict[str, str]]:
    """{table: {column: its data type (information_schema's name)}} for one schema."""
    del database  # the cache key only
    with psycopg.connect(warehouse_url()) as conn:
        rows = conn.execute(
            "select table_name, column_name, data_type from information_schema.columns "
            "where table_schema = %s", (schema,)).fetchall()
    out: dict[str, dict[str, str]] = {}
    for table, column, data_type in rows:
        out.setdefault(table, {})[column] = data_type
    return out


def column_types(schema: str, table: str) -> dict[str, str]:
    """{column: data type} of a table ('date', 'boolean', 'numeric', 'integer', ...)."""
    found = _types(_database(), schema).get(table)
    if found is None:
        forget()
        found = _types(_database(), schema).get(table)
    if found is None:
        raise UnknownTable(f"{schema}.{table} is not in the warehouse: run `sendwh db setup`")
    return found


def forget() -> None:
    """Read the catalog again on next use (after DDL has changed the tables)."""
    _columns.cache_clear()
    _types.cache_clear()
