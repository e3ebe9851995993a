"""The dbt task group's model tasks: `ModelResultTrigger` ends a model's task as dbt reported
the model (under the scheduler it runs in the triggerer, without a worker process)."""
from __future__ import annotations

import asyncio

import pytest


def _first_event(statuses, producer=None):
    from sendwh.dbt_producer import ModelResultTrigger

    trigger = ModelResultTrigger("model.sendwh.ehcp_caseload", "dbt_build.dbt_producer_watcher",
                                 poke_interval=0)
    classpath, kwargs = trigger.serialize()
    assert classpath == "sendwh.dbt_producer.ModelResultTrigger"
    trigger = ModelResultTrigger(**kwargs)          # as the triggerer makes it again
    answers = iter(statuses)
    trigger._status = lambda: next(answers)
    trigger._producer_state = lambda: producer

    async def first():
        async for event in trigger.run():
            return event
    return asyncio.run(first())


@pytest.mark.parametrize(("statuses", "producer", "ended"), [
    (["success"], None, "TaskSuccessEvent"),
    ([None, None, "success"], "running", "TaskSuccessEvent"),     # waits while the producer runs
    (["skipped"], None, "TaskSkippedEvent"),
    (["error"], None, "TaskFailedEvent"),
    ([None], "success", "TaskSuccessEvent"),    # finished without reporting it: ephemeral
    ([None], "failed", "TaskFailedEvent"),
])
def test_the_trigger_ends_a_model_task_as_dbt_reported(statuses, producer, ended):
    assert type(_first_event(statuses, producer)).__name__ == ended
