"""The SEND board pack: `sendwh report` and the DAG's `board_report` task write one
self-contained HTML file from the published marts (and an offline page of every quality
check beside it).

    from sendwh.report import build_report
    result = build_report(out_dir=Path("outputs/report"), borough=None)

Reads only what was published from a completed gate run (NotPublished otherwise); counts
below the suppression threshold are shown as DfE's `c` (foundation.suppression).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from foundation import database
from foundation.published import published_run
from foundation.reference import boroughs as known_boroughs
from foundation.settings import get_settings

from .model import Section
from .page import render, render_quality
from .reading import Scope, built_for
from .sections_finance import finance
from .sections_forecast import forecast
from .sections_quality import QUALITY_PAGE, quality, quality_page_rows
from .sections_services import caseload, reviews_and_phase_transfers, statement_transfers, timeliness, worklist

__all__ = ["build_report", "ReportResult", "SECTIONS", "UnknownBorough"]

SECTIONS = (timeliness, worklist, caseload, statement_transfers, reviews_and_phase_transfers, forecast,
            finance, quality)
TITLE = "SEND board pack: Hammersmith and Fulham, Kensington and Chelsea, Westminster"


class UnknownBorough(ValueError):
    pass


@dataclass(frozen=True)
class ReportResult:
    path: Path
    quality_path: Path
    sections: list[Section]
    published_from: str


def build_report(out_dir: Path | None = None, borough: str | None = None,
                 threshold: int | None = None, built: datetime | None = None) -> ReportResult:
    settings = get_settings()
    out_dir = Path(out_dir or settings.outputs_dir / "report")
    threshold = threshold or settings.suppression_threshold
    with database.connect() as conn:
        source = published_run(conn)           # NotPublished: not from a completed gate run
        present = {b for (b,) in conn.execute(
            "select distinct borough from marts.ehcp_caseload where borough <> 'ALL'")}
        codes = tuple(b for b in known_boroughs() if b in present)
        if borough:
            if borough.upper() not in codes:
                raise UnknownBorough(f"no published rows for borough {borough!r}: the marts hold "
                                     f"{', '.join(codes) or 'none'}")
            codes = (borough.upper(),)
        scope = Scope(codes, threshold, built_for(conn), one_borough=bool(borough))
        sections = [make(conn, scope) for make in SECTIONS]
        checks = quality_page_rows(conn, scope)
    suffix = f"-{scope.boroughs[0]}" if borough else ""
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"board-report{suffix}.html"
    quality_path = out_dir / (QUALITY_PAGE if not suffix else QUALITY_PAGE.replace(".html", f"{suffix}.html"))
    title = TITLE if not borough else f"SEND board pack: {scope.boroughs[0]}"
    note = (f"Borough {scope.boroughs[0]} only, beside London and England." if borough else
            "Each borough and the tri-borough total, beside London and England.")
    for section in sections:
        section.note = section.note.replace(QUALITY_PAGE, quality_path.name)
    path.write_text(render(sections, title=title, published_from=source.describe(), scope_note=note,
                           threshold=threshold, built=built or datetime.now(timezone.utc)), encoding="utf-8")
    quality_path.write_text(render_quality(checks, title=f"Data-quality checks: {title}", report=path.name),
                            encoding="utf-8")
    return ReportResult(path, quality_path, sections, source.describe())
