"""Airflow's own processes on this machine: api-server, scheduler, dag-processor and triggerer,
LocalExecutor, metadata in a PostgreSQL database on the warehouse's server (the embedded one,
or WAREHOUSE_URL's). `sendwh airflow` (`make airflow`) starts them for a person to open the UI;
the tests start them to trigger the DAGs through the REST API.

The settings that docker-compose.yml's Airflow services use come from the same file,
`docker/airflow.env`; what differs on this machine (home folder, metadata database, port, the
api-server's address for task processes, the token secret) is added here.
"""
from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import httpx
import psutil
import psycopg
from psycopg import sql

from foundation.database import admin_url, dsn_parts, warehouse_url
from foundation.roles import roles
from foundation.settings import PROJECT_ROOT
from sendwh.dbt_runner import ensure_manifest

SHARED_SETTINGS = PROJECT_ROOT / "docker" / "airflow.env"
PROCESSES = ("api-server", "scheduler", "dag-processor", "triggerer")
USER = "admin"
FINISHED = {"success", "failed"}


class AirflowStackError(RuntimeError):
    pass


def shared_settings(path: Path = SHARED_SETTINGS) -> dict[str, str]:
    """KEY=VALUE lines of docker/airflow.env (comments and blank lines skipped)."""
    settings = {}
    for number, line in enumerate(path.read_text().splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        if not sep:
            raise AirflowStackError(f"{path.name} line {number}: expected KEY=VALUE, got {line!r}")
        settings[key.strip()] = value.strip()
    return settings


def metadata_url(database: str, url: str | None = None) -> str:
    """SQLAlchemy URL of `database` on the warehouse's server (same user and socket/host), with
    psycopg 3, which Airflow uses for its async sessions too (psycopg2 would need asyncpg)."""
    parts = dsn_parts(url)
    user = quote(parts["user"], safe="")
    password = f":{quote(parts['password'], safe='')}" if parts["password"] else ""
    host = parts["host"]
    if host.startswith("/"):  # a socket folder (the embedded server)
        return (f"postgresql+psycopg://{user}{password}@/{database}"
                f"?host={quote(host, safe='/')}&port={parts['port']}")
    return f"postgresql+psycopg://{user}{password}@{host}:{parts['port']}/{database}"


def ensure_database(database: str, url: str | None = None) -> None:
    """Airflow's metadata database: made by the admin account, owned by the engineer role
    (the pipeline's login acts as it; it cannot create databases itself)."""
    with psycopg.connect(url or admin_url(), autocommit=True) as conn:
        if not conn.execute("select 1 from pg_database where datname = %s", (database,)).fetchone():
            conn.execute(sql.SQL("create database {} owner {}").format(
                sql.Identifier(database), sql.Identifier(roles().engineer)))


def _private_file(path: Path, make) -> str:
    """A secret kept in a 0600 file in Airflow's home (made once, reused on restarts)."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(make())
    return path.read_text().strip()


@dataclass
class AirflowStack:
    home: Path
    database: str = "airflow"
    port: int = 8080
    say: object = print
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)
    killed_groups: list[int] = field(default_factory=list)     # by kill(): their children live on

    # --- configuration -------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def passwords_file(self) -> Path:
        return self.home / "simple_auth_manager_passwords.json"

    def password(self) -> str:
        text = _private_file(self.passwords_file,
                             lambda: json.dumps({USER: secrets.token_urlsafe(12)}))
        return json.loads(text)[USER]

    def environment(self) -> dict[str, str]:
        env = {**os.environ, **shared_settings()}
        env.update({
            "AIRFLOW_HOME": str(self.home),
            "AIRFLOW__CORE__DAGS_FOLDER": str(PROJECT_ROOT / "dags"),
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": metadata_url(self.database),
            # psycopg 3 has an asyncio mode: the same URL serves Airflow's async sessions
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_ASYNC": metadata_url(self.database),
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{self.base_url}/execution/",
            "AIRFLOW__API__PORT": str(self.port),
            "AIRFLOW__API__BASE_URL": self.base_url,
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{USER}:admin",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(self.passwords_file),
            "AIRFLOW__API_AUTH__JWT_SECRET": _private_file(self.home / ".jwt_secret",
                                                           lambda: secrets.token_urlsafe(32)),
            "AIRFLOW__CORE__FERNET_KEY": _private_file(self.home / ".fernet_key", _fernet_key),
            "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(self.home / "logs"),
            "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
            "WAREHOUSE_URL": warehouse_url(),  # the embedded server's URL, for every task
        })
        env.pop("AIRFLOW_CONFIG", None)
        return env

    # --- processes -----------------------------------------------------------------------
    def migrate(self) -> None:
        """Create the metadata database and migrate it (a no-op when up to date)."""
        ensure_manifest()  # the dbt task group renders from dbt's manifest
        ensure_database(self.database)
        self.password()
        self.say(f"airflow: migrating metadata database {self.database!r}")
        self._airflow(["db", "migrate"], quiet=True)

    def _airflow(self, args: list[str], quiet: bool = False) -> None:
        result = subprocess.run([sys.executable, "-m", "airflow", *args], env=self.environment(),
                                capture_output=True, text=True)
        if result.returncode != 0:
            raise AirflowStackError(f"airflow {' '.join(args)} failed:\n{result.stderr[-3000:]}")
        if not quiet:
            self.say(result.stdout)

    def start(self, names: Iterable[str] = PROCESSES) -> None:
        logs = self.home / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        env = self.environment()
        for name in names:
            if name in self.processes and self.processes[name].poll() is None:
                continue
            log = open(logs / f"{name}.log", "ab")  # noqa: SIM115 - the process keeps it open
            args = [sys.executable, "-m", "airflow", name]
            if name == "api-server":
                args += ["--port", str(self.port), "--host", "127.0.0.1"]
            # its own process group: stopping one stops the task processes it started
            self.processes[name] = subprocess.Popen(args, env=env, stdout=log, stderr=subprocess.STDOUT,
                                                    start_new_session=True, cwd=PROJECT_ROOT)
            log.close()
            self.say(f"airflow: started {name} (pid {self.processes[name].pid}, log {logs / (name + '.log')})")

    def stop(self, names: Iterable[str] | None = None, sig: int = signal.SIGTERM,
             wait: float = 30) -> None:
        if names is None:        # stopping everything: also what survived a kill() (its workers)
            for group in self.killed_groups:
                try:
                    os.killpg(group, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            self.killed_groups.clear()
        for name in list(names or self.processes):
            process = self.processes.pop(name, None)
            if process is None or process.poll() is not None:
                continue
            try:
                os.killpg(process.pid, sig)
            except ProcessLookupError:
                continue
            try:
                process.wait(wait)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(10)

    def kill(self, name: str, with_descendants: bool = False) -> None:
        """SIGKILL one process only (not its group), as if the machine's OOM killer took it;
        or, `with_descendants`, it and every process it started (its executor's workers, their
        task processes and the dbt under them), as if its machine had been switched off."""
        process = self.processes.pop(name)
        descendants = psutil.Process(process.pid).children(recursive=True) if with_descendants else []
        process.kill()
        for child in descendants:
            with contextlib.suppress(psutil.NoSuchProcess):
                child.kill()
        process.wait(10)
        psutil.wait_procs(descendants, timeout=10)
        self.killed_groups.append(process.pid)    # its group's leader: stop() ends the rest

    def wait_healthy(self, timeout: float = 180) -> dict:
        deadline = time.monotonic() + timeout
        last = "no answer"
        while time.monotonic() < deadline:
            for name, process in self.processes.items():
                if process.poll() is not None:
                    raise AirflowStackError(f"airflow {name} exited ({process.returncode}); see "
                                            f"{self.home / 'logs' / (name + '.log')}")
            try:
                health = httpx.get(f"{self.base_url}/api/v2/monitor/health", timeout=5).json()
                states = {k: v.get("status") for k, v in health.items() if isinstance(v, dict)}
                wanted = {"metadatabase", "scheduler", "triggerer", "dag_processor"}
                if all(states.get(k) == "healthy" for k in wanted & set(states)) and \
                        {"scheduler", "triggerer", "dag_processor"} <= set(states):
                    return health
                last = json.dumps(states)
            except (httpx.HTTPError, ValueError) as error:
                last = str(error)
            time.sleep(2)
        raise AirflowStackError(f"Airflow not healthy after {timeout:.0f}s: {last}")

    # --- REST API ------------------------------------------------------------------------
    def client(self) -> httpx.Client:
        token = httpx.post(f"{self.base_url}/auth/token",
                           json={"username": USER, "password": self.password()}, timeout=30)
        if token.status_code not in (200, 201):
            raise AirflowStackError(f"login refused ({token.status_code}): {token.text[:200]}")
        return httpx.Client(base_url=f"{self.base_url}/api/v2", timeout=60, headers={
            "Authorization": f"Bearer {token.json()['access_token']}"})

    def wait_for_dag(self, api: httpx.Client, dag_id: str, timeout: float = 180) -> None:
        """Until the dag-processor has parsed the DAG (and it has no import error)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if api.get(f"/dags/{dag_id}").status_code == 200:
                return
            errors = api.get("/importErrors").json().get("import_errors", [])
            if errors:
                raise AirflowStackError(f"DAG import errors: {errors}")
            time.sleep(2)
        raise AirflowStackError(f"DAG {dag_id} not parsed after {timeout:.0f}s")

    def trigger(self, api: httpx.Client, dag_id: str, conf: dict) -> str:
        self.wait_for_dag(api, dag_id)
        api.patch(f"/dags/{dag_id}", json={"is_paused": False}).raise_for_status()
        response = api.post(f"/dags/{dag_id}/dagRuns", json={"logical_date": None, "conf": conf})
        if response.status_code >= 400:
            raise AirflowStackError(f"trigger {dag_id}: {response.status_code} {response.text[:300]}")
        return response.json()["dag_run_id"]

    def run_state(self, api: httpx.Client, dag_id: str, run_id: str) -> str:
        return api.get(f"/dags/{dag_id}/dagRuns/{quote(run_id, safe='')}").json()["state"]

    def wait_for_run(self, api: httpx.Client, dag_id: str, run_id: str,
                     timeout: float = 1800) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            state = self.run_state(api, dag_id, run_id)
            if state in FINISHED:
                return state
            time.sleep(3)
        unfinished = {task: task_state for task, task_state in self.task_states(api, dag_id, run_id).items()
                      if task_state != "success"}
        raise AirflowStackError(f"{dag_id} run {run_id} still {state} after {timeout:.0f}s; "
                                f"tasks not done: {unfinished}")

    def task_states(self, api: httpx.Client, dag_id: str, run_id: str) -> dict[str, str]:
        """{task id (with [map index] when mapped): state}, every page of them."""
        states: dict[str, str] = {}
        offset = 0
        while True:
            response = api.get(f"/dags/{dag_id}/dagRuns/{quote(run_id, safe='')}/taskInstances",
                               params={"limit": 100, "offset": offset})
            response.raise_for_status()
            page = response.json()["task_instances"]
            for ti in page:
                key = ti["task_id"] if ti.get("map_index", -1) < 0 else f"{ti['task_id']}[{ti['map_index']}]"
                states[key] = ti["state"]
            offset += len(page)
            if not page or offset >= response.json()["total_entries"]:
                return states

    def task_log(self, api: httpx.Client, dag_id: str, run_id: str, task_id: str,
                 try_number: int = 1) -> str:
        response = api.get(f"/dags/{dag_id}/dagRuns/{quote(run_id, safe='')}/taskInstances/"
                           f"{task_id}/logs/{try_number}", params={"full_content": True},
                           headers={"Accept": "application/json"})
        response.raise_for_status()
        content = response.json().get("content", [])
        if isinstance(content, str):
            return content
        lines = []
        for part in content:
            if not isinstance(part, dict):
                lines.append(str(part))
                continue
            lines.append(str(part.get("event", "")))
            for error in part.get("error_detail") or []:  # an exception: its type and message
                lines.append(f"{error.get('exc_type')}: {error.get('exc_value')}")
        return "\n".join(lines)


def _fernet_key() -> str:
    from cryptography.fernet import Fernet  # noqa: PLC0415 - only when a home is first made

    return Fernet.generate_key().decode()


def serve(home: Path, database: str = "airflow", port: int = 8080, say=print) -> int:
    """`sendwh airflow`: start the four processes, print where to log in, run until Ctrl-C."""
    stack = AirflowStack(home=home, database=database, port=port, say=say)
    stack.migrate()
    stack.start()
    try:
        stack.wait_healthy()
        say(f"Airflow is up: {stack.base_url}  (user {USER}, password in {stack.passwords_file})")
        say("Ctrl-C stops it. The DAGs start paused: unpause send_warehouse in the UI.")
        while all(p.poll() is None for p in stack.processes.values()):
            time.sleep(2)
        dead = [n for n, p in stack.processes.items() if p.poll() is not None]
        say(f"airflow: {', '.join(dead)} exited; see {home / 'logs'}; stopping the rest")
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        stack.stop()
