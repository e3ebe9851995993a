"""The main DAG: ingest every source for every borough, build the dbt project, gate, publish.

Write, audit, publish: the dbt models run as an astronomer-cosmos task group (`dbt build`
per model, so its tests run right after it) that writes the marts into a build schema;
`quality_gates` runs the Great Expectations checks on the sources and on those marts and
fails the run, naming borough, source, check and failing rows, if a blocking check fails;
only then does `publish_marts` swap them into `marts` in one transaction, and
`forecast_demand` fits the demand model on the published data (forecast tables, which the
`demand_forecast` and `forecast_backtest` marts read); `board_report` then writes the board
pack (outputs/report) and `dbt_docs` dbt's documentation of the published marts
(outputs/dbt-docs).
Only wiring lives here: each task calls one function from `extract/`, `expectations/`,
`forecast/` or `sendwh/`. The tasks that need Great Expectations, statsmodels or openpyxl
import them when they run, so that parsing this file (Airflow's DAG processor does it every
30 seconds by default) stays about as light as importing Airflow and Cosmos.
"""
from __future__ import annotations

import os
import sys
from datetime import datetime, timedelta
from pathlib import Path

from airflow.sdk import Param, dag, task
from airflow.sdk.exceptions import AirflowFailException
from cosmos import (
    DbtTaskGroup,
    ExecutionConfig,
    ExecutionMode,
    InvocationMode,
    LoadMode,
    ProfileConfig,
    ProjectConfig,
    RenderConfig,
    SeedRenderingBehavior,
    TestBehavior,
)

from foundation.database import analyze_raw
from foundation.schema import setup
from foundation.settings import get_settings
from sendwh.assets import PUBLISHED_MARTS
from sendwh.dbt_producer import end_in_triggerer, rebuild_on_retry

DBT_PROJECT = Path(__file__).resolve().parents[1] / "dbt_project"
MANIFEST = DBT_PROJECT / "target" / "manifest.json"
# sendwh-dbt: dbt with the warehouse connection taken from WAREHOUSE_URL or the embedded server
DBT_EXECUTABLE = Path(sys.executable).with_name("sendwh-dbt")


SETTINGS = get_settings()
INGEST_AT_ONCE = max(2, os.cpu_count() or 2)


@dag(
    dag_id="send_warehouse",
    # SENDWH_SCHEDULE (cron; "" = only when triggered). Catchup off: a missed day is not
    # replayed, the next run loads whatever is in the inbox then.
    schedule=SETTINGS.schedule or None,
    start_date=datetime(2026, 1, 1),
    catchup=False,
    max_active_runs=1,  # two runs would build into the same build schema
    tags=["send", "ingest"],
    params={
        "source_dir": Param(str(SETTINGS.inbox_dir), type="string",
                            description="folder with one sub-folder per borough (case/, sen2/, ledger/)"),
        "dfe_dir": Param("", type="string",
                         description="DfE published statistics folder ('' to skip)"),
        "today": Param("", type="string",
                       description="'today' for the open-cases worklist, YYYY-MM-DD ('' = now)"),
    },
    default_args={"retries": 2, "retry_delay": timedelta(seconds=5)},
    doc_md=__doc__,
)
def send_warehouse():
    @task
    def prepare_warehouse() -> None:
        setup()

    @task
    def plan_loads(params: dict | None = None) -> list[dict]:
        from extract.ingest import plan_loads as plan  # noqa: PLC0415 - the readers load openpyxl and numpy

        return plan(params["source_dir"], params.get("dfe_dir") or None)

    # as many loads at a time as this machine has cores: each is busy in Python and in
    # PostgreSQL, so more only share the cores (and slow the longest load, DfE's, which the
    # others then wait for); on 2 cores, 8 at a time took 83 s where these loads one after
    # another took 64 s
    @task(retries=3, retry_delay=timedelta(seconds=10), max_active_tis_per_dagrun=INGEST_AT_ONCE)
    def ingest_source(load: dict) -> dict:
        from extract.ingest import run_load  # noqa: PLC0415 - the readers load openpyxl and numpy

        return run_load(load)

    @task
    def report_loads(results: list[dict]) -> dict:
        from extract.ingest import summarise  # noqa: PLC0415 - the readers load openpyxl and numpy

        analyze_raw()  # statistics for what just landed, before dbt plans its joins
        # index within the length: iterating a lazy XCom sequence to its end logs a 404
        return summarise([results[i] for i in range(len(results))])

    # the plan reads only the source folder: it is made beside the warehouse's set-up (under
    # the scheduler, two task processes at once rather than one after the other)
    ingested = ingest_source.expand(load=plan_loads())
    prepare_warehouse() >> ingested
    landed = report_loads(ingested)

    dbt_build = DbtTaskGroup(
        group_id="dbt_build",
        project_config=ProjectConfig(
            dbt_project_path=DBT_PROJECT,
            manifest_path=MANIFEST if MANIFEST.exists() else None,
        ),
        profile_config=ProfileConfig(
            profile_name="sendwh", target_name="warehouse",
            profiles_yml_filepath=DBT_PROJECT / "profiles.yml",
        ),
        execution_config=ExecutionConfig(
            # WATCHER: one `dbt build` (the producer task, dbt's own threads) and one sensor
            # task per model that reports its model's result (and its tests') from the
            # producer's events: the Airflow view of every model without a dbt process each.
            execution_mode=ExecutionMode.WATCHER,
            dbt_executable_path=str(DBT_EXECUTABLE),
            invocation_mode=InvocationMode.SUBPROCESS,
            # the producer's `dbt build` runs the tests too, each right after its model (a
            # failed test skips what depends on it): Cosmos adds one `--resource-type` per
            # model, seed and snapshot when the task group renders no test tasks
            setup_operator_args={"dbt_cmd_flags": ["--resource-type", "test"]},
        ),
        render_config=RenderConfig(
            test_behavior=TestBehavior.NONE,  # the tests run in the producer's build
            # seeds (reference tables) are built by the producer but get no task of their own:
            # 22 fewer task processes (each parses this file) for nothing anyone watches
            seed_rendering_behavior=SeedRenderingBehavior.NONE,
            emit_datasets=False,  # no OpenLineage provider here
            load_method=LoadMode.DBT_MANIFEST if MANIFEST.exists() else LoadMode.CUSTOM,
        ),
        operator_args={
            "install_deps": False,
            "poke_interval": 2,
            "env": {"SENDWH_TODAY": "{{ params.today }}"},
            "append_env": True,
        },
        default_args={"retries": 0},
    )
    after_the_build(dbt_build)
    @task
    def quality_gates(params: dict | None = None) -> str:
        from sendwh.pipeline import run_gates  # noqa: PLC0415 - Great Expectations takes seconds to import

        report = run_gates(params.get("today") or None)
        summary = "\n".join(report.summary_lines())
        print(summary)  # in the task log, one line per failed check
        if report.blocked:
            raise AirflowFailException(summary)  # no retry: the data, not the run, is at fault
        return report.run_id

    @task(retries=0, outlets=[PUBLISHED_MARTS])
    def publish_marts(gate_run_id: str) -> None:  # `run_id` is reserved by Airflow
        from sendwh.pipeline import publish_marts as publish  # noqa: PLC0415 - imports Great Expectations

        publish(gate_run_id)

    @task
    def forecast_demand(params: dict | None = None) -> dict:
        from forecast import run_forecast  # noqa: PLC0415 - statsmodels and scipy take seconds to import

        summary = run_forecast(dfe_dir=params.get("dfe_dir") or None,
                               today=params.get("today") or None)
        return {"run_id": summary.run_id, "boroughs": list(summary.boroughs),
                "demand_rows": summary.demand_rows, "backtest_passed": summary.backtest_passed}

    @task
    def board_report() -> str:
        from sendwh.report import build_report  # noqa: PLC0415 - matplotlib takes a second to import

        result = build_report()
        print(f"board report: {result.path} (from {result.published_from})")
        return str(result.path)

    @task
    def dbt_docs() -> str:
        from sendwh.dbt_docs import generate_docs  # noqa: PLC0415 - keeps parsing light

        return str(generate_docs())

    gate_run = quality_gates()
    landed >> dbt_build >> gate_run
    published = publish_marts(gate_run)
    published >> forecast_demand() >> board_report()
    published >> dbt_docs()


def after_the_build(group) -> None:
    """Each model's task starts once the producer's `dbt build` has finished, and ends in the
    triggerer.

    Cosmos puts the producer beside the sensors in a task group; a sensor that starts first
    waits (deferred) for its model's event. Starting them after the producer costs little
    (the producer's log shows the build as it goes), lets `dag.test()` run the group one task
    at a time, and keeps a run's meaning simple: a failed build marks every model's task
    `upstream_failed` and nothing downstream runs. Because no sensor has read anything
    before the producer ends, a second try of the producer (a task reset after its scheduler
    died) builds everything again (`RebuildingProducer`) rather than skip, as Cosmos's own
    producer does, and leave each sensor to start a dbt process for its model.

    Every model's task hangs from the producer alone, not from its parent models' tasks:
    once the build is over, an edge between two model tasks decides nothing (the build ran
    them in dbt's order, and a failure fails the producer), but it made the scheduler start
    the tasks in as many waves as the longest chain of models (9), a few seconds each. The
    lineage is in dbt's docs, which the DAG writes (`dbt_docs`). Under the scheduler each
    model's task starts and ends in the triggerer (`end_in_triggerer`), without a worker
    process of its own."""
    producer = next(t for t in group.children.values() if t.task_id.endswith("dbt_producer_watcher"))
    rebuild_on_retry(producer)
    for node in group.children.values():
        if node is producer or node.task_id.endswith("_done"):
            continue
        end_in_triggerer(node)   # under the scheduler: no worker process per model
        for upstream in list(node.upstream_list):   # the model's parents: see the docstring
            upstream.downstream_task_ids.discard(node.task_id)
            node.upstream_task_ids.discard(upstream.task_id)
        producer >> node
        node.trigger_rule = "none_failed"


send_warehouse_dag = send_warehouse()
