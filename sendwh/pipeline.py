"""The pipeline runner the CLI and the DAGs share: write, audit, publish. dbt builds into the
build schemas (`sendwh.dbt_runner`), the quality gates check sources and marts, and publishing
swaps the build schemas in only when nothing blocks.
"""
from __future__ import annotations

from datetime import date

from expectations.gate import run_gates as gates
from expectations.publish import BUILD_SCHEMAS, mark_published, publish
from foundation.database import analyze_raw, connect
from sendwh.dbt_runner import expected_relations, run_dbt


def build(today: str | None = None, select: str | None = None, quiet: bool = False,
          say=print) -> int:
    """Write, audit, publish: dbt builds the marts and the restricted models into their build
    schemas, the quality gates check sources and marts, and only if no blocking check failed
    are both published.
    Returns 0 when published, 1 when dbt failed or the gates blocked (marts unchanged)."""
    analyze_raw()
    command = ["build"] + (["--select", select] if select else [])
    status = run_dbt(command, today=today, quiet=quiet)
    if status != 0:
        say("dbt build failed: nothing published, the marts are as they were")
        return 1
    return gate_and_publish(today, say=say)


def gate_and_publish(today: str | None = None, say=print) -> int:
    """Run the gates on the build schema; publish it when nothing blocks. 0 published, 1 not."""
    report = run_gates(today, say=say)
    for line in report.summary_lines():
        say(line)
    if report.blocked:
        say("not published: the marts are as they were (see audit.dq_scorecard and "
            f"the Data Docs at {report.data_docs})")
        return 1
    publish_marts(report.run_id, say=say)
    return 0


def run_gates(today: str | None = None, say=print):
    return gates(run_date=date.fromisoformat(today) if today else None, say=say)


def publish_marts(run_id: str | None = None, say=print) -> None:
    """Swap the build schemas in as `marts` and `restricted`, in one transaction."""
    with connect() as conn:
        done = publish(conn, BUILD_SCHEMAS, expected=expected_relations())
        if run_id:
            mark_published(conn, run_id)
    say(f"published {done.relations} marts and restricted models "
        f"({done.grants_copied} grants carried over)")
