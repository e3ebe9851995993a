"""Sample data generator: case extracts, SEN2 XML and ledgers for the three boroughs
(and synthetic ones at scale > 1), calibrated to published figures, with optional
deliberate defects recorded in a manifest.

    from sendwh.sample import generate
    manifest = generate(Path("outputs/sample"), seed=1, scale=1, defects=0.0)

Deterministic for a seed: the same arguments give byte-identical files.
"""
from __future__ import annotations

import json
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import date
from functools import partial
from pathlib import Path
from typing import Callable, Iterator

import numpy as np
import yaml

from extract.layouts import get_layout
from foundation.reference import base_boroughs, sen2_first_year, statutory

from . import calibration as cal
from .case_writers import WRITERS
from .defects import Injector
from .england import CASELOAD, england_specs
from .ledger_writer import write_ledgers
from .population import BoroughData, BoroughSpec, simulate
from .sen2_writer import write_sen2

__all__ = ["generate", "borough_specs", "write_borough", "SEN2_YEARS"]

# the SEN2 returns written: the first person-level one to 2026 (those whose census is after
# the extracts' as-at date are left out)
SEN2_YEARS = tuple(range(sen2_first_year(), 2027))


def synthetic_la_number(k: int) -> str:
    """3-digit LA numbers for synthetic boroughs (a UPN carries 3): 901-999, then 600-899."""
    number = 900 + k if k <= 99 else 600 + (k - 100)
    if number >= 900 and k > 99:
        raise ValueError(f"at most 399 synthetic boroughs (scale 134): asked for {k}")
    return f"{number}"


def borough_specs(scale: int = 1) -> list[BoroughSpec]:
    base = list(base_boroughs().values())
    specs = [BoroughSpec(b.code, b.name, b.la_number, b.ons_code, b.code, i) for i, b in enumerate(base)]
    for k in range(1, 3 * max(1, int(scale)) - 3 + 1):
        specs.append(BoroughSpec(f"S{k:02d}", f"Synthetic borough {k:02d}", synthetic_la_number(k),
                                 f"E0990{k:04d}", base[(k - 1) % 3].code, len(specs)))
    return specs


def _summary(data: BoroughData) -> dict:
    plans, statements = {}, {}
    for y in data.census_years:
        c = cal.census_date(y)
        plans[str(y)] = sum(1 for p in data.plans
                            if p.start <= c and (p.cease_date is None or p.cease_date > c))
        statements[str(y)] = sum(1 for t in data.transfers if t.statement_date <= c and
                                 (t.transfer_date is None or c < t.transfer_date))
    issued: dict[int, list[int]] = {}
    for r in data.requests:
        if r.asm_outcome == "Y" and r.asm_date is not None and not r.week20:
            n = issued.setdefault(r.asm_date.year, [0, 0])
            n[0] += 1
            n[1] += (r.asm_date - r.received).days <= statutory().plan_deadline_days
    twenty = {str(y): round(100 * v[1] / v[0], 1) for y, v in sorted(issued.items()) if v[0]}
    req_year: dict[str, int] = {}
    for r in data.requests:
        req_year[str(r.received.year)] = req_year.get(str(r.received.year), 0) + 1
    return {"plans_at_census": plans, "statements_at_census": statements,
            "pct_issued_within_20_weeks_ex": twenty, "requests_received": dict(sorted(req_year.items())),
            "persons": len(data.persons), "plans": len(data.plans)}


def generate(out: Path, seed: int = 1, scale: int = 1, defects: float = 0.0,
             as_of: date = date(2026, 11, 30),
             progress: Callable[[str], None] | None = None,
             defect_kinds: tuple[str, ...] | None = None,
             england: bool = False, england_fraction: float = 1.0, dfe_dir: Path | None = None,
             councils: int | None = None, workers: int = 1) -> dict:
    """Write the sample data set under `out` and return its manifest (also manifest.json).

    defect_kinds: inject only these kinds of defect (defects.KINDS, 'implausible_amount');
    None injects every kind.
    england: every English council in DfE's caseload file under `dfe_dir` (sendwh.sample.england),
    sized at `england_fraction` of its published count; `councils` keeps the first N; `scale` is
    then ignored. workers > 1 writes boroughs in that many processes (the same bytes)."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    if not 0.0 <= float(defects) <= 1.0:
        raise ValueError("defects must be between 0 and 1")
    say = progress or (lambda _msg: None)
    england_info = None
    if england:
        if dfe_dir is None:
            raise ValueError("the England sample needs DfE's statistics (dfe_dir)")
        year, specs = england_specs(Path(dfe_dir), england_fraction, councils)
        england_info = {"caseload": str(CASELOAD), "census_year": year,
                        "fraction": england_fraction, "councils": len(specs),
                        "dfe_plans": {s.code: s.size[1] for s in specs if s.size}}
        say(f"England: {len(specs)} councils sized at {england_fraction:g} x DfE's January {year} "
            f"caseload ({sum(s.size[1] for s in specs if s.size):,} plans then)")
    else:
        specs = borough_specs(scale)
    if len(specs) > 3 or england:
        base_codes = set(base_boroughs())
        entries = [{"borough": s.code, "name": s.name, "la_number": s.la_number,
                    "ons_code": s.ons_code, "like": s.like} for s in specs if s.code not in base_codes]
        (out / "boroughs.yml").write_text(yaml.safe_dump({"boroughs": entries}, sort_keys=False))
    job = partial(write_borough, out=out, seed=seed, defects=defects, as_of=as_of,
                  defect_kinds=defect_kinds)
    files: list[dict] = []
    defect_list: list[dict] = []
    summary: dict[str, dict] = {}
    started = time.perf_counter()
    for n, (spec, (b_files, b_defects, b_summary)) in enumerate(
            zip(specs, _map(job, specs, workers, say if workers <= 1 else None)), start=1):
        files += b_files
        defect_list += b_defects
        summary[spec.code] = b_summary
        if len(specs) > 3:
            sized = (f"{b_summary['plans_at_census'].get(str(spec.size[0]), 0):,} plans at January "
                     f"{spec.size[0]}" if spec.size else f"{b_summary['plans']:,} plans")
            say(f"[{n}/{len(specs)}] {spec.code} {spec.name} ({spec.like} layout): {sized}, "
                f"{len(b_files)} files, {time.perf_counter() - started:.0f} s so far")
    manifest = {
        # (the key order is part of the byte-identical output)
        "seed": int(seed), "scale": int(scale), "defects": defect_list,
        "as_of": as_of.isoformat(),
        "boroughs": [{"borough": s.code, "name": s.name, "la_number": s.la_number,
                      "ons_code": s.ons_code, "like": s.like} for s in specs],
        "files": files,
        "summary": summary,
        **({"england": england_info} if england_info else {}),
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    say(f"wrote {len(files)} files, {len(defect_list)} deliberate defects")
    return manifest


def _map(job: Callable, specs: list[BoroughSpec], workers: int, say) -> Iterator:
    """job(spec, say=...) for each spec, in order; in `workers` processes when more than one."""
    if workers <= 1:
        for spec in specs:
            yield job(spec, say=say)
        return
    with ProcessPoolExecutor(max_workers=workers) as pool:
        yield from pool.map(job, specs, chunksize=1)


def write_borough(spec: BoroughSpec, out: Path, seed: int, defects: float, as_of: date,
                   defect_kinds: tuple[str, ...] | None,
                   say: Callable[[str], None] | None = None) -> tuple[list[dict], list[dict], dict]:
    """One borough's case extract, SEN2 returns and ledgers: (files, defects, summary)."""
    say = say or (lambda _msg: None)
    stamp = as_of.strftime("%Y%m%d")
    files: list[dict] = []
    defect_list: list[dict] = []
    base_las = [b.la_number for b in base_boroughs().values()]
    say(f"{spec.code}: simulating caseload")
    data = simulate(spec, seed, as_of)
    layout = get_layout(spec.like)
    other_la = next(la for la in base_las if la != spec.la_number)
    file_no = [0]

    def injector(rel_path: str) -> Injector:
        file_no[0] += 1
        rng = np.random.default_rng([int(seed), 104729, spec.index, file_no[0]])
        return Injector(defects, rng, defect_list, rel_path, other_la, defect_kinds)

    case_dir = out / spec.code / "case"
    case_dir.mkdir(parents=True, exist_ok=True)
    say(f"{spec.code}: writing case extract ({spec.like} layout)")
    WRITERS[spec.like](data, layout, case_dir, Path(spec.code) / "case", stamp, injector, files)
    sen2_dir = out / spec.code / "sen2"
    sen2_dir.mkdir(parents=True, exist_ok=True)
    say(f"{spec.code}: writing SEN2 returns")
    for year in SEN2_YEARS:
        if cal.census_date(year) > as_of:
            continue
        name = f"{spec.code}_SEN2_{year}.xml"
        rel = Path(spec.code) / "sen2" / name
        n = write_sen2(data, year, sen2_dir / name, injector(str(rel)), serial=year * 10 + 1)
        files.append({"path": str(rel), "borough": spec.code, "source_kind": "sen2", "rows": n})
    ledger_dir = out / spec.code / "ledger"
    ledger_dir.mkdir(parents=True, exist_ok=True)
    say(f"{spec.code}: writing ledgers")
    ledger_defects = defects if defect_kinds is None or "implausible_amount" in defect_kinds else 0.0
    write_ledgers(data, layout, ledger_dir, Path(spec.code) / "ledger", seed, ledger_defects,
                  defect_list, files)
    return files, defect_list, _summary(data)

