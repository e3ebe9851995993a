"""The pseudonymisation key (SENDWH_PSEUDONYM_KEY) and the keys made with it.

The secret is never stored in the warehouse in any form (not its HMAC pads either: a pad
XOR its constant is the key). dbt's connections are given it at connection time as the
session setting `sendwh.key` (libpq's PGOPTIONS, set by sendwh/dbt_runner.py), which lives in
that session's memory only; the dbt macro keyed_hash() makes the pads from it per statement
(pii.hmac_pad(), migration 0008).
"""
from __future__ import annotations

import hashlib
import hmac

SETTING = "sendwh.key"


def person_key(secret: str, borough: str, person_ref: str) -> str:
    """What the dbt macro person_key() computes, for tests and the SEN2 generator."""
    return keyed_hash(secret, f"{borough}:{person_ref}")


def keyed_hash(secret: str, text: str) -> str:
    """What the dbt macro keyed_hash() computes: HMAC-SHA256, hex."""
    return hmac.new(secret.encode(), text.encode(), hashlib.sha256).hexdigest()


def _escape(value: str) -> str:
    """A value inside PGOPTIONS: backslash and whitespace escaped with a backslash."""
    return "".join("\\" + ch if ch == "\\" or ch.isspace() else ch for ch in value)


def session_options(secret: str, existing: str = "") -> str:
    """PGOPTIONS giving a connection the key as its session setting (after `existing`)."""
    if not secret:
        raise ValueError("SENDWH_PSEUDONYM_KEY is empty: set the pseudonymisation key")
    option = f"-c {SETTING}={_escape(secret)}"
    return f"{existing} {option}".strip()
