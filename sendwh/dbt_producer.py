"""The producer of the DAG's dbt task group (Cosmos `ExecutionMode.WATCHER`), which builds
everything again on a second try.

Cosmos's producer skips itself on any try after the first (its sensors may already have read
the first try's events), and each model's sensor then builds its own model with one
`dbt run --select` process: about seventy dbt processes, one after another, when a scheduler
that died mid-build has its running producer reset by the next scheduler (CI saw such a run
still running after 25 minutes). In this DAG the sensors start only once the producer has
finished (`after_the_build`), so no sensor has read anything of an earlier try: a second try
can simply run the whole `dbt build` again (about as long as the first; the build schemas are
rebuilt, nothing is published before the gates). The earlier try's dbt does not build beside
it: `sendwh-dbt` gives dbt the parent-death signal, so it dies with the task process that the
reset ends.
"""
from __future__ import annotations

from typing import Any

from cosmos.operators.watcher import DbtProducerWatcherOperator


class RebuildingProducer(DbtProducerWatcherOperator):
    """`DbtProducerWatcherOperator` that runs the whole `dbt build` on every try."""

    def execute(self, context: Any, **kwargs: Any) -> Any:
        task_instance = context["ti"]
        attempt = task_instance.try_number
        if attempt > 1:
            self.log.info("attempt %s: building every model again (no sensor has read attempt %s)",
                          attempt, attempt - 1)
        task_instance.try_number = 1    # Cosmos skips any later try; this one builds
        try:
            return super().execute(context, **kwargs)
        finally:
            task_instance.try_number = attempt


def rebuild_on_retry(producer: DbtProducerWatcherOperator) -> None:
    """Make the task group's producer (created by Cosmos) a `RebuildingProducer`."""
    if not isinstance(producer, DbtProducerWatcherOperator):
        raise TypeError(f"{producer.task_id} is a {type(producer).__name__}, not Cosmos's producer")
    producer.__class__ = RebuildingProducer
