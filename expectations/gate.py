"""The quality gate: every check of expectations/suites.yml run with Great Expectations on the
sources that feed the marts and on the marts just built (not yet published), the results
kept in audit.dq_results, and Data Docs rebuilt. `blocked` decides whether to publish."""
from __future__ import annotations

import json
import uuid
import warnings
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import great_expectations as gx
from great_expectations.core.run_identifier import RunIdentifier
from psycopg import sql

from expectations.catalogue import Check, asset_query, load_config, mart_checks, row_id_columns, source_checks
from expectations.gx_project import data_docs_index, open_context, replace_datasource, warehouse_url_in_environment
from expectations.history import summary_lines as recorded_summary_lines
from expectations.publish import BUILD_SCHEMAS
from foundation.database import connect
from foundation.settings import get_settings

# the marts are checked where dbt built them, before they are published
BUILD_SCHEMA = BUILD_SCHEMAS["marts"]
RUN_LOCK = 4210502   # a gate run's own advisory lock, with its run id (while it is alive)
SOURCE_KINDS = ("sen2", "case", "ledger")


@dataclass
class CheckResult:
    check: Check
    passed: bool
    observed_value: float | None
    observed_unit: str
    rows_checked: int | None
    failing_rows: list[str] = field(default_factory=list)
    error: str | None = None


@dataclass
class GateReport:
    run_id: str
    run_date: date
    results: list[CheckResult]
    data_docs: Path

    @property
    def blocking(self) -> list[CheckResult]:
        return [r for r in self.results if not r.passed and r.check.severity == "block"]

    @property
    def warnings(self) -> list[CheckResult]:
        return [r for r in self.results if not r.passed and r.check.severity == "warn"]

    @property
    def blocked(self) -> bool:
        return bool(self.blocking)

    @property
    def status(self) -> str:
        return "blocked" if self.blocking else "warned" if self.warnings else "passed"

    def summary_lines(self, examples: int = 3) -> list[str]:
        """The recorded run's summary (see expectations.history.summary_lines)."""
        with connect() as conn:
            return recorded_summary_lines(conn, self.run_id, examples)


def gate_scope(conn) -> list[tuple[str, str]]:
    """(borough, source kind) of every file loaded or refused: what feeds the marts, and
    what should have."""
    return [tuple(r) for r in conn.execute(
        "select distinct borough, source_kind from audit.batches "
        "where source_kind = any(%s) and borough is not null order by 1, 2",
        (list(SOURCE_KINDS),)).fetchall()]


def render_query(conn, check: Check, run_date: date, build_schema: str) -> str:
    """The asset's SQL with its parameters quoted in, wrapped to add `row_ref`: the file name
    and row (or the figure) that identifies a failing row in the summary and Data Docs."""
    text = asset_query(check.asset)
    parameters = {"{borough}": sql.Literal(check.borough),
                  "{run_date}": sql.Literal(run_date.isoformat()),
                  "{source_kind}": sql.Literal(check.source),
                  "{marts}": sql.Identifier(build_schema)}
    for marker, value in parameters.items():   # quoted by psycopg, never pasted raw
        text = text.replace(marker, value.as_string(conn))
    row_id = row_id_columns(check.source, check.asset)
    parts, join = [], ""
    if "batch_id" in row_id:
        parts.append("coalesce(batches.file_name, 'batch ' || q.batch_id)")
        join = "left join audit.batches as batches on batches.batch_id = q.batch_id"
    labels = {"source_row": "row", "error_row": "row", "error_field": "field", "field": "field"}
    parts += [f"'{labels[col]} ' || q.{col}" if col in labels else f"q.{col}::text"
              for col in row_id if col != "batch_id"]
    return (f"select concat_ws(' ', {', '.join(parts)}) as row_ref, q.*\n"
            f"from (\n{text.strip().rstrip(';')}\n) as q\n{join}")


def _expectation(check: Check, key: int):
    cls = getattr(gx.expectations, "".join(w.title() for w in check.expectation.split("_")))
    return cls(**check.kwargs, meta={"gate_key": key, "check": check.name,
                                      "severity": check.severity, "borough": check.borough,
                                      "source": check.source, "threshold": check.threshold,
                                      "description": check.description})


def _exception_message(info: dict) -> str | None:
    """GX reports an exception at the top of exception_info or per metric inside it."""
    found = [info] + [v for v in info.values() if isinstance(v, dict)]
    for entry in found:
        if entry.get("raised_exception"):
            lines = [ln for ln in str(entry.get("exception_message") or "error").splitlines() if ln.strip()]
            return (lines[0] if lines else "error")[:300]
    return None


def _result(check: Check, outcome, kept: int) -> CheckResult:
    error = _exception_message(outcome.exception_info or {})
    if error:
        return CheckResult(check, False, None, "error", None, error=error)
    res = outcome.result or {}
    if "unexpected_count" in res:
        refs = res.get("partial_unexpected_index_list") or res.get("unexpected_index_list") or []
        failing = [str(r.get("row_ref")) for r in refs[:kept] if isinstance(r, dict)]
        return CheckResult(check, bool(outcome.success), float(res.get("unexpected_count") or 0),
                           "failing rows", res.get("element_count"), failing)
    observed = res.get("observed_value")
    number = float(observed) if isinstance(observed, (int, float)) else None
    return CheckResult(check, bool(outcome.success), number, "value", None)


def run_gates(run_date: date | None = None, build_schema: str = BUILD_SCHEMA,
              run_id: str | None = None, config_path: Path | None = None,
              say=print, started: Callable[[str], None] | None = None,
              sources_of: list[str] | None = None) -> GateReport:
    """Run every check; record the run and its results in audit; rebuild Data Docs.
    `sources_of`: check only these boroughs' sources (a daily run's changed boroughs: the
    others' loaded files have not changed since the last run checked them); every borough's
    marts are checked all the same.
    While it runs, the run holds its advisory lock (RUN_LOCK, the run id), so that a later
    run can tell it from one whose process died (`close_abandoned_runs`, which every run
    calls first). `started(run_id)` is called once the run is recorded as `running`."""
    run_date = run_date or date.today()
    run_id = run_id or f"gates_{run_date:%Y%m%d}_{uuid.uuid4().hex[:8]}"
    config = load_config(config_path)
    outputs = get_settings().outputs_dir
    with connect(autocommit=True) as alive:      # held until the verdict is recorded
        for closed in close_abandoned_runs(alive):
            say(f"quality-gate run {closed} had died before its verdict: closed as abandoned")
        alive.execute("select pg_advisory_lock(%s, hashtext(%s))", (RUN_LOCK, run_id))
        with connect() as conn:
            pairs = gate_scope(conn)
            checks = [c for borough, kind in pairs for c in source_checks(config, borough, kind)
                      if sources_of is None or borough in sources_of]
            checks += mart_checks(config, sorted({borough for borough, _ in pairs}))
            one_per_asset = {asset_name(c): c for c in checks}     # checks share their query
            queries = {name: render_query(conn, c, run_date, build_schema)
                       for name, c in one_per_asset.items()}
            conn.execute("insert into audit.dq_runs (run_id, run_date, build_schema) values (%s, %s, %s)",
                         (run_id, run_date, build_schema))
        if started is not None:
            started(run_id)
        scope = (f"{len(pairs)} borough sources" if sources_of is None else
                 f"the sources of {', '.join(sources_of)}")
        say(f"quality gates: {len(checks)} checks on {len(queries)} queries "
            f"({scope} and the marts in {build_schema})")
        results = _validate(checks, queries, outputs, run_id, config.get("failing_rows_kept", 20))
        report = GateReport(run_id, run_date, results, data_docs_index(outputs))
        record(report, outputs)
    return report


def close_abandoned_runs(conn) -> list[str]:
    """Close as `abandoned` every gate run still `running` whose process has died (its run
    lock is free: a live run holds it); returns their ids. `conn` is in autocommit mode."""
    closed = []
    for (run_id,) in conn.execute("select run_id from audit.dq_runs where status = 'running' "
                                  "order by started_at").fetchall():
        if conn.execute("select pg_try_advisory_lock(%s, hashtext(%s))",
                        (RUN_LOCK, run_id)).fetchone()[0]:
            try:
                conn.execute("update audit.dq_runs set status = 'abandoned', finished_at = now() "
                             "where run_id = %s and status = 'running'", (run_id,))
                closed.append(run_id)
            finally:
                conn.execute("select pg_advisory_unlock(%s, hashtext(%s))", (RUN_LOCK, run_id))
    return closed


def _validate(checks: list[Check], queries: dict, outputs: Path, run_id: str,
              kept: int) -> list[CheckResult]:
    """One suite and validation definition per query, run by one checkpoint; Data Docs are
    then rebuilt for this run's results (and the index of all runs) once."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        groups: dict[str, list[int]] = defaultdict(list)
        for key, check in enumerate(checks):
            groups[asset_name(check)].append(key)
        with warehouse_url_in_environment():
            context = open_context(outputs)
            datasource = replace_datasource(context, {name: queries[name] for name in groups})
            definitions = []
            for name, keys in groups.items():
                suite = context.suites.add_or_update(gx.ExpectationSuite(
                    name=name, expectations=[_expectation(checks[k], k) for k in keys]))
                batch = datasource.get_asset(name).get_batch_definition("all")
                definitions.append(context.validation_definitions.add_or_update(
                    gx.ValidationDefinition(name=name, data=batch, suite=suite)))
            checkpoint = context.checkpoints.add_or_update(gx.Checkpoint(
                name="quality_gates", validation_definitions=definitions, actions=[],
                result_format={"result_format": "SUMMARY", "partial_unexpected_count": kept,
                               "unexpected_index_column_names": ["row_ref"]}))
            outcome = checkpoint.run(run_id=RunIdentifier(run_name=run_id))
            context.build_data_docs(resource_identifiers=list(outcome.run_results))
    results: dict[int, CheckResult] = {}
    for validation in outcome.run_results.values():
        for expectation in validation.results:
            key = int(expectation.expectation_config.meta["gate_key"])
            results[key] = _result(checks[key], expectation, kept)
    return [results[k] for k in sorted(results)]


def asset_name(check: Check) -> str:
    return f"{check.source}.{check.borough}.{check.asset}"


def record(report: GateReport, outputs: Path) -> None:
    """The run's results into audit.dq_results, and its status into audit.dq_runs."""
    rows = [(report.run_id, r.check.borough, r.check.source, r.check.asset, r.check.name,
             r.check.severity, r.check.expectation + ":" + r.check.kwargs.get("column", ""),
             r.passed, r.observed_value, r.observed_unit, r.rows_checked, r.check.threshold,
             json.dumps(r.failing_rows), r.check.description + (f" ({r.error})" if r.error else ""))
            for r in report.results]
    with connect() as conn, conn.cursor() as cur:
        cur.executemany(
            "insert into audit.dq_results (run_id, borough, source, asset, check_name, severity,"
            " expectation, passed, observed_value, observed_unit, rows_checked, threshold,"
            " failing_rows, description) values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s,"
            " %s, %s, %s)", rows)
        docs = report.data_docs.relative_to(outputs) if report.data_docs.is_relative_to(outputs) \
            else report.data_docs
        cur.execute(
            "update audit.dq_runs set finished_at = now(), status = %s, blocking_failures = %s,"
            " warnings = %s, data_docs = %s where run_id = %s",
            (report.status, len(report.blocking), len(report.warnings), str(docs), report.run_id))
