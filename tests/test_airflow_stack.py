"""Airflow for real: its own api-server, scheduler, dag-processor and triggerer on this machine
(LocalExecutor, metadata in PostgreSQL on the test server), the DAGs triggered through the
REST API with a login, as `sendwh airflow` (`make airflow`) starts them for a person.

One sequence, because each step needs the one before: a run fed a defective ledger fails at
`quality_gates` with the summary in its task log and the marts unchanged; the corrected
file's run publishes, though the scheduler is killed (SIGKILL) in the middle of it and started
again; publishing updates the `published_marts` Asset, which starts `sen2_return`;
`sen2_return` triggered by hand for one borough writes its return; and a run whose dbt task is
killed mid-flight fails without leaving dbt running or changing the marts, and the next run
publishes marts identical (md5 per mart) to those of the uninterrupted run.
"""
from __future__ import annotations

import os
import socket
import time
import uuid
from pathlib import Path
from urllib.parse import quote

import httpx
import psutil
import psycopg
import pytest
from psycopg import sql

from foundation.settings import get_settings
from sendwh.airflow_stack import AirflowStack
from tests.conftest import SESSION, using_database
from tests.source_files import LEDGER_HF, SourceFiles

pytestmark = pytest.mark.slow

TODAY = "2026-11-30"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def warehouse(test_settings, tmp_path_factory):
    """A scratch warehouse database, an Airflow metadata database beside it, and an outputs
    folder of its own (its SEN2 returns must not mix with other modules')."""
    from foundation.schema import scratch_database  # noqa: PLC0415

    metadata = f"sendwh_airflow_{uuid.uuid4().hex[:8]}"
    before = {k: os.environ.get(k) for k in ("SENDWH_SCHEDULE", "SENDWH_OUTPUTS_DIR")}
    os.environ["SENDWH_SCHEDULE"] = ""  # no scheduled run can start beside the triggered ones
    os.environ["SENDWH_OUTPUTS_DIR"] = str(tmp_path_factory.mktemp("stack_outputs"))
    get_settings.cache_clear()
    try:
        with using_database(SESSION["url"]), scratch_database("stack") as url, using_database(url):
            yield url, metadata
            from foundation.database import admin_url, with_url_parts  # noqa: PLC0415

            # made by the admin account (sendwh.airflow_stack.ensure_database), dropped by it
            with psycopg.connect(with_url_parts(admin_url(), dbname="postgres"), autocommit=True) as conn:
                conn.execute(sql.SQL("drop database if exists {} with (force)").format(
                    sql.Identifier(metadata)))
    finally:
        for key, value in before.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        get_settings.cache_clear()


@pytest.fixture(scope="module")
def stack(warehouse, tmp_path_factory):
    _, metadata = warehouse
    home = tmp_path_factory.mktemp("airflow_stack")
    airflow = AirflowStack(home=home, database=metadata, port=_free_port())
    airflow.migrate()
    airflow.start()
    try:
        airflow.wait_healthy()
        yield airflow
    finally:
        airflow.stop()


def _marts(conn) -> list[tuple]:
    """Every mart with the md5 of its rows, leaving out what names the run rather than the data
    (a forecast's run id and time: the forecast itself is seeded, so its figures repeat)."""
    names = [r[0] for r in conn.execute("select table_name from information_schema.tables "
                                        "where table_schema = 'marts' order by 1")]
    fingerprints = []
    for name in names:
        columns = [r[0] for r in conn.execute(
            "select column_name from information_schema.columns where table_schema = 'marts' "
            "and table_name = %s and column_name <> 'run_id' and data_type not like 'timestamp%%' "
            "order by ordinal_position", (name,))]
        row = sql.SQL("row({})").format(sql.SQL(", ").join(map(sql.Identifier, columns)))
        fingerprints.append((name, conn.execute(sql.SQL(
            "select md5(coalesce(string_agg({row}::text, ',' order by {row}::text), '')) from {t}").format(
            row=row, t=sql.Identifier("marts", name))).fetchone()[0]))
    return fingerprints


def _wait_for_task(stack, api, dag_id, run_id, task_id, states=("running",), timeout=600) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = stack.task_states(api, dag_id, run_id).get(task_id)
        if state in states:
            return state
        if stack.run_state(api, dag_id, run_id) in ("success", "failed"):
            break
        time.sleep(1)
    raise AssertionError(f"{task_id} never reached {states}: {stack.task_states(api, dag_id, run_id)}")


def test_the_dags_under_airflows_own_scheduler(stack, warehouse, tmp_path):
    url, _ = warehouse
    files = SourceFiles(tmp_path)
    files.hf_case_dir()
    files.wcc_extract()
    files.kc_workbook()
    files.sen2_return()
    files.hf_ledger()
    bad = files.hf_ledger("Year,Period\n", "HF_ledger_2020-21_P01.csv")
    dfe = files.dfe_csv()
    conf = {"source_dir": str(files.root), "dfe_dir": str(dfe.parent.parent), "today": TODAY}
    api = stack.client()
    assert api.get("/dags").status_code == 200
    # the REST API wants a login: no token, or a forged one, is refused
    assert httpx.get(f"{stack.base_url}/api/v2/dags").status_code in (401, 403)
    assert api.get("/dags", headers={"Authorization": "Bearer nonsense"}).status_code in (401, 403)

    # 1. a refused ledger: everything else loads and builds, the gates block, nothing published
    run = stack.trigger(api, "send_warehouse", conf)
    assert stack.wait_for_run(api, "send_warehouse", run, timeout=1200) == "failed"
    tasks = stack.task_states(api, "send_warehouse", run)
    assert tasks["quality_gates"] == "failed", tasks
    assert tasks["publish_marts"] in ("upstream_failed", None), tasks
    assert tasks["dbt_build.dbt_producer_watcher"] == "success"
    assert all(state == "success" for task, state in tasks.items()
               if task.startswith(("dbt_build.", "ingest_source", "report_loads"))), tasks
    log = stack.task_log(api, "send_warehouse", run, "quality_gates")
    assert "no_refused_files" in log and "HF" in log, log[-2000:]
    with psycopg.connect(url, autocommit=True) as conn:
        assert _marts(conn) == []  # never published in this warehouse
        quarantined = conn.execute("select file_name, error_field from audit.quarantine").fetchall()
        assert quarantined == [(bad.name, "Cost Centre")]
        assert conn.execute("select status, published from audit.dq_runs").fetchall() == [("blocked", False)]

    # 2. the corrected file; the scheduler's machine is lost while dbt builds (the scheduler and
    # everything it started are killed); a new scheduler, started once the old one is past
    # Airflow's health-check threshold (30 s), resets the orphaned producer, whose second try
    # builds everything again (sendwh/dbt_producer.py)
    unpaused = api.patch("/dags/sen2_return", json={"is_paused": False})
    assert unpaused.status_code == 200, unpaused.text
    files.hf_ledger(LEDGER_HF.replace("2017/18", "2020/21"), bad.name)
    run = stack.trigger(api, "send_warehouse", conf)
    _wait_for_task(stack, api, "send_warehouse", run, "dbt_build.dbt_producer_watcher")
    dbt = _dbt_under(stack.processes["scheduler"].pid)
    stack.kill("scheduler", with_descendants=True)
    assert not dbt.is_running()
    time.sleep(35)
    stack.start(["scheduler"])
    assert stack.wait_for_run(api, "send_warehouse", run, timeout=900) == "success"
    producer = "dbt_build.dbt_producer_watcher"
    assert _try_number(api, run, producer) == 2
    second_try = stack.task_log(api, "send_warehouse", run, producer, try_number=2)
    assert "building every model again" in second_try and "ERROR=0" in second_try, second_try[-2000:]
    tasks = stack.task_states(api, "send_warehouse", run)
    assert tasks["publish_marts"] == "success" and tasks["forecast_demand"] == "success", tasks
    models = [t for t in tasks if t.startswith("dbt_build.") and t.endswith(("_run", "_seed"))]
    assert len(models) > 50 and all(tasks[t] == "success" for t in models)
    with psycopg.connect(url, autocommit=True) as conn:
        timeliness = conn.execute(
            "select borough, calendar_year, requests_received_in_year, plans_issued_den "
            "from marts.ehc_timeliness where borough = 'HF' and calendar_year = 2023").fetchall()
        assert timeliness == [("HF", 2023, 2, 1)]
        assert conn.execute("select count(*) from marts.ehc_open_cases where borough = 'HF' "
                            "and work_item = 'request'").fetchone()[0] == 1
        runs = conn.execute("select status, published from audit.dq_runs order by started_at").fetchall()
        assert runs[0] == ("blocked", False) and runs[-1] in (("passed", True), ("warned", True))
        assert conn.execute("select count(*) from audit.dq_runs where status = 'running'").fetchone()[0] == 0

    # 3. publishing updated the Asset: sen2_return ran on it, for every borough
    deadline = time.monotonic() + 300
    asset_runs: list[dict] = []
    while time.monotonic() < deadline and not asset_runs:
        asset_runs = [r for r in api.get("/dags/sen2_return/dagRuns").json()["dag_runs"]
                      if r["run_type"] == "asset_triggered"]
        time.sleep(2)
    assert len(asset_runs) == 1, asset_runs
    stack.wait_for_run(api, "sen2_return", asset_runs[0]["dag_run_id"], timeout=600)
    year_dir = get_settings().outputs_dir / "sen2" / "2026"
    assert {p.name.split("_")[0] for p in year_dir.glob("*.xml")} >= {"HF", "KC", "WCC"}

    # 4. sen2_return by hand, through the API, for one borough and year
    run = stack.trigger(api, "sen2_return", {"borough": "HF", "year": 2026})
    state = stack.wait_for_run(api, "sen2_return", run, timeout=600)
    log = stack.task_log(api, "sen2_return", run, "build_and_validate")
    assert "HF 2026:" in log, log[-2000:]
    made = sorted(year_dir.glob("*HF*.xml"))
    assert made and Path(made[-1]).stat().st_size > 0
    assert state == ("failed" if " 0 errors" not in log else "success"), log[-2000:]

    # 5. a task killed mid-flight (SIGKILL to the producer's task process while its dbt runs)
    with psycopg.connect(url, autocommit=True) as conn:
        published = _marts(conn)
    run = stack.trigger(api, "send_warehouse", conf)
    _wait_for_task(stack, api, "send_warehouse", run, "dbt_build.dbt_producer_watcher")
    dbt = _dbt_under(stack.processes["scheduler"].pid)
    task_process = dbt.parent()
    task_process.kill()
    assert stack.wait_for_run(api, "send_warehouse", run, timeout=900) == "failed"
    tasks = stack.task_states(api, "send_warehouse", run)
    assert tasks["dbt_build.dbt_producer_watcher"] == "failed", tasks
    assert tasks["quality_gates"] == "upstream_failed" and tasks["publish_marts"] == "upstream_failed"
    psutil.wait_procs([dbt], timeout=30)
    assert not dbt.is_running(), "dbt outlived its task"   # it dies with its parent
    with psycopg.connect(url, autocommit=True) as conn:
        assert _marts(conn) == published
    run = stack.trigger(api, "send_warehouse", conf)
    assert stack.wait_for_run(api, "send_warehouse", run, timeout=1200) == "success", \
        stack.task_states(api, "send_warehouse", run)
    with psycopg.connect(url, autocommit=True) as conn:
        assert _marts(conn) == published


def _try_number(api, run_id: str, task_id: str) -> int:
    response = api.get(f"/dags/send_warehouse/dagRuns/{quote(run_id, safe='')}/taskInstances/{task_id}")
    response.raise_for_status()
    return response.json()["try_number"]


def _dbt_under(root_pid: int, timeout: float = 300) -> psutil.Process:
    """The `dbt build` process among the descendants of the scheduler (its task processes)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for process in psutil.Process(root_pid).children(recursive=True):
            try:
                command = process.cmdline()
            except psutil.NoSuchProcess:
                continue
            if any(part.endswith("dbt") for part in command[:2]) and "build" in command:
                return process
        time.sleep(0.5)
    raise AssertionError("no dbt build process under the scheduler")
