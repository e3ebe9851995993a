"""Reading the gates' history back from audit: the summary of a run (the DAG's failure
message, `sendwh build` and `sendwh demo` print it) and the latest run."""
from __future__ import annotations


def latest_run(conn, since_started_at=None) -> tuple | None:
    """(run_id, status, blocking_failures, warnings, published, data_docs) of the newest run."""
    return conn.execute(
        "select run_id, status, blocking_failures, warnings, published, data_docs "
        "from audit.dq_runs where %s::timestamptz is null or started_at >= %s "
        "order by started_at desc limit 1", (since_started_at, since_started_at)).fetchone()


def summary_lines(conn, run_id: str, examples: int = 3) -> list[str]:
    """One line for the run, then one per failing check (blocking first) naming the borough,
    source, check, what was found against what was expected, and example failing rows."""
    run = conn.execute(
        "select status, blocking_failures, warnings, (select count(*) from audit.dq_results r "
        "where r.run_id = runs.run_id) from audit.dq_runs runs where run_id = %s",
        (run_id,)).fetchone()
    if run is None:
        return [f"no quality-gate run {run_id}"]
    status, blocking, warnings, checks = run
    lines = [f"quality gates {status}: {checks} checks, {blocking} blocking failures, "
             f"{warnings} warnings (run {run_id})"]
    for row in conn.execute(
            "select severity, borough, source, check_name, observed_value, observed_unit, "
            "rows_checked, threshold, failing_rows, description from audit.dq_results "
            "where run_id = %s and not passed "
            "order by severity = 'warn', borough, source, check_name", (run_id,)).fetchall():
        severity, borough, source, check, observed, unit, rows, threshold, failing, text = row
        if unit == "error":
            found = f"could not run: {text}"
        elif unit == "failing rows":
            found = f"{observed:g} of {rows:,} rows fail"
        else:
            found = f"observed {observed:g}" if observed is not None else "observed nothing"
        shown = "; ".join(failing[:examples])
        lines.append(f"  [{severity}] {borough} {source} {check}: {found}, expected {threshold}"
                     + (f" (e.g. {shown})" if shown else ""))
    return lines
