"""Which files to load and with which reader: the entry point the CLI and the DAG call."""
from __future__ import annotations

import fnmatch
import logging
from pathlib import Path
from typing import Callable, Iterator

from extract.case_extract import open_case_file
from extract.dfe_csv import DfeStatistics
from extract.layouts import all_layouts, get_layout
from extract.ledger import LedgerExtract
from extract.ledger_files import load_ledgers
from extract.loader import LoadResult, load_file
from extract.sen2_xml import Sen2Return
from extract.source import SourceFile
from foundation.database import connect

log = logging.getLogger(__name__)
SOURCE_KINDS = ("sen2", "case", "ledger", "dfe")


class UsageError(ValueError):
    """Bad arguments (exit status 2), as opposed to bad data (exit status 1)."""


def _patterns(kind: str, layout: dict | None) -> list[str]:
    if kind == "sen2":
        return ["*.xml", "*.XML"]
    if kind == "dfe":
        return ["*.csv"]
    if kind == "ledger":
        return [layout["ledger"]["match"]]
    return [spec["match"] for spec in layout["case"]["datasets"].values()]


def borough_from_path(path: Path) -> str | None:
    known = all_layouts()
    for part in reversed(Path(path).resolve().parts):
        if part in known:
            return part
    return None


def expand(kind: str, paths: list[Path], borough: str | None
           ) -> Iterator[tuple[Path, str | None, Path]]:
    """Files to load with the borough of each and the folder given: directories are searched
    for the layout's files (links, pipes and devices among them are offered to the loader,
    which refuses them without reading)."""
    for path in map(Path, paths):
        who = borough or borough_from_path(path)
        if kind in ("case", "ledger") and who is None:
            raise UsageError(f"{path}: give --borough (one of {', '.join(all_layouts())}): "
                             "the path does not say which borough it is")
        layout = get_layout(who) if who and kind in ("case", "ledger") else None
        if path.is_dir():
            patterns = _patterns(kind, layout)
            found = sorted(p for p in path.rglob("*") if (p.is_symlink() or not p.is_dir())
                           and any(fnmatch.fnmatch(p.name, pat) for pat in patterns))
            for file in found:
                yield file, borough or borough_from_path(file) or who, path
        elif path.exists() or path.is_symlink():
            yield path, who, path.parent
        else:
            raise UsageError(f"{path}: no such file or directory")


def source_factory(kind: str, path: Path, borough: str | None) -> Callable[[], SourceFile]:
    if kind == "case":
        return lambda: open_case_file(path, get_layout(borough))
    if kind == "ledger":
        return lambda: LedgerExtract(path, get_layout(borough))
    if kind == "sen2":
        return lambda: Sen2Return(path, borough, borough_for_lea)
    if kind == "dfe":
        return lambda: DfeStatistics(path)
    raise UsageError(f"unknown source kind {kind!r}: one of {', '.join(SOURCE_KINDS)}")


def borough_for_lea(lea: str) -> str | None:
    for code, layout in all_layouts().items():
        if str(layout["la_number"]) == lea.strip():
            return code
    return None


def ingest(kind: str, paths: list[Path], borough: str | None = None,
           progress: Callable[[LoadResult], None] | None = None) -> list[LoadResult]:
    if kind not in SOURCE_KINDS:
        raise UsageError(f"unknown source kind {kind!r}: one of {', '.join(SOURCE_KINDS)}")
    if borough is not None:
        get_layout(borough)  # unknown borough -> a usage error before anything loads
    found = list(expand(kind, paths, borough))
    if kind == "ledger":
        # a borough's monthly ledgers together: extract/ledger_files.py
        return load_ledgers(found, progress)
    results = []
    if not found:
        return results
    with connect(autocommit=True) as conn:     # one connection for all the files
        for path, who, root in found:
            result = load_file(source_factory(kind, path, who if kind != "dfe" else None),
                               path, kind, who if kind != "dfe" else None, root=root, conn=conn)
            results.append(result)
            if progress:
                progress(result)
    return results


# --- the Airflow-facing functions: plain dicts in and out -------------------------------
def plan_loads(source_dir: str | Path, dfe_dir: str | Path | None = None) -> list[dict]:
    """One load per borough and source kind found under `source_dir` (BOROUGH/kind/...), and
    DfE's: one per release folder (`dfe_loads`). The DfE loads come first: they are the
    longest (2.3 million rows), and the DAG maps its loads in this order, a few at a time."""
    root = Path(source_dir)
    if not root.is_dir():
        raise UsageError(f"{root}: the source folder does not exist (run `sendwh sample` first?)")
    known = all_layouts()
    loads = dfe_loads(dfe_dir) if dfe_dir else []
    for borough_dir in sorted(p for p in root.iterdir() if p.is_dir()):
        if borough_dir.name not in known:
            continue
        for kind in ("sen2", "case", "ledger"):
            if (borough_dir / kind).is_dir():
                loads.append({"kind": kind, "borough": borough_dir.name,
                              "path": str(borough_dir / kind)})
    return loads


def dfe_loads(dfe_dir: str | Path) -> list[dict]:
    """DfE's folder as one load per release sub-folder (`release-2025/`, ...), which can run
    side by side: a DfE file's period is its release, so two releases never supersede each
    other's files. A folder with DfE files of its own (not in a release folder) stays one load."""
    folder = Path(dfe_dir)
    releases = sorted(p for p in folder.iterdir() if p.is_dir()) if folder.is_dir() else []
    if not releases or any(fnmatch.fnmatch(p.name, pat) for p in folder.iterdir() if not p.is_dir()
                           for pat in _patterns("dfe", None)):
        return [{"kind": "dfe", "borough": None, "path": str(folder)}]
    return [{"kind": "dfe", "borough": None, "path": str(release)} for release in releases]


def run_load(load: dict) -> dict:
    """Load one borough's files of one kind. Rejected files are reported, not raised, so one
    borough's bad file never stops the others; a database outage raises (and is retried)."""
    results = ingest(load["kind"], [Path(load["path"])], load.get("borough"))
    for r in results:
        if r.status == "rejected":
            log.warning("quarantined %s: %s", r.path.name, r.reason)
    return {
        **load,
        "files": len(results),
        "loaded": sum(r.status == "loaded" for r in results),
        "already_loaded": sum(r.status == "already_loaded" for r in results),
        "rejected": [{"file": r.path.name, "reason": r.reason,
                      "kept_in": str(r.quarantine_path)} for r in results if r.status == "rejected"],
        "rows": sum(r.rows for r in results),
    }


def summarise(results: list[dict]) -> dict:
    rejected = [dict(x, borough=r["borough"], kind=r["kind"]) for r in results for x in r["rejected"]]
    for item in rejected:
        log.warning("QUARANTINED %s %s %s: %s", item["borough"], item["kind"], item["file"],
                    item["reason"])
    return {"loads": len(results), "rows": sum(r["rows"] for r in results),
            "files": sum(r["files"] for r in results), "rejected": rejected}
