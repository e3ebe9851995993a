"""Loader benchmark: how fast `extract.ingest` loads each source kind, against plain COPY.

    python -m bench.loader_bench [--scales 1,10,50] [--kinds sen2,case,ledger,dfe]
                                 [--file-sizes 1,10,50] [--out bench/results/loader.json]

For each scale S the sample generator writes 3*S boroughs into a temporary folder. For each
source kind a child process (this module with `--child`) loads every file of that kind with
`extract.ingest.ingest` and reports rows, seconds and its peak RSS. The parent then exports
the same rows (`COPY (select ...) TO STDOUT`), deletes them and times a plain
`COPY raw.<table> FROM STDIN` of them into the same tables: the floor the loader cannot beat.
ratio = loader rows/s / raw COPY rows/s, both measured in the same run on the same server.

A file-size scenario then loads ONE file grown to x1, x10, x50 of a scale-1 file (HF
requests CSV, HF ledger CSV, HF SEN2 XML) to show whether the loader's memory stays flat.

Everything runs in a throw-away database on the warehouse server (the embedded pgserver,
or WAREHOUSE_URL's server), dropped at the end. See bench/README.md.
"""
from __future__ import annotations

import argparse
import cProfile
import csv
import json
import logging
import os
import platform
import pstats
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable
from urllib.parse import urlparse, urlunparse

import psycopg
from lxml import etree
from psycopg import sql
from python_calamine import CalamineWorkbook
from rich.console import Console
from rich.table import Table

from extract import sql_mapping
from extract.entities import ALL_TABLES
from extract.ingest import expand, ingest, plan_loads
from extract.layouts import all_layouts
from extract.xmlsafe import PARSE_OPTIONS, check_workbook
from foundation.database import admin_url, is_embedded, warehouse_url
from foundation.roles import roles
from foundation.schema import setup
from foundation.settings import get_settings
from sendwh.sample import generate

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = ROOT / "bench" / "results" / "loader.json"
# the layouts, each reported on its own: a case folder's layout is its borough's format
CASE_LAYOUTS = {"csv": "HF CSV", "xlsx": "KC XLSX", "records": "WCC pipe file"}
KIND_LAYOUTS = {"sen2": "SEN2 XML", "ledger": "ledgers", "dfe": "DfE CSV"}
# issue 15's targets: loader rows/s over plain COPY rows/s, per layout
TARGETS = {"HF CSV": 0.6, "WCC pipe file": 0.6, "ledgers": 0.6, "SEN2 XML": 0.35, "KC XLSX": 0.25}
# the layouts loaded by landing COPY + SQL: each is loaded a second time with the SQL's value
# checks switched off (`unchecked`), the ceiling of that design on this server
LANDING_LAYOUTS = ("HF CSV", "WCC pipe file", "ledgers")
# the layouts read by a Python reader: their files are also only parsed (`parse_only`), the
# least any reader of them does before a value is looked at
PARSED_LAYOUTS = ("SEN2 XML", "KC XLSX")
# each ceiling's key in the results, and its words in the progress lines
CEILINGS = {"ratio_without_sql_checks": "without the SQL checks",
            "ratio_parse_only": "for the parse alone",
            "ratio_every_element_read": "with every element's tag, text and line read"}
LAYOUTS_SUFFIX = "-layouts.json"   # beside the results: loader-layouts.json
SCALABLE_KINDS = ("sen2", "case", "ledger")
ALL_KINDS = (*SCALABLE_KINDS, "dfe")
COPY_CHUNK = 1024 * 1024
MB = 1024 * 1024


# --- child: load files with the real loader and report -----------------------------------
def _maxrss_mb() -> float:
    """getrusage's ru_maxrss (KB on Linux). In a child it is NOT the child's own peak: Linux
    carries the parent's high-water mark across fork/vfork + exec, so a child of a 500 MB
    parent reports at least 500 MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _peak_rss_mb() -> float:
    """This process's own peak RSS: VmHWM of its address space (reset by exec), falling
    back to ru_maxrss where /proc is missing."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return _maxrss_mb()


def _profile_summary(profile: Any, top: int = 15) -> dict[str, list[dict]]:
    stats = pstats.Stats(profile)

    def name(key: tuple[str, int, str]) -> str:
        file, line, func = key
        for marker in ("site-packages/", str(ROOT) + "/", "lib/python3.11/"):
            if marker in file:
                file = file.split(marker, 1)[1]
                break
        return f"{file}:{line}({func})" if line else func

    rows = [(key, cc, nc, tt, ct) for key, (cc, nc, tt, ct, _) in stats.stats.items()]

    def pick(index: int) -> list[dict]:
        ranked = sorted(rows, key=lambda r: r[index], reverse=True)[:top]
        return [{"function": name(k), "calls": nc, "tottime": round(tt, 3),
                 "cumtime": round(ct, 3)} for k, cc, nc, tt, ct in ranked]

    return {"total_seconds": round(stats.total_tt, 3), "by_tottime": pick(3),
            "by_cumtime": pick(4)}


def child_main(spec: dict) -> int:
    """Run in a fresh interpreter: the environment (WAREHOUSE_URL, SENDWH_BOROUGHS_FILE)
    comes from the parent. Prints one JSON line on stdout. Everything the loader uses was
    imported with this module, before the clock starts."""
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    if spec.get("parse_only"):
        print(json.dumps(_parse_only(spec["kind"], spec["loads"])))
        return 0
    if spec.get("unchecked"):
        _switch_off_sql_checks()
    rss_before = _peak_rss_mb()
    profile = None
    if spec.get("profile"):
        profile = cProfile.Profile()
        profile.enable()
    started = time.perf_counter()
    results = []
    for load in spec["loads"]:
        results.extend(ingest(spec["kind"], [Path(load["path"])], load.get("borough")))
    seconds = time.perf_counter() - started
    if profile is not None:
        profile.disable()
    by_table: dict[str, int] = {}
    statuses: dict[str, int] = {}
    for r in results:
        statuses[r.status] = statuses.get(r.status, 0) + 1
        for table, n in r.rows_by_table.items():
            by_table[table] = by_table.get(table, 0) + n
    sizes = [r.path.stat().st_size for r in results]
    report = {
        "files": len(results),
        "statuses": statuses,
        "rejected": [f"{r.path.name}: {r.reason}" for r in results if r.status == "rejected"][:5],
        "rows": sum(r.rows for r in results),
        "rows_by_table": by_table,
        "batch_ids": [r.batch_id for r in results if r.status == "loaded"],
        "seconds": seconds,
        "load_seconds_sum": sum(r.seconds for r in results),
        "input_mb": sum(sizes) / MB,
        "largest_file_mb": max(sizes, default=0) / MB,
        "rss_before_mb": rss_before,
        "peak_rss_mb": _peak_rss_mb(),
        "ru_maxrss_mb": _maxrss_mb(),
    }
    if profile is not None:
        report["profile"] = _profile_summary(profile)
    print(json.dumps(report))
    return 0


def _switch_off_sql_checks() -> None:
    """The ceiling run, in its child only: every value the landing SQL checks
    (extract/sql_mapping.py `checked`) is taken unchecked. The layout's mapping stays (cells
    stripped, codes mapped, values cast, the rows filtered by table), as do the byte-level
    checks and the key checks: what is left is what the landing design costs at the least."""
    sql_mapping.checked = lambda value, ok, data_type: value


def _parse_only(kind: str, loads: list[dict]) -> dict:
    """The files' parse alone, nothing looked at, nothing loaded: a SEN2 return through
    lxml's iterparse as the reader calls it (each Person cleared when it ends); a workbook's
    safety inspection (extract/xmlsafe.py) and calamine's reading of every sheet into Python
    values. A SEN2 return is then parsed again with each element's tag, text and line read
    into Python (`touch_seconds`), the least any reader of it through lxml does."""
    files = [path for load in loads
             for path, _, _ in expand(kind, [Path(load["path"])], load.get("borough"))]
    started = time.perf_counter()
    for path in files:
        if path.suffix.lower() == ".xml":
            _iterparse_persons(path, touch=False)
        else:
            settings = get_settings()
            check_workbook(path, path, settings.xlsx_max_inflated_mb << 20,
                           settings.xlsx_max_part_mb << 20)
            book = CalamineWorkbook.from_path(str(path))
            for name in book.sheet_names:
                book.get_sheet_by_name(name).to_python()
            book.close()
    result = {"files": len(files), "seconds": time.perf_counter() - started}
    xml = [path for path in files if path.suffix.lower() == ".xml"]
    if xml:
        started = time.perf_counter()
        result["elements"] = sum(_iterparse_persons(path, touch=True) for path in xml)
        result["touch_seconds"] = time.perf_counter() - started
    return result


def _iterparse_persons(path: Path, touch: bool) -> int:
    """Each Person of a SEN2 return as the reader parses it; with `touch`, the tag, text and
    line of every element in it read into Python. The number of elements touched."""
    touched = 0
    for _, element in etree.iterparse(str(path), events=("end",), tag="{*}Person",
                                      remove_comments=True, **PARSE_OPTIONS):
        if touch:
            touched += len([(e.tag, e.text, e.sourceline) for e in element.iter()])
        element.clear(keep_tail=False)
        parent = element.getparent()
        while element.getprevious() is not None:
            del parent[0]
    return touched


def run_child(kind: str, loads: list[dict], profile: bool = False,
              unchecked: bool = False, parse_only: bool = False) -> dict:
    spec = json.dumps({"kind": kind, "loads": loads, "profile": profile, "unchecked": unchecked,
                       "parse_only": parse_only})
    proc = subprocess.run([sys.executable, "-m", "bench.loader_bench", "--child", spec],
                          cwd=ROOT, env=os.environ.copy(), capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"loader child for {kind} failed ({proc.returncode}):\n"
                           f"{proc.stderr[-4000:]}")
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    if not lines:
        raise RuntimeError(f"loader child for {kind} printed no report:\n{proc.stdout[-2000:]}"
                           f"\n{proc.stderr[-2000:]}")
    return json.loads(lines[-1])


# --- parent: database, raw COPY ------------------------------------------------------------
def _with_dbname(url: str, dbname: str) -> str:
    return urlunparse(urlparse(url)._replace(path=f"/{dbname}"))


def _refresh_settings() -> None:
    get_settings.cache_clear()


class BenchDatabase:
    """A throw-away database on the warehouse server, named in WAREHOUSE_URL while it lives."""

    def __init__(self) -> None:
        _refresh_settings()
        self.embedded = is_embedded()
        self.server_url = warehouse_url()
        self.admin_url = admin_url()     # creates and drops it; the engineer role owns it
        self.name = f"sendwh_bench_{uuid.uuid4().hex[:8]}"
        self.url = _with_dbname(self.server_url, self.name)
        self._previous = os.environ.get("WAREHOUSE_URL")

    def __enter__(self) -> "BenchDatabase":
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f'create database "{self.name}" owner "{roles().engineer}"')
        os.environ["WAREHOUSE_URL"] = self.url
        _refresh_settings()
        setup()
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._previous is None:
            os.environ.pop("WAREHOUSE_URL", None)
        else:
            os.environ["WAREHOUSE_URL"] = self._previous
        _refresh_settings()
        try:
            with psycopg.connect(self.admin_url, autocommit=True) as conn:
                conn.execute(f'drop database if exists "{self.name}" with (force)')
        except psycopg.OperationalError as err:  # the server went away: nothing to drop
            print(f"could not drop database {self.name}: {err}", file=sys.stderr)

    def connect(self):
        return psycopg.connect(self.url, autocommit=True)

    def empty(self) -> None:
        """Empty raw and audit, so every measurement starts from the same state."""
        with self.connect() as conn:
            tables = [r[0] for r in conn.execute(
                "select format('%I.%I', table_schema, table_name) from information_schema.tables"
                " where table_schema in ('raw', 'audit') and table_type = 'BASE TABLE'")]
            conn.execute(f"truncate {', '.join(tables)} restart identity")

    def info(self) -> dict:
        with self.connect() as conn:
            def show(name: str) -> str:
                return conn.execute(f"show {name}").fetchone()[0]
            return {"server_version": show("server_version"),
                    "version": conn.execute("select version()").fetchone()[0],
                    "shared_buffers": show("shared_buffers"), "fsync": show("fsync"),
                    "synchronous_commit": show("synchronous_commit"),
                    "server": "embedded pgserver" if self.embedded else "WAREHOUSE_URL"}


def raw_copy(db: BenchDatabase, rows_by_table: dict[str, int], batch_ids: list[int],
             workdir: Path) -> dict:
    """Time a plain COPY FROM STDIN of the rows the loader wrote, into the same tables."""
    tables = {t.name: t for t in ALL_TABLES}
    seconds, rows, per_table = 0.0, 0, {}
    with db.connect() as conn, conn.cursor() as cur:
        for name, expected in rows_by_table.items():
            if not expected:
                continue
            table = tables[name]
            cols = sql.SQL(", ").join(map(sql.Identifier, table.copy_columns))
            spool = workdir / f"{name}.csv"
            export = sql.SQL("copy (select {} from raw.{} where batch_id = any({})) "
                             "to stdout (format csv)").format(
                cols, sql.Identifier(name), sql.Literal(batch_ids))
            with spool.open("wb") as handle, cur.copy(export) as copy:
                for data in copy:
                    handle.write(data)
            cur.execute(sql.SQL("delete from raw.{} where batch_id = any(%s)").format(
                sql.Identifier(name)), (batch_ids,))
            statement = sql.SQL("copy raw.{} ({}) from stdin (format csv)").format(
                sql.Identifier(name), cols)
            started = time.perf_counter()
            with conn.transaction():
                with spool.open("rb") as handle, cur.copy(statement) as copy:
                    while chunk := handle.read(COPY_CHUNK):
                        copy.write(chunk)
                copied = cur.rowcount
            took = time.perf_counter() - started
            spool.unlink()
            if copied != expected:
                raise RuntimeError(f"raw.{name}: the loader reported {expected} rows, "
                                   f"the export had {copied}")
            seconds += took
            rows += copied
            per_table[name] = {"rows": copied, "seconds": round(took, 4)}
    return {"rows": rows, "seconds": seconds, "tables": per_table}


def layout_of(kind: str, borough: str | None) -> str:
    """The layout a load reads: a case folder's is its borough's format."""
    if kind == "case":
        return CASE_LAYOUTS[all_layouts()[borough]["case"]["format"]]
    return KIND_LAYOUTS[kind]


def by_layout(kind: str, loads: list[dict]) -> dict[str, list[dict]]:
    grouped: dict[str, list[dict]] = {}
    for load in loads:
        grouped.setdefault(layout_of(kind, load.get("borough")), []).append(load)
    return grouped


def measure(db: BenchDatabase, kind: str, loads: list[dict], workdir: Path,
            profile: bool = False, layout: str | None = None) -> dict:
    db.empty()
    loader = run_child(kind, loads)
    raw = raw_copy(db, loader["rows_by_table"], loader["batch_ids"], workdir)
    loader_rps = loader["rows"] / loader["seconds"] if loader["seconds"] else 0.0
    raw_rps = raw["rows"] / raw["seconds"] if raw["seconds"] else 0.0
    result = {
        "kind": kind,
        "layout": layout or layout_of(kind, loads[0].get("borough") if loads else None),
        "files": loader["files"], "statuses": loader["statuses"], "rejected": loader["rejected"],
        "rows": loader["rows"], "rows_by_table": loader["rows_by_table"],
        "input_mb": round(loader["input_mb"], 2),
        "largest_file_mb": round(loader["largest_file_mb"], 2),
        "loader_seconds": round(loader["seconds"], 3),
        "loader_rows_per_s": round(loader_rps),
        "raw_copy_seconds": round(raw["seconds"], 3),
        "raw_copy_rows_per_s": round(raw_rps),
        "ratio": round(loader_rps / raw_rps, 3) if raw_rps else None,
        "peak_rss_mb": round(loader["peak_rss_mb"], 1),
        "rss_before_load_mb": round(loader["rss_before_mb"], 1),
        "ru_maxrss_mb": round(loader["ru_maxrss_mb"], 1),
        "raw_copy_tables": raw["tables"],
    }
    if result["layout"] in LANDING_LAYOUTS and raw_rps:
        db.empty()
        bare = run_child(kind, loads, unchecked=True)
        if bare["rows"] != loader["rows"] or bare["statuses"] != loader["statuses"]:
            raise RuntimeError(f"{result['layout']}: the run without SQL checks loaded "
                               f"{bare['rows']} rows {bare['statuses']}, the loader "
                               f"{loader['rows']} {loader['statuses']}")
        result["seconds_without_sql_checks"] = round(bare["seconds"], 3)
        result["ratio_without_sql_checks"] = round(bare["rows"] / bare["seconds"] / raw_rps, 3)
    if result["layout"] in PARSED_LAYOUTS and raw_rps:
        parsed = run_child(kind, loads, parse_only=True)
        result["seconds_parse_only"] = round(parsed["seconds"], 3)
        result["ratio_parse_only"] = round(loader["rows"] / parsed["seconds"] / raw_rps, 3)
        if "touch_seconds" in parsed:
            result["seconds_every_element_read"] = round(parsed["touch_seconds"], 3)
            result["ratio_every_element_read"] = round(
                loader["rows"] / parsed["touch_seconds"] / raw_rps, 3)
    if profile:
        db.empty()
        result["profile"] = run_child(kind, loads, profile=True).get("profile")
    return result


# --- the file-size scenario: one file, bigger and bigger ------------------------------------
def _line_ending(path: Path) -> str:
    with path.open("rb") as handle:
        return "\r\n" if handle.readline().endswith(b"\r\n") else "\n"


def build_requests_csv(base: Path, times: int, target: Path) -> None:
    """The HF requests extract repeated `times` times; Request, Child and Plan IDs suffixed
    per copy (and per size) so keys stay unique and every size has its own sha256."""
    with base.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    header, body = rows[0], rows[1:]
    keys = [header.index(c) for c in ("Request ID", "Child ID", "Plan ID")]
    with target.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out, lineterminator=_line_ending(base))
        writer.writerow(header)
        for k in range(times):
            suffix = f"-X{times}C{k}"
            for row in body:
                row = list(row)
                for i in keys:
                    if row[i]:
                        row[i] += suffix
                writer.writerow(row)


def build_ledger_csv(bases: list[Path], times: int, target: Path, year: int) -> None:
    """All of HF's scale-1 ledger lines in one file, repeated `times` times, each line's Year
    and Period rewritten to the file name's (fiscal year `year`, period 1): a ledger file
    holds one month's lines."""
    header, body = None, []
    for path in bases:
        with path.open(newline="", encoding="utf-8") as handle:
            rows = list(csv.reader(handle))
        header = header or rows[0]
        body.extend(row for row in rows[1:] if row)
    y, p = header.index("Year"), header.index("Period")
    for row in body:
        row[y], row[p] = f"{year}/{(year + 1) % 100:02d}", "1"
    with target.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out, lineterminator=_line_ending(bases[0]))
        writer.writerow(header)
        for _ in range(times):
            writer.writerows(body)


def build_sen2_xml(base: Path, times: int, target: Path) -> None:
    """The HF SEN2 return with its <Person> elements repeated `times` times."""
    data = base.read_bytes()
    start = data.index(b"<Persons>") + len(b"<Persons>")
    end = data.rindex(b"</Persons>")
    head, persons, tail = data[:start], data[start:end], data[end:]
    declaration_end = head.index(b"?>") + 2 if head.startswith(b"<?xml") else 0
    with target.open("wb") as out:
        out.write(head[:declaration_end])
        out.write(f"\n<!-- loader benchmark: x{times} -->".encode())
        out.write(head[declaration_end:])
        for _ in range(times):
            out.write(persons)
        out.write(tail)


def file_size_cases(sample: Path, steps: list[int], workdir: Path,
                    kinds: list[str]) -> list[tuple[str, int, Callable[[], Path], str]]:
    """(kind, times, build, borough) for each step; `build` writes the file when called."""
    hf = sample / "HF"
    requests = sorted((hf / "case").glob("hf_ehc_requests_*.csv"))
    ledgers = sorted((hf / "ledger").glob("HF_ledger_*.csv"))
    sen2 = sorted((hf / "sen2").glob("HF_SEN2_*.xml"))
    cases = []
    for j, times in enumerate(steps):
        folder = workdir / f"x{times}" / "HF"
        if "case" in kinds and requests:
            target = folder / "case" / f"hf_ehc_requests_2027{j + 1:02d}01.csv"
            cases.append(("case", times, lambda t=target, n=times: _built(
                t, lambda: build_requests_csv(requests[-1], n, t)), "HF"))
        if "ledger" in kinds and ledgers:
            year = 2001 + j
            target = folder / "ledger" / f"HF_ledger_{year}-{(year + 1) % 100:02d}_P01.csv"
            cases.append(("ledger", times, lambda t=target, n=times, y=year: _built(
                t, lambda: build_ledger_csv(ledgers, n, t, y)), "HF"))
        if "sen2" in kinds and sen2:
            target = folder / "sen2" / f"HF_SEN2_bench_x{times}.xml"
            cases.append(("sen2", times, lambda t=target, n=times: _built(
                t, lambda: build_sen2_xml(sen2[-1], n, t)), "HF"))
    order = {k: i for i, k in enumerate(ALL_KINDS)}
    return sorted(cases, key=lambda c: (order[c[0]], c[1]))


def _built(target: Path, build: Callable[[], None]) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    build()
    return target


# --- orchestration ------------------------------------------------------------------------
def _ints(text: str) -> list[int]:
    return [int(x) for x in text.split(",") if x.strip()]


def _kinds(text: str) -> list[str]:
    kinds = [k.strip() for k in text.split(",") if k.strip()]
    unknown = [k for k in kinds if k not in ALL_KINDS]
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown kind(s) {unknown}: one of {', '.join(ALL_KINDS)}")
    return kinds


def code_version() -> dict:
    """The commit the loader was measured at (read-only git), and whether extract/ differed."""
    def git(*args: str) -> str | None:
        try:
            return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True,
                                  timeout=10).stdout.strip() or None
        except (OSError, subprocess.SubprocessError):
            return None
    status = git("status", "--porcelain", "--", "extract", "sendwh")
    return {"commit": git("rev-parse", "--short", "HEAD"),
            "extract_or_sendwh_modified": bool(status)}


def machine_info() -> dict:
    memory = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return {"cpu_count": os.cpu_count(), "memory_gb": memory,
            "python": platform.python_version(), "platform": platform.platform(),
            "processor": platform.processor() or platform.machine()}


class Report:
    def __init__(self, out: Path, args: argparse.Namespace) -> None:
        self.out = out
        self.data: dict[str, Any] = {
            "benchmark": "loader", "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "complete": False, "machine": machine_info(), "code": code_version(),
            "arguments": {"scales": args.scales, "kinds": args.kinds,
                          "file_sizes": args.file_sizes, "seed": args.seed},
            "generation": [], "runs": [], "file_sizes": [],
            "notes": {
                "ratio": "loader rows/s divided by plain COPY rows/s of the same rows into the "
                         "same tables, measured in the same run",
                "peak_rss_mb": "VmHWM of the loader child (its own peak RSS); ru_maxrss_mb is "
                               "recorded too but on Linux includes the parent's peak",
                "rss_before_load_mb": "the child's peak RSS after imports, before loading",
            },
        }

    def save(self) -> None:
        self.out.parent.mkdir(parents=True, exist_ok=True)
        self.data["layouts"] = layout_ratios(self.data)
        for path, data in ((self.out, self.data),
                           (self.out.with_name(self.out.stem + LAYOUTS_SUFFIX), {
                               "benchmark": "loader, per layout", "date": self.data["date"],
                               "code": self.data["code"], "complete": self.data["complete"],
                               "from": self.out.name, "layouts": self.data["layouts"]})):
            tmp = path.with_suffix(".json.tmp")
            tmp.write_text(json.dumps(data, indent=1) + "\n")
            tmp.replace(path)


def layout_ratios(data: dict) -> list[dict]:
    """One object per layout and measurement: kind, layout, scale (the sample's; a grown
    file is scale 1 with `file_times`), ratio, and the target it is held to."""
    out = []
    for r in [*data["runs"], *data["file_sizes"]]:
        item = {"kind": r["kind"], "layout": r["layout"], "scale": r.get("scale", 1),
                "ratio": r["ratio"]}
        if "times" in r:
            item["file_times"] = r["times"]
        item.update(rows=r["rows"], files=r["files"], loader_rows_per_s=r["loader_rows_per_s"],
                    raw_copy_rows_per_s=r["raw_copy_rows_per_s"], peak_rss_mb=r["peak_rss_mb"],
                    statuses=r["statuses"])
        item.update({key: r[key] for key in CEILINGS if key in r})
        if r["layout"] in TARGETS:
            item["target"] = TARGETS[r["layout"]]
            item["met"] = r["ratio"] is not None and r["ratio"] >= TARGETS[r["layout"]]
        out.append(item)
    return out


def _mb(value: float) -> str:
    return f"{value:.2f}" if value < 1 else f"{value:.1f}"


def _ceilings_said(r: dict) -> str:
    """The run's ceilings in words, for the progress lines."""
    said = [f"{r[key]} {words}" for key, words in CEILINGS.items() if key in r]
    return f" ({', '.join(said)})" if said else ""


def _ceiling_cell(r: dict) -> str:
    """The table's `ceiling` column: the first ceiling measured."""
    ceiling = next((r[key] for key in CEILINGS if key in r), None)
    return f"{ceiling:.2f}" if ceiling is not None else "-"


def print_tables(data: dict, console) -> None:
    table = Table(title="Loader vs plain COPY, by layout and scale")
    for name in ("scale", "layout", "files", "rows", "largest MB", "loader s", "loader rows/s",
                 "COPY s", "COPY rows/s", "ratio", "ceiling", "peak RSS MB"):
        table.add_column(name, justify="left" if name == "layout" else "right")
    for r in data["runs"]:
        kind = r["layout"] + ("" if set(r["statuses"]) == {"loaded"} else f" {r['statuses']}")
        table.add_row(str(r["scale"]), kind, str(r["files"]), f"{r['rows']:,}",
                      _mb(r["largest_file_mb"]), f"{r['loader_seconds']:.1f}",
                      f"{r['loader_rows_per_s']:,}", f"{r['raw_copy_seconds']:.2f}",
                      f"{r['raw_copy_rows_per_s']:,}", f"{r['ratio']:.2f}" if r["ratio"] else "-",
                      _ceiling_cell(r), f"{r['peak_rss_mb']:.0f}")
    if data["runs"]:
        console.print(table)
    if data["file_sizes"]:
        sizes = Table(title="One file growing: does the loader's memory stay flat?")
        for name in ("layout", "size", "file MB", "rows", "loader s", "loader rows/s",
                     "COPY rows/s", "ratio", "ceiling", "RSS before MB", "peak RSS MB"):
            sizes.add_column(name, justify="left" if name == "layout" else "right")
        for r in data["file_sizes"]:
            kind = r["layout"] + ("" if set(r["statuses"]) == {"loaded"} else f" {r['statuses']}")
            sizes.add_row(kind, f"x{r['times']}", _mb(r["largest_file_mb"]), f"{r['rows']:,}",
                          f"{r['loader_seconds']:.1f}", f"{r['loader_rows_per_s']:,}",
                          f"{r['raw_copy_rows_per_s']:,}",
                          f"{r['ratio']:.2f}" if r["ratio"] else "-", _ceiling_cell(r),
                          f"{r['rss_before_load_mb']:.0f}", f"{r['peak_rss_mb']:.0f}")
        console.print(sizes)
    for r in [*data["runs"], *data["file_sizes"]]:
        if r.get("profile"):
            top = Table(title=f"cProfile of the {r['layout']} load"
                              f"{' at scale ' + str(r['scale']) if 'scale' in r else ''}"
                              f" (total {r['profile']['total_seconds']} s), by own time")
            for name in ("function", "calls", "own s", "cumulative s"):
                top.add_column(name, justify="left" if name == "function" else "right")
            for f in r["profile"]["by_tottime"]:
                top.add_row(f["function"], f"{f['calls']:,}", f"{f['tottime']:.2f}",
                            f"{f['cumtime']:.2f}")
            console.print(top)


def run(args: argparse.Namespace) -> dict:
    console = Console(width=None if sys.stdout.isatty() else 150)
    say = console.print
    _refresh_settings()
    dfe_dir = Path(args.dfe_dir) if args.dfe_dir else get_settings().dfe_dir
    report = Report(Path(args.out), args)
    began = time.perf_counter()
    workroot = Path(tempfile.mkdtemp(prefix="sendwh-bench-"))
    os.environ["SENDWH_OUTPUTS_DIR"] = str(workroot / "outputs")  # quarantine, if any
    os.environ.pop("SENDWH_BOROUGHS_FILE", None)
    try:
        with BenchDatabase() as db:
            report.data["postgres"] = db.info()
            say(f"[bold]loader benchmark[/] in database {db.name} "
                f"({report.data['postgres']['server']}, PostgreSQL "
                f"{report.data['postgres']['server_version']}); work folder {workroot}")
            scales = list(args.scales)
            want_sizes = bool(args.file_sizes) and any(k in SCALABLE_KINDS for k in args.kinds)
            if want_sizes and 1 not in scales:
                scales = [1, *scales]  # the file-size scenario is built from scale-1 data
            for scale in scales:
                measured_scale = scale in args.scales
                sample = workroot / f"sample-{scale}"
                say(f"[bold]scale {scale}[/]: generating {3 * scale} boroughs ...")
                started = time.perf_counter()
                tick = [time.perf_counter()]

                def progress(msg: str) -> None:
                    if time.perf_counter() - tick[0] > 15 or msg.startswith("wrote"):
                        tick[0] = time.perf_counter()
                        say(f"  [dim]{time.perf_counter() - started:6.0f} s  {msg}[/]")

                try:
                    manifest = generate(sample, seed=args.seed, scale=scale, defects=0.0,
                                        progress=progress)
                except Exception as err:  # the generator's limits are not the loader's
                    report.data["generation"].append({"scale": scale, "error": repr(err)})
                    report.data.setdefault("errors", []).append(
                        f"scale {scale}: the sample generator failed: {err!r}")
                    report.save()
                    say(f"  [red]the sample generator failed at scale {scale}: {err!r}; "
                        "skipping this scale[/]")
                    shutil.rmtree(sample, ignore_errors=True)
                    continue
                took = time.perf_counter() - started
                size = sum(p.stat().st_size for p in sample.rglob("*") if p.is_file()) / MB
                report.data["generation"].append({"scale": scale, "seconds": round(took, 1),
                                                  "files": len(manifest["files"]),
                                                  "mb": round(size, 1)})
                say(f"  generated {len(manifest['files'])} files, {size:.0f} MB in {took:.0f} s")
                if scale > 1:
                    os.environ["SENDWH_BOROUGHS_FILE"] = str(sample / "boroughs.yml")
                else:
                    os.environ.pop("SENDWH_BOROUGHS_FILE", None)
                _refresh_settings()
                plan = plan_loads(sample, dfe_dir if (scale == 1 and dfe_dir) else None)
                for kind in args.kinds if measured_scale else []:
                    if kind == "dfe" and scale != 1:
                        continue
                    loads = [{"path": p["path"], "borough": p["borough"]}
                             for p in plan if p["kind"] == kind]
                    if not loads:
                        say(f"  {kind}: nothing to load" + (
                            " (no DfE folder: give --dfe-dir)" if kind == "dfe" else ""))
                        continue
                    for layout, group in by_layout(kind, loads).items():
                        say(f"  {kind} ({layout}): loading {len(group)} folder(s) in a child "
                            "process ...")
                        result = {"scale": scale, **measure(db, kind, group, workroot,
                                                            args.profile, layout)}
                        report.data["runs"].append(result)
                        report.save()
                        say(f"    {result['files']} files, {result['rows']:,} rows: loader "
                            f"{result['loader_seconds']:.1f} s ({result['loader_rows_per_s']:,}/s),"
                            f" COPY {result['raw_copy_seconds']:.2f} s "
                            f"({result['raw_copy_rows_per_s']:,}/s), ratio {result['ratio']}"
                            f"{_ceilings_said(result)}, "
                            f"peak RSS {result['peak_rss_mb']:.0f} MB")
                if scale == 1 and want_sizes:
                    sizes_dir = workroot / "file-sizes"
                    for kind, times, build, borough in file_size_cases(
                            sample, args.file_sizes, sizes_dir, args.kinds):
                        path = build()
                        say(f"  file size: {kind} x{times} ({path.stat().st_size / MB:.1f} MB) ...")
                        result = {"times": times, **measure(
                            db, kind, [{"path": str(path), "borough": borough}], workroot,
                            args.profile and times == max(args.file_sizes))}
                        report.data["file_sizes"].append(result)
                        report.save()
                        path.unlink()
                        say(f"    {result['rows']:,} rows, {result['loader_rows_per_s']:,} rows/s,"
                            f" ratio {result['ratio']}{_ceilings_said(result)}, "
                            f"peak RSS {result['peak_rss_mb']:.0f} MB")
                shutil.rmtree(sample, ignore_errors=True)
        report.data["complete"] = not report.data.get("errors")
    finally:
        report.data["total_seconds"] = round(time.perf_counter() - began, 1)
        report.save()
        shutil.rmtree(workroot, ignore_errors=True)
    print_tables(report.data, console)
    for error in report.data.get("errors", []):
        say(f"[red]{error}[/]")
    say(f"total {report.data['total_seconds']:.0f} s; results in {report.out}")
    return report.data


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.loader_bench",
        description="Loader throughput and memory against plain COPY (see bench/README.md).")
    parser.add_argument("--scales", type=_ints, default=[1, 10],
                        help="sample scales, comma-separated (3*S boroughs each; default 1,10)")
    parser.add_argument("--kinds", type=_kinds, default=list(ALL_KINDS),
                        help="source kinds (default sen2,case,ledger,dfe; dfe only at scale 1)")
    parser.add_argument("--file-sizes", type=_ints, default=[1, 10],
                        help="multiples of one scale-1 file for the memory scenario "
                             "(default 1,10; '' to skip)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="results JSON")
    parser.add_argument("--dfe-dir", type=Path, default=None,
                        help="DfE statistics folder (default: the SENDWH_DFE_DIR setting)")
    parser.add_argument("--seed", type=int, default=1, help="sample generator seed")
    parser.add_argument("--profile", action="store_true",
                        help="also run each load again under cProfile and report the top functions")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return child_main(json.loads(args.child))
    run(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
