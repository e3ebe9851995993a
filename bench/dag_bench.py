"""DAG benchmark: the `send_warehouse` DAG's wall time against the sum of the same steps run
directly, measured in one run on the same sample.

    python -m bench.dag_bench [--no-stack] [--out bench/results/dag.json]

1. The scale-1 sample (seed 1) is generated into a temporary folder.
2. **Steps, directly**, in a throw-away database: every borough's case, SEN2 and ledger files
   and DfE's files loaded with `extract.ingest.ingest` (as `sendwh ingest` does), then
   `sendwh.pipeline.build` (dbt build, gates, publish), then `forecast.run_forecast`.
3. **The DAG in-process** (`dag.test()`, as `make demo` runs it), in a second throw-away
   database: same folder, same `today`.
4. **The DAG under Airflow's own processes** (`sendwh airflow`'s stack: api-server, scheduler,
   dag-processor, triggerer; LocalExecutor; PostgreSQL metadata) in a third: from the REST
   API's trigger to the run's end (starting the processes is not counted).
ratio = DAG seconds / steps' seconds. Both databases are dropped afterwards.
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
    from extract.ingest import ingest  # noqa: PLC0415
    from forecast import run_forecast  # noqa: PLC0415
    from foundation.settings import get_settings  # noqa: PLC0415
    from sendwh.pipeline import build  # noqa: PLC0415

    times: dict[str, float] = {}
    started = time.perf_counter()
    for borough in BOROUGHS:
        for kind in ("case", "sen2", "ledger"):
            results = ingest(kind, [sample / borough / kind], borough)
            assert all(r.ok for r in results), [r.reason for r in results if not r.ok]
    if _dfe_files():
        ingest("dfe", _dfe_files())
    times["ingest"] = time.perf_counter() - started
    started = time.perf_counter()
    assert build(today=TODAY, quiet=True, say=lambda *_: None) == 0
    times["build"] = time.perf_counter() - started
    started = time.perf_counter()
    dfe = get_settings().dfe_dir if _dfe_files() else None
    run_forecast(dfe_dir=dfe, today=TODAY)
    times["forecast"] = time.perf_counter() - started
    return times


def dag_in_process(sample: Path, airflow_home: Path) -> float:
    from foundation.settings import get_settings  # noqa: PLC0415
    from sendwh.airflow_run import run_dag  # noqa: PLC0415

    os.environ["SENDWH_AIRFLOW_HOME"] = str(airflow_home)
    dfe = str(get_settings().dfe_dir) if _dfe_files() else ""
    started = time.perf_counter()
    run = run_dag("send_warehouse", "send_warehouse.py",
                  {"source_dir": str(sample), "dfe_dir": dfe, "today": TODAY})
    seconds = time.perf_counter() - started
    assert str(run.state).endswith("success"), run.state
    return seconds


def dag_under_scheduler(sample: Path, home: Path) -> float:
    import socket  # noqa: PLC0415

    from foundation.settings import get_settings  # noqa: PLC0415
    from sendwh.airflow_stack import AirflowStack  # noqa: PLC0415

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
        return seconds
    finally:
        stack.stop()
        import psycopg  # noqa: PLC0415

        from foundation.database import admin_url  # noqa: PLC0415
        with psycopg.connect(admin_url(), autocommit=True) as conn:   # made by it (ensure_database)
            conn.execute(f'drop database if exists "{database}" with (force)')


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--no-stack", action="store_true", help="skip the real-scheduler run")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)

    from foundation.schema import scratch_database  # noqa: PLC0415
    from sendwh.airflow_run import use_local_airflow  # noqa: PLC0415
    from sendwh.sample import generate  # noqa: PLC0415

    with tempfile.TemporaryDirectory(prefix="sendwh-dag-bench-") as tmp:
        tmp_path = Path(tmp)
        os.environ["SENDWH_OUTPUTS_DIR"] = str(tmp_path / "outputs")
        os.environ["SENDWH_SCHEDULE"] = ""
        use_local_airflow(tmp_path / "airflow")
        console.print("generating the scale-1 sample")
        sample = tmp_path / "sample"
        generate(sample, seed=1)
        with scratch_database("bench_steps"):
            console.print("steps, directly: ingest, build, forecast")
            steps = steps_directly(sample)
        total = sum(steps.values())
        console.print(f"  {steps} = {total:.1f}s")
        with scratch_database("bench_dag"):
            console.print("the DAG in-process (dag.test(), as make demo)")
            in_process = dag_in_process(sample, tmp_path / "airflow")
        console.print(f"  {in_process:.1f}s, ratio {in_process / total:.2f}")
        under_scheduler = None
        if not args.no_stack:
            with scratch_database("bench_stack"):
                console.print("the DAG under Airflow's own scheduler (LocalExecutor)")
                under_scheduler = dag_under_scheduler(sample, tmp_path / "stack")
            console.print(f"  {under_scheduler:.1f}s, ratio {under_scheduler / total:.2f}")

    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                            text=True).stdout.strip()
    result = {
        "benchmark": "dag",
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": {"cpu_count": os.cpu_count(), "python": platform.python_version(),
                    "platform": platform.platform()},
        "code": {"commit": commit},
        "scale": 1,
        "steps_seconds": {k: round(v, 1) for k, v in steps.items()},
        "steps_total_seconds": round(total, 1),
        "results": [
            {"kind": "dag", "layout": "dag.test() in-process", "scale": 1,
             "seconds": round(in_process, 1), "ratio": round(in_process / total, 2), "target": 1.3},
            *([{"kind": "dag", "layout": "scheduler + LocalExecutor", "scale": 1,
                "seconds": round(under_scheduler, 1), "ratio": round(under_scheduler / total, 2),
                "target": 1.3}] if under_scheduler else []),
        ],
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1) + "\n")
    console.print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
