"""DAG benchmark: the `send_warehouse` DAG's wall time against the sum of the same steps run
directly, measured in one run on the same sample.

    python -m bench.dag_bench [--no-stack] [--no-in-process] [--out bench/results/dag.json]

1. The scale-1 sample (seed 1) is generated into a temporary folder.
2. **Steps, directly**, one after another in a throw-away database, the same work the DAG
   does: the warehouse set up and every borough's case, SEN2 and ledger files and DfE's
   folder loaded (the DAG's own list of loads, `extract.ingest.plan_loads`, each with
   `run_load`, as `sendwh ingest` would), then `sendwh.pipeline.build` (dbt build, gates,
   publish), `forecast.run_forecast`, the board pack (`sendwh.report.build_report`) and
   dbt's docs (`sendwh.dbt_docs.generate_docs`). DfE's three release-2025 files the forecast
   reads are timed apart from its other files, and the report and docs apart, so that the
   steps as this benchmark counted them before 2026-12-05 (those three DfE files only, no
   report or docs) are in the results too (`steps_before_total_seconds`).
3. **The DAG in-process** (`dag.test()`, as `make demo` runs it), in a second throw-away
   database: same folder, same `today`.
4. **The DAG under Airflow's own processes** (`sendwh airflow`'s stack: api-server, scheduler,
   dag-processor, triggerer; LocalExecutor; PostgreSQL metadata) in a third: from the REST
   API's trigger to the run's end (starting the processes is not counted).
ratio = DAG seconds / steps' seconds. The databases are dropped afterwards. Each DAG run's
task instances (start and end, from Airflow's metadata) are summarised in the results: where
the DAG's time went, phase by phase.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import tempfile
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path

from rich.console import Console

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = ROOT / "bench" / "results" / "dag.json"
TODAY = "2026-11-30"
BOROUGHS = ("HF", "KC", "WCC")
DFE_FILES = ("caseload", "requests", "timeliness_20_week")
console = Console()


def _dfe_files() -> list[Path]:
    from foundation.settings import get_settings  # noqa: PLC0415

    dfe = get_settings().dfe_dir
    release = Path(dfe) / "release-2025" if dfe else None
    return [release / f"{name}.csv" for name in DFE_FILES] if release and release.is_dir() else []


def steps_directly(sample: Path) -> dict[str, float]:
    """Each step timed with its own imports (Great Expectations, statsmodels, matplotlib take
    seconds), as a `sendwh` command would pay them, and as each DAG task does."""
    times: dict[str, float] = {}
    started = time.perf_counter()
    from extract.ingest import ingest, plan_loads, run_load  # noqa: PLC0415
    from foundation.schema import setup  # noqa: PLC0415
    from foundation.settings import get_settings  # noqa: PLC0415

    setup()                                   # as `sendwh ingest` (and the DAG's first task) does
    for load in plan_loads(sample):           # the DAG's loads of the boroughs' files
        result = run_load(load)
        assert not result["rejected"], result["rejected"]
    times["ingest"] = time.perf_counter() - started
    dfe = get_settings().dfe_dir if _dfe_files() else None
    if dfe:
        started = time.perf_counter()
        ingest("dfe", _dfe_files())
        times["ingest_dfe_forecast_files"] = time.perf_counter() - started
        started = time.perf_counter()
        others = [p for p in sorted(Path(dfe).rglob("*.csv")) if p not in _dfe_files()]
        rest = ingest("dfe", others)          # the rest of the folder the DAG loads
        assert all(r.ok for r in rest), [r.reason for r in rest if not r.ok]
        times["ingest_dfe_other_files"] = time.perf_counter() - started
    started = time.perf_counter()
    from sendwh.pipeline import build  # noqa: PLC0415

    assert build(today=TODAY, quiet=True, say=lambda *_: None) == 0
    times["build"] = time.perf_counter() - started
    started = time.perf_counter()
    from forecast import run_forecast  # noqa: PLC0415

    run_forecast(dfe_dir=dfe, today=TODAY)
    times["forecast"] = time.perf_counter() - started
    started = time.perf_counter()
    from sendwh.report import build_report  # noqa: PLC0415

    build_report()
    times["board_report"] = time.perf_counter() - started
    started = time.perf_counter()
    from sendwh.dbt_docs import generate_docs  # noqa: PLC0415

    generate_docs()
    times["dbt_docs"] = time.perf_counter() - started
    return times


BEFORE = ("ingest", "ingest_dfe_forecast_files", "build", "forecast")   # the steps counted before 2026-12-05


def task_summary(rows: list[tuple]) -> dict:
    """Where a DAG run's time went, from its task instances (task_id, map_index, start, end):
    each phase's first start and last end in seconds from the run's first task, the gaps
    between phases, and the dbt group's model tasks (count, span, time each)."""
    rows = [r for r in rows if r[2] is not None and r[3] is not None]
    if not rows:
        return {}
    zero = min(r[2] for r in rows)

    def phase(task_id: str) -> str:
        if task_id.startswith("dbt_build."):
            return "dbt_build.producer" if task_id.endswith("dbt_producer_watcher") else \
                "dbt_build.models" if not task_id.endswith("_done") else "dbt_build.done"
        return task_id

    phases: dict[str, dict] = {}
    for task_id, _, start, end in rows:
        p = phases.setdefault(phase(task_id), {"tasks": 0, "start": None, "end": None, "busy": 0.0})
        s, e = (start - zero).total_seconds(), (end - zero).total_seconds()
        p["tasks"] += 1
        p["start"] = s if p["start"] is None else min(p["start"], s)
        p["end"] = e if p["end"] is None else max(p["end"], e)
        p["busy"] += e - s
    for p in phases.values():
        p.update(start=round(p["start"], 1), end=round(p["end"], 1), busy=round(p["busy"], 1))
    return dict(sorted(phases.items(), key=lambda kv: (kv[1]["start"], kv[1]["end"])))


def dag_in_process(sample: Path, airflow_home: Path) -> tuple[float, dict]:
    from foundation.settings import get_settings  # noqa: PLC0415
    from sendwh.airflow_run import prepare_airflow, run_dag  # noqa: PLC0415

    os.environ["SENDWH_AIRFLOW_HOME"] = str(airflow_home)
    dfe = str(get_settings().dfe_dir) if _dfe_files() else ""
    prepare_airflow()   # the metadata database, migrated once (not counted, as the stack's is not)
    started = time.perf_counter()
    run = run_dag("send_warehouse", "send_warehouse.py",
                  {"source_dir": str(sample), "dfe_dir": dfe, "today": TODAY})
    seconds = time.perf_counter() - started
    assert str(run.state).endswith("success"), run.state
    tasks = task_summary([(ti.task_id, ti.map_index, ti.start_date, ti.end_date)
                          for ti in run.get_task_instances()])
    return seconds, tasks


def dag_under_scheduler(sample: Path, home: Path) -> tuple[float, dict]:
    import socket  # noqa: PLC0415

    import psycopg  # noqa: PLC0415

    from foundation.settings import get_settings  # noqa: PLC0415
    from sendwh.airflow_stack import AirflowStack, metadata_url  # noqa: PLC0415

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    database = f"sendwh_bench_airflow_{uuid.uuid4().hex[:8]}"
    stack = AirflowStack(home=home, database=database, port=port, say=lambda *_: None)
    stack.migrate()
    stack.start()
    try:
        stack.wait_healthy()
        api = stack.client()
        stack.wait_for_dag(api, "send_warehouse")
        dfe = str(get_settings().dfe_dir) if _dfe_files() else ""
        started = time.perf_counter()
        run = stack.trigger(api, "send_warehouse", {"source_dir": str(sample), "dfe_dir": dfe,
                                                    "today": TODAY})
        state = stack.wait_for_run(api, "send_warehouse", run, timeout=3600)
        seconds = time.perf_counter() - started
        assert state == "success", stack.task_states(api, "send_warehouse", run)
        with psycopg.connect(metadata_url(database).replace("postgresql+psycopg://", "postgresql://")) as conn:
            tasks = task_summary(conn.execute(
                "select task_id, map_index, start_date, end_date from task_instance "
                "where dag_id = 'send_warehouse' and run_id = %s", (run,)).fetchall())
        return seconds, tasks
    finally:
        stack.stop()
        from foundation.database import admin_url  # noqa: PLC0415
        with psycopg.connect(admin_url(), autocommit=True) as conn:   # made by it (ensure_database)
            conn.execute(f'drop database if exists "{database}" with (force)')


def _rounded(times: dict[str, float]) -> dict[str, float]:
    return {k: round(v, 1) for k, v in times.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--no-stack", action="store_true", help="skip the real-scheduler run")
    parser.add_argument("--no-in-process", action="store_true", help="skip the dag.test() run")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)

    from foundation.schema import scratch_database  # noqa: PLC0415
    from sendwh.airflow_run import use_local_airflow  # noqa: PLC0415
    from sendwh.sample import generate  # noqa: PLC0415

    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="sendwh-dag-bench-") as tmp:
        tmp_path = Path(tmp)
        os.environ["SENDWH_OUTPUTS_DIR"] = str(tmp_path / "outputs")
        os.environ["SENDWH_SCHEDULE"] = ""
        use_local_airflow(tmp_path / "airflow")
        console.print("generating the scale-1 sample")
        sample = tmp_path / "sample"
        generate(sample, seed=1)
        with scratch_database("bench_steps"):
            console.print("steps, directly: set-up and ingest, build, forecast, board report, dbt docs")
            steps = steps_directly(sample)
        total = sum(steps.values())
        before = sum(steps.get(k, 0.0) for k in BEFORE)
        console.print(f"  {_rounded(steps)} = {total:.1f}s (as counted before 2026-12-05: {before:.1f}s)")
        runs = []
        if not args.no_in_process:
            with scratch_database("bench_dag"):
                console.print("the DAG in-process (dag.test(), as make demo)")
                seconds, tasks = dag_in_process(sample, tmp_path / "airflow")
            runs.append(("dag.test() in-process", seconds, tasks))
            console.print(f"  {seconds:.1f}s, ratio {seconds / total:.2f}")
        if not args.no_stack:
            with scratch_database("bench_stack"):
                console.print("the DAG under Airflow's own scheduler (LocalExecutor)")
                seconds, tasks = dag_under_scheduler(sample, tmp_path / "stack")
            runs.append(("scheduler + LocalExecutor", seconds, tasks))
            console.print(f"  {seconds:.1f}s, ratio {seconds / total:.2f}")
        for layout, _, tasks in runs:
            console.print(f"  {layout}: " + "; ".join(
                f"{name} {p['start']}-{p['end']}s ({p['tasks']} tasks)" for name, p in tasks.items()))

    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                            text=True).stdout.strip()
    result = {
        "benchmark": "dag",
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": {"cpu_count": os.cpu_count(), "python": platform.python_version(),
                    "platform": platform.platform(),
                    "load_average_before_after": [round(load_before[0], 2), round(os.getloadavg()[0], 2)]},
        "code": {"commit": commit},
        "scale": 1,
        "steps_seconds": _rounded(steps),
        "steps_total_seconds": round(total, 1),
        "steps_before_total_seconds": round(before, 1),
        "results": [
            {"kind": "dag", "layout": layout, "scale": 1, "seconds": round(seconds, 1),
             "ratio": round(seconds / total, 2), "target": 1.3,
             "ratio_to_steps_before": round(seconds / before, 2), "tasks": tasks}
            for layout, seconds, tasks in runs
        ],
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1) + "\n")
    console.print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
