"""dbt against the warehouse: its connection settings (from WAREHOUSE_URL or the embedded
server, set in dbt's environment so no password is written to disk), `run_dbt`, the manifest
the DAG renders its dbt task group from, and `sendwh-dbt`, the executable Cosmos calls for
every dbt node (so this module stays light: no Great Expectations, no pandas).

dbt runs as a child that dies with this process (`run_child`): a killed `sendwh build`
leaves no dbt behind to collide with the next one.
"""
from __future__ import annotations

import ctypes
import hashlib
import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

from expectations.publish import BUILD_SCHEMAS
from foundation.audit_log import record_step
from foundation.database import dsn_parts
from foundation.pseudonym import session_options
from foundation.schema import setup
from foundation.settings import PROJECT_ROOT, get_settings

DBT_PROJECT = PROJECT_ROOT / "dbt_project"


def dbt_executable() -> str:
    candidate = Path(sys.executable).with_name("dbt")
    return str(candidate) if candidate.exists() else "dbt"


def dbt_env() -> dict[str, str]:
    parts = dsn_parts()
    return {
        **os.environ,
        "SENDWH_DB_HOST": parts["host"],
        "SENDWH_DB_PORT": parts["port"],
        "SENDWH_DB_USER": parts["user"],
        "SENDWH_DB_PASSWORD": parts["password"],
        "SENDWH_DB_NAME": parts["dbname"],
        # the pseudonymisation key, as a session setting of every dbt connection (never stored)
        "PGOPTIONS": session_options(get_settings().pseudonym_key, os.environ.get("PGOPTIONS", "")),
        # dbt's connections carry the build's application_name (profiles.yml), so that the
        # next build can find and end a dead build's queries (sendwh/build_runs.py)
        "SENDWH_DB_APPLICATION_NAME": os.environ.get("PGAPPNAME") or "dbt",
        "DBT_PROFILES_DIR": str(DBT_PROJECT),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "False",
        "DO_NOT_TRACK": "1",
    }


def prepare_database(command: list[str] | None = None) -> None:
    """The warehouse's schemas and tables, before dbt runs; the run recorded in
    audit.pipeline_steps with the login and role that ran it."""
    setup()
    if command is not None:
        record_step("dbt", " ".join(command))


def dbt_args(command: list[str], today: str | None = None, variables: dict | None = None) -> list[str]:
    """dbt's arguments: the command, then `--vars` (JSON, which is YAML) with `today` and any
    other `variables` (e.g. the daily build's changed_boroughs)."""
    args = list(command)
    values = {**({"today": today} if today else {}), **(variables or {})}
    if values:
        args += ["--vars", json.dumps(values)]
    return args


def run_dbt(command: list[str], today: str | None = None, quiet: bool = False,
            variables: dict | None = None) -> int:
    """Run a dbt command in the project folder; returns dbt's exit status."""
    args = [dbt_executable(), *dbt_args(command, today, variables)]
    prepare_database(args[1:])
    return run_child(args, cwd=DBT_PROJECT, env=dbt_env(),
                     stdout=subprocess.DEVNULL if quiet else None)


PR_SET_PDEATHSIG = 1   # linux/prctl.h


def _die_with(parent: int):
    """preexec_fn for a child that the kernel kills (SIGKILL) when `parent` dies, however it
    dies (Linux; elsewhere the child only gets the signals passed on by `run_child`)."""
    prctl = getattr(ctypes.CDLL(None, use_errno=True), "prctl", None) \
        if sys.platform.startswith("linux") else None   # looked up before the fork

    def preexec() -> None:
        if prctl is not None:
            prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() != parent:    # the parent died before the death signal was set
            os._exit(1)
    return preexec


def run_child(args: list[str], **popen) -> int:
    """Run a child process (dbt) that dies with this one, and return its exit status.

    The child is started in its own process group with the kernel's parent-death signal set
    (SIGKILL), so a `sendwh build` killed even by SIGKILL takes it along; SIGTERM and SIGINT
    sent to this process while the child runs are passed on to the child's group, and raised
    again here once it has exited (so Ctrl-C still stops both)."""
    child = subprocess.Popen(args, preexec_fn=_die_with(os.getpid()),  # noqa: PLW1509 - prctl only
                             start_new_session=True, **popen)
    received: list[int] = []

    def forward(signum, _frame) -> None:
        received.append(signum)
        try:
            os.killpg(child.pid, signum)
        except ProcessLookupError:
            pass

    previous = {}
    if threading.current_thread() is threading.main_thread():   # handlers live there only
        previous = {s: signal.signal(s, forward) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        return child.wait()
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        if child.poll() is None:      # leaving early (an exception): not without the child
            child.kill()
            child.wait()
        if received:
            signal.raise_signal(received[0])


def project_digest() -> str:
    """sha256 of the dbt project's own files (models, macros, seeds, tests, settings) and of
    dbt's version: what its seeds and unit tests depend on."""
    from importlib.metadata import version  # noqa: PLC0415

    digest = hashlib.sha256(f"dbt-core {version('dbt-core')} dbt-postgres {version('dbt-postgres')}".encode())
    for path in sorted(p for p in DBT_PROJECT.rglob("*") if p.is_file() and p.suffix in (".sql", ".yml", ".csv")
                       and not {"target", "logs", "dbt_packages"} & set(p.relative_to(DBT_PROJECT).parts)):
        digest.update(str(path.relative_to(DBT_PROJECT)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def expected_relations() -> dict[str, set[str]]:
    """{published schema: the models the dbt project defines in it} for every schema that
    publishing swaps in (a partial build must not publish fewer)."""
    manifest = json.loads(ensure_manifest().read_text())
    out: dict[str, set[str]] = {schema: set() for schema in BUILD_SCHEMAS}
    for node in manifest["nodes"].values():
        schema = node["config"].get("schema")
        if node["resource_type"] == "model" and schema in out and node["config"].get("enabled", True):
            out[schema].add(node.get("alias") or node["name"])
    return out


def borough_incremental_models() -> dict[str, list[str]]:
    """{schema dbt builds it in: [relation, ...]} for every model incremental by borough
    (dbt_project/macros/borough_scope.sql), from dbt's manifest."""
    manifest = json.loads(ensure_manifest().read_text())
    out: dict[str, list[str]] = {}
    for node in manifest["nodes"].values():
        config = node["config"]
        if node["resource_type"] == "model" and config.get("incremental_strategy") == "borough_replace":
            schema = BUILD_SCHEMAS.get(config.get("schema"), node["schema"])
            out.setdefault(schema, []).append(node.get("alias") or node["name"])
    return {schema: sorted(names) for schema, names in sorted(out.items())}


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
        status = run_child([dbt_executable(), "parse", "--quiet"], cwd=DBT_PROJECT, env=env)
        if status != 0:
            raise subprocess.CalledProcessError(status, "dbt parse")
    return manifest


def dbt_wrapper() -> None:  # pragma: no cover - exercised through Cosmos in the DAG tests
    """`sendwh-dbt ARGS...`: dbt with the warehouse connection set (Cosmos's executable).

    It becomes dbt (execve) with the parent-death signal set, which execve keeps: when the
    Airflow task process that started it dies (killed, or its worker reset), dbt dies too
    instead of building on beside the task's next try."""
    _die_with(os.getppid())()
    prepare_database(sys.argv[1:])
    os.execve(dbt_executable(), [dbt_executable(), *sys.argv[1:]], dbt_env())
