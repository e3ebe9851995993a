"""The main DAG: ingest every source for every borough, then build the dbt project.

Only wiring lives here: each task calls one function from `extract/`; the dbt models run
as an astronomer-cosmos task group (`dbt build` per model, so its tests run right after it).
"""
from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from airflow.sdk import Param, dag, task
from cosmos import (DbtTaskGroup, ExecutionConfig, InvocationMode, LoadMode, ProfileConfig,
                    ProjectConfig, RenderConfig, TestBehavior)

from sendwh.settings import PROJECT_ROOT

DBT_PROJECT = Path(__file__).resolve().parents[1] / "dbt_project"
MANIFEST = DBT_PROJECT / "target" / "manifest.json"
# sendwh-dbt: dbt with the warehouse connection taken from WAREHOUSE_URL or the embedded server
DBT_EXECUTABLE = Path(__import__("sys").executable).with_name("sendwh-dbt")


@dag(
    dag_id="send_warehouse",
    schedule=None,
    start_date=datetime(2026, 1, 1),
    catchup=False,
    tags=["send", "ingest"],
    params={
        "source_dir": Param(str(PROJECT_ROOT / "outputs" / "sample"), type="string",
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
        from sendwh.warehouse import setup

        setup()

    @task
    def plan_loads(params: dict | None = None) -> list[dict]:
        from extract.ingest import plan_loads as plan

        return plan(params["source_dir"], params.get("dfe_dir") or None)

    @task(retries=3, retry_delay=timedelta(seconds=10))
    def ingest_source(load: dict) -> dict:
        from extract.ingest import run_load

        return run_load(load)

    @task
    def report_loads(results: list[dict]) -> dict:
        from extract.ingest import summarise
        from sendwh.warehouse import analyze_raw

        analyze_raw()  # statistics for what just landed, before dbt plans its joins
        # index within the length: iterating a lazy XCom sequence to its end logs a 404
        return summarise([results[i] for i in range(len(results))])

    loads = plan_loads()
    prepare_warehouse() >> loads
    landed = report_loads(ingest_source.expand(load=loads))

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
            dbt_executable_path=str(DBT_EXECUTABLE),
            invocation_mode=InvocationMode.SUBPROCESS,
        ),
        render_config=RenderConfig(
            test_behavior=TestBehavior.BUILD,
            emit_datasets=False,  # no OpenLineage provider here
            should_detach_multiple_parents_tests=True,  # a test of two models runs after both
            load_method=LoadMode.DBT_MANIFEST if MANIFEST.exists() else LoadMode.CUSTOM,
        ),
        operator_args={
            "install_deps": False,
            "env": {"SENDWH_TODAY": "{{ params.today }}"},
            "append_env": True,
        },
        default_args={"retries": 0},
    )
    landed >> dbt_build


send_warehouse_dag = send_warehouse()
