"""The DAGs import cleanly and really run (dag.test()) on source files."""
from __future__ import annotations

import pytest

from sendwh.airflow_run import DAGS, prepare_airflow, run_dag

pytestmark = pytest.mark.usefixtures("fresh", "airflow_db")


@pytest.fixture(scope="module")
def airflow_db():
    prepare_airflow()  # migrate the SQLite metadata before anything in-process opens it


def test_dag_folder_imports_without_errors():
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(DAGS))
    assert bag.import_errors == {}
    assert "send_warehouse" in bag.dag_ids
    dag = bag.get_dag("send_warehouse")
    assert dag.task_dict["ingest_source"].retries >= 2


def test_ingest_run_loads_every_borough_and_quarantines_a_bad_file_without_failing(files, db):
    files.hf_case_dir()
    files.wcc_extract()
    files.kc_workbook()
    files.sen2_return()
    files.hf_ledger()
    bad = files.hf_ledger("Year,Period\n", "HF_ledger_2020-21_P01.csv")
    dfe = files.dfe_csv()
    run = run_dag("send_warehouse", "send_warehouse.py",
                  {"source_dir": str(files.root), "dfe_dir": str(dfe.parent.parent),
                   "today": "2026-11-30"})
    assert str(run.state).endswith("success")
    # the Cosmos task group built every mart from what landed (dbt build per model)
    timeliness = db.execute("select borough, calendar_year, requests_received_in_year, plans_issued_den "
                            "from marts.ehc_timeliness where borough = 'HF' and calendar_year = 2023").fetchall()
    assert timeliness == [("HF", 2023, 2, 1)]
    [(open_hf,)] = db.execute("select count(*) from marts.ehc_open_cases where borough = 'HF'").fetchone(),
    assert open_hf == 1  # R003, awaiting a decision
    tasks = {ti.task_id: ti.state for ti in run.get_task_instances()}
    assert any(t.startswith("dbt_build.") for t in tasks)
    assert all(str(state).endswith("success") for t, state in tasks.items() if t.startswith("dbt_build."))
    landed = dict(((k, b), n) for k, b, n in db.execute(
        "select source_kind, coalesce(borough, '-'), count(*) from audit.current_batches group by 1, 2"))
    assert landed == {("case", "HF"): 5, ("case", "KC"): 1, ("case", "WCC"): 1, ("sen2", "HF"): 1,
                      ("ledger", "HF"): 1, ("dfe", "-"): 1}
    quarantined = db.execute("select file_name, error_field from audit.quarantine").fetchall()
    assert quarantined == [(bad.name, "Cost Centre")]
    assert db.execute("select count(*) from raw.case_requests").fetchone()[0] == 4 + 1 + 1
