"""What readers of the published schemas check before reading them: that `marts` and
`restricted` are what a completed quality-gate run published.

Publishing (expectations/publish.py) swaps the build schemas in and, in the same
transaction, records the gate run and a fingerprint of the published schemas' relations
(names and oids) in audit.publications. `published_run(conn)` compares the schemas as they
are now with the newest record and checks that its gate run finished passed or warned and
is marked published. Anything that put relations into those schemas some other way (a swap
without a gate run, dbt built straight into them, a table dropped or recreated by hand)
changes the fingerprint, and readers refuse until `sendwh build` publishes again. The
check is of the relations, not of their rows: a row written into a published table by hand
is not seen.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import psycopg

PUBLISHED_SCHEMAS = ("marts", "restricted")
PUBLISHED_STATUSES = ("passed", "warned")

FINGERPRINT_SQL = """
select count(*), md5(coalesce(string_agg(n.nspname || '.' || c.relname || ':' || c.oid::text, ','
                                          order by n.nspname, c.relname), ''))
from pg_class c join pg_namespace n on n.oid = c.relnamespace
where n.nspname = any(%s) and c.relkind in ('r', 'v', 'm', 'p')
"""


class NotPublished(RuntimeError):
    """The published schemas did not come from a completed gate run (a finding: exit 1)."""


@dataclass(frozen=True)
class PublishedRun:
    gate_run_id: str
    status: str
    published_at: datetime
    run_date: object

    def describe(self) -> str:
        return (f"the data published {self.published_at:%Y-%m-%d %H:%M} by quality-gate run "
                f"{self.gate_run_id} ({self.status})")


def fingerprint(conn, schemas) -> tuple[int, str]:
    """(relations, md5 of their schema-qualified names and oids) of `schemas`."""
    count, digest = conn.execute(FINGERPRINT_SQL, (list(schemas),)).fetchone()
    return int(count), digest


def published_run(conn) -> PublishedRun:
    """The gate run the published schemas came from; NotPublished with the reason if they
    did not come from a completed gate run that passed (or only warned)."""
    try:
        row = conn.execute(
            "select p.gate_run_id, p.schemas, p.fingerprint, p.published_at, r.status, "
            "r.published, r.finished_at, r.run_date from audit.publications p "
            "left join audit.dq_runs r on r.run_id = p.gate_run_id "
            "order by p.publication_id desc limit 1").fetchone()
    except psycopg.errors.UndefinedTable as error:
        raise NotPublished("the warehouse has no record of publishing (audit.publications): "
                           "run `sendwh db setup`, then `sendwh build`") from error
    if row is None:
        raise NotPublished("nothing has been published by a completed quality-gate run in this "
                           "warehouse yet: run `sendwh build`")
    run_id, schemas, recorded, published_at, status, published, finished_at, run_date = row
    if status not in PUBLISHED_STATUSES or not published or finished_at is None:
        raise NotPublished(f"the published data's gate run {run_id} is {status or 'missing'}"
                           f"{'' if published else ', not published'}: not reading it; run "
                           "`sendwh build`")
    _, now = fingerprint(conn, schemas)
    if now != recorded:
        raise NotPublished(f"{' and '.join(schemas)} are not what quality-gate run {run_id} "
                           f"published at {published_at:%Y-%m-%d %H:%M}: something changed them "
                           "outside a gated publish; not reading data that has not passed the "
                           "gates. Run `sendwh build` to publish gated data again")
    return PublishedRun(run_id, status, published_at, run_date)
