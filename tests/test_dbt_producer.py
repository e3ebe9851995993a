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


class _TaskInstance:
    def __init__(self):
        self.pushed: dict[str, object] = {}

    def xcom_push(self, key, value):
        self.pushed[key] = value


def test_the_producer_pushes_each_models_status_from_dbts_results(tmp_path):
    """After the build: one XCom per model, seed and snapshot (the keys the model tasks read),
    none for tests, unit tests or exposures; nothing when dbt wrote no results."""
    import json

    from sendwh.dbt_producer import push_node_statuses

    results = tmp_path / "run_results.json"
    results.write_text(json.dumps({"results": [
        {"unique_id": "model.sendwh.ehcp_caseload", "status": "success"},
        {"unique_id": "model.sendwh.ehc_timeliness", "status": "error"},
        {"unique_id": "seed.sendwh.boroughs", "status": "success"},
        {"unique_id": "test.sendwh.not_null_ehcp_caseload_borough.1a2b", "status": "pass"},
        {"unique_id": "unit_test.sendwh.ehc_timeliness.counts", "status": "pass"},
        {"unique_id": "exposure.sendwh.board_report", "status": "no-op"},
    ]}))
    ti = _TaskInstance()
    assert push_node_statuses(results, ti) == 3
    assert ti.pushed == {
        "model__sendwh__ehcp_caseload_status": {"status": "success", "outlet_uris": []},
        "model__sendwh__ehc_timeliness_status": {"status": "error", "outlet_uris": []},
        "seed__sendwh__boroughs_status": {"status": "success", "outlet_uris": []},
    }
    assert push_node_statuses(tmp_path / "missing.json", ti) == 0


def test_the_producer_parses_partially_from_its_own_last_parse(tmp_path):
    """The producer's previous parse (Cosmos's cache) is dbt's start, even when the project
    folder's `partial_parse.msgpack` (written by `sendwh build`, other arguments) is newer;
    without one, Cosmos's choice (the project's)."""
    import os

    import msgpack
    from cosmos import ProfileConfig
    from cosmos.operators.watcher import DbtProducerWatcherOperator

    from sendwh.dbt_producer import RebuildingProducer, rebuild_on_retry

    cache_dir, project = tmp_path / "cache", tmp_path / "project"
    for folder, origin in ((cache_dir, "producer"), (project, "sendwh build")):
        (folder / "target").mkdir(parents=True)
        (folder / "target" / "partial_parse.msgpack").write_bytes(msgpack.packb({"nodes": {}, "origin": origin}))
    os.utime(cache_dir / "target" / "partial_parse.msgpack", (1, 1))    # the older one
    producer = DbtProducerWatcherOperator(
        project_dir=str(project), cache_dir=cache_dir, install_deps=False,
        profile_config=ProfileConfig(profile_name="sendwh", target_name="warehouse",
                                     profiles_yml_filepath=project / "profiles.yml"))
    rebuild_on_retry(producer)
    assert isinstance(producer, RebuildingProducer)

    def origin_in_a_new_run_folder(name: str) -> str:
        run_dir = tmp_path / name
        run_dir.mkdir()
        producer._handle_partial_parse(run_dir)
        return msgpack.unpackb((run_dir / "target" / "partial_parse.msgpack").read_bytes())["origin"]

    assert origin_in_a_new_run_folder("run1") == "producer"
    (cache_dir / "target" / "partial_parse.msgpack").unlink()
    assert origin_in_a_new_run_folder("run2") == "sendwh build"
