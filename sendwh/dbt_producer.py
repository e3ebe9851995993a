"""The DAG's dbt task group (Cosmos `ExecutionMode.WATCHER`): a producer that builds everything
again on a second try, and model tasks that end in Airflow's triggerer.

Cosmos's producer skips itself on any try after the first (its sensors may already have read
the first try's events), and each model's sensor then builds its own model with one
`dbt run --select` process: about seventy dbt processes, one after another, when a scheduler
that died mid-build has its running producer reset by the next scheduler (CI saw such a run
still running after 25 minutes). In this DAG the sensors start only once the producer has
finished (`after_the_build` in dags/send_warehouse.py), so no sensor has read anything of an
earlier try: a second try can simply run the whole `dbt build` again (about as long as the
first; the build schemas are rebuilt, nothing is published before the gates). The earlier
try's dbt does not build beside it: `sendwh-dbt` gives dbt the parent-death signal, so it dies
with the task process that the reset ends.

Each model's task (Cosmos's sensor) would otherwise cost a task process of its own under the
scheduler (fork, parse of the DAG file, supervisor, API calls: about 1.5 CPU seconds, to read
one XCom); `end_in_triggerer` starts it in the triggerer instead (Airflow's
`start_from_trigger`), where `ModelResultTrigger` reads the model's result that the producer
left in XCom and ends the task with it, without a worker process. `dag.test()` (the demo, the
tests) runs the sensor itself, in-process, as before.

The producer's `dbt build` is kept as fast as a direct one (issue 15): dbt parses the project
partially from the producer's own previous parse (Cosmos's cache), where Cosmos would take
the newer `partial_parse.msgpack` of the project folder, which `sendwh build` and `dbt parse`
write with other arguments (`--vars`, no `--profile`), so that dbt parsed everything again;
and nothing is sent to Airflow while dbt runs: Cosmos pushed four to six XComs for each of
the 340 nodes as their lines were read (dbt's events, the compiled SQL, the status; each push
also rewrote the whole backup Variable), holding dbt's output pipe. The model tasks read one
thing, their model's status, and start only after the build: it is pushed once the build is
over, from dbt's `run_results.json`. Nor are OpenLineage events made from dbt's artifacts
after the build: this deployment has no OpenLineage provider to send them.
"""
from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from airflow.sdk.exceptions import AirflowFailException, AirflowSkipException
from airflow.triggers.base import (
    BaseTrigger,
    StartTriggerArgs,
    TaskFailedEvent,
    TaskSkippedEvent,
    TaskSuccessEvent,
)
from asgiref.sync import sync_to_async
from cosmos import cache
from cosmos.dbt.project import get_partial_parse_path
from cosmos.operators._watcher.base import BaseConsumerSensor, _log_dbt_msg
from cosmos.operators._watcher.state import (
    PRODUCER_FINAL_STATES,
    ProducerTaskState,
    get_status_xcom_key,
    is_dbt_node_status_skipped,
    is_dbt_node_status_success,
    is_dbt_node_status_terminal,
)
from cosmos.operators.watcher import DbtProducerWatcherOperator, DbtRunWatcherOperator

# the nodes that can have a task of their own in a Cosmos task group (not tests, exposures)
NODES_WITH_TASKS = ("model.", "seed.", "snapshot.")


class RebuildingProducer(DbtProducerWatcherOperator):
    """`DbtProducerWatcherOperator` that runs the whole `dbt build` on every try, parses the
    project partially from its own previous parse, and pushes each model's status once dbt
    has finished (see the module's docstring)."""

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

    def _handle_partial_parse(self, tmp_dir_path: Path) -> None:
        own_parse = get_partial_parse_path(self.cache_dir) if self.cache_dir else None
        if own_parse is not None and own_parse.exists():
            self.log.info("dbt parses partially from the producer's last parse, %s", own_parse)
            cache._copy_partial_parse_to_project(own_parse, tmp_dir_path)
        else:
            super()._handle_partial_parse(tmp_dir_path)

    def _make_parse_callable(self) -> Any:
        return log_dbt_line

    def calculate_openlineage_events_completes(self, *args: Any, **kwargs: Any) -> bool:
        return False   # no OpenLineage provider here to send them (about a second over dbt's artifacts)

    def _handle_post_execution(self, tmp_project_dir: str, context: Any, *args: Any, **kwargs: Any) -> None:
        super()._handle_post_execution(tmp_project_dir, context, *args, **kwargs)
        push_node_statuses(Path(tmp_project_dir) / "target" / "run_results.json", context["ti"])


def log_dbt_line(line: str, _extra: Any = None) -> None:
    """One line of dbt's JSON output, as its message in the task log (nothing sent to Airflow)."""
    try:
        _log_dbt_msg(json.loads(line))
    except ValueError:
        _log_dbt_msg({"info": {"msg": line}})


def push_node_statuses(run_results: Path, task_instance: Any) -> int:
    """Each model's, seed's and snapshot's status as dbt reported it in `run_results`, under
    the XCom key Cosmos's sensors and `ModelResultTrigger` read; returns how many were pushed.
    None when dbt wrote no results (it failed before building): the producer fails, and the
    model tasks with it."""
    if not run_results.exists():
        return 0
    results = [r for r in json.loads(run_results.read_text())["results"]
               if r["unique_id"].startswith(NODES_WITH_TASKS)]
    for result in results:
        task_instance.xcom_push(key=get_status_xcom_key(result["unique_id"]),
                                value={"status": result["status"], "outlet_uris": []})
    return len(results)


def rebuild_on_retry(producer: DbtProducerWatcherOperator) -> None:
    """Make the task group's producer (created by Cosmos) a `RebuildingProducer`."""
    if not isinstance(producer, DbtProducerWatcherOperator):
        raise TypeError(f"{producer.task_id} is a {type(producer).__name__}, not Cosmos's producer")
    producer.__class__ = RebuildingProducer


class ModelResultTrigger(BaseTrigger):
    """A model's (or seed's) result from the producer's XCom, as the end of its task.

    Runs in the triggerer for a task started there (`end_in_triggerer`): success, skipped or
    failed as dbt reported the node; a node the producer finished without reporting (an
    ephemeral model) succeeds, as Cosmos's sensor does; a producer that failed or was skipped
    fails the task (it cannot be reached in this DAG, whose model tasks start only after a
    successful producer, but a trigger must end)."""

    def __init__(self, model_unique_id: str, producer_task_id: str, poke_interval: float = 2.0):
        super().__init__()
        self.model_unique_id = model_unique_id
        self.producer_task_id = producer_task_id
        self.poke_interval = poke_interval

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (f"{type(self).__module__}.{type(self).__qualname__}",
                {"model_unique_id": self.model_unique_id, "producer_task_id": self.producer_task_id,
                 "poke_interval": self.poke_interval})

    def _status(self) -> str | None:
        from airflow.sdk.execution_time.xcom import XCom  # noqa: PLC0415 - the triggerer's, at run time

        ti = self.task_instance
        value = XCom.get_one(key=get_status_xcom_key(self.model_unique_id), dag_id=ti.dag_id,
                             task_id=self.producer_task_id, run_id=ti.run_id, map_index=-1)
        return value.get("status") if isinstance(value, dict) else value

    def _producer_state(self) -> str | None:
        from airflow.sdk.execution_time.task_runner import RuntimeTaskInstance  # noqa: PLC0415

        ti = self.task_instance
        states = RuntimeTaskInstance.get_task_states(dag_id=ti.dag_id, task_ids=[self.producer_task_id],
                                                     run_ids=[ti.run_id])
        state = states.get(ti.run_id, {}).get(self.producer_task_id)
        return None if state is None else str(state)

    async def run(self) -> AsyncIterator[Any]:
        while True:
            status = await sync_to_async(self._status)()
            if is_dbt_node_status_terminal(status):
                self.log.info("dbt reported %s: %s (producer %s)", self.model_unique_id, status,
                              self.producer_task_id)
                if is_dbt_node_status_success(status):
                    yield TaskSuccessEvent()
                elif is_dbt_node_status_skipped(status):
                    yield TaskSkippedEvent()
                else:
                    yield TaskFailedEvent()
                return
            producer = await sync_to_async(self._producer_state)()
            if producer in PRODUCER_FINAL_STATES:
                if producer == ProducerTaskState.SUCCESS and status is None:
                    self.log.info("%s finished without reporting %s (ephemeral or empty)",
                                  self.producer_task_id, self.model_unique_id)
                    yield TaskSuccessEvent()
                else:
                    self.log.error("%s ended %s before reporting %s", self.producer_task_id, producer,
                                   self.model_unique_id)
                    yield TaskFailedEvent()
                return
            await asyncio.sleep(self.poke_interval)


class ModelResultSensor(DbtRunWatcherOperator):
    """Cosmos's model sensor that, run in a worker or in-process (`dag.test()`), reads its
    model's result once: one XCom, where Cosmos's first poke asks the API for the producer's
    state, its startup events, the status, the compiled SQL (to show it as the task's
    rendered template, written back) and dbt's event. A result not there yet (the producer
    still running, or a node it never reports) goes to Cosmos's own sensor."""

    def execute(self, context: Any, **kwargs: Any) -> None:
        value = context["ti"].xcom_pull(task_ids=self.producer_task_id,
                                        key=get_status_xcom_key(self.model_unique_id))
        status = value.get("status") if isinstance(value, dict) else value
        if not is_dbt_node_status_terminal(status):
            return super().execute(context, **kwargs)
        self.log.info("dbt reported %s: %s (producer %s)", self.model_unique_id, status, self.producer_task_id)
        if is_dbt_node_status_skipped(status):
            raise AirflowSkipException(f"dbt skipped {self.model_unique_id}")
        if not is_dbt_node_status_success(status):
            raise AirflowFailException(f"dbt reported {self.model_unique_id} {status}: see "
                                       f"{self.producer_task_id}'s log")
        return None


def end_in_triggerer(sensor: Any) -> None:
    """Start a model's task in the triggerer, where `ModelResultTrigger` ends it (no worker);
    run anywhere else (`dag.test()`), it is a `ModelResultSensor`. Any other task of the group
    (Cosmos's EmptyOperator for an ephemeral model, which the scheduler marks done without
    running it) is left as it is."""
    if not isinstance(sensor, BaseConsumerSensor):
        return
    if type(sensor) is DbtRunWatcherOperator:
        sensor.__class__ = ModelResultSensor
    sensor.start_from_trigger = True
    sensor.start_trigger_args = StartTriggerArgs(
        trigger_cls=f"{ModelResultTrigger.__module__}.{ModelResultTrigger.__qualname__}",
        trigger_kwargs={"model_unique_id": sensor.model_unique_id,
                        "producer_task_id": sensor.producer_task_id,
                        "poke_interval": float(sensor.poke_interval)},
        next_method="execute_complete",   # not reached: the trigger ends the task itself
        next_kwargs=None,
        timeout=None,
    )
