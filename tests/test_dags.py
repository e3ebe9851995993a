"""The DAGs import cleanly and really run (dag.test()) on source files."""
from __future__ import annotations

import pytest

from sendwh.airflow_run import DAGS, prepare_airflow, run_dag

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("fresh", "airflow_db")]


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
    # the loads are planned beside the warehouse's set-up, and wait for both
    assert dag.task_dict["plan_loads"].upstream_task_ids == set()
    assert dag.task_dict["ingest_source"].upstream_task_ids == {"prepare_warehouse", "plan_loads"}
    # every model's task hangs from the producer alone and, under the scheduler, starts and
    # ends in the triggerer (sendwh/dbt_producer.py)
    producer = "dbt_build.dbt_producer_watcher"
    models = [t for t in dag.tasks if t.task_id.startswith("dbt_build.") and t.task_id.endswith("_run")
              and t.start_from_trigger]
    assert len(models) > 50
    assert all(t.upstream_task_ids == {producer} for t in models)
    assert {t.start_trigger_args.trigger_cls for t in models} == {"sendwh.dbt_producer.ModelResultTrigger"}


def test_a_refused_file_holds_publishing_back_until_a_good_one_replaces_it(files, db):
    """Run 1: one ledger file is refused; every other load and every dbt model succeed, but
    the quality gates block publishing (its data would be missing) and the run fails naming
    the borough, source, check and file. Run 2: the corrected file arrives; the run loads it,
    passes the gates, publishes the marts and forecasts."""
    from tests import source_files as sf

    files.hf_case_dir()
    files.wcc_extract()
    files.kc_workbook()
    files.sen2_return()
    files.hf_ledger()
    bad = files.hf_ledger("Year,Period\n", "HF_ledger_2020-21_P01.csv")
    dfe = files.dfe_csv()
    params = {"source_dir": str(files.root), "dfe_dir": str(dfe.parent.parent), "today": "2026-11-30"}
    published_before = _marts_fingerprint(db)
    run = run_dag("send_warehouse", "send_warehouse.py", params)
    tasks = {ti.task_id: str(ti.state) for ti in run.get_task_instances()}
    assert str(run.state).endswith("failed")
    assert tasks["quality_gates"].endswith("failed")
    assert not tasks["publish_marts"].endswith("success")
    assert all(state.endswith("success") for t, state in tasks.items()
               if t.startswith("dbt_build.") or t in ("ingest_source", "report_loads"))
    assert any(t.startswith("dbt_build.") for t in tasks)
    landed = dict(((k, b), n) for k, b, n in db.execute(
        "select source_kind, coalesce(borough, '-'), count(*) from audit.current_batches group by 1, 2"))
    assert landed == {("case", "HF"): 6, ("case", "KC"): 1, ("case", "WCC"): 1, ("sen2", "HF"): 1,
                      ("ledger", "HF"): 1, ("dfe", "-"): 1}
    quarantined = db.execute("select file_name, error_field from audit.quarantine").fetchall()
    assert quarantined == [(bad.name, "Cost Centre")]
    assert db.execute("select count(*) from raw.case_requests").fetchone()[0] == 4 + 1 + 1
    blocking = db.execute(
        'select borough, source, "check" from audit.dq_scorecard where not passed '
        "and severity = 'block' and run_id = (select run_id from audit.dq_runs "
        "order by started_at desc limit 1)").fetchall()
    assert blocking == [("HF", "ledger", "no_refused_files")]
    # built, but not published: marts is exactly as before the run
    assert _marts_fingerprint(db) == published_before
    assert db.execute("select requests_received_in_year, plans_issued_den from marts_build.ehc_timeliness "
                      "where borough = 'HF' and calendar_year = 2023").fetchall() == [(2, 1)]

    files.hf_ledger(sf.LEDGER_HF.replace("2017/18", "2020/21"), bad.name)
    run = run_dag("send_warehouse", "send_warehouse.py", params)
    tasks = {ti.task_id: str(ti.state) for ti in run.get_task_instances()}
    assert str(run.state).endswith("success"), tasks
    assert tasks["publish_marts"].endswith("success") and tasks["forecast_demand"].endswith("success")
    # after publishing: the board pack and dbt's docs, in the outputs folder
    assert tasks["board_report"].endswith("success") and tasks["dbt_docs"].endswith("success"), tasks
    from foundation.settings import get_settings

    outputs = get_settings().outputs_dir
    assert "EHC plans issued within 20 weeks" in (outputs / "report" / "board-report.html").read_text()
    docs = (outputs / "dbt-docs" / "index.html").read_text()
    assert "model.sendwh.ehcp_caseload" in docs and 'xlink:href="{{ getIcon(' not in docs   # inline, offline
    assert (outputs / "dbt-docs" / "catalog.json").stat().st_size > 1000
    # the Cosmos task group built every mart from what landed (dbt build per model), published
    timeliness = db.execute("select borough, calendar_year, requests_received_in_year, plans_issued_den "
                            "from marts.ehc_timeliness where borough = 'HF' and calendar_year = 2023").fetchall()
    assert timeliness == [("HF", 2023, 2, 1)]
    [(open_hf,)] = db.execute("select count(*) from marts.ehc_open_cases where borough = 'HF' "
                              "and work_item = 'request'").fetchone(),
    assert open_hf == 1  # R003, awaiting a decision
    assert db.execute("select status, published from audit.dq_runs order by started_at desc limit 1"
                      ).fetchone() in (("passed", True), ("warned", True))


def _marts_fingerprint(db) -> list[tuple]:
    """Every relation in marts with the md5 of its contents."""
    from psycopg import sql

    names = [r[0] for r in db.execute("select table_name from information_schema.tables "
                                      "where table_schema = 'marts' order by 1")]
    return [(name, db.execute(sql.SQL("select md5(coalesce(string_agg(t::text, ',' order by t::text), '')) "
                                      "from {} t").format(sql.Identifier("marts", name))).fetchone()[0])
            for name in names]
