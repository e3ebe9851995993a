"""Who ran each pipeline step (audit.pipeline_steps, migration 0008): the login
(session_user) and the role it acted as (current_user), filled in by the table's defaults."""
from __future__ import annotations

from foundation.database import connect


def record_step(step: str, detail: str = "") -> None:
    with connect() as conn:
        conn.execute("insert into audit.pipeline_steps (step, detail) values (%s, %s)", (step, detail[:500]))
