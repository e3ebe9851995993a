"""England benchmark: the whole pipeline on every English council (`sendwh sample --england`),
stage by stage, with each stage's wall time and peak memory, then a daily run.

    python -m bench.england_bench [--fraction 0.1] [--councils N] [--sample DIR]
        [--workers 2] [--no-daily] [--out bench/results/england.json] [--dfe-dir DIR]

Stages, each in its own child process (this module with `--stage`), in a throw-away database
on the warehouse server (named in WAREHOUSE_URL, dropped at the end), with the councils in
SENDWH_BOROUGHS_FILE (the sample's boroughs.yml):

1. generate: the England sample into a temporary folder (skipped with --sample DIR);
2. load: `extract.ingest.ingest` per council and kind (case, sen2, ledger), then DfE's files;
3. build: `sendwh.pipeline.build` (dbt build into the build schemas, the gates, publish);
   dbt's run_results.json gives each node's time (the slowest are kept);
4. forecast: `forecast.run_forecast` (every council, and the backtest on DfE's figures);
5. daily: one council sent one new case extract and one monthly ledger (the same council
   simulated to a month later): those two loaded, then a build whose gates check that
   council's sources and every borough's marts (`sendwh build --gate-sources-of`), and the
   forecast of the boroughs whose history changed (`sendwh forecast run --only-changed`).

For each stage: the child's wall time around the work (imports excluded), its own peak RSS
(VmHWM), and, sampled every 0.5 s by the parent, the peak PSS of the child's process tree
(dbt runs under it) and of the PostgreSQL server's tree (when the server is on this machine).
Results are rewritten after every stage (`"complete": false` until the end). See bench/README.md.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import date, datetime, timedelta, timezone
from multiprocessing import get_context
from pathlib import Path

from rich.console import Console
from rich.table import Table

from bench.process_memory import PeakSampler, own_peak_rss_mb, postmaster_pid

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = ROOT / "bench" / "results" / "england.json"
TODAY = "2026-11-30"
DFE_FILES = ("caseload", "requests", "timeliness_20_week")
KINDS = ("case", "sen2", "ledger")
DAILY_DAYS = 31          # the daily run's council is simulated this many days later
console = Console(width=200)


# --- children: one stage each ----------------------------------------------------------
def _dfe_files(dfe_dir: str | None) -> list[Path]:
    release = Path(dfe_dir) / "release-2025" if dfe_dir else None
    return [release / f"{n}.csv" for n in DFE_FILES] if release and release.is_dir() else []


def stage_generate(spec: dict) -> dict:
    from sendwh.sample import generate  # noqa: PLC0415

    manifest = generate(Path(spec["sample"]), seed=spec["seed"], england=True,
                        england_fraction=spec["fraction"], dfe_dir=Path(spec["dfe_dir"]),
                        councils=spec.get("councils"), workers=spec["workers"],
                        progress=lambda m: print(m, file=sys.stderr, flush=True))
    size = sum(p.stat().st_size for p in Path(spec["sample"]).rglob("*") if p.is_file())
    return {"councils": len(manifest["boroughs"]), "files": len(manifest["files"]),
            "mb": round(size / 2**20, 1), "census_year": manifest["england"]["census_year"],
            "plans_at_census": sum(manifest["england"]["dfe_plans"].values())}


def _load_one(load: tuple[str, str, str | None]) -> tuple[str, int, int, float, list[str]]:
    """One council's files of one kind (in a worker process when the load has several)."""
    from extract.ingest import ingest  # noqa: PLC0415

    kind, path, borough = load
    started = time.perf_counter()
    results = ingest(kind, [Path(path)], borough)
    return (kind, len(results), sum(r.rows for r in results), time.perf_counter() - started,
            [f"{r.path.name}: {r.reason}" for r in results if r.status == "rejected"])


def _load(loads: list[tuple[str, Path, str | None]], workers: int = 1) -> dict:
    """Every load, in `workers` processes at once (as the DAG's mapped loads run: different
    councils and kinds side by side); each kind's seconds are summed over the processes."""
    by_kind: dict[str, dict] = {}
    rejected: list[str] = []
    jobs = [(kind, str(path), borough) for kind, path, borough in loads]
    if workers > 1 and len(jobs) > 1:
        with ProcessPoolExecutor(workers, mp_context=get_context("spawn")) as pool:
            done = list(pool.map(_load_one, jobs))
    else:
        done = [_load_one(job) for job in jobs]
    for kind, files, rows, seconds, refused in done:
        k = by_kind.setdefault(kind, {"files": 0, "rows": 0, "seconds": 0.0})
        k["files"] += files
        k["rows"] += rows
        k["seconds"] += seconds
        rejected += refused
    for k in by_kind.values():
        k["seconds"] = round(k["seconds"], 1)
    return {"by_kind": by_kind, "workers": workers, "rejected": rejected[:10],
            "rejected_count": len(rejected), "rows": sum(k["rows"] for k in by_kind.values())}


def stage_load(spec: dict) -> dict:
    sample = Path(spec["sample"])
    manifest = json.loads((sample / "manifest.json").read_text())
    loads = [(kind, sample / b["borough"] / kind, b["borough"])
             for b in manifest["boroughs"] for kind in KINDS]
    loads += [("dfe", path, None) for path in _dfe_files(spec.get("dfe_dir"))]
    return _load(loads, spec.get("workers", 1))


def _run_results(limit: int = 15) -> dict:
    path = ROOT / "dbt_project" / "target" / "run_results.json"
    if not path.is_file():
        return {}
    nodes = json.loads(path.read_text()).get("results", [])
    timed = sorted(nodes, key=lambda n: n.get("execution_time") or 0, reverse=True)
    kinds: dict[str, float] = {}
    for n in nodes:
        kind = n["unique_id"].split(".")[0]
        kinds[kind] = kinds.get(kind, 0.0) + (n.get("execution_time") or 0)
    return {"nodes": len(nodes), "seconds_by_resource_type": {k: round(v, 1) for k, v in kinds.items()},
            "slowest": [{"node": n["unique_id"].split(".", 2)[-1], "type": n["unique_id"].split(".")[0],
                         "seconds": round(n.get("execution_time") or 0, 2), "status": n["status"]}
                        for n in timed[:limit]]}


def stage_build(spec: dict) -> dict:
    """sendwh.pipeline.build, timed by its own stages (the build's record marks each one)."""
    from sendwh import build_runs  # noqa: PLC0415
    from sendwh.pipeline import build  # noqa: PLC0415

    marks = [("setup", time.perf_counter())]
    record = build_runs.BuildRun.stage

    def stage(self, name: str) -> None:
        marks.append((name, time.perf_counter()))
        record(self, name)

    build_runs.BuildRun.stage = stage
    lines: list[str] = []
    status = build(today=spec["today"], select=spec.get("select"), quiet=True,
                   say=lambda *a: lines.append(" ".join(map(str, a))),
                   gate_sources_of=spec.get("gate_sources_of"), only_changed=spec.get("only_changed", False))
    marks.append(("end", time.perf_counter()))
    parts = {name: round(marks[i + 1][1] - t, 1) for i, (name, t) in enumerate(marks[:-1])}
    return {"status": status, "parts_seconds": parts, "dbt": _run_results(), "said": lines[-12:]}


def stage_forecast(spec: dict) -> dict:
    from forecast import run_forecast  # noqa: PLC0415

    summary = run_forecast(dfe_dir=spec.get("dfe_dir") if _dfe_files(spec.get("dfe_dir")) else None,
                           today=spec["today"], only_changed=spec.get("only_changed", False))
    return {"summary": str(summary)[:400], "boroughs": len(summary.boroughs),
            "carried": len(summary.carried), "notes": summary.notes}


def stage_daily_load(spec: dict) -> dict:
    # one council's few files: one process (starting workers would cost more than they save)
    return _load([(kind, Path(path), spec["council"]) for kind, path in spec["files"]])


STAGES = {"generate": stage_generate, "load": stage_load, "build": stage_build,
          "forecast": stage_forecast, "daily_load": stage_daily_load}


def child_main(stage: str, spec: dict) -> int:
    started = time.perf_counter()
    report = STAGES[stage](spec)
    report.update(seconds=round(time.perf_counter() - started, 1), peak_rss_mb=round(own_peak_rss_mb(), 1))
    print("REPORT " + json.dumps(report), flush=True)
    return 0


# --- parent ----------------------------------------------------------------------------
def run_stage(name: str, stage: str, spec: dict, server_pid: int | None, results: dict,
              write) -> dict:
    console.print(f"[bold]{name}[/bold] ...")
    proc = subprocess.Popen([sys.executable, "-m", "bench.england_bench", "--stage", stage,
                             "--spec", json.dumps(spec)], cwd=ROOT, env=os.environ.copy(),
                            stdout=subprocess.PIPE, text=True)
    sampler = PeakSampler({"stage": proc.pid, "server": server_pid})
    sampler.start()
    wall = time.perf_counter()
    out, _ = proc.communicate()
    wall = time.perf_counter() - wall
    peaks = sampler.stop()
    if proc.returncode != 0:
        raise RuntimeError(f"stage {name} failed ({proc.returncode})")
    report = json.loads(next(line for line in reversed(out.splitlines())
                             if line.startswith("REPORT "))[7:])
    report.update(wall_seconds=round(wall, 1), peak_tree_pss_mb=peaks.get("stage"),
                  server_peak_pss_mb=peaks.get("server") or None, memory_series=sampler.thinned())
    results["stages"][name] = report
    write()
    console.print(f"  {report['seconds']:.1f} s (wall {wall:.1f} s), peak RSS {report['peak_rss_mb']:.0f} MB, "
                  f"tree {peaks.get('stage', 0):.0f} MB, server {peaks.get('server', 0):.0f} MB")
    return report


def daily_files(sample: Path, council: str, seed: int, work: Path) -> list[tuple[str, str]]:
    """The council's day: its files simulated DAILY_DAYS later; the new case extract (every
    file of it) and the one ledger month the original sample lacks."""
    from sendwh.sample import write_borough  # noqa: PLC0415
    from sendwh.sample.population import BoroughSpec  # noqa: PLC0415

    manifest = json.loads((sample / "manifest.json").read_text())
    entry = next(b for b in manifest["boroughs"] if b["borough"] == council)
    index = [b["borough"] for b in manifest["boroughs"]].index(council)
    size = (manifest["england"]["census_year"], manifest["england"]["dfe_plans"][council])
    spec = BoroughSpec(council, entry["name"], entry["la_number"], entry["ons_code"], entry["like"],
                       index, size)
    as_of = date.fromisoformat(manifest["as_of"]) + timedelta(days=DAILY_DAYS)
    write_borough(spec, work, seed, 0.0, as_of, None)
    new_case = sorted((work / council / "case").iterdir())
    old_ledgers = {p.name for p in (sample / council / "ledger").iterdir()}
    new_ledgers = sorted(p for p in (work / council / "ledger").iterdir() if p.name not in old_ledgers)
    return [("case", str(p)) for p in new_case] + [("ledger", str(p)) for p in new_ledgers[-1:]]


def print_table(results: dict) -> None:
    table = Table(title=f"England, {results['councils']} councils at {results['fraction']:g} x DfE "
                        f"(January {results.get('census_year')})")
    for col in ("stage", "seconds", "wall s", "peak RSS MB", "tree PSS MB", "server PSS MB", "what"):
        table.add_column(col, justify="left" if col in ("stage", "what") else "right")
    for name, r in results["stages"].items():
        what = ""
        if "by_kind" in r:
            what = ", ".join(f"{k} {v['files']} files {v['rows']:,} rows {v['seconds']}s"
                             for k, v in r["by_kind"].items())
        elif "files" in r:
            what = f"{r['files']} files, {r['mb']} MB"
        elif "dbt" in r and r["dbt"]:
            what = (f"status {r['status']}, {r['dbt'].get('nodes')} dbt nodes; "
                    + ", ".join(f"{k} {v}s" for k, v in r.get("parts_seconds", {}).items()))
        table.add_row(name, f"{r['seconds']:.1f}", f"{r['wall_seconds']:.1f}", f"{r['peak_rss_mb']:.0f}",
                      f"{r.get('peak_tree_pss_mb') or 0:.0f}", f"{r.get('server_peak_pss_mb') or 0:.0f}", what)
    console.print(table)
    for key in ("full_run_seconds", "daily_run_seconds", "daily_fraction"):
        if key in results:
            console.print(f"{key}: {results[key]}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--stage", help=argparse.SUPPRESS)
    parser.add_argument("--spec", help=argparse.SUPPRESS)
    parser.add_argument("--fraction", type=float, default=0.1,
                        help="each council at this share of its DfE count (1 = real size)")
    parser.add_argument("--councils", type=int, default=None, help="only the first N councils")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=2,
                        help="processes writing the sample, and loading it (as the DAG's mapped loads)")
    parser.add_argument("--sample", type=Path, help="an England sample already written (skip generate)")
    parser.add_argument("--daily-council", default=None,
                        help="the council of the daily run (default: the largest, Kent)")
    parser.add_argument("--no-daily", action="store_true")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--dfe-dir", type=Path, default=None)
    args = parser.parse_args(argv)
    if args.stage:
        return child_main(args.stage, json.loads(args.spec))

    from foundation.database import admin_url  # noqa: PLC0415
    from foundation.schema import scratch_database  # noqa: PLC0415
    from foundation.settings import get_settings  # noqa: PLC0415

    dfe_dir = str(args.dfe_dir or get_settings().dfe_dir or "")
    if not _dfe_files(dfe_dir):
        console.print("[red]error:[/red] the England sample needs DfE's statistics (--dfe-dir or SENDWH_DFE_DIR)")
        return 2
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                            text=True).stdout.strip()
    results: dict = {
        "benchmark": "england", "complete": False,
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": {"cpu_count": os.cpu_count(), "python": platform.python_version(),
                    "platform": platform.platform(), "load_average": os.getloadavg()},
        "code": {"commit": commit}, "fraction": args.fraction, "councils": args.councils,
        "seed": args.seed, "today": TODAY, "stages": {},
    }

    def write() -> None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(results, indent=1) + "\n")

    server = postmaster_pid(admin_url())
    with tempfile.TemporaryDirectory(prefix="sendwh-england-bench-") as tmp:
        work = Path(tmp)
        os.environ["SENDWH_OUTPUTS_DIR"] = str(work / "outputs")
        sample = args.sample or work / "sample"
        base = {"sample": str(sample), "dfe_dir": dfe_dir, "today": TODAY, "workers": args.workers}
        if not args.sample:
            run_stage("generate", "generate", {**base, "seed": args.seed, "fraction": args.fraction,
                                               "councils": args.councils, "workers": args.workers},
                      server, results, write)
        manifest = json.loads((sample / "manifest.json").read_text())
        results.update(councils=len(manifest["boroughs"]),
                       fraction=manifest["england"]["fraction"],
                       census_year=manifest["england"]["census_year"],
                       plans_at_census=sum(manifest["england"]["dfe_plans"].values()))
        os.environ["SENDWH_BOROUGHS_FILE"] = str(sample / "boroughs.yml")
        get_settings.cache_clear()
        with scratch_database("bench_england"):
            for name in ("load", "build", "forecast"):
                run_stage(name, name, base, server, results, write)
            results["full_run_seconds"] = round(sum(results["stages"][s]["seconds"]
                                                    for s in ("load", "build", "forecast")), 1)
            sizes = manifest["england"]["dfe_plans"]
            council = args.daily_council or max(sizes, key=sizes.get)
            if not args.no_daily:
                files = daily_files(sample, council, args.seed, work / "daily")
                today = (date.fromisoformat(TODAY) + timedelta(days=DAILY_DAYS)).isoformat()
                results["daily"] = {"council": council, "files": [Path(f).name for _k, f in files],
                                    "today": today}
                day = {**base, "today": today}
                run_stage("daily_load", "daily_load", {**day, "council": council, "files": files},
                          server, results, write)
                run_stage("daily_build", "build", {**day, "gate_sources_of": [council], "only_changed": True}, server,
                          results, write)
                run_stage("daily_forecast", "forecast", {**day, "only_changed": True}, server, results, write)
                results["daily_run_seconds"] = round(sum(results["stages"][s]["seconds"] for s in
                                                         ("daily_load", "daily_build", "daily_forecast")), 1)
                results["daily_fraction"] = round(results["daily_run_seconds"] / results["full_run_seconds"], 2)
        if args.sample is None:
            shutil.rmtree(sample, ignore_errors=True)
    results["complete"] = True
    write()
    print_table(results)
    console.print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
