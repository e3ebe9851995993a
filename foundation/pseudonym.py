"""The pseudonymisation key: HMAC-SHA256 pads kept in the restricted `pii` schema."""
from __future__ import annotations

import hashlib
import hmac

import psycopg

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
    ipad, opad = pads(secret)
    conn.execute("create schema if not exists pii")
    conn.execute("revoke all on schema pii from public")
    conn.execute("create table if not exists pii.pseudonym_key (ipad bytea not null, opad bytea not null)")
    conn.execute("delete from pii.pseudonym_key")
    conn.execute("insert into pii.pseudonym_key values (%s, %s)", (ipad, opad))
