"""Runs that die converge (issue 13, item 3): `sendwh build`, a real process, is killed
(SIGKILL) during dbt, then during the gates, then during publishing, each time rerun, and
after the last rerun every mart and restricted model holds exactly what the uninterrupted
build of the same files on the same `today` published (the session's sample warehouse).

One sequence on a copy of the sample warehouse, each rerun being the next kill's victim:
  A  killed while dbt runs a query, its marts_build begun;
  B  cleans up after A, builds, and is killed at the gates (its gate run `running`); while it
     is alive a second build refuses; after it died, the SEN2 return is still made from the
     data the last completed gate run published, publishing B's unjudged build is refused,
     and if it is swapped in anyway, readers refuse it;
  C  cleans up after B, builds, passes the gates and is killed inside the publish
     transaction: nothing is published;
  D  cleans up after C and publishes: every mart equals the uninterrupted build's.
The gates and publish kills use the SENDWH_BUILD_PAUSE hook (sendwh/build_runs.py) to stop
the build at a known point; the dbt kill waits for dbt to be running a query."""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from psycopg import sql

from tests.conftest import SAMPLE_TODAY, copy_of_database

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
BUILD_MINUTES = 20     # the most one build may take here (2 shared cores)


def _q(text: str, *args):
    from foundation.database import connect

    with connect(autocommit=True) as conn:
        cursor = conn.execute(text, args)
        return cursor.fetchall() if cursor.description else None


def _checksums() -> dict[str, str]:
    """md5 of each relation's rows in marts and restricted, whatever their order."""
    names = _q("select n.nspname, c.relname from pg_class c join pg_namespace n "
               "on n.oid = c.relnamespace where n.nspname in ('marts', 'restricted') "
               "and c.relkind in ('r', 'v', 'm') order by 1, 2")
    from foundation.database import connect

    with connect(autocommit=True) as conn:
        return {f"{schema}.{name}": conn.execute(sql.SQL(
            "select md5(coalesce(string_agg(md5(t::text), '' order by md5(t::text)), '')) from {} t"
        ).format(sql.Identifier(schema, name))).fetchone()[0] for schema, name in names}


def _descendants(pid: int) -> list[int]:
    parents = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parents[int(stat.parent.name)] = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
    found, todo = [], [pid]
    while todo:
        parent = todo.pop()
        children = [p for p, pp in parents.items() if pp == parent]
        found += children
        todo += children
    return found


def _command(pid: int) -> str:
    try:
        return (Path("/proc") / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def _alive(pid: int) -> bool:
    try:
        return (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _wait_for(predicate, what: str, seconds: float, build=None):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        if build is not None and build.poll() is not None:
            raise AssertionError(f"the build ended ({build.returncode}) before {what}:\n"
                                 + build.log.read_text()[-3000:])
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


class Build:
    """`sendwh build --today SAMPLE_TODAY` as its own process, output in a log file."""

    def __init__(self, log: Path, pause: str | None = None) -> None:
        env = {k: v for k, v in os.environ.items() if k != "SENDWH_BUILD_PAUSE"}
        if pause:
            env["SENDWH_BUILD_PAUSE"] = pause
        self.log = log
        with log.open("wb") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "sendwh.cli", "build", "--today", SAMPLE_TODAY],
                cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
        self.pid = self.process.pid

    def poll(self):
        return self.process.poll()

    @property
    def returncode(self):
        return self.process.returncode

    def record(self) -> tuple | None:
        rows = _q("select build_id, stage, outcome, gate_run_id, cleaned_up from audit.build_runs "
                  "where pid = %s order by build_id desc limit 1", self.pid)
        return rows[0] if rows else None

    def wait_paused(self, stage: str) -> None:
        _wait_for(lambda: f"paused at {stage}" in self.log.read_text(), f"the pause at {stage}",
                  BUILD_MINUTES * 60, build=self)

    def kill(self) -> list[int]:
        """SIGKILL; returns the processes it had started that are still alive 10 s later."""
        children = _descendants(self.pid)
        self.process.send_signal(signal.SIGKILL)
        assert self.process.wait(timeout=30) == -signal.SIGKILL
        deadline = time.monotonic() + 10
        while any(_alive(p) for p in children) and time.monotonic() < deadline:
            time.sleep(0.1)
        return [p for p in children if _alive(p)]


def _dbt_querying(build: Build) -> list[int]:
    """dbt's pids under the build, once dbt has created marts_build and has a query running."""
    dbt = [p for p in _descendants(build.pid) if "dbt" in _command(p)]
    return dbt if dbt and _q(
        "select 1 from pg_stat_activity a join audit.build_runs b using (application_name) "
        "where b.pid = %s and a.state = 'active' and a.query not ilike '%%pg_stat_activity%%' "
        "and exists (select 1 from pg_namespace where nspname = 'marts_build')", build.pid) else []


def _generate_hf(out: Path):
    from sen2.generate import generate

    made = generate("HF", 2026, out)
    return made, re.sub(rb"<DateTime>[^<]*</DateTime>", b"", made.path.read_bytes())


@pytest.fixture(scope="module")
def killed(sample_warehouse, tmp_path_factory):
    """The sequence of kills and reruns; what was seen along the way, for the tests below."""
    from expectations.publish import PublishError, publish
    from foundation.database import connect
    from foundation.published import NotPublished, published_run
    from sendwh.pipeline import publish_marts

    logs = tmp_path_factory.mktemp("killed_runs")
    seen: dict = {}
    with copy_of_database(sample_warehouse.url, "killed"):
        seen["baseline"] = _checksums()
        with connect() as conn:
            seen["baseline_run"] = published_run(conn).gate_run_id
        seen["return_before"] = _generate_hf(logs / "before")
        started = time.monotonic()

        # A: killed while dbt runs a query (early: the rest of its build would be thrown away)
        a = Build(logs / "a.log")
        seen["a_dbt"] = _wait_for(lambda: _dbt_querying(a), "dbt running a query",
                                  BUILD_MINUTES * 60, build=a)
        seen["a_before_kill"] = a.record()
        seen["a_left"] = a.kill()
        seen["after_a"] = _checksums()

        # B: cleans up after A, builds, killed at the gates
        b = Build(logs / "b.log", pause="gates")
        b.wait_paused("gates")
        seen["b_log_at_gates"] = b.log.read_text()
        seen["a_after_b"] = a.record()
        second = subprocess.run([sys.executable, "-m", "sendwh.cli", "build", "--today", SAMPLE_TODAY],
                                cwd=ROOT, capture_output=True, text=True, timeout=300)
        seen["refused"] = (second.returncode, second.stdout + second.stderr, b.pid)
        seen["b_before_kill"] = b.record()
        seen["b_left"] = b.kill()
        b_gate = seen["b_before_kill"][3]
        seen["b_gate_after_kill"] = _q("select status, published from audit.dq_runs where run_id = %s",
                                       b_gate)[0]
        seen["after_b"] = _checksums()
        made, xml = _generate_hf(logs / "after_b")
        seen["return_after_b"] = (made, xml)
        for label, run_id in (("publish_running", b_gate), ("publish_none", None)):
            try:
                publish_marts(run_id)
                seen[label] = "published"
            except PublishError as error:
                seen[label] = str(error)
        with connect() as conn:        # B's unjudged build swapped in without a gate run
            publish(conn)
        for label, read in (("generate_ungated", lambda: _generate_hf(logs / "ungated")),
                            ("forecast_ungated", _forecast)):
            try:
                read()
                seen[label] = "read"
            except NotPublished as error:
                seen[label] = str(error)
        seen["after_ungated"] = _checksums()

        # C: cleans up after B, builds, passes the gates, killed inside the publish transaction
        c = Build(logs / "c.log", pause="publish")
        c.wait_paused("publish")
        seen["b_after_c"] = b.record()
        seen["b_gate_after_c"] = _q("select status, published, finished_at is not null "
                                    "from audit.dq_runs where run_id = %s", b_gate)[0]
        seen["c_log_at_publish"] = c.log.read_text()
        seen["c_before_kill"] = c.record()
        seen["publications_before_c_kill"] = _q("select count(*) from audit.publications")[0][0]
        seen["c_left"] = c.kill()
        seen["after_c"] = _checksums()
        seen["c_gate_after_kill"] = _q("select status, published from audit.dq_runs where run_id = %s",
                                       seen["c_before_kill"][3])[0]
        seen["publications_after_c_kill"] = _q("select count(*) from audit.publications")[0][0]

        # D: cleans up after C and publishes
        d = Build(logs / "d.log")
        d.process.wait(timeout=BUILD_MINUTES * 60)
        seen["d_status"] = d.returncode
        seen["d_log"] = d.log.read_text()
        seen["c_after_d"] = c.record()
        seen["d_record"] = d.record()
        seen["after_d"] = _checksums()
        seen["return_after_d"] = _generate_hf(logs / "after_d")
        seen["records"] = _q("select pid, outcome from audit.build_runs where build_id > "
                             "(select min(build_id) from audit.build_runs where pid = %s) - 1 "
                             "order by build_id", a.pid)
        seen["running_gates"] = _q("select count(*) from audit.dq_runs where status = 'running'")[0][0]
        seen["pids"] = {"a": a.pid, "b": b.pid, "c": c.pid, "d": d.pid}
        seen["seconds"] = time.monotonic() - started
        print(f"kill sequence: {seen['seconds']:.0f} s")
    return seen


def _forecast():
    from forecast import run_forecast

    run_forecast(today=SAMPLE_TODAY, dfe_dir=Path("/nonexistent-dfe"))


def test_killed_during_dbt_no_dbt_outlives_the_build_and_nothing_is_published(killed):
    build_id, stage, outcome, gate_run, _ = killed["a_before_kill"]
    assert (stage, outcome, gate_run) == ("dbt", "running", None)
    assert killed["a_dbt"], "dbt was running under the build when it was killed"
    assert killed["a_left"] == []            # no process the build started is alive
    assert killed["after_a"] == killed["baseline"]


def test_the_rerun_after_a_killed_dbt_closes_its_record_and_drops_its_half_built_schema(killed):
    build_id, stage, outcome, _, cleaned = killed["a_after_b"]
    assert (stage, outcome) == ("dbt", "killed")
    assert re.search(r"dropped what it left in marts_build \(\d+ relations\)", cleaned), cleaned
    assert f"build {build_id} (pid {killed['pids']['a']} on " in killed["b_log_at_gates"]
    assert f"died at stage dbt: {cleaned}" in killed["b_log_at_gates"]


def test_a_second_build_refuses_while_one_is_alive(killed):
    status, output, live_pid = killed["refused"]
    assert status == 1
    assert f"pid {live_pid} on " in output and "at stage gates since" in output
    assert "not starting another" in output


def test_killed_during_the_gates_readers_read_only_what_a_completed_gate_run_published(killed):
    """The issue's case: killed during the gates, the build schemas hold a build no gate run
    finished judging. The SEN2 return is made from what the last completed gate run
    published (the same file as before); publishing the unjudged build is refused; swapped
    in anyway, the SEN2 return and the forecast refuse to read it."""
    _, stage, outcome, gate_run, _ = killed["b_before_kill"]
    assert (stage, outcome) == ("gates", "running") and gate_run.startswith("gates_")
    assert killed["b_left"] == []
    assert killed["b_gate_after_kill"] == ("running", False)
    assert killed["after_b"] == killed["baseline"]
    made_before, xml_before = killed["return_before"]
    made_after, xml_after = killed["return_after_b"]
    assert made_after.persons == made_before.persons > 0 and xml_after == xml_before
    assert made_after.published_from.endswith(
        f"by quality-gate run {killed['baseline_run']} (passed)")
    assert killed["publish_running"] == (f"not publishing: quality-gate run {gate_run} is running, "
                                         "not passed or warned (run `sendwh build`)")
    assert killed["publish_none"].startswith("not publishing: no quality-gate run judged")
    for reader in ("generate_ungated", "forecast_ungated"):
        assert killed[reader].startswith(
            f"marts and restricted are not what quality-gate run {killed['baseline_run']} published"), \
            killed[reader]


def test_the_rerun_closes_the_gate_run_a_killed_build_left_running(killed):
    _, stage, outcome, gate_run, cleaned = killed["b_after_c"]
    assert (stage, outcome) == ("gates", "killed")
    assert f"closed gate run {gate_run} as abandoned" in cleaned
    assert killed["b_gate_after_c"] == ("abandoned", False, True)
    assert f"died at stage gates: {cleaned}" in killed["c_log_at_publish"]


def test_killed_inside_the_publish_transaction_nothing_is_published(killed):
    _, stage, outcome, gate_run, _ = killed["c_before_kill"]
    assert (stage, outcome) == ("publish", "running")
    assert killed["c_left"] == []
    assert killed["after_c"] == killed["after_ungated"]
    assert killed["c_gate_after_kill"] == ("passed", False)
    assert killed["publications_after_c_kill"] == killed["publications_before_c_kill"]


def test_after_the_final_rerun_every_mart_equals_the_uninterrupted_builds(killed):
    assert killed["d_status"] == 0, killed["d_log"][-3000:]
    assert killed["c_after_d"][1:3] == ("publish", "killed")
    assert killed["d_record"][1:3] == ("done", "published")
    assert [outcome for _, outcome in killed["records"]] == \
        ["killed", "killed", "killed", "published"]
    assert killed["running_gates"] == 0
    assert len(killed["after_d"]) > 20 and killed["after_d"] == killed["baseline"]
    made, xml = killed["return_after_d"]
    assert xml == killed["return_before"][1]
    assert made.published_from.endswith(f"by quality-gate run {killed['d_record'][3]} (passed)")
