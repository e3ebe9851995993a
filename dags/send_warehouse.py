"""The main DAG: ingest every source for every borough (later issues add their stages).

Only wiring lives here: each task calls one function from `extract/` (or a later stage).
"""
from __future__ import annotations

from datetime import datetime, timedelta

from airflow.sdk import Param, dag, task

from sendwh.settings import PROJECT_ROOT


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

        return summarise(results)

    loads = plan_loads()
    prepare_warehouse() >> loads
    report_loads(ingest_source.expand(load=loads))


send_warehouse_dag = send_warehouse()
