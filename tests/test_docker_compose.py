"""Static checks of docker-compose.yml, .env.example and docker/airflow.Dockerfile.

Docker is not needed (nor run): the files are parsed and their values asserted on.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
COMPOSE = ROOT / "docker-compose.yml"
ENV_EXAMPLE = ROOT / ".env.example"
DOCKERFILE = ROOT / "docker" / "airflow.Dockerfile"

AIRFLOW_IMAGE = "apache/airflow:3.3.2-python3.11"
AIRFLOW_SERVICES = {
    "airflow-init",
    "airflow-api-server",
    "airflow-scheduler",
    "airflow-dag-processor",
    "airflow-triggerer",
}
LONG_RUNNING = AIRFLOW_SERVICES - {"airflow-init"}
# Host paths that may legitimately be missing from a checkout: outputs/ is git-ignored run output.
MAY_BE_ABSENT = {"outputs"}

# ${VAR}, ${VAR:-default}, ${VAR:?message}, $VAR; but not the $$ escape.
VAR_RE = re.compile(r"(?<!\$)\$(?:\{([A-Za-z_][A-Za-z0-9_]*)[^}]*\}|([A-Za-z_][A-Za-z0-9_]*))")


@pytest.fixture(scope="module")
def compose_text() -> str:
    return COMPOSE.read_text()


@pytest.fixture(scope="module")
def compose(compose_text: str) -> dict:
    return yaml.safe_load(compose_text)


@pytest.fixture(scope="module")
def services(compose: dict) -> dict:
    return compose["services"]


def env_of(service: dict) -> dict:
    """The service's environment: its env_file settings (but .env, the secrets) overlaid by
    its `environment:` block, as docker compose sets them."""
    from sendwh.airflow_stack import shared_settings

    merged: dict[str, str] = {}
    files = service.get("env_file") or []
    for name in [files] if isinstance(files, str) else files:
        if name != ".env":
            merged.update(shared_settings(ROOT / name))
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    merged.update({k: str(v) for k, v in env.items()})
    return merged


def env_example_vars() -> dict[str, str]:
    out = {}
    for line in ENV_EXAMPLE.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            out[key.strip()] = value.strip()
    return out


def strip_comments(text: str) -> str:
    return "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))


def test_services_exist(services):
    assert {"postgres", *AIRFLOW_SERVICES} <= set(services)


def test_every_image_is_pinned(services):
    for name, svc in services.items():
        image = svc.get("image")
        assert image, f"{name} has no image"
        repo, sep, tag = image.rpartition(":")
        assert sep and repo and "/" not in tag, f"{name}: {image!r} has no tag"
        assert tag != "latest" and re.search(r"\d+\.\d+", tag), f"{name}: {image!r} not pinned"
    assert re.fullmatch(r"postgres:16\.\d+(-\w+)?", services["postgres"]["image"])


def test_airflow_services_share_the_built_image(services):
    for name in AIRFLOW_SERVICES:
        svc = services[name]
        assert svc["image"] == "sendwh-airflow:0.1.0", name
        assert svc["build"]["dockerfile"] == "docker/airflow.Dockerfile", name
        assert (ROOT / svc["build"]["context"] / svc["build"]["dockerfile"]).is_file()


def test_airflow_commands(services):
    expected = {
        "airflow-api-server": "api-server",
        "airflow-scheduler": "scheduler",
        "airflow-dag-processor": "dag-processor",
        "airflow-triggerer": "triggerer",
        "airflow-init": "db migrate",
    }
    for name, command in expected.items():
        got = services[name]["command"]
        got = " ".join(got) if isinstance(got, list) else got
        assert got.removeprefix("airflow ") == command, name
    assert "8080" in services["airflow-api-server"]["ports"][0].rsplit(":", 1)[-1]
    assert services["airflow-init"]["restart"] == "no"


def test_airflow_environment(services):
    for name in AIRFLOW_SERVICES:
        env = env_of(services[name])
        assert env["AIRFLOW__CORE__EXECUTOR"] == "LocalExecutor", name
        assert env["AIRFLOW__CORE__DAGS_FOLDER"] == "/opt/sendwh/dags"
        assert env["AIRFLOW__CORE__LOAD_EXAMPLES"] == "False"
        assert env["AIRFLOW__COSMOS__ENABLE_TELEMETRY"] == "False"
        assert env["SENDWH_OUTPUTS_DIR"] == "/opt/sendwh/outputs"
        assert env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"] == "http://airflow-api-server:8080/execution/"
        assert "_PIP_ADDITIONAL_REQUIREMENTS" not in env
        # the settings file `sendwh airflow` reads too, then the secrets
        assert services[name]["env_file"] == ["docker/airflow.env", ".env"], name
        for secret in ("AIRFLOW__CORE__FERNET_KEY", "AIRFLOW__API_AUTH__JWT_SECRET"):
            assert VAR_RE.fullmatch(env[secret]) and VAR_RE.fullmatch(env[secret]).group(1) == secret


def test_database_urls_point_at_postgres_service(services):
    for name in AIRFLOW_SERVICES:
        env = env_of(services[name])
        conn = env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]
        assert re.fullmatch(
            r"postgresql\+psycopg2://\$\{POSTGRES_USER[^}]*\}:\$\{POSTGRES_PASSWORD[^}]*\}@postgres:5432/airflow", conn
        ), conn
        url = env["WAREHOUSE_URL"]    # the pipeline's login, never the superuser (issue 14)
        assert re.fullmatch(
            r"postgresql://sendwh_pipeline:\$\{SENDWH_PIPELINE_PASSWORD[^}]*\}@postgres:5432/warehouse", url
        ), url
    setup = env_of(services["warehouse-setup"])
    assert re.fullmatch(r"postgresql://\$\{POSTGRES_USER[^}]*\}:\$\{POSTGRES_PASSWORD[^}]*\}@postgres:5432/warehouse",
                        setup["SENDWH_ADMIN_URL"])
    assert services["warehouse-setup"]["command"] == ["db", "setup"]
    for name in LONG_RUNNING:
        assert services[name]["depends_on"]["warehouse-setup"] == {"condition": "service_completed_successfully"}


def test_postgres_creates_both_databases(compose, services):
    pg = services["postgres"]
    env = env_of(pg)
    created = {env["POSTGRES_DB"]}
    for ref in pg.get("configs", []):
        assert ref["target"].startswith("/docker-entrypoint-initdb.d/")
        created |= set(re.findall(r"CREATE DATABASE (\w+)", compose["configs"][ref["source"]]["content"]))
    assert created == {"warehouse", "airflow"}
    assert "pg_isready" in " ".join(pg["healthcheck"]["test"])
    assert any(v.split(":")[0] in compose["volumes"] and v.endswith("/var/lib/postgresql/data") for v in pg["volumes"])


def test_depends_on_wiring(services):
    assert services["airflow-init"]["depends_on"] == {"postgres": {"condition": "service_healthy"}}
    for name in LONG_RUNNING:
        deps = services[name]["depends_on"]
        assert deps["postgres"] == {"condition": "service_healthy"}, name
        assert deps["airflow-init"] == {"condition": "service_completed_successfully"}, name


def test_long_running_services_have_healthchecks(services):
    for name in ["postgres", *LONG_RUNNING]:
        assert services[name]["healthcheck"]["test"], name


def test_every_variable_is_in_env_example(compose_text):
    used = {a or b for a, b in VAR_RE.findall(strip_comments(compose_text))}
    assert {"POSTGRES_USER", "POSTGRES_PASSWORD", "AIRFLOW__CORE__FERNET_KEY"} <= used
    missing = used - set(env_example_vars())
    assert not missing, f"not in .env.example: {sorted(missing)}"


def test_env_example_has_placeholders_only():
    values = env_example_vars()
    for key in ("POSTGRES_PASSWORD", "AIRFLOW__CORE__FERNET_KEY", "AIRFLOW__API_AUTH__JWT_SECRET"):
        assert values[key].startswith("change-me"), key
    assert "Fernet.generate_key" in ENV_EXAMPLE.read_text()


def test_env_is_git_ignored():
    lines = {line.strip() for line in (ROOT / ".gitignore").read_text().splitlines()}
    assert ".env" in lines


def test_no_literal_secrets(services, compose_text):
    for name, svc in services.items():
        for key, value in env_of(svc).items():
            if re.search(r"PASSWORD|SECRET|FERNET|_KEY$|TOKEN", key):
                assert VAR_RE.fullmatch(value), f"{name}.{key} is a literal: {value!r}"
            # user:password@host with a literal password
            for password in re.findall(r"://[^:/@\s]+:([^@\s]+)@", value):
                assert VAR_RE.fullmatch(password), f"{name}.{key} embeds a literal password"
    assert "change-me" not in compose_text


def test_mounted_host_paths(services):
    seen = set()
    for name in AIRFLOW_SERVICES:
        for vol in services[name]["volumes"]:
            source, target = vol.split(":")[:2]
            if not source.startswith("./"):
                continue
            rel = source[2:]
            seen.add(rel)
            assert target == f"/opt/sendwh/{rel}", vol
            if rel not in MAY_BE_ABSENT:
                assert (ROOT / rel).exists(), f"{source} is mounted but does not exist"
    assert seen == {
        "dags", "extract", "foundation", "sendwh", "dbt_project", "expectations", "sen2", "forecast",
        "outputs", "pyproject.toml", "constraints.txt",
    }


def test_dockerfile_installs_with_constraints():
    text = DOCKERFILE.read_text()
    instructions = [line.strip() for line in strip_comments(text).splitlines() if line.strip()]
    froms = [line for line in instructions if line.upper().startswith("FROM ")]
    assert froms == [f"FROM {AIRFLOW_IMAGE}"]
    copies = [line.split()[1:-1] for line in instructions if line.upper().startswith("COPY ")]
    sources = {src for args in copies for src in args if not src.startswith("--")}
    assert {"pyproject.toml", "constraints.txt", "foundation", "sendwh", "extract", "sen2", "forecast"} <= sources
    for src in sources:
        assert (ROOT / src).exists(), f"Dockerfile copies missing {src}"
    runs = [line for line in instructions if line.upper().startswith("RUN ")]
    assert any(re.search(r"pip install .*-c constraints\.txt .*\.$", run) for run in runs), runs
    assert "_PIP_ADDITIONAL_REQUIREMENTS" not in strip_comments(text)


def test_compose_and_sendwh_airflow_share_one_settings_file():
    from sendwh.airflow_stack import SHARED_SETTINGS, shared_settings

    shared = shared_settings()
    assert SHARED_SETTINGS == ROOT / "docker" / "airflow.env"
    assert shared["AIRFLOW__CORE__EXECUTOR"] == "LocalExecutor"
    # no secret in the shared file: secrets come from .env (compose) or 0600 files (sendwh airflow)
    assert not any(k.endswith(("_KEY", "_SECRET", "PASSWORD")) for k in shared)
