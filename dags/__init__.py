"""Airflow DAG files (a package so that `make lint` can check what they import)."""
