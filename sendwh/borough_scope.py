"""Which boroughs a daily build rebuilds (`sendwh build --only-changed`, issue 15, item 3).

The heavy per-borough models are incremental by borough (dbt_project/macros/borough_scope.sql):
given dbt's `changed_boroughs` var they replace only those boroughs' rows and keep every other
borough's as the last build left them. That is right only when everything else those rows
depend on is as it was then, so a daily build rebuilds by borough only when:

- the last build finished and was published, and nothing was published since (the DAG's own
  builds publish too): the tables incremental by borough are what that build left;
- it ran the same dbt project (models, macros, seeds, dbt's version);
- `today` has not gone back, and no January census date falls between its `today` and this
  one (the census counts take `today` only through the census dates reached; the models
  that use the day itself, such as overdue reviews, are rebuilt whole every time).

The changed boroughs are those whose batches (`audit.batches`: every file's batch and its
status, loaded, superseded or refused) are not as they stood when that build's dbt started
(`batch_digests`, recorded with each build). A digest, not a time: a load that began before
that build and committed after its dbt had read the raw tables is still seen. Otherwise the
build rebuilds every borough, and says why. A new pseudonymisation key
needs a whole build (`sendwh build` without --only-changed): keys are not compared here, so
that nothing derived from the key is stored.

Before dbt runs, the build schemas get a copy of the published tables of those models
(`copy_published`), which dbt then updates in place; the other models are built whole.
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date

from psycopg import sql

from expectations.publish import BUILD_SCHEMAS
from foundation.database import connect
from foundation.reference import census_dates


@dataclass(frozen=True)
class BoroughScope:
    boroughs: list[str] | None      # None: every borough
    reason: str


def batch_digests(conn) -> dict[str, str]:
    """{borough: md5 of its batches' ids and statuses} (DfE's files belong to no borough)."""
    return dict(conn.execute(
        "select borough, md5(string_agg(batch_id::text || ':' || status, ',' order by batch_id)) "
        "from audit.batches where borough is not null and source_kind <> 'dfe' "
        "group by borough").fetchall())


def daily_scope(conn, build_id: int, project: str, today: date,
                batches: dict[str, str] | None = None) -> BoroughScope:
    """The boroughs this build may rebuild alone (see the module's docstring), or None.
    `batches`: batch_digests() now (read when not given)."""
    last = conn.execute(
        "select build_id, outcome, built_project, built_today, built_batches, gate_run_id "
        "from audit.build_runs where build_id < %s order by build_id desc limit 1",
        (build_id,)).fetchone()
    if last is None:
        return BoroughScope(None, "no earlier build")
    last_id, outcome, built_project, built_today, built_batches, gate_run_id = last
    if outcome != "published":
        return BoroughScope(None, f"the last build ({last_id}) was {outcome}, not published")
    latest = conn.execute("select gate_run_id from audit.publications "
                          "order by publication_id desc limit 1").fetchone()
    if latest is None or latest[0] != gate_run_id:
        return BoroughScope(None, f"something other than build {last_id} published since")
    if built_project != project:
        return BoroughScope(None, f"the dbt project changed since build {last_id}")
    if built_today is None or today < built_today:
        return BoroughScope(None, f"today ({today}) is before build {last_id}'s ({built_today})")
    crossed = sorted(d for d in census_dates().values() if built_today < d <= today)
    if crossed:
        return BoroughScope(None, f"the census of {crossed[0]} was reached since build {last_id}")
    if built_batches is None:
        return BoroughScope(None, f"build {last_id} recorded no batches")
    now = batch_digests(conn) if batches is None else batches
    boroughs = sorted(b for b in set(now) | set(built_batches) if now.get(b) != built_batches.get(b))
    said = ", ".join(boroughs) if boroughs else "none"
    return BoroughScope(boroughs, f"boroughs with files since build {last_id}: {said}")


def copy_published(models: dict[str, list[str]], workers: int = 2) -> int:
    """Give each build schema a copy of the published tables of the models incremental by
    borough ({build schema: [relation]}), in place of whatever it held; returns rows copied.
    The tables are copied `workers` at a time, each on its own connection (PostgreSQL copies
    one table on one core). Schemas built in place (intermediate, pii) need nothing."""
    published = {build: name for name, build in BUILD_SCHEMAS.items()}
    copies = [(published[build], build, relation) for build, relations in models.items()
              if build in published for relation in relations]
    with connect(autocommit=True) as conn:
        for build in sorted({build for _source, build, _relation in copies}):
            conn.execute(sql.SQL("drop schema if exists {} cascade").format(sql.Identifier(build)))
            conn.execute(sql.SQL("create schema {}").format(sql.Identifier(build)))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return sum(pool.map(lambda copy: _copy_table(*copy), copies))


def _copy_table(source: str, build: str, relation: str) -> int:
    target, origin = sql.Identifier(build, relation), sql.Identifier(source, relation)
    with connect() as conn:
        conn.execute(sql.SQL("create table {} (like {} including all)").format(target, origin))
        return conn.execute(sql.SQL("insert into {} select * from {}").format(target, origin)).rowcount
