"""The Airflow Assets the DAGs share: what one DAG's task updates and another's schedule waits
for. `publish_marts` updates `published_marts` when the marts and the restricted models it
swapped in have passed their gate run; `sen2_return` (and, later, the board report) run on it.
"""
from __future__ import annotations

from airflow.sdk import Asset

PUBLISHED_MARTS = Asset(name="published_marts", uri="sendwh://warehouse/marts", group="sendwh")
SEN2_RETURNS = Asset(name="sen2_returns", uri="sendwh://outputs/sen2", group="sendwh")
