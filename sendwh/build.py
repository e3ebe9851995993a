"""Running dbt against the warehouse: `sendwh build`, the `sendwh-dbt` wrapper Cosmos calls.

dbt reads its connection from environment variables (dbt_project/profiles.yml) that are
set here from WAREHOUSE_URL or the embedded server, so no password is written to disk.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sendwh.settings import PROJECT_ROOT, get_settings

DBT_PROJECT = PROJECT_ROOT / "dbt_project"


def dbt_executable() -> str:
    candidate = Path(sys.executable).with_name("dbt")
    return str(candidate) if candidate.exists() else "dbt"


def dbt_env() -> dict[str, str]:
    from sendwh.warehouse import dsn_parts

    parts = dsn_parts()
    return {
        **os.environ,
        "SENDWH_DB_HOST": parts["host"],
        "SENDWH_DB_PORT": parts["port"],
        "SENDWH_DB_USER": parts["user"],
        "SENDWH_DB_PASSWORD": parts["password"],
        "SENDWH_DB_NAME": parts["dbname"],
        "DBT_PROFILES_DIR": str(DBT_PROJECT),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "False",
        "DO_NOT_TRACK": "1",
    }


def prepare_database() -> None:
    """Schemas and the pseudonymisation key, before dbt runs."""
    from sendwh.pseudonym import store_key
    from sendwh.warehouse import connect, setup

    setup()
    with connect() as conn:
        store_key(conn, get_settings().pseudonym_key)


def dbt_args(command: list[str], today: str | None = None) -> list[str]:
    args = list(command)
    if today:
        args += ["--vars", f"{{today: '{today}'}}"]
    return args



def run_dbt(command: list[str], today: str | None = None, quiet: bool = False) -> int:
    """Run a dbt command in the project folder; returns dbt's exit status."""
    prepare_database()
    args = [dbt_executable(), *dbt_args(command, today)]
    result = subprocess.run(args, cwd=DBT_PROJECT, env=dbt_env(),
                            stdout=subprocess.DEVNULL if quiet else None)
    return result.returncode


def build(today: str | None = None, select: str | None = None, quiet: bool = False,
          say=print) -> int:
    """Write, audit, publish: dbt builds the marts and the restricted models into their build
    schemas, the quality gates check sources and marts, and only if no blocking check failed
    are both published.
    Returns 0 when published, 1 when dbt failed or the gates blocked (marts unchanged)."""
    from sendwh.warehouse import analyze_raw

    analyze_raw()
    command = ["build"] + (["--select", select] if select else [])
    status = run_dbt(command, today=today, quiet=quiet)
    if status != 0:
        say("dbt build failed: nothing published, the marts are as they were")
        return 1
    return gate_and_publish(today, say=say)


def gate_and_publish(today: str | None = None, say=print) -> int:
    """Run the gates on the build schema; publish it when nothing blocks. 0 published, 1 not."""
    report = run_gates(today, say=say)
    for line in report.summary_lines():
        say(line)
    if report.blocked:
        say("not published: the marts are as they were (see audit.dq_scorecard and "
            f"the Data Docs at {report.data_docs})")
        return 1
    publish_marts(report.run_id, say=say)
    return 0


def run_gates(today: str | None = None, say=print):
    from datetime import date

    from expectations.gate import run_gates as gates

    return gates(run_date=date.fromisoformat(today) if today else None, say=say)


def publish_marts(run_id: str | None = None, say=print) -> None:
    """Swap the build schemas in as `marts` and `restricted`, in one transaction."""
    from expectations.publish import BUILD_SCHEMAS, mark_published, publish
    from sendwh.warehouse import connect

    with connect() as conn:
        done = publish(conn, BUILD_SCHEMAS, expected=expected_relations())
        if run_id:
            mark_published(conn, run_id)
    say(f"published {done.relations} marts and restricted models "
        f"({done.grants_copied} grants carried over)")


def expected_relations() -> dict[str, set[str]]:
    """{published schema: the models the dbt project defines in it} for every schema that
    publishing swaps in (a partial build must not publish fewer)."""
    import json

    from expectations.publish import BUILD_SCHEMAS

    manifest = json.loads(ensure_manifest().read_text())
    out: dict[str, set[str]] = {schema: set() for schema in BUILD_SCHEMAS}
    for node in manifest["nodes"].values():
        schema = node["config"].get("schema")
        if node["resource_type"] == "model" and schema in out and node["config"].get("enabled", True):
            out[schema].add(node.get("alias") or node["name"])
    return out


def expected_marts() -> set[str]:
    """The marts the dbt project defines."""
    return expected_relations()["marts"]


def manifest_path() -> Path:
    return Path(os.environ.get("DBT_TARGET_PATH") or DBT_PROJECT / "target") / "manifest.json"


def ensure_manifest() -> Path:
    """dbt's manifest, which the DAG renders its dbt task group from (no database needed)."""
    manifest = manifest_path()
    newest = max(p.stat().st_mtime for p in DBT_PROJECT.rglob("*")
                 if p.suffix in (".sql", ".yml", ".csv") and "target" not in p.parts)
    if not manifest.exists() or manifest.stat().st_mtime < newest:
        env = {**os.environ, "SENDWH_DB_HOST": "unused", "SENDWH_DB_USER": "unused",
               "SENDWH_DB_NAME": "unused", "DBT_PROFILES_DIR": str(DBT_PROJECT),
               "DBT_SEND_ANONYMOUS_USAGE_STATS": "False"}
        subprocess.run([dbt_executable(), "parse", "--quiet"], cwd=DBT_PROJECT, env=env, check=True)
    return manifest


def dbt_wrapper() -> None:  # pragma: no cover - exercised through Cosmos in the DAG tests
    """`sendwh-dbt ARGS...`: dbt with the warehouse connection set (Cosmos's executable)."""
    prepare_database()
    os.execve(dbt_executable(), [dbt_executable(), *sys.argv[1:]], dbt_env())
