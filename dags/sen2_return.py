"""Build, validate and store the SEN2 returns: each borough's (or one borough's, when triggered
by hand with `borough`) for the latest collection year whose census has passed (or `year`).

Runs whenever `send_warehouse` publishes marts that passed their gates (the Asset
`published_marts`), and by hand. Wiring only: the work is sen2.generate.generate_with_reports.
Each return and its validation report (HTML, CSV) go to outputs/sen2/<YEAR>/. A return with
errors is still stored, and the task then fails so that the run shows red until the case data
are fixed.
"""
from __future__ import annotations

from datetime import date, datetime

from airflow.sdk import Param, dag, task

from foundation.reference import boroughs, census_dates
from foundation.settings import get_settings
from sen2.generate import generate_with_reports
from sendwh.assets import PUBLISHED_MARTS, SEN2_RETURNS


def latest_collection_year(today: date | None = None) -> int:
    """The latest return year whose census date has passed."""
    today = today or date.today()
    return max(year for year, census in census_dates().items() if census <= today)


@dag(
    dag_id="sen2_return",
    schedule=[PUBLISHED_MARTS],
    start_date=datetime(2026, 1, 1),
    catchup=False,
    max_active_runs=1,
    tags=["send", "sen2"],
    params={
        "borough": Param("ALL", type="string", description="borough code (HF, KC, WCC) or ALL"),
        "year": Param(0, type="integer",
                      description="collection year (census in January); 0 = the latest census passed"),
    },
    doc_md=__doc__,
)
def sen2_return():
    @task(outlets=[SEN2_RETURNS])
    def build_and_validate(params: dict | None = None) -> list[dict]:
        year = int(params["year"]) or latest_collection_year()
        wanted = params["borough"].upper()
        out = get_settings().outputs_dir / "sen2" / str(year)
        summaries, failed = [], []
        for borough in sorted(boroughs()) if wanted == "ALL" else [wanted]:
            made, reports = generate_with_reports(borough, year, out)
            summaries.append({"borough": borough, "file": str(made.path), "persons": made.persons,
                              "errors": made.errors, "queries": made.queries,
                              "reports": [str(r) for r in reports]})
            print(f"{borough} {year}: {made.path.name}, {made.persons} persons, "
                  f"{made.errors} errors, {made.queries} queries")
            if made.errors:
                failed.append(f"{made.path.name} has {made.errors} errors; see {reports[0]}")
        if failed:
            raise ValueError("; ".join(failed))
        return summaries

    build_and_validate()


sen2_return_dag = sen2_return()
