"""Write a borough's case-management extract in its layout (extract/layouts/*.yml):
HF CSV files, the KC workbook, the WCC pipe-delimited record file.

Rows are built as SEN2-coded semantic fields (the layout's entity keys), mapped to the
borough's own codes and column names, passed through the defect injector, then formatted.
"""
from __future__ import annotations

import csv
import io
import re
import zipfile
from datetime import date, datetime
from pathlib import Path

from openpyxl import Workbook

from .defects import Injector
from .population import BoroughData, Plan, Request

CODE_FIELDS = ("sex", "ethnicity", "upn_unknown", "request_source", "request_outcome",
               "assessment_outcome", "plan_res", "plan_wbp", "dp", "cease_reason",
               "sen_setting", "need_type", "review_outcome", "transfer_outcome", "phase_transfer")
BOOL_FIELDS = ("rya", "request_mediation", "request_tribunal", "week20",
               "assessment_mediation", "assessment_tribunal", "pb", "oa", "sen_unit",
               "resourced_provision")
KEY_FIELDS = {"persons": ("person_id",), "requests": ("request_id", "received_date"),
              "assessments": ("request_id",), "plans": ("plan_id",), "ceased_plans": ("plan_id",),
              "placements": ("placement_id", "plan_id"), "needs": ("person_id", "need_type"),
              "reviews": ("review_id", "plan_id"), "transfers": ("transfer_id", "person_id"),
              "phase_transfers": ("phase_transfer_id", "plan_id", "transfer_date")}
# a date and the decision that must not come before it (the defect decision_before_request)
DECISION_ROLES = {"received_date": "received", "request_outcome_date": "decision",
                  "review_date": "received", "decision_date": "decision"}
FIXED_ZIP_TIME = (2020, 1, 1, 0, 0, 0)
FIXED_PROPS_TIME = "2020-01-01T00:00:00Z"


# -- semantic rows -----------------------------------------------------------------
def person_row(p) -> dict:
    return {"person_id": p.pid, "upn": p.upn, "uln": p.uln, "upn_unknown": p.upn_unknown,
            "surname": p.surname, "forename": p.forename, "birth_date": p.birth, "sex": p.sex,
            "ethnicity": p.ethnicity, "postcode": p.postcode}


def request_row(r: Request) -> dict:
    return {"request_id": r.rid, "person_id": r.person.pid, "received_date": r.received,
            "request_source": r.source, "rya": r.rya, "request_outcome": r.outcome,
            "request_outcome_date": r.decision_date, "request_mediation": r.mediation,
            "request_tribunal": r.tribunal}


def assessment_row(r: Request) -> dict:
    if r.asm_outcome is None:
        return {}
    return {"request_id": r.rid, "assessment_outcome": r.asm_outcome,
            "assessment_outcome_date": r.asm_date, "week20": r.week20,
            "assessment_mediation": r.asm_mediation, "assessment_tribunal": r.asm_tribunal}


def plan_row(pl: Plan) -> dict:
    return {"plan_id": pl.plan_id, "request_id": pl.request.rid if pl.request else None,
            "person_id": pl.person.pid, "start_date": pl.start, "plan_res": pl.res,
            "plan_wbp": pl.wbp, "pb": pl.pb, "oa": pl.oa, "dp": pl.dp}


def ceased_row(pl: Plan) -> dict:
    if pl.cease_date is None:
        return {}
    return {"plan_id": pl.plan_id, "cease_date": pl.cease_date, "cease_reason": pl.cease_reason}


def placement_row(x) -> dict:
    return {"placement_id": x.pl_id, "plan_id": x.plan.plan_id, "urn": x.urn, "ukprn": x.ukprn,
            "sen_setting": x.setting, "placement_rank": str(x.rank), "entry_date": x.entry,
            "leaving_date": x.leaving, "sen_unit": x.sen_unit, "resourced_provision": x.resourced}


def need_rows(p) -> list[dict]:
    return [{"person_id": p.pid, "need_type": code, "need_rank": str(rank), "recorded_date": d}
            for code, rank, d in p.needs]


def review_row(r) -> dict:
    # the decision is recorded once it is notified
    return {"review_id": r.rv_id, "plan_id": r.plan.plan_id, "review_date": r.date,
            "review_outcome": r.outcome if r.decision_date else None,
            "decision_date": r.decision_date, "draft_plan_date": r.draft_date,
            "final_plan_date": r.final_date}


def phase_transfer_row(t) -> dict:
    return {"phase_transfer_id": t.pt_id, "plan_id": t.plan.plan_id, "phase_transfer": t.kind,
            "transfer_date": t.transfer_date, "due_date": t.due_date, "final_date": t.final_date}


def transfer_row(t) -> dict:
    return {"transfer_id": t.tid, "person_id": t.person.pid, "statement_date": t.statement_date,
            "review_start_date": t.review_start, "transfer_date": t.transfer_date,
            "transfer_outcome": t.outcome}


# -- layout mapping ----------------------------------------------------------------
class Mapper:
    def __init__(self, layout: dict, bools: tuple[str, str]):
        case = layout["case"]
        self.reverse = {field: {v: k for k, v in mapping.items()}
                        for field, mapping in (case.get("codes") or {}).items()}
        self.bools = bools

    def code(self, field: str, value):
        if value is None or value == "":
            return None
        rev = self.reverse.get(field)
        return rev.get(value, value) if rev else value

    def to_columns(self, sem: dict, columns: dict[str, str], out: dict | None = None) -> dict:
        out = {} if out is None else out
        for field, col in columns.items():
            if col in out and sem.get(field) is None:
                continue
            value = sem.get(field)
            if field in CODE_FIELDS:
                value = self.code(field, value)
            elif field in BOOL_FIELDS:
                value = None if value is None else (self.bools[0] if value else self.bools[1])
            out[col] = value
        return out


def roles_for(entities: dict[str, dict[str, str]]) -> dict:
    """Defect roles (column names) for a row built from these entities' columns."""
    roles: dict = {"codes": [], "keys": []}
    for entity, columns in entities.items():
        for field, col in columns.items():
            if field in ("upn", "upn_unknown", "uln"):
                roles[field] = col
            elif field in DECISION_ROLES:
                roles[DECISION_ROLES[field]] = col
            if field in CODE_FIELDS and col not in roles["codes"]:
                roles["codes"].append(col)
            if field in KEY_FIELDS.get(entity, ()) and col not in roles["keys"]:
                roles["keys"].append(col)
    return roles


def _columns(entities: dict[str, dict[str, str]]) -> list[str]:
    out: list[str] = []
    for columns in entities.values():
        for col in columns.values():
            if col not in out:
                out.append(col)
    return out


def fmt_uk(v) -> str:
    if v is None:
        return ""
    if isinstance(v, date):
        return v.strftime("%d/%m/%Y")
    return str(v)


def fmt_ymd(v) -> str:
    if v is None:
        return ""
    if isinstance(v, date):
        return v.strftime("%Y%m%d")
    return str(v)


# -- HF: CSV files -----------------------------------------------------------------
def write_hf(data: BoroughData, layout: dict, root: Path, rel: Path, stamp: str,
             inj_factory, files: list) -> None:
    la = data.spec.la_number
    mapper = Mapper(layout, ("Y", "N"))
    ds = layout["case"]["datasets"]
    la_col = layout["case"].get("borough_column", "LA Code")

    def write(dataset: str, name: str, entities: dict, rows_sem):
        cols = [la_col] + _columns(entities)
        roles = roles_for(entities)
        roles["la"] = la_col
        path = root / name
        inj: Injector = inj_factory(str(rel / name))
        n = 0
        with open(path, "w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh, lineterminator="\n")
            w.writerow(cols)
            line = 1
            for sem_parts in rows_sem:
                row = {la_col: la}
                for entity, sem in sem_parts:
                    mapper.to_columns(sem, entities[entity], row)
                for out in inj.apply(line + 1, row, roles):
                    w.writerow([fmt_uk(out.get(c)) for c in cols])
                    line += 1
                    n += 1
        files.append({"path": str(rel / name), "borough": data.spec.code,
                      "source_kind": "case", "rows": n})

    ents = ds["requests"]["entities"]

    def req_rows():
        for r in data.requests:
            parts = [("persons", person_row(r.person)), ("requests", request_row(r)),
                     ("assessments", assessment_row(r))]
            if r.plan is not None:
                parts += [("plans", plan_row(r.plan)), ("ceased_plans", ceased_row(r.plan))]
            yield parts
    write("requests", f"hf_ehc_requests_{stamp}.csv", ents, req_rows())

    ents = ds["placements"]["entities"]
    write("placements", f"hf_placements_{stamp}.csv", ents,
          ([("placements", placement_row(x))] for x in data.placements))
    ents = ds["needs"]["entities"]
    write("needs", f"hf_needs_{stamp}.csv", ents,
          ([("needs", n)] for p in data.persons for n in need_rows(p)))
    ents = ds["reviews"]["entities"]
    write("reviews", f"hf_reviews_{stamp}.csv", ents,
          ([("reviews", review_row(r))] for r in data.reviews))
    ents = ds["transfers"]["entities"]

    def trf_rows():
        for t in data.transfers:
            parts = [("persons", person_row(t.person)), ("transfers", transfer_row(t))]
            if t.plan is not None:
                parts += [("plans", {"plan_id": t.plan.plan_id}),
                          ("ceased_plans", ceased_row(t.plan))]
            yield parts
    write("transfers", f"hf_transfers_{stamp}.csv", ents, trf_rows())
    ents = ds["phase_transfers"]["entities"]
    write("phase_transfers", f"hf_phase_transfers_{stamp}.csv", ents,
          ([("phase_transfers", phase_transfer_row(t))] for t in data.phase_transfers))


def _entity_rows(data: BoroughData) -> dict[str, list[dict]]:
    """Semantic rows per entity (KC sheets, WCC records)."""
    return {
        "persons": [person_row(p) for p in data.persons],
        "requests": [request_row(r) for r in data.requests],
        "assessments": [a for a in (assessment_row(r) for r in data.requests) if a],
        "plans": [plan_row(pl) for pl in data.plans],
        "placements": [placement_row(x) for x in data.placements],
        "needs": [n for p in data.persons for n in need_rows(p)],
        "reviews": [review_row(r) for r in data.reviews],
        "ceased_plans": [c for c in (ceased_row(pl) for pl in data.plans) if c],
        "transfers": [transfer_row(t) for t in data.transfers],
        "phase_transfers": [phase_transfer_row(t) for t in data.phase_transfers],
    }


# -- KC: XLSX workbook -------------------------------------------------------------
def write_kc(data: BoroughData, layout: dict, root: Path, rel: Path, stamp: str,
             inj_factory, files: list) -> None:
    mapper = Mapper(layout, (1, 0))
    sheets = layout["case"]["datasets"]["workbook"]["sheets"]
    info = layout["case"].get("info_sheet", {})
    name = f"KC_SEND_Extract_{stamp}.xlsx"
    inj: Injector = inj_factory(str(rel / name))
    rows_by_entity = _entity_rows(data)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(info.get("sheet", "Extract Info"))
    ws.append(["LA Number", data.spec.la_number])
    ws.append(["Extract Date", data.as_of])
    n = 0
    for sheet, spec in sheets.items():
        ws = wb.create_sheet(sheet)
        cols = list(spec["columns"].values())
        ws.append(cols)
        roles = roles_for({spec["entity"]: spec["columns"]})
        line = 1
        for sem in rows_by_entity[spec["entity"]]:
            row = mapper.to_columns(sem, spec["columns"])
            for out in inj.apply(line + 1, row, roles):
                ws.append([out.get(c) for c in cols])
                line += 1
                n += 1
    fixed = datetime(2020, 1, 1)
    wb.properties.created = fixed
    wb.properties.creator = "sendwh sample"
    buf = io.BytesIO()
    wb.save(buf)
    _stable_zip(buf.getvalue(), root / name)
    files.append({"path": str(rel / name), "borough": data.spec.code, "source_kind": "case",
                  "rows": n})


def _stable_zip(raw: bytes, path: Path) -> None:
    """Rewrite an xlsx with fixed entry timestamps and document times (stable bytes)."""
    src = zipfile.ZipFile(io.BytesIO(raw))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "docProps/core.xml":
                text = data.decode("utf-8")
                text = re.sub(r"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:\2>)",
                              lambda m: m.group(1) + FIXED_PROPS_TIME + m.group(3), text)
                data = text.encode("utf-8")
            info = zipfile.ZipInfo(item.filename, date_time=FIXED_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o600 << 16
            dst.writestr(info, data)


# -- WCC: pipe-delimited records ---------------------------------------------------
def write_wcc(data: BoroughData, layout: dict, root: Path, rel: Path, stamp: str,
              inj_factory, files: list) -> None:
    mapper = Mapper(layout, ("Y", "N"))
    records = layout["case"]["datasets"]["extract"]["records"]
    name = f"wcc_send_{stamp}.psv"
    inj: Injector = inj_factory(str(rel / name))
    rows_by_entity = _entity_rows(data)
    n = 0
    with open(root / name, "w", newline="", encoding="utf-8") as fh:
        fh.write(f"HDR|{data.spec.code}|{data.spec.la_number}|{stamp}\n")
        line = 1
        for rtype, spec in records.items():
            fields = spec["fields"]
            columns = {f: f for f in fields if f != "record_type"}
            roles = roles_for({spec["entity"]: columns})
            for sem in rows_by_entity[spec["entity"]]:
                row = mapper.to_columns(sem, columns)
                for out in inj.apply(line + 1, row, roles):
                    vals = [rtype] + [fmt_ymd(out.get(f)) for f in fields[1:]]
                    fh.write("|".join(v.replace("|", "/") for v in vals) + "\n")
                    line += 1
                    n += 1
        fh.write(f"TRL|{n}\n")
    files.append({"path": str(rel / name), "borough": data.spec.code, "source_kind": "case",
                  "rows": n})


WRITERS = {"HF": write_hf, "KC": write_kc, "WCC": write_wcc}
