"""Running the DAGs in-process (`dag.test()`) for the demo and the tests.

Airflow keeps its metadata in SQLite under `.warehouse/airflow` (git-ignored); that is
fine for a demo and tests. Real deployments use docker-compose.yml (PostgreSQL metadata).
"""
from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from foundation.settings import PROJECT_ROOT
from sendwh.dbt_runner import ensure_manifest

DAGS = PROJECT_ROOT / "dags"


def airflow_environment(home: Path | None = None) -> dict[str, str]:
    home = home or Path(os.environ.get("SENDWH_AIRFLOW_HOME", PROJECT_ROOT / ".warehouse" / "airflow"))
    return {
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
        "AIRFLOW__COSMOS__ENABLE_TELEMETRY": "False",
        "AIRFLOW__LOGGING__LOGGING_LEVEL": os.environ.get("AIRFLOW__LOGGING__LOGGING_LEVEL", "WARNING"),
    }


def use_local_airflow(home: Path | None = None) -> dict[str, str]:
    """Point this process's Airflow at local SQLite metadata (before airflow is imported)."""
    env = airflow_environment(home)
    os.environ.update(env)
    return env


def prepare_airflow(home: Path | None = None) -> None:
    """Point Airflow at a local SQLite metadata DB and migrate it (once)."""
    env = use_local_airflow(home)
    home_dir = Path(env["AIRFLOW_HOME"])
    home_dir.mkdir(parents=True, exist_ok=True)
    stamp = home_dir / ".migrated"
    if not stamp.exists():
        subprocess.run([sys.executable, "-m", "airflow", "db", "migrate"], check=True,
                       env={**os.environ, **env}, stdout=subprocess.DEVNULL)
        stamp.touch()


def load_dag(dag_id: str, file_name: str):
    spec = importlib.util.spec_from_file_location(f"sendwh_dag_{dag_id}", DAGS / file_name)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return next(v for v in vars(module).values() if getattr(v, "dag_id", None) == dag_id
                and hasattr(v, "test"))


def run_dag(dag_id: str, file_name: str, conf: dict[str, Any]) -> Any:
    """Run a DAG in-process with `dag.test()`; returns the DagRun."""
    ensure_manifest()  # the dbt task group is rendered from dbt's manifest
    prepare_airflow()
    dag = load_dag(dag_id, file_name)
    return dag.test(run_conf=conf)
