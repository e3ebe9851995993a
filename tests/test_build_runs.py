"""Runs that die converge (issue 13, item 3), the fast part: a second build refuses while one
is alive; the next build closes a dead build's records, ends its queries and drops what it
left; dbt dies with the process that started it; publishing needs a completed gate run that
passed; readers refuse published schemas that no gate run published. Real PostgreSQL, no dbt
build (tests/test_killed_runs.py kills real builds)."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from tests.conftest import scratch_database

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def warehouse(test_settings):
    with scratch_database("buildruns") as url:
        yield url


@pytest.fixture
def q(warehouse):
    from foundation.database import connect

    with connect(autocommit=True) as conn:
        conn.execute("truncate audit.build_runs, audit.publications, audit.dq_runs cascade")
        for schema in ("marts_build", "restricted_build", "marts", "restricted",
                       "marts_previous", "restricted_previous"):
            conn.execute(sql.SQL("drop schema if exists {} cascade").format(sql.Identifier(schema)))
        def run(text: str, *args):
            cursor = conn.execute(text, args)
            return cursor.fetchall() if cursor.description else None
        yield run


def _stage_build_schemas(q, version: int = 1) -> None:
    for schema in ("marts_build", "restricted_build"):
        q(f"create schema {schema}")
        q(f"create table {schema}.first as select {version}::int as version")


def _gate_run(q, run_id: str, status: str) -> None:
    q("insert into audit.dq_runs (run_id, run_date, build_schema, status, finished_at) "
      "values (%s, current_date, 'marts_build', %s, "
      "case when %s = 'running' then null else now() end)", run_id, status, status)


def test_a_second_build_refuses_while_one_is_alive_naming_its_pid_and_stage(q):
    from typer.testing import CliRunner

    from sendwh.build_runs import build_run
    from sendwh.cli import app
    from sendwh.pipeline import build

    said: list[str] = []
    with build_run(say=said.append) as live:
        live.stage("gates")
        refused: list[str] = []
        assert build(today="2026-11-30", say=refused.append) == 1
        result = CliRunner().invoke(app, ["build", "--today", "2026-11-30"])
        rows = q("select build_id, pid, host, stage, outcome from audit.build_runs")
    assert said == []                      # nothing to clean up before it
    assert rows == [(live.build_id, os.getpid(), socket.gethostname(), "gates", "running")]
    assert len(refused) == 1 and refused[0].startswith(
        f"error: another `sendwh build` is running: build {live.build_id}, pid {os.getpid()} "
        f"on {socket.gethostname()}, started ")
    assert "at stage gates since" in refused[0] and refused[0].endswith(
        "not starting another (wait for it, or stop it; the next build cleans up after a "
        "stopped one)")
    assert result.exit_code == 1 and f"pid {os.getpid()}" in result.output
    # the live build ended without saying how: recorded as failed, and the lock is free
    assert q("select outcome, stage, finished_at is not null from audit.build_runs") == \
        [("failed", "done", True)]
    with build_run(say=said.append) as second:
        second.finish("published")
    assert said == []                      # a build that ended is not cleaned up after


def test_the_next_build_closes_a_dead_builds_records_ends_its_queries_and_drops_its_schemas(q, warehouse):
    """A build died at the gates (its record `running`, its gate run `running`, a query of
    its still running on the server, its build schemas left); a gate run of another process
    (the DAG's) is alive. The next build cleans up after the dead one only."""
    from sendwh.build_runs import build_run

    q("insert into audit.build_runs (pid, host, application_name, stage) "
      "values (999999, 'elsewhere', 'sendwh-build-dead', 'gates')")
    _gate_run(q, "gates_dead", "running")
    _gate_run(q, "gates_live", "running")
    _stage_build_schemas(q)
    live_gate = psycopg.connect(warehouse, autocommit=True)
    live_gate.execute("select pg_advisory_lock(4210502, hashtext('gates_live'))")
    ended: list[str] = []

    def dead_builds_query():
        with psycopg.connect(warehouse, autocommit=True, application_name="sendwh-build-dead") as c:
            try:
                c.execute("select pg_sleep(120)")
            except psycopg.OperationalError as error:
                ended.append(type(error).__name__)

    sleeper = threading.Thread(target=dead_builds_query)
    sleeper.start()
    deadline = time.monotonic() + 10
    while not q("select 1 from pg_stat_activity where application_name = 'sendwh-build-dead' "
                "and state = 'active'") and time.monotonic() < deadline:
        time.sleep(0.1)
    said: list[str] = []
    try:
        with build_run(say=said.append) as run:
            run.finish("published")
    finally:
        sleeper.join(timeout=20)
        live_gate.close()
    assert ended == ["AdminShutdown"]
    [(outcome, finished, cleaned)] = q("select outcome, finished_at is not null, cleaned_up "
                                       "from audit.build_runs where pid = 999999")
    assert (outcome, finished) == ("killed", True)
    assert cleaned == ("ended 1 of its queries still running on the server; closed gate run "
                       "gates_dead as abandoned; dropped what it left in marts_build "
                       "(1 relations) and restricted_build (1 relations)")
    assert said == [f"build {q('select build_id from audit.build_runs where pid = 999999')[0][0]} "
                    f"(pid 999999 on elsewhere) died at stage gates: {cleaned}"]
    assert q("select run_id, status, finished_at is not null from audit.dq_runs order by 1") == \
        [("gates_dead", "abandoned", True), ("gates_live", "running", False)]
    assert q("select count(*) from pg_namespace where nspname like '%%_build'") == [(0,)]


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def _alive(pid: int) -> bool:
    try:
        return (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _wait(predicate, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the parent-death signal is Linux's")
@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGTERM])
def test_a_child_started_like_dbt_dies_with_its_parent(how):
    """run_child (how `sendwh build` starts dbt): SIGKILL of the parent takes the child along
    (the kernel's parent-death signal); SIGTERM is passed on to it."""
    parent = subprocess.Popen(
        [sys.executable, "-c", "from sendwh.dbt_runner import run_child; run_child(['sleep', '300'])"],
        cwd=ROOT)
    try:
        assert _wait(lambda: _children(parent.pid), 30), "the child did not start"
        [child] = _children(parent.pid)
        parent.send_signal(how)
        assert parent.wait(timeout=10) == -how
        assert _wait(lambda: not _alive(child), 5), f"child {child} outlived its parent"
    finally:
        parent.kill()


def test_publishing_needs_a_gate_run_that_finished_passed_or_warned(q):
    from expectations.publish import PublishError, publish
    from foundation.database import connect
    from sendwh.pipeline import publish_marts

    _stage_build_schemas(q)
    for run_id, status in (("gates_running", "running"), ("gates_abandoned", "abandoned"),
                           ("gates_blocked", "blocked")):
        _gate_run(q, run_id, status)
        with connect() as conn, pytest.raises(PublishError, match=f"quality-gate run {run_id} is {status}, "
                                                                 "not passed or warned"):
            publish(conn, gate_run_id=run_id)
    with pytest.raises(PublishError, match="no quality-gate run judged the build schemas"):
        publish_marts(None)
    assert q("select count(*) from pg_namespace where nspname in ('marts', 'restricted')") == [(0,)]
    _gate_run(q, "gates_warned", "warned")
    with connect() as conn:
        publish(conn, gate_run_id="gates_warned")
    assert q("select gate_run_id, schemas, relations from audit.publications") == \
        [("gates_warned", ["marts", "restricted"], 2)]
    assert q("select run_id from audit.dq_runs where published") == [("gates_warned",)]


def test_readers_refuse_published_schemas_that_no_completed_gate_run_published(q):
    from expectations.publish import publish
    from foundation.database import connect
    from foundation.published import NotPublished, published_run

    with connect() as conn, pytest.raises(NotPublished, match="nothing has been published"):
        published_run(conn)
    _stage_build_schemas(q, version=1)
    _gate_run(q, "gates_passed", "passed")
    with connect() as conn:
        publish(conn, gate_run_id="gates_passed")
        assert published_run(conn).gate_run_id == "gates_passed"
        assert published_run(conn).describe().endswith("by quality-gate run gates_passed (passed)")
    # the build schemas swapped in without a gate run (what a publish of unjudged data does)
    _stage_build_schemas(q, version=2)
    with connect() as conn:
        publish(conn)
        with pytest.raises(NotPublished, match="marts and restricted are not what quality-gate "
                                               "run gates_passed published"):
            published_run(conn)
    # a table recreated in a published schema by something other than a publish
    _stage_build_schemas(q, version=3)
    _gate_run(q, "gates_again", "passed")
    with connect() as conn:
        publish(conn, gate_run_id="gates_again")
        conn.commit()
        assert published_run(conn).gate_run_id == "gates_again"
        conn.execute("drop table marts.first")
        conn.execute("create table marts.first as select 4 as version")
        conn.commit()
        with pytest.raises(NotPublished, match="gates_again"):
            published_run(conn)
