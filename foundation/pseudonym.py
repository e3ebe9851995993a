"""The pseudonymisation key: HMAC-SHA256 pads kept in the restricted `pii` schema (the
table is migration 0004's)."""
from __future__ import annotations

import hashlib
import hmac

import psycopg

from foundation.migrate import PSEUDONYM_KEY_LOCK, xact_lock

BLOCK = 64


def pads(secret: str) -> tuple[bytes, bytes]:
    key = secret.encode()
    if len(key) > BLOCK:
        key = hashlib.sha256(key).digest()
    key = key.ljust(BLOCK, b"\0")
    return bytes(b ^ 0x36 for b in key), bytes(b ^ 0x5C for b in key)


def person_key(secret: str, borough: str, person_ref: str) -> str:
    """What the dbt macro person_key() computes, for tests and the SEN2 generator."""
    return hmac.new(secret.encode(), f"{borough}:{person_ref}".encode(), hashlib.sha256).hexdigest()


def store_key(conn: psycopg.Connection, secret: str) -> None:
    """Write the secret's pads in `conn`'s transaction (the warehouse is set up). Concurrent
    callers take turns, so the table keeps one row."""
    ipad, opad = pads(secret)
    xact_lock(conn, PSEUDONYM_KEY_LOCK)
    conn.execute("delete from pii.pseudonym_key")
    conn.execute("insert into pii.pseudonym_key values (%s, %s)", (ipad, opad))
