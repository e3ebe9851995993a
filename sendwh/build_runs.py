"""`sendwh build`'s record of itself, so that builds that die converge (issue 13, item 3).

A build
1. opens a connection that it keeps for its whole life and takes the build lock on it (a
   session advisory lock: PostgreSQL lets it go when the connection ends, however the
   process ended). If another build holds it, this one refuses (`BuildRefused`) and names
   that build's process, host and stage;
2. holding the lock, treats every audit.build_runs row still `running` as a build that
   died: it ends that build's queries still running on the server (its connections and
   dbt's carry its application_name, `sendwh-build-<id>`), closes gate runs left `running`
   as `abandoned`, drops the build schemas it left half-built or unjudged, marks it
   `killed` and says what it did (also kept in the row's `cleaned_up`);
3. records itself (process id, host, application_name, which it sets in PGAPPNAME for its
   own connections and dbt's), then its stage as it goes (dbt, gates, publish) and its
   outcome at the end.

The build's child processes (dbt) die with it: `sendwh.dbt_runner.run_child`.
"""
from __future__ import annotations

import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import psycopg
from psycopg import sql
from psycopg.types.json import Jsonb

from expectations.gate import close_abandoned_runs
from expectations.publish import BUILD_SCHEMAS
from foundation.database import connect
from foundation.migrate import BUILD_LOCK, LOCK_CLASS

# SENDWH_BUILD_PAUSE=STAGE makes a build stop for good at that point until it is killed (the
# test of killed builds uses it to kill one at a known point): `gates` once its gate run is
# recorded as running, `publish` inside the publish transaction, just before it commits.
PAUSE_VARIABLE = "SENDWH_BUILD_PAUSE"


class BuildRefused(RuntimeError):
    """Another build is alive."""


@dataclass
class BuildRun:
    build_id: int
    application_name: str
    conn: psycopg.Connection     # holds the build lock; autocommit
    outcome: str | None = None

    def stage(self, name: str) -> None:
        self.conn.execute("update audit.build_runs set stage = %s, stage_at = now() "
                          "where build_id = %s", (name, self.build_id))

    def gate_run(self, run_id: str) -> None:
        self.conn.execute("update audit.build_runs set gate_run_id = %s where build_id = %s",
                          (run_id, self.build_id))
        pause_point("gates")

    def dbt_project_checked(self, digest: str) -> bool:
        """Did the last published build load every seed and pass every unit test of the dbt
        project as it is now (`digest`)?"""
        row = self.conn.execute("select dbt_project from audit.build_runs where outcome = 'published' "
                                "and dbt_project is not null order by build_id desc limit 1").fetchone()
        return bool(row) and row[0] == digest

    def dbt_project_ran(self, digest: str) -> None:
        self.conn.execute("update audit.build_runs set dbt_project = %s where build_id = %s",
                          (digest, self.build_id))

    def built(self, project: str, today, boroughs: list[str] | None, batches: dict[str, str]) -> None:
        """What this build's dbt builds on (the next daily build compares: sendwh/borough_scope.py)."""
        self.conn.execute("update audit.build_runs set built_project = %s, built_today = %s, "
                          "built_boroughs = %s, built_batches = %s where build_id = %s",
                          (project, today, boroughs, Jsonb(batches), self.build_id))

    def finish(self, outcome: str) -> None:
        self.outcome = outcome
        self.conn.execute("update audit.build_runs set outcome = %s, stage = 'done', "
                          "finished_at = now() where build_id = %s", (outcome, self.build_id))


def pause_point(stage: str) -> None:
    """Stop here for good when SENDWH_BUILD_PAUSE names this stage (a test hook)."""
    if os.environ.get(PAUSE_VARIABLE) == stage:
        print(f"sendwh build (pid {os.getpid()}): paused at {stage} ({PAUSE_VARIABLE})",
              file=sys.stderr, flush=True)
        while True:
            time.sleep(60)


def _lock_sql(kind: str) -> str:
    return f"select {kind}(%s::int, %s::int)"


def _live_build(conn) -> str:
    row = conn.execute(
        "select build_id, pid, host, stage, stage_at, started_at from audit.build_runs "
        "where outcome = 'running' order by build_id desc limit 1").fetchone()
    if row is None:
        return "another `sendwh build` holds the build lock (it has only just started)"
    build_id, pid, host, stage, stage_at, started_at = row
    return (f"another `sendwh build` is running: build {build_id}, pid {pid} on {host}, "
            f"started {started_at:%Y-%m-%d %H:%M:%S}, at stage {stage} since "
            f"{stage_at:%H:%M:%S}")


def clean_up_dead_builds(conn, say=print) -> list[int]:
    """With the build lock held: close every build recorded as running (it died), and what it
    left behind. Returns their build ids."""
    dead = conn.execute("select build_id, pid, host, stage, application_name, gate_run_id "
                        "from audit.build_runs where outcome = 'running' order by build_id"
                        ).fetchall()
    abandoned = close_abandoned_runs(conn)
    if not dead:
        for run_id in abandoned:
            say(f"quality-gate run {run_id} had died before its verdict: closed as abandoned")
        return []
    ended = conn.execute(
        "select count(*) filter (where pg_terminate_backend(pid, 5000)) from pg_stat_activity "
        "where application_name = any(%s) and pid <> pg_backend_pid()",
        ([name for *_, name, _ in dead],)).fetchone()[0]
    dropped = []
    for schema in BUILD_SCHEMAS.values():
        relations = conn.execute("select count(*) from pg_class c join pg_namespace n on "
                                 "n.oid = c.relnamespace where n.nspname = %s", (schema,)).fetchone()[0]
        if conn.execute("select 1 from pg_namespace where nspname = %s", (schema,)).fetchone():
            conn.execute(sql.SQL("drop schema {} cascade").format(sql.Identifier(schema)))
            dropped.append(f"{schema} ({relations} relations)")
    done = [f"ended {ended} of its queries still running on the server"]
    if abandoned:
        done.append(f"closed gate run {', '.join(abandoned)} as abandoned")
    if dropped:
        done.append(f"dropped what it left in {' and '.join(dropped)}")
    note = "; ".join(done)
    for build_id, pid, host, stage, _, gate_run_id in dead:
        conn.execute("update audit.build_runs set outcome = 'killed', finished_at = now(), "
                     "cleaned_up = %s where build_id = %s", (note, build_id))
        say(f"build {build_id} (pid {pid} on {host}) died at stage {stage}: {note}")
    return [row[0] for row in dead]


@contextmanager
def build_run(say=print) -> Iterator[BuildRun]:
    """The build's record and lock for the length of the block; BuildRefused when another
    build is alive. The outcome is what the block set with `finish`, else `interrupted` on
    SIGTERM or Ctrl-C and `failed` otherwise."""
    with connect(autocommit=True) as conn:
        conn.execute("set application_name = 'sendwh-build'")
        if not conn.execute(_lock_sql("pg_try_advisory_lock"), (LOCK_CLASS, BUILD_LOCK)).fetchone()[0]:
            raise BuildRefused(_live_build(conn) + ": not starting another (wait for it, or "
                               "stop it; the next build cleans up after a stopped one)")
        clean_up_dead_builds(conn, say)
        build_id = conn.execute(
            "select nextval(pg_get_serial_sequence('audit.build_runs', 'build_id'))").fetchone()[0]
        name = f"sendwh-build-{build_id}"
        conn.execute("insert into audit.build_runs (build_id, pid, host, application_name) "
                     "overriding system value values (%s, %s, %s, %s)",
                     (build_id, os.getpid(), socket.gethostname(), name))
        conn.execute(sql.SQL("set application_name = {}").format(sql.Literal(name)))
        run = BuildRun(build_id, name, conn)
        previous_name = os.environ.get("PGAPPNAME")
        os.environ["PGAPPNAME"] = name     # libpq: psycopg's, Great Expectations' and dbt's connections
        previous_term = _stop_on_sigterm()
        ended = "failed"
        try:
            yield run
        except KeyboardInterrupt:
            ended = "interrupted"
            raise
        finally:
            if previous_term is not None:
                signal.signal(signal.SIGTERM, previous_term)
            if previous_name is None:
                os.environ.pop("PGAPPNAME", None)
            else:
                os.environ["PGAPPNAME"] = previous_name
            if run.outcome is None and not conn.closed:
                run.finish(ended)
            conn.execute(_lock_sql("pg_advisory_unlock"), (LOCK_CLASS, BUILD_LOCK))


def _stop_on_sigterm():
    """SIGTERM stops the build like Ctrl-C (recorded as interrupted); dbt gets it passed on."""
    if threading.current_thread() is not threading.main_thread():
        return None

    def interrupt(_signum, _frame):
        raise KeyboardInterrupt("SIGTERM")
    return signal.signal(signal.SIGTERM, interrupt)
