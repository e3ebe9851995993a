"""The Great Expectations project the gates run in: a file context under the outputs folder
(its Data Docs and validation results accumulate there, run after run), with one
PostgreSQL data source whose connection string is kept as `${WAREHOUSE_URL}`: GX substitutes
the environment variable when it connects, so no password is written to disk."""
from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import great_expectations as gx
from great_expectations.core.batch_definition import BatchDefinition
from great_expectations.data_context.types.base import ProgressBarsConfig
from great_expectations.datasource.fluent import PostgresDatasource
from great_expectations.datasource.fluent.sql_datasource import QueryAsset

from foundation.database import warehouse_url

# the data source of a run's validations, and of its boroughs' re-validations (see gate.py)
DATASOURCE = "warehouse"
DATASOURCES = (DATASOURCE, "warehouse_boroughs")
CONNECTION_STRING = "${WAREHOUSE_URL}"


def data_docs_index(outputs: Path) -> Path:
    return outputs / "gx" / "uncommitted" / "data_docs" / "local_site" / "index.html"


@contextmanager
def warehouse_url_in_environment() -> Iterator[None]:
    """WAREHOUSE_URL set for GX's substitution (the embedded server's URL when unset)."""
    previous = os.environ.get("WAREHOUSE_URL")
    os.environ["WAREHOUSE_URL"] = previous or warehouse_url()
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop("WAREHOUSE_URL", None)


def open_context(outputs: Path):
    """The file context, created on first use; analytics and progress bars off."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    outputs.mkdir(parents=True, exist_ok=True)
    # Suites, validation definitions and the checkpoint are rebuilt by every run from
    # expectations/suites.yml; last run's would name query assets this run may not have
    # (a borough or source that is gone), which GX refuses to load. Results and Data Docs stay.
    for folder in ("checkpoints", "validation_definitions", "expectations"):
        for stale in (outputs / "gx" / folder).glob("*.json"):
            stale.unlink()
    context = gx.get_context(mode="file", project_root_dir=str(outputs))  # creates outputs/gx/
    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    context.variables.save()
    return context


def replace_datasource(context, queries: dict[str, str], name: str = DATASOURCE):
    """The warehouse data source `name`, recreated with one query asset per name (built in one
    go: adding assets one by one rewrites the project's YAML each time)."""
    if name in context.data_sources.all():
        context.data_sources.delete(name)
    assets = [QueryAsset(name=asset, query=query,
                         batch_definitions=[BatchDefinition(name="all", partitioner=None)])
              for asset, query in queries.items()]
    return context.data_sources.add_postgres(datasource=PostgresDatasource(
        name=name, connection_string=CONNECTION_STRING, assets=assets))
