"""The pipeline runner the CLI and the DAGs share: write, audit, publish. dbt builds into the
build schemas (`sendwh.dbt_runner`), the quality gates check sources and marts, and publishing
swaps the build schemas in only when nothing blocks, recording the gate run it published.

A `sendwh build` is recorded while it runs and holds the build lock (`sendwh.build_runs`): a
second one refuses while it is alive, and the next one after it died cleans up after it.
"""
from __future__ import annotations

import time
from datetime import date

from expectations.publish import BUILD_SCHEMAS, PublishError, publish
from foundation.database import analyze_raw, connect
from foundation.schema import setup
from sendwh.borough_scope import batch_digests, copy_published, daily_scope
from sendwh.build_runs import BuildRefused, BuildRun, build_run, pause_point
from sendwh.dbt_runner import borough_incremental_models, expected_relations, project_digest, run_dbt


def build(today: str | None = None, select: str | None = None, quiet: bool = False,
          say=print, gate_sources_of: list[str] | None = None, only_changed: bool = False) -> int:
    """Write, audit, publish: dbt builds the marts and the restricted models into their build
    schemas, the quality gates check sources and marts, and only if no blocking check failed
    are both published.
    Returns 0 when published, 1 when dbt failed, the gates blocked (marts unchanged) or
    another build is running (nothing done).
    gate_sources_of: gate only these boroughs' sources (the ones that sent files since the
    last build); the marts are gated for every borough.
    only_changed: skip dbt's seeds and unit tests when the dbt project's files are those of
    the last published build that ran them (they do not depend on the data), and rebuild only
    the boroughs with files since the last build when that is safe (sendwh/borough_scope.py;
    their sources are then the ones gated, unless gate_sources_of says otherwise)."""
    setup()     # the build's record is a migration's table
    try:
        with build_run(say=say) as run:
            status, outcome = _build(run, today, select, quiet, say, gate_sources_of, only_changed)
            run.finish(outcome)
            return status
    except BuildRefused as refused:
        say(f"error: {refused}")
        return 1


def _build(run: BuildRun, today: str | None, select: str | None, quiet: bool,
           say, gate_sources_of: list[str] | None = None, only_changed: bool = False) -> tuple[int, str]:
    analyze_raw()
    run.stage("dbt")
    command = ["build"] + (["--select", select] if select else [])
    project = project_digest()
    skip = only_changed and not select and run.dbt_project_checked(project)
    if skip:
        command += ["--exclude", "resource_type:seed", "resource_type:unit_test"]
        say("dbt: seeds and unit tests skipped (the dbt project is the last published build's)")
    variables = {}
    boroughs = None
    if only_changed and not select:
        boroughs = _borough_scope(run, project, today, say)
    elif not select:
        run.built(project, _today(today), None, batch_digests(run.conn))
    if boroughs is not None:
        variables["changed_boroughs"] = boroughs
        if gate_sources_of is None:
            gate_sources_of = boroughs
    status = run_dbt(command, today=today, quiet=quiet, variables=variables)
    if status != 0:
        say("dbt build failed: nothing published, the marts are as they were")
        return 1, "dbt_failed"
    if not select and not skip:
        run.dbt_project_ran(project)
    run.stage("gates")
    status = gate_and_publish(today, say=say, run=run, sources_of=gate_sources_of)
    return status, "published" if status == 0 else "blocked"


def _today(today: str | None) -> date:
    return date.fromisoformat(today) if today else date.today()


def _borough_scope(run: BuildRun, project: str, today: str | None, say) -> list[str] | None:
    """The boroughs a daily build rebuilds (None: every borough), recorded with the build; the
    published tables of the models incremental by borough copied into the build schemas."""
    day, batches = _today(today), batch_digests(run.conn)
    scope = daily_scope(run.conn, run.build_id, project, day, batches)
    run.built(project, day, scope.boroughs, batches)
    if scope.boroughs is None:
        say(f"dbt: every borough rebuilt ({scope.reason})")
        return None
    started = time.monotonic()
    copied = copy_published(borough_incremental_models())
    say(f"dbt: only the changed boroughs rebuilt ({scope.reason}); {copied:,} published rows "
        f"copied into the build schemas in {time.monotonic() - started:.1f} s")
    return scope.boroughs


def gate_and_publish(today: str | None = None, say=print, run: BuildRun | None = None,
                     sources_of: list[str] | None = None) -> int:
    """Run the gates on the build schema; publish it when nothing blocks. 0 published, 1 not."""
    report = run_gates(today, say=say, started=run.gate_run if run else None, sources_of=sources_of)
    for line in report.summary_lines():
        say(line)
    if report.blocked:
        say("not published: the marts are as they were (see audit.dq_scorecard and "
            f"the Data Docs at {report.data_docs})")
        return 1
    if run:
        run.stage("publish")
    publish_marts(report.run_id, say=say, pause=run is not None)
    return 0


def run_gates(today: str | None = None, say=print, started=None, sources_of: list[str] | None = None):
    # Great Expectations takes seconds to import: the DAG's publish_marts task does not need it
    from expectations.gate import run_gates as gates  # noqa: PLC0415

    return gates(run_date=date.fromisoformat(today) if today else None, say=say, started=started,
                 sources_of=sources_of)


def publish_marts(run_id: str | None, say=print, pause: bool = False) -> None:
    """Swap the build schemas in as `marts` and `restricted`, in one transaction, if quality-gate
    run `run_id` judged them and finished passed or warned; it is marked published and
    recorded in audit.publications in the same transaction (readers check it)."""
    if not run_id:
        raise PublishError("not publishing: no quality-gate run judged the build schemas "
                           "(run `sendwh build`)")
    with connect() as conn:
        done = publish(conn, BUILD_SCHEMAS, expected=expected_relations(), gate_run_id=run_id,
                       before_commit=(lambda: pause_point("publish")) if pause else None)
    say(f"published {done.relations} marts and restricted models "
        f"({done.grants_copied} grants carried over) from quality-gate run {run_id}")
