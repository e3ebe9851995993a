"""Build, validate and store one borough's SEN2 return (triggered by hand).

Wiring only: the work is sen2.generate.generate_with_reports. The return and its validation
report (HTML, CSV) go to outputs/sen2/<YEAR>/. A return with errors is still stored, and the
task then fails so that the run shows red until the case data are fixed.
"""
from __future__ import annotations

from datetime import datetime

from airflow.sdk import Param, dag, task

from foundation.settings import get_settings
from sen2.generate import generate_with_reports


@dag(
    dag_id="sen2_return",
    schedule=None,
    start_date=datetime(2026, 1, 1),
    catchup=False,
    tags=["send", "sen2"],
    params={
        "borough": Param("HF", type="string", description="borough code (HF, KC, WCC)"),
        "year": Param(2026, type="integer", description="collection year (census in January)"),
    },
    doc_md=__doc__,
)
def sen2_return():
    @task
    def build_and_validate(params: dict | None = None) -> dict:
        year = int(params["year"])
        out = get_settings().outputs_dir / "sen2" / str(year)
        made, reports = generate_with_reports(params["borough"], year, out)
        summary = {"file": str(made.path), "persons": made.persons, "errors": made.errors,
                   "queries": made.queries, "reports": [str(r) for r in reports]}
        if made.errors:
            raise ValueError(f"{made.path.name} has {made.errors} errors; see {reports[0]}")
        return summary

    build_and_validate()


sen2_return_dag = sen2_return()
