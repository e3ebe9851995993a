"""The quality gate: every check of expectations/suites.yml run with Great Expectations on the
sources that feed the marts and on the marts just built (not yet published), the results
kept in audit.dq_results, and Data Docs rebuilt. `blocked` decides whether to publish."""
from __future__ import annotations

import hashlib
import json
import uuid
import warnings
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import great_expectations as gx
import psycopg
from great_expectations.core.run_identifier import RunIdentifier
from great_expectations.data_context.types.resource_identifiers import (
    ExpectationSuiteIdentifier,
    ValidationResultIdentifier,
)
from great_expectations.validator.v1_validator import Validator
from psycopg import sql

from expectations.catalogue import Check, asset_query, load_config, mart_checks, row_id_columns, source_checks
from expectations.gx_project import (
    DATASOURCES,
    data_docs_index,
    open_context,
    replace_datasource,
    warehouse_url_in_environment,
)
from expectations.history import summary_lines as recorded_summary_lines
from expectations.publish import BUILD_SCHEMAS
from foundation.database import connect
from foundation.settings import get_settings

# the marts are checked where dbt built them, before they are published
BUILD_SCHEMA = BUILD_SCHEMAS["marts"]
RUN_LOCK = 4210502   # a gate run's own advisory lock, with its run id (while it is alive)
SOURCE_KINDS = ("sen2", "case", "ledger")
# expectations judged row by row: a set of boroughs passes one together exactly when each
# borough would pass it alone (without `mostly`), so their checks can share a validation
ROW_EXPECTATIONS = frozenset({"expect_column_values_to_be_in_set", "expect_column_values_to_be_between",
                              "expect_column_values_to_be_unique", "expect_column_values_to_not_be_null"})
# boroughs whose rows one validation judges together (bounds the size of one query)
BOROUGHS_PER_VALIDATION = 40
# where each validation's rows are computed once for GX to read (unlogged tables, each
# dropped as soon as its checks are judged)
WORK_SCHEMA = "gates_work"


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


def _expectation(check: Check, boroughs: list[str]):
    cls = getattr(gx.expectations, "".join(w.title() for w in check.expectation.split("_")))
    return cls(**check.kwargs, meta={"check": check.name, "severity": check.severity,
                                      "boroughs": boroughs, "source": check.source,
                                      "threshold": check.threshold,
                                      "description": check.description})


class _Runner:
    """Great Expectations, set up once per gate run. Each unit's rows are computed once, by
    its query, into a work table (WORK_SCHEMA, dropped when the unit is judged), and GX's
    query asset reads that table: GX runs several queries per validation (the columns, the
    counts, the failing rows), which before each ran the unit's query again. One data source
    per round with every unit's asset (written in one go); each unit's suite, validated on
    its own with GX's Validator (no checkpoint: a checkpoint first re-reads every validation
    definition, suite and data source from the project to check that they are current, and
    each validation definition re-reads the data source, which grew with the square of the
    boroughs); its results stored in the project for Data Docs."""

    def __init__(self, context, conn, run_id: str, kept: int):
        self.context = context
        self.conn = conn                          # autocommit: each work table on its own
        self.run_id = RunIdentifier(run_name=run_id)
        self.prefix = "r" + hashlib.md5(run_id.encode()).hexdigest()[:12]   # close_abandoned_runs
        self.kept = kept
        self.identifiers: list[ValidationResultIdentifier] = []
        self.rounds = 0
        self.tables: dict[str, sql.Identifier] = {}     # unit name -> its work table
        for stale in DATASOURCES[1:]:
            if stale in context.data_sources.all():
                context.data_sources.delete(stale)
        conn.execute(sql.SQL("create schema if not exists {}").format(sql.Identifier(WORK_SCHEMA)))

    def table(self, unit: Unit) -> sql.Identifier:
        if unit.name not in self.tables:
            self.tables[unit.name] = sql.Identifier(WORK_SCHEMA, f"{self.prefix}_{len(self.tables)}")
        return self.tables[unit.name]

    def materialize(self, unit: Unit, queries: list[str]) -> bool:
        """The unit's rows into its work table, one borough's query at a time (one statement
        per borough, so the server's memory is one borough's query's, not the unit's); False
        (and the table dropped) if a query fails."""
        table = self.table(unit)
        try:
            self.conn.execute(sql.SQL("create unlogged table {} as\n").format(table) + sql.SQL(queries[0]))
            for query in queries[1:]:
                self.conn.execute(sql.SQL("insert into {}\n").format(table) + sql.SQL(query))
            return True
        except psycopg.Error:
            self.drop(unit.name)
            return False

    def index_by_borough(self, unit_name: str) -> None:
        """An index on the work table's borough, before its boroughs are re-validated one by
        one (each re-validation's queries then read that borough's rows, not the table: with
        150 boroughs failing a check, the scans had grown with the square of the boroughs)."""
        table = self.tables[unit_name]
        self.conn.execute(sql.SQL("create index on {} (gate_borough)").format(table))
        self.conn.execute(sql.SQL("analyze {}").format(table))

    def borough_rows(self, unit: Unit) -> dict[str, int]:
        """Rows per borough of a unit: each borough's element count when the unit's checks all
        pass (GX counts the unit's rows as a whole)."""
        return dict(self.conn.execute(sql.SQL("select gate_borough, count(*) from {} group by 1")
                                      .format(self.table(unit))).fetchall())

    def drop(self, unit_name: str) -> None:
        table = self.tables.pop(unit_name, None)
        if table is not None:
            self.conn.execute(sql.SQL("drop table if exists {}").format(table))

    def drop_all(self) -> None:
        for name in list(self.tables):
            self.drop(name)

    def datasource(self, queries: dict[str, str]):
        """This round's data source, with one query asset per unit."""
        datasource = replace_datasource(self.context, queries, DATASOURCES[self.rounds])
        self.rounds += 1
        return datasource

    def validate(self, datasource, unit: Unit, checks: list[Check]) -> list:
        """The unit's expectation results, in its suite's order."""
        keys = next(iter(unit.keys.values()))
        suite = self.context.suites.add_or_update(gx.ExpectationSuite(
            name=unit.name, expectations=[_expectation(checks[k], unit.boroughs) for k in keys]))
        columns = ["row_ref"] if len(unit.keys) == 1 else ["gate_borough", "row_ref"]
        validator = Validator(
            batch_definition=datasource.get_asset(unit.name).get_batch_definition("all"),
            result_format={"result_format": "SUMMARY", "partial_unexpected_count": self.kept,
                           "unexpected_index_column_names": columns})
        validation = validator.validate_expectation_suite(suite)
        validation.meta.update(run_id=self.run_id, validation_time=self.run_id.run_time,
                               batch_parameters=None)
        identifier = ValidationResultIdentifier(
            expectation_suite_identifier=ExpectationSuiteIdentifier(name=unit.name),
            run_id=self.run_id, batch_identifier=validation.batch_id)
        self.context.validation_results_store.store_validation_results(
            suite_validation_result=validation, suite_validation_result_identifier=identifier,
            expectation_suite_identifier=ExpectationSuiteIdentifier(name=unit.name))
        self.identifiers.append(identifier)
        return list(validation.results)

    def build_data_docs(self) -> None:
        self.context.build_data_docs(resource_identifiers=self.identifiers)


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
            units = plan_units(checks)
            conn.execute("insert into audit.dq_runs (run_id, run_date, build_schema) values (%s, %s, %s)",
                         (run_id, run_date, build_schema))
        if started is not None:
            started(run_id)
        scope = (f"{len(pairs)} borough sources" if sources_of is None else
                 f"the sources of {', '.join(sources_of)}")
        say(f"quality gates: {len(checks)} checks on {len({asset_name(c) for c in checks})} "
            f"borough queries in {len(units)} validations ({scope} and the marts in {build_schema})")
        results = _validate(checks, units, run_date, build_schema, outputs, run_id,
                            config.get("failing_rows_kept", 20), say)
        report = GateReport(run_id, run_date, results, data_docs_index(outputs))
        record(report, outputs)
    return report


def close_abandoned_runs(conn) -> list[str]:
    """Close as `abandoned` every gate run still `running` whose process has died (its run
    lock is free: a live run holds it), and drop the work tables of every run not running;
    returns the ids closed. `conn` is in autocommit mode."""
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
    # the work tables a killed run left behind (a live run's are named after it, see _Runner)
    for (table,) in conn.execute(
            "select format('%%I.%%I', schemaname, tablename) from pg_tables as t where schemaname = %s "
            "and not exists (select 1 from audit.dq_runs as r where r.status = 'running' "
            "and t.tablename like 'r' || left(md5(r.run_id), 12) || '\\_%%')", (WORK_SCHEMA,)).fetchall():
        conn.execute(f"drop table if exists {table}")
    return closed


@dataclass
class Unit:
    """One Great Expectations validation: one asset's checks on the rows of one or more
    boroughs (their queries' rows one after the other, each tagged `gate_borough`).
    `keys[borough]` are that borough's checks (indices into the run's list), in the suite's
    order; every borough of a unit has the same checks with the same arguments."""
    name: str
    source: str
    asset: str
    keys: dict[str, list[int]]
    parent: str | None = None     # a re-validation's unit of several boroughs

    @property
    def boroughs(self) -> list[str]:
        return list(self.keys)


def _mergeable(group: list[Check]) -> bool:
    """Whether a borough's checks on an asset can be judged together with other boroughs':
    a check on each row with every row required to pass (no `mostly`), so that a borough
    passes exactly when none of its rows fails, whatever the other boroughs' rows."""
    return all(c.expectation in ROW_EXPECTATIONS and c.kwargs.get("mostly", 1.0) >= 1.0
               for c in group)


def plan_units(checks: list[Check], per_unit: int | None = None) -> list[Unit]:
    """The run's validations: the boroughs whose checks on an asset are the same (name,
    expectation, arguments) share one, `per_unit` boroughs at most (BOROUGHS_PER_VALIDATION);
    a borough whose checks differ (an override in config.yml `boroughs:`, or a `mostly`)
    gets its own."""
    per_unit = per_unit or BOROUGHS_PER_VALIDATION
    by_asset: dict[tuple[str, str, str], list[int]] = defaultdict(list)
    for key, check in enumerate(checks):
        by_asset[(check.source, check.asset, check.borough)].append(key)
    groups: dict[tuple, dict[str, list[int]]] = defaultdict(dict)
    for (source, asset, borough), keys in by_asset.items():
        group = [checks[k] for k in keys]
        signature = tuple((c.name, c.expectation, json.dumps(c.kwargs, sort_keys=True, default=str))
                          for c in group)
        shared = (source, asset, signature) if _mergeable(group) else (source, asset, signature, borough)
        groups[shared][borough] = keys
    units = []
    for (source, asset, *_), members in groups.items():
        boroughs = list(members)
        for start in range(0, len(boroughs), per_unit):
            part = boroughs[start:start + per_unit]
            name = (f"{source}.{part[0]}.{asset}" if len(part) == 1 else
                    f"{source}.{part[0]}-{part[-1]}.{asset}")
            units.append(Unit(name, source, asset, {b: members[b] for b in part}))
    return units


def unit_queries(conn, unit: Unit, checks: list[Check], run_date: date, build_schema: str) -> list[str]:
    """Each borough's own query (render_query), tagged with its borough."""
    return [f"select {sql.Literal(borough).as_string(conn)}::text as gate_borough, b.* from (\n"
            f"{render_query(conn, checks[keys[0]], run_date, build_schema)}\n) as b"
            for borough, keys in unit.keys.items()]


def _validate(checks: list[Check], units: list[Unit], run_date: date, build_schema: str,
              outputs: Path, run_id: str, kept: int, say=print) -> list[CheckResult]:
    """Every unit validated by Great Expectations; a check that fails (or cannot run) on a
    unit of several boroughs is validated again on each of its boroughs' rows alone, so that
    every failure is GX's verdict on that borough's own rows, with its own count and failing
    rows. Data Docs are then rebuilt for this run's results (and the index of all runs) once."""
    results: dict[int, CheckResult] = {}
    with warnings.catch_warnings(), warehouse_url_in_environment(), connect(autocommit=True) as conn:
        warnings.simplefilter("ignore")
        runner = _Runner(open_context(outputs), conn, run_id, kept)
        try:
            datasource = runner.datasource({u.name: sql.SQL("select * from {}").format(runner.table(u))
                                            .as_string(conn) for u in units})
            again: list[Unit] = []
            for unit in units:
                if not runner.materialize(unit, unit_queries(conn, unit, checks, run_date, build_schema)):
                    again += [Unit(f"{unit.source}.{b}.{unit.asset}", unit.source, unit.asset, {b: keys})
                              for b, keys in unit.keys.items()]
                    continue
                failed, rows = False, None
                for position, expectation in enumerate(runner.validate(datasource, unit, checks)):
                    if len(unit.keys) == 1:
                        [keys] = unit.keys.values()
                        results[keys[position]] = _result(checks[keys[position]], expectation, kept)
                    elif expectation.success and not _exception_message(expectation.exception_info or {}):
                        rows = rows if rows is not None else runner.borough_rows(unit)
                        for keys in unit.keys.values():
                            results[keys[position]] = CheckResult(
                                checks[keys[position]], True, 0.0, "failing rows",
                                rows.get(checks[keys[position]].borough, 0))
                    else:
                        failed = True
                        again += [Unit(f"{unit.source}.{b}.{unit.asset}", unit.source, unit.asset,
                                       {b: [keys[position]]}, parent=unit.name)
                                  for b, keys in unit.keys.items()]
                if not failed:
                    runner.drop(unit.name)
            if again:
                again = _combine(again)
                say(f"quality gates: {len(again)} validations of single boroughs' checks that "
                    "failed (or could not run) on several boroughs together")
                for parent in sorted({u.parent for u in again if u.parent in runner.tables}):
                    runner.index_by_borough(parent)
                queries = {}
                for unit in again:
                    [borough] = unit.keys
                    queries[unit.name] = (
                        sql.SQL("select * from {} where gate_borough = {}").format(
                            runner.tables[unit.parent], sql.Literal(borough)).as_string(conn)
                        if unit.parent in runner.tables else
                        unit_queries(conn, unit, checks, run_date, build_schema)[0])
                datasource = runner.datasource(queries)
                for unit in again:
                    [keys] = unit.keys.values()
                    for key, expectation in zip(keys, runner.validate(datasource, unit, checks), strict=True):
                        results[key] = _result(checks[key], expectation, kept)
        finally:
            runner.drop_all()
        runner.build_data_docs()
    return [results[k] for k in sorted(results)]


def _combine(units: list[Unit]) -> list[Unit]:
    """The boroughs' re-validations, one per borough and asset (all its failed checks)."""
    combined: dict[str, Unit] = {}
    for unit in units:
        [(borough, keys)] = unit.keys.items()
        into = combined.setdefault(unit.name, Unit(unit.name, unit.source, unit.asset, {borough: []},
                                                   parent=unit.parent))
        into.keys[borough] += keys
    return list(combined.values())


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
