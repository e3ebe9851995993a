"""SEN2 at scale: validating and generating a 100,000-person return (time, peak memory).

    python -m bench.sen2_bench [--persons 100000] [--out bench/results/sen2.json]

1. A big return is made by repeating the sample HF 2026 return's persons with fresh UPNs
   (written as a stream).
2. Validation runs in a child process: seconds, persons per second, peak RSS.
3. The big return is loaded alone into a scratch database on the warehouse server and built
   with dbt; then `sen2 generate` writes the return back from that warehouse in a child
   process: seconds, peak RSS, persons written and errors found.
Figures are for this machine and this run; compare peak memory across --persons to see
that it stays flat (both steps stream one person at a time).
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

from lxml import etree
from rich.console import Console
from rich.table import Table

from extract.ingest import ingest
from foundation.identifiers import make_upn
from foundation.schema import scratch_database
from sendwh.pipeline import build
from sendwh.sample import generate as sample

ROOT = Path(__file__).resolve().parents[1]
console = Console()


def big_return(sample_file: Path, out: Path, persons: int) -> int:
    root = etree.parse(str(sample_file)).getroot()
    header = etree.tostring(root.find("Header"))
    lea = root.findtext("Header/Source/LEA")   # the template borough's LA number, for its UPNs
    upn_tag = re.compile(rb"<UPN>[^<]*</UPN>")
    # templates: persons known by UPN, so that each copy is a distinct person
    people = [text for text in (etree.tostring(p) for p in root.find("Persons")) if upn_tag.search(text)]
    with out.open("wb") as handle:
        handle.write(b'<?xml version="1.0" encoding="UTF-8"?>\n<Message>' + header + b"<Persons>\n")
        for i in range(persons):
            person = people[i % len(people)]
            upn = make_upn(lea, 1000 + i // 1000, 10 + (i // 1000) % 10, i % 1000).encode()
            person = upn_tag.sub(b"<UPN>" + upn + b"</UPN>", person, count=1)
            handle.write(person + b"\n")
        handle.write(b"</Persons></Message>\n")
    return persons


def _child(code: str) -> dict:
    """Run `code` in a fresh interpreter; it prints a JSON dict; add its peak RSS."""
    # VmHWM, not ru_maxrss: on Linux a child's ru_maxrss starts from its parent's high-water
    # mark across fork and exec, so it would report the parent's memory
    wrapped = code + ("\nprint('PEAK', next(int(l.split()[1]) for l in open('/proc/self/status') "
                      "if l.startswith('VmHWM')))")
    done = subprocess.run([sys.executable, "-c", wrapped], capture_output=True, text=True, cwd=ROOT)
    lines = done.stdout.strip().splitlines()
    if not any(line.startswith("{") for line in lines):
        raise RuntimeError(done.stderr[-3000:])
    result = json.loads(next(line for line in lines if line.startswith("{")))
    result["peak_rss_mb"] = round(int(lines[-1].split()[1]) / 1024, 1)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--persons", type=int, default=100_000)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "sen2.json")
    args = parser.parse_args()

    results: dict = {"benchmark": "sen2", "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                     "machine": {"cpu_count": os.cpu_count(), "python": platform.python_version()},
                     "persons": args.persons}
    with tempfile.TemporaryDirectory(prefix="sendwh-sen2-bench-") as tmp:
        tmp = Path(tmp)
        console.print("making the sample return ...")
        sample(tmp / "sample", seed=1)
        big = tmp / "HF_SEN2_2026.xml"
        started = time.perf_counter()
        big_return(tmp / "sample" / "HF" / "sen2" / "HF_SEN2_2026.xml", big, args.persons)
        results["file_mb"] = round(big.stat().st_size / 1e6, 1)
        console.print(f"wrote {args.persons:,} persons ({results['file_mb']} MB) "
                      f"in {time.perf_counter() - started:.1f}s")

        console.print("validating ...")
        results["validate"] = _child(
            "import json, time\nfrom pathlib import Path\nfrom sen2.validator import validate_file\n"
            f"t = time.perf_counter(); r = validate_file(Path({str(big)!r}))\n"
            "print(json.dumps({'seconds': round(time.perf_counter() - t, 1), 'persons': r.persons, "
            "'errors': r.errors, 'queries': r.queries}))")
        v = results["validate"]
        v["persons_per_s"] = round(v["persons"] / v["seconds"])

        with scratch_database("sen2bench"):
            console.print("loading it alone into a scratch warehouse and building ...")
            t = time.perf_counter()
            [loaded] = ingest("sen2", [big], "HF")
            results["load_seconds"] = round(time.perf_counter() - t, 1)
            t = time.perf_counter()
            # the whole build: the quality gates check every mart, so a build of a selection
            # (as this bench did before the gates) is blocked by the marts it did not build
            assert build(quiet=True) == 0
            results["build_seconds"] = round(time.perf_counter() - t, 1)
            console.print("generating the return back from the warehouse ...")
            results["generate"] = _child(
                "import json, time\nfrom pathlib import Path\nfrom sen2.generate import generate\n"
                f"t = time.perf_counter(); r = generate('HF', 2026, Path({str(tmp / 'out')!r}))\n"
                "print(json.dumps({'seconds': round(time.perf_counter() - t, 1), 'persons': r.persons, "
                "'errors': r.errors, 'queries': r.queries}))")
            g = results["generate"]
            g["persons_per_s"] = round(g["persons"] / g["seconds"])

    table = Table("step", "persons", "seconds", "persons/s", "peak RSS MB", "errors",
                  title=f"SEN2 at {args.persons:,} persons ({results['file_mb']} MB file)")
    for step in ("validate", "generate"):
        r = results[step]
        table.add_row(step, f"{r['persons']:,}", str(r["seconds"]), f"{r['persons_per_s']:,}",
                      str(r["peak_rss_mb"]), str(r["errors"]))
    console.print(table)
    console.print(f"load {results['load_seconds']}s, dbt build {results['build_seconds']}s")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=1))
    console.print(f"results in {args.out}")


if __name__ == "__main__":
    main()
