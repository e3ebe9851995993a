# syntax=docker/dockerfile:1
# Airflow image for the SEND warehouse: the pinned official Airflow 3.3.2 image with the
# project and its pinned dependencies baked in (no _PIP_ADDITIONAL_REQUIREMENTS at start-up).
#
# Built by docker-compose.yml (build context = repository root):
#   docker compose build
#
# At run time docker-compose.yml also bind-mounts the project folders under /opt/sendwh and
# puts /opt/sendwh first on PYTHONPATH, so edited code is picked up without a rebuild; a
# rebuild is only needed when pyproject.toml or constraints.txt change.
FROM apache/airflow:3.3.2-python3.11

USER airflow
WORKDIR /opt/sendwh

COPY --chown=airflow:0 pyproject.toml constraints.txt ./
COPY --chown=airflow:0 foundation ./foundation
COPY --chown=airflow:0 sendwh ./sendwh
COPY --chown=airflow:0 extract ./extract
COPY --chown=airflow:0 dags ./dags
COPY --chown=airflow:0 expectations ./expectations
COPY --chown=airflow:0 sen2 ./sen2
COPY --chown=airflow:0 dbt_project ./dbt_project
COPY --chown=airflow:0 forecast ./forecast

# constraints.txt pins apache-airflow==3.3.2, so this cannot up- or downgrade Airflow itself.
RUN pip install --no-cache-dir -c constraints.txt .
