"""The sample-data generator (sendwh.sample): determinism, calibration to the published
figures, identifiers, codes, SEN2 shape, defects and synthetic boroughs.

Calibration is checked by parsing the generated files (HF CSV, KC XLSX, WCC PSV) with the
csv module and openpyxl, not through the generator's own objects."""
from __future__ import annotations

import csv
import hashlib
import json
from collections import Counter
from datetime import date, datetime, timedelta
from pathlib import Path

import openpyxl
import pytest
import yaml
from lxml import etree

from extract.layouts import get_layout
from foundation.codes import CODE_LISTS, ETHNICITY, UPN_UNKNOWN
from foundation.identifiers import uln_is_valid, upn_is_valid
from foundation.reference import gender_current_sex, sen2_item
from sendwh.sample import generate
from sendwh.sample.calibration import HF_PLANS_EARLY, HF_STATEMENTS, PUBLISHED_20_WEEKS, PUBLISHED_PLANS, census_date

SEX_FROM = sen2_item("Sex").first_year

AS_OF = date(2026, 11, 30)
STAMP = "20261130"
KINDS = {"missing_upn", "invalid_upn", "decision_before_request", "unknown_code",
         "duplicate_row", "wrong_borough", "blank_mandatory"}


# -- fixtures ----------------------------------------------------------------------
@pytest.fixture(scope="module")
def sample(sample_files) -> Path:
    return sample_files   # seed 1, generated once for the session (conftest.py)


@pytest.fixture(scope="module")
def sample_again(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("sample_seed1_again")
    generate(out, seed=1)
    return out


@pytest.fixture(scope="module")
def sample_defects(tmp_path_factory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("sample_defects")
    return out, generate(out, seed=3, defects=0.2)


# -- readers (files only) ------------------------------------------------------------
def uk(s: str) -> date | None:
    return datetime.strptime(s, "%d/%m/%Y").date() if s else None


def ymd(s: str) -> date | None:
    return datetime.strptime(s, "%Y%m%d").date() if s else None


def xl(v) -> date | None:
    return v.date() if isinstance(v, datetime) else v


def read_csv(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def read_kc(root: Path) -> dict[str, list[dict]]:
    wb = openpyxl.load_workbook(root / "KC" / "case" / f"KC_SEND_Extract_{STAMP}.xlsx",
                                read_only=True)
    sheets = {}
    for ws in wb.worksheets:
        rows = list(ws.iter_rows(values_only=True))
        if ws.title == "Extract Info":
            sheets[ws.title] = rows
            continue
        width = len(rows[0])
        sheets[ws.title] = [dict(zip(rows[0], tuple(r) + (None,) * (width - len(r))))
                            for r in rows[1:]]
    wb.close()
    return sheets


def read_wcc(root: Path) -> tuple[list[str], dict[str, list[dict]]]:
    layout = get_layout("WCC")["case"]["datasets"]["extract"]["records"]
    lines = (root / "WCC" / "case" / f"wcc_send_{STAMP}.psv").read_text(encoding="utf-8")
    lines = lines.split("\n")
    assert lines[-1] == ""
    lines = lines[:-1]
    records: dict[str, list[dict]] = {t: [] for t in layout}
    for line in lines[1:-1]:
        parts = line.split("|")
        records[parts[0]].append(dict(zip(layout[parts[0]]["fields"], parts)))
    return lines, records


def plan_spells(root: Path, borough: str) -> list[tuple[date, date | None]]:
    """(start, cease) of every plan in a borough's case files."""
    if borough == "HF":
        case = root / "HF" / "case"
        spells = [(uk(r["Plan Start Date"]), uk(r["Ceased Date"]))
                  for r in read_csv(case / f"hf_ehc_requests_{STAMP}.csv") if r["Plan ID"]]
        spells += [(uk(r["Transfer Completed"]), uk(r["Ceased Date"]))
                   for r in read_csv(case / f"hf_transfers_{STAMP}.csv") if r["Plan ID"]]
        return spells
    if borough == "KC":
        s = read_kc(root)
        ceased = {r["Plan No"]: xl(r["Ceased"]) for r in s["Ceased"]}
        return [(xl(r["Issued"]), ceased.get(r["Plan No"])) for r in s["Plans"]]
    _, rec = read_wcc(root)
    ceased = {r["plan_id"]: ymd(r["cease_date"]) for r in rec["CEA"]}
    return [(ymd(r["start_date"]), ceased.get(r["plan_id"])) for r in rec["PLN"]]


def active_at(spells, c: date) -> int:
    return sum(1 for s, e in spells if s <= c and (e is None or e > c))


def issued_requests(root: Path, borough: str) -> list[tuple[date, date, bool]]:
    """(received, assessment outcome date, exception) for plans issued (outcome Y)."""
    if borough == "HF":
        rows = read_csv(root / "HF" / "case" / f"hf_ehc_requests_{STAMP}.csv")
        return [(uk(r["Date Request Received"]), uk(r["Assessment Outcome Date"]),
                 r["20 Week Exception"] == "Y") for r in rows
                if r["Assessment Outcome"] == "Issue plan"]
    if borough == "KC":
        s = read_kc(root)
        received = {r["Request No"]: xl(r["Received"]) for r in s["Requests"]}
        return [(received[r["Request No"]], xl(r["Outcome Date"]), r["Exception"] == 1)
                for r in s["Assessments"] if r["Outcome"] == "Y"]
    _, rec = read_wcc(root)
    received = {r["request_id"]: ymd(r["received_date"]) for r in rec["REQ"]}
    return [(received[r["request_id"]], ymd(r["assessment_outcome_date"]), r["week20"] == "Y")
            for r in rec["ASM"] if r["assessment_outcome"] == "ISSUE"]


def all_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


# -- determinism ---------------------------------------------------------------------
def test_same_seed_gives_identical_bytes_for_every_file(sample, sample_again):
    a = {p.relative_to(sample): hashlib.sha256(p.read_bytes()).hexdigest() for p in all_files(sample)}
    b = {p.relative_to(sample_again): hashlib.sha256(p.read_bytes()).hexdigest()
         for p in all_files(sample_again)}
    assert a.keys() == b.keys()
    assert [k for k in a if a[k] != b[k]] == []


def test_different_seed_gives_different_files(sample, sample_defects):
    other, _ = sample_defects      # seed 3
    for rel in ("HF/case/hf_ehc_requests_20261130.csv", "KC/case/KC_SEND_Extract_20261130.xlsx",
                "WCC/case/wcc_send_20261130.psv", "HF/sen2/HF_SEN2_2024.xml",
                "KC/ledger/KC_GL_2020-21_P05.csv"):
        assert (sample / rel).read_bytes() != (other / rel).read_bytes(), rel


# -- layout and manifest -------------------------------------------------------------
def test_manifest_lists_every_file_with_kind_and_rows(sample):
    manifest = json.loads((sample / "manifest.json").read_text())
    assert manifest["seed"] == 1 and manifest["as_of"] == "2026-11-30"
    assert [b["borough"] for b in manifest["boroughs"]] == ["HF", "KC", "WCC"]
    listed = {f["path"] for f in manifest["files"]}
    on_disk = {str(p.relative_to(sample)) for p in all_files(sample)} - {"manifest.json"}
    assert listed == on_disk
    kinds = Counter((f["borough"], f["source_kind"]) for f in manifest["files"])
    assert kinds[("HF", "case")] == 6 and kinds[("KC", "case")] == 1 and kinds[("WCC", "case")] == 1
    for b in ("HF", "KC", "WCC"):
        assert kinds[(b, "sen2")] == 4
        # 2016/17 P01 .. 2026/27 P08
        assert kinds[(b, "ledger")] == 10 * 12 + 8
    assert manifest["defects"] == []
    assert not (sample / "boroughs.yml").exists()
    summary = manifest["summary"]["HF"]
    assert summary["plans_at_census"]["2019"] == 1113


def test_hf_csv_columns_match_layout_and_carry_la_code(sample):
    ds = get_layout("HF")["case"]["datasets"]
    for dataset, pattern in (("requests", "hf_ehc_requests"), ("placements", "hf_placements"),
                             ("needs", "hf_needs"), ("reviews", "hf_reviews"),
                             ("transfers", "hf_transfers"),
                             ("phase_transfers", "hf_phase_transfers")):
        path = sample / "HF" / "case" / f"{pattern}_{STAMP}.csv"
        raw = path.read_bytes()
        assert b"\r\n" not in raw
        header = raw.split(b"\n", 1)[0].decode().split(",")
        expected = {c for cols in ds[dataset]["entities"].values() for c in cols.values()}
        assert set(header) == expected | {"LA Code"}
        rows = read_csv(path)
        assert rows and {r["LA Code"] for r in rows} == {"205"}


def test_kc_workbook_sheets_and_extract_info(sample):
    sheets = read_kc(sample)
    info = sheets["Extract Info"]
    assert info[0] == ("LA Number", "207")
    assert info[1][0] == "Extract Date" and xl(info[1][1]) == AS_OF
    layout = get_layout("KC")["case"]["datasets"]["workbook"]["sheets"]
    for sheet, spec in layout.items():
        assert sheets[sheet], sheet
        assert list(sheets[sheet][0]) == list(spec["columns"].values())
    assert any(r["Request No"] is None for r in sheets["Plans"])   # statement transfers
    assert isinstance(sheets["Requests"][0]["Received"], datetime)


def test_wcc_records_header_trailer_and_field_counts(sample):
    lines, records = read_wcc(sample)
    assert lines[0] == f"HDR|WCC|213|{STAMP}"
    assert lines[-1] == f"TRL|{len(lines) - 2}"
    layout = get_layout("WCC")["case"]["datasets"]["extract"]["records"]
    for line in lines[1:-1]:
        parts = line.split("|")
        assert len(parts) == len(layout[parts[0]]["fields"]), line
    assert all(records[t] for t in layout)


# -- calibration (parsed from the files) ---------------------------------------------
@pytest.mark.parametrize("borough", ["HF", "KC", "WCC"])
def test_plans_at_january_census_match_published_within_5_percent(sample, borough):
    spells = plan_spells(sample, borough)
    for year, published in PUBLISHED_PLANS[borough].items():
        got = active_at(spells, census_date(year))
        assert abs(got - published) <= 0.05 * published, (borough, year, got, published)
    # extrapolated growth after 2024, roughly +7% a year
    g = active_at(spells, census_date(2026)) / active_at(spells, census_date(2024))
    assert 1.05 < g < 1.25


def test_hf_plans_at_january_census_match_published_within_5_percent(sample):
    spells = plan_spells(sample, "HF")
    for year, published in PUBLISHED_PLANS["HF"].items():
        got = active_at(spells, census_date(year))
        assert abs(got - published) <= 0.05 * published, (year, got, published)


def test_hf_statements_and_plans_in_january_match_published(sample):
    rows = read_csv(sample / "HF" / "case" / f"hf_transfers_{STAMP}.csv")
    spells = plan_spells(sample, "HF")
    for year in (2016, 2017, 2018, 2019):
        c = census_date(year)
        held = sum(1 for r in rows if uk(r["Statement Date"]) <= c and
                   (not r["Transfer Completed"] or c < uk(r["Transfer Completed"])))
        plans = active_at(spells, c)
        want_plans = HF_PLANS_EARLY.get(year, PUBLISHED_PLANS["HF"].get(year))
        assert abs(held - HF_STATEMENTS[year]) <= max(5, 0.05 * HF_STATEMENTS[year]), (year, held)
        assert abs(plans - want_plans) <= max(5, 0.05 * want_plans), (year, plans)


@pytest.mark.parametrize("borough", ["KC", "WCC"])
def test_statement_transfers_done_by_april_2018(sample, borough):
    if borough == "KC":
        rows = [(xl(r["Statement Date"]), xl(r["Transferred"]), r["Outcome"])
                for r in read_kc(sample)["Transfers"]]
    else:
        rows = [(ymd(r["statement_date"]), ymd(r["transfer_date"]), r["transfer_outcome"])
                for r in read_wcc(sample)[1]["TRF"]]
    assert len(rows) > 300
    assert all(t is not None and t <= date(2018, 4, 30) for _s, t, _o in rows)
    assert sum(1 for *_x, o in rows if o in ("P", "PLAN")) > 0.6 * len(rows)


@pytest.mark.parametrize("borough", ["HF", "KC", "WCC"])
def test_plans_issued_within_20_weeks_match_published_within_5_points(sample, borough):
    issued = issued_requests(sample, borough)
    for year, published in PUBLISHED_20_WEEKS[borough].items():
        rows = [(r, a) for r, a, exc in issued if a.year == year and not exc]
        assert len(rows) > 30
        pct = 100 * sum(1 for r, a in rows if (a - r).days <= 140) / len(rows)
        assert abs(pct - published) <= 5, (borough, year, round(pct, 1), published)


def test_requests_decisions_and_outcomes_look_like_published_rates(sample):
    rows = read_csv(sample / "HF" / "case" / f"hf_ehc_requests_{STAMP}.csv")
    _, rec = read_wcc(sample)
    outcomes = Counter(r["Decision"] for r in rows) + Counter(
        {"Not assess": sum(1 for r in rec["REQ"] if r["request_outcome"] == "NOASSESS")})
    total = len(rows) + len(rec["REQ"])
    assert 0.12 < outcomes["Not assess"] / total < 0.28
    decided = [(uk(r["Date Request Received"]), uk(r["Decision Date"])) for r in rows
               if r["Decision"] in ("Assess", "Not assess")]
    within = sum(1 for a, b in decided if (b - a).days <= 42) / len(decided)
    assert 0.78 < within < 0.92
    assert 0 < outcomes["Awaiting"] < 0.05 * len(rows)
    assert outcomes["Withdrawn"] > 0
    # about 1.4 requests per plan issued over 2019-2025
    years = range(2019, 2026)
    received = sum(1 for r in rows if uk(r["Date Request Received"]).year in years)
    issued = sum(1 for r in rows if r["Assessment Outcome"] == "Issue plan"
                 and uk(r["Assessment Outcome Date"]).year in years)
    assert 1.25 < received / issued < 1.6, (received, issued)
    flagged = sum(1 for r in rows if "Y" in (r["Request Mediation"], r["Request Tribunal"],
                                             r["Assessment Mediation"], r["Assessment Tribunal"]))
    assert 0.005 < flagged / len(rows) < 0.05


def test_primary_need_age_and_sex_mix_near_national(sample):
    sheets = read_kc(sample)
    needs = [r["Need"] for r in sheets["Needs"] if r["Rank"] == "1"]
    hf_map = get_layout("HF")["case"]["codes"]["need_type"]
    needs += [hf_map[r["Need"]] for r in read_csv(sample / "HF" / "case" / f"hf_needs_{STAMP}.csv")
              if r["Rank"] == "1"]
    share = Counter(needs)
    assert 0.24 < share["ASD"] / len(needs) < 0.34
    assert 0.20 < share["SLCN"] / len(needs) < 0.30
    # ages at the 2024 census of KC's active plans
    c = census_date(2024)
    births = {r["Child No"]: xl(r["DOB"]) for r in sheets["Children"]}
    sexes = {r["Child No"]: r["Sex"] for r in sheets["Children"]}
    ceased = {r["Plan No"]: xl(r["Ceased"]) for r in sheets["Ceased"]}
    active = [r["Child No"] for r in sheets["Plans"] if xl(r["Issued"]) <= c and
              (ceased.get(r["Plan No"]) is None or ceased[r["Plan No"]] > c)]
    ages = [c.year - births[p].year - ((c.month, c.day) < (births[p].month, births[p].day))
            for p in active]
    assert min(ages) >= 0 and max(ages) <= 25
    bands = Counter("<5" if a < 5 else "5-10" if a < 11 else "11-15" if a < 16 else
                    "16-19" if a < 20 else "20-25" for a in ages)
    for band, target in (("<5", 0.06), ("5-10", 0.37), ("11-15", 0.33), ("16-19", 0.19),
                         ("20-25", 0.05)):
        assert abs(bands[band] / len(ages) - target) < 0.07, (band, bands[band] / len(ages))
    male = sum(1 for p in active if sexes[p] == "M") / len(active)
    assert 0.66 < male < 0.78
    reasons = [r["Reason"] for r in sheets["Ceased"]]
    assert "1" in reasons


# -- identifiers and codes -----------------------------------------------------------
def test_upns_all_valid_at_zero_defects(sample):
    upns, ulns, unknown = [], [], []
    for name in (f"hf_ehc_requests_{STAMP}.csv", f"hf_transfers_{STAMP}.csv"):
        for r in read_csv(sample / "HF" / "case" / name):
            upns.append(r["UPN"])
            ulns.append(r["ULN"])
            unknown.append(r["UPN Unknown Reason"])
    for r in read_kc(sample)["Children"]:
        upns.append(r["UPN"])
        ulns.append(r["ULN"])
        unknown.append(r["UPN Unknown"])
    for r in read_wcc(sample)[1]["PER"]:
        upns.append(r["upn"])
        ulns.append(r["uln"])
        unknown.append(r["upn_unknown"])
    for b in ("HF", "KC", "WCC"):
        tree = etree.parse(str(sample / b / "sen2" / f"{b}_SEN2_2025.xml"))
        upns += [e.text for e in tree.iter("UPN")]
        ulns += [e.text for e in tree.iter("UniqueLearnerNumber")]
    assert len([u for u in upns if u]) > 5000
    assert all(upn_is_valid(u) for u in upns if u)
    assert all(uln_is_valid(u) for u in ulns if u)
    assert sum(1 for u in ulns if u) > 50
    assert all(u in UPN_UNKNOWN for u in unknown if u)
    assert all(u or v or w for u, v, w in zip(upns[:len(unknown)], ulns, unknown))


def _allowed(layout_codes: dict, field: str):
    if field in layout_codes:
        return set(layout_codes[field])
    return CODE_LISTS.get(field)


def test_every_code_in_case_files_is_in_the_layout_maps_or_sen2_lists(sample):
    bad = []
    hf = get_layout("HF")["case"]
    for dataset, pattern in (("requests", "hf_ehc_requests"), ("placements", "hf_placements"),
                             ("needs", "hf_needs"), ("reviews", "hf_reviews"),
                             ("transfers", "hf_transfers"),
                             ("phase_transfers", "hf_phase_transfers")):
        rows = read_csv(sample / "HF" / "case" / f"{pattern}_{STAMP}.csv")
        for columns in hf["datasets"][dataset]["entities"].values():
            for field, col in columns.items():
                allowed = _allowed(hf["codes"], field)
                if allowed is None:
                    continue
                bad += [(col, r[col]) for r in rows if r[col] and r[col] not in allowed]
    kc = get_layout("KC")["case"]
    sheets = read_kc(sample)
    for sheet, spec in kc["datasets"]["workbook"]["sheets"].items():
        for field, col in spec["columns"].items():
            allowed = _allowed(kc["codes"], field)
            if allowed is None:
                continue
            bad += [(col, r[col]) for r in sheets[sheet] if r[col] and r[col] not in allowed]
    wcc = get_layout("WCC")["case"]
    _, rec = read_wcc(sample)
    for rtype, spec in wcc["datasets"]["extract"]["records"].items():
        for field in spec["fields"]:
            allowed = _allowed(wcc["codes"], field)
            if allowed is None:
                continue
            bad += [(field, r[field]) for r in rec[rtype] if r[field] and r[field] not in allowed]
    assert bad == []


# -- SEN2 ----------------------------------------------------------------------------
@pytest.mark.parametrize("borough,la", [("HF", "205"), ("KC", "207"), ("WCC", "213")])
def test_sen2_files_parse_with_census_reference_date_and_codes(sample, borough, la):
    for year in (2023, 2024, 2025, 2026):
        tree = etree.parse(str(sample / borough / "sen2" / f"{borough}_SEN2_{year}.xml"))
        root = tree.getroot()
        assert root.tag == "Message"
        assert root.findtext("Header/CollectionDetails/Collection") == "SEN2"
        assert root.findtext("Header/CollectionDetails/ReferenceDate") == census_date(year).isoformat()
        assert root.findtext("Header/Source/LEA") == la
        persons = root.findall("Persons/Person")
        assert len(persons) > 500
        for p in persons:
            if year < SEX_FROM:     # 2023's shape: GenderCurrent (0/1/2/9), read as sex
                assert gender_current_sex()[p.findtext("GenderCurrent")] in CODE_LISTS["sex"]
            else:
                assert p.findtext("Sex") in CODE_LISTS["sex"]
            assert p.findtext("Ethnicity") in ETHNICITY
            assert any(p.find(t) is not None for t in ("UPN", "UniqueLearnerNumber", "UPNunknown"))
            for r in p.findall("Requests"):
                assert r.findtext("RequestOutcome") in CODE_LISTS["request_outcome"]
                a = r.find("Assessment")
                if a is not None:
                    assert r.findtext("RequestOutcome") in ("Y", "H")
                    if a.find("NamedPlan") is not None:
                        assert a.findtext("AssessmentOutcome") in ("Y", "H")
                for ap in r.findall("ActivePlans"):
                    ranks = [x.findtext("PlacementRank") for x in ap.findall("PlacementDetail")]
                    assert ranks.count("1") == 1
                    needs = [x.findtext("SENtypeRank") for x in ap.findall("SENneed")]
                    assert needs.count("1") == 1 and len(needs) <= 2
                    assert all(x.findtext("SENtype") in CODE_LISTS["sen_type"] for x in ap.findall("SENneed"))


@pytest.mark.parametrize("borough", ["HF", "KC", "WCC"])
def test_sen2_active_plans_agree_with_case_files(sample, borough):
    spells = plan_spells(sample, borough)
    for year in (2023, 2026):
        tree = etree.parse(str(sample / borough / "sen2" / f"{borough}_SEN2_{year}.xml"))
        n = len(tree.findall("Persons/Person/Requests/ActivePlans"))
        assert n == active_at(spells, census_date(year))


# -- annual reviews and phase transfers ------------------------------------------------
def reviews_and_phase_transfers(root: Path, borough: str) -> tuple[list[dict], list[dict]]:
    """Reviews (plan, meeting, outcome, decision, draft, final) and phase transfers (plan,
    kind, move, due, final) of a borough's case files, as SEN2/warehouse codes."""
    if borough == "HF":
        case = root / "HF" / "case"
        codes = get_layout("HF")["case"]["codes"]
        reviews = [{"plan": r["Plan ID"], "meeting": uk(r["Review Date"]),
                    "outcome": codes["review_outcome"].get(r["Outcome"]),
                    "decision": uk(r["Decision Notified"]), "draft": uk(r["Draft Amended Plan"]),
                    "final": uk(r["Final Amended Plan"])}
                   for r in read_csv(case / f"hf_reviews_{STAMP}.csv")]
        phases = [{"plan": r["Plan ID"], "kind": codes["phase_transfer"][r["Transfer Type"]],
                   "move": uk(r["Moving On"]), "due": uk(r["Statutory Deadline"]),
                   "final": uk(r["Amended Plan Finalised"])}
                  for r in read_csv(case / f"hf_phase_transfers_{STAMP}.csv")]
        return reviews, phases
    if borough == "KC":
        s = read_kc(root)
        reviews = [{"plan": r["Plan No"], "meeting": xl(r["Date"]), "outcome": r["Outcome"],
                    "decision": xl(r["Decision Notified"]), "draft": xl(r["Draft Issued"]),
                    "final": xl(r["Final Issued"])} for r in s["Reviews"]]
        phases = [{"plan": r["Plan No"], "kind": r["Phase"], "move": xl(r["Transfer Date"]),
                   "due": xl(r["Due"]), "final": xl(r["Finalised"])} for r in s["Phase Transfers"]]
        return reviews, phases
    _, rec = read_wcc(root)
    codes = get_layout("WCC")["case"]["codes"]
    reviews = [{"plan": r["plan_id"], "meeting": ymd(r["review_date"]),
                "outcome": codes["review_outcome"].get(r["review_outcome"]),
                "decision": ymd(r["decision_date"]), "draft": ymd(r["draft_plan_date"]),
                "final": ymd(r["final_plan_date"])} for r in rec["REV"]]
    phases = [{"plan": r["plan_id"], "kind": codes["phase_transfer"][r["phase_transfer"]],
               "move": ymd(r["transfer_date"]), "due": ymd(r["due_date"]),
               "final": ymd(r["final_date"])} for r in rec["PHT"]]
    return reviews, phases


@pytest.mark.parametrize("borough", ["HF", "KC", "WCC"])
def test_reviews_and_phase_transfers_follow_the_calibration(sample, borough):
    from foundation.reference import statutory
    from sendwh.sample.calibration import PHASE_TRANSFER_ON_TIME, REVIEW_DECISION_ON_TIME, REVIEW_ON_TIME

    limits = statutory()
    reviews, phases = reviews_and_phase_transfers(sample, borough)
    assert len(reviews) > 3000 and len(phases) > 1000
    by_plan: dict[str, list[dict]] = {}
    for r in reviews:
        by_plan.setdefault(r["plan"], []).append(r)
    starts = {}
    if borough == "HF":
        case = sample / "HF" / "case"
        starts = {r["Plan ID"]: uk(r["Plan Start Date"])
                  for r in read_csv(case / f"hf_ehc_requests_{STAMP}.csv") if r["Plan ID"]}
        starts |= {r["Plan ID"]: uk(r["Transfer Completed"])
                   for r in read_csv(case / f"hf_transfers_{STAMP}.csv") if r["Plan ID"]}
    elif borough == "KC":
        starts = {r["Plan No"]: xl(r["Issued"]) for r in read_kc(sample)["Plans"]}
    else:
        starts = {r["plan_id"]: ymd(r["start_date"]) for r in read_wcc(sample)[1]["PLN"]}
    on_time = 0
    for plan, held in by_plan.items():
        anchor = starts[plan]
        for r in sorted(held, key=lambda r: r["meeting"]):
            on_time += r["meeting"] <= date(anchor.year + 1, anchor.month, min(anchor.day, 28)
                                            if anchor.month == 2 else anchor.day)
            anchor = r["meeting"]
    assert abs(on_time / len(reviews) - REVIEW_ON_TIME[borough]) < 0.03
    decided = [r for r in reviews if r["decision"]]
    assert all(r["outcome"] for r in decided) and all(r["decision"] >= r["meeting"] for r in decided)
    within = sum((r["decision"] - r["meeting"]).days <= limits.review_decision_days for r in decided)
    assert abs(within / len(decided) - REVIEW_DECISION_ON_TIME[borough]) < 0.03
    amended = [r for r in decided if r["outcome"] == "A"]
    assert 0.15 < len(amended) / len(decided) < 0.35
    assert all(r["draft"] for r in amended) and not any(r["draft"] for r in decided if r["outcome"] != "A")
    assert all(r["final"] >= r["draft"] for r in amended if r["final"])
    # phase transfers: the statutory deadline of the year of the move, by kind
    for t in phases:
        deadline = limits.post16_transfer_deadline if t["kind"] == "P16" else limits.phase_transfer_deadline
        assert t["due"] == limits.deadline_on(deadline, t["move"].year) and t["move"].month == 9
    assert {t["kind"] for t in phases} == {"EY", "SEC", "P16"}
    closed = [t for t in phases if t["due"] < AS_OF - timedelta(days=90)]
    by_deadline = sum(t["final"] is not None and t["final"] <= t["due"] for t in closed)
    assert abs(by_deadline / len(closed) - PHASE_TRANSFER_ON_TIME[borough]) < 0.04
    # next year's moves are on record, still open
    assert any(t["move"].year == AS_OF.year + 1 and t["final"] is None for t in phases)


def test_sample_case_extracts_with_reviews_and_phase_transfers_load(sample, fresh):
    from extract.ingest import ingest

    loaded = {}
    for borough in ("HF", "KC", "WCC"):
        results = ingest("case", [sample / borough / "case"], borough)
        assert all(r.status == "loaded" for r in results), [r.reason for r in results]
        for r in results:
            for table, n in r.rows_by_table.items():
                loaded[(borough, table)] = loaded.get((borough, table), 0) + n
    for borough in ("HF", "KC", "WCC"):
        reviews, phases = reviews_and_phase_transfers(sample, borough)
        assert loaded[(borough, "case_reviews")] == len(reviews)
        assert loaded[(borough, "case_phase_transfers")] == len(phases)


# -- ledgers -------------------------------------------------------------------------
def test_ledgers_have_value_types_and_hf_savings_and_invest_profiles(sample):
    led = sample / "HF" / "ledger"

    def annual(fy: str, cc: str, vt: str = "ACT") -> float:
        total = 0.0
        for p in range(1, 13):
            for r in read_csv(led / f"HF_ledger_{fy}_P{p:02d}.csv"):
                if r["Cost Centre"] == cc and r["Value Type"] == vt:
                    total += float(r["Amount"])
        return total

    rows = read_csv(led / "HF_ledger_2019-20_P03.csv")
    assert {r["Value Type"] for r in rows} == {"ACT", "BUD", "FCST", "COMM"}
    assert {r["Year"] for r in rows} == {"2019/20"} and {r["Period"] for r in rows} == {"3"}
    assert all(len(r["Amount"].split(".")[1]) == 2 for r in rows)
    assert any(float(r["Amount"]) < 0 for r in rows)
    assert all(abs(float(r["Amount"])) < 5_000_000 for r in rows)
    topup = [float(r["Amount"]) for r in rows if r["Cost Centre"] == "H50110" and
             r["Subjective"] == "5000" and r["Value Type"] == "ACT"]
    assert 100_000 < topup[0] < 1_000_000
    # DCT (H50250) falls by about 122k from 2017/18; travel training (H50270) by ~50k*0.8
    drop = annual("2016-17", "H50250", "BUD") - annual("2018-19", "H50250", "BUD")
    assert 100_000 < drop < 145_000
    assert 80_000 < annual("2016-17", "H50250") - annual("2018-19", "H50250") < 170_000
    # Transfer Review Team 125/250/125 then 0
    for fy, want in (("2016-17", 125_000), ("2017-18", 250_000), ("2018-19", 125_000)):
        assert abs(annual(fy, "H50290") - want) < 0.12 * want
    assert annual("2019-20", "H50290") == 0
    assert annual("2018-19", "H50300") == 0
    kc = read_csv(sample / "KC" / "ledger" / "KC_GL_2017-18_P01.csv")
    assert {r["Ledger"] for r in kc} == {"A", "B", "F", "C"} and {r["FinYear"] for r in kc} == {"2017"}
    with open(sample / "WCC" / "ledger" / "WCC_ledger_2017-18_P01.psv", newline="") as fh:
        wcc = list(csv.DictReader(fh, delimiter="|"))
    assert {r["TYPE"] for r in wcc} == {"Actual", "Budget", "Forecast", "Commitment"}
    assert {r["FY"] for r in wcc} == {"2017-18"}


# -- defects -------------------------------------------------------------------------
def test_defects_at_0_2_cover_about_20_percent_of_rows_and_every_kind(sample_defects):
    out, manifest = sample_defects
    defects = manifest["defects"]
    assert json.loads((out / "manifest.json").read_text())["defects"] == defects
    case_rows = sum(f["rows"] for f in manifest["files"] if f["source_kind"] in ("case", "sen2"))
    row_defects = [d for d in defects if d["kind"] in KINDS]
    assert 0.15 < len(row_defects) / case_rows < 0.25
    assert {d["kind"] for d in defects} == KINDS | {"implausible_amount"}
    for d in defects:
        assert d["caught_by"] == ("loader" if d["kind"] in ("unknown_code", "wrong_borough",
                                  "blank_mandatory", "implausible_amount") else "gates")
        assert (out / d["file"]).exists()


def test_defect_rows_point_at_the_corrupted_values(sample_defects):
    out, manifest = sample_defects
    rel = f"HF/case/hf_ehc_requests_{STAMP}.csv"
    lines = (out / rel).read_text(encoding="utf-8").split("\n")
    header = next(csv.reader([lines[0]]))
    checked = Counter()
    for d in manifest["defects"]:
        if d["file"] != rel:
            continue
        row = dict(zip(header, next(csv.reader([lines[d["row"] - 1]]))))
        if d["kind"] == "invalid_upn":
            assert row["UPN"] and not upn_is_valid(row["UPN"])
        elif d["kind"] == "missing_upn":
            assert row["UPN"] == "" and row["UPN Unknown Reason"] == ""
        elif d["kind"] == "wrong_borough":
            assert row["LA Code"] != "205"
        elif d["kind"] == "blank_mandatory":
            assert row[d["field"]] == ""
        elif d["kind"] == "decision_before_request":
            assert uk(row["Decision Date"]) < uk(row["Date Request Received"])
        elif d["kind"] == "duplicate_row":
            assert lines[d["row"] - 1] == lines[d["row"] - 2]
        checked[d["kind"]] += 1
    assert len(checked) >= 6
    # ledger: implausible amounts over the layout's limit
    for d in manifest["defects"]:
        if d["kind"] == "implausible_amount":
            path = out / d["file"]
            delim = "|" if path.suffix == ".psv" else ","
            with open(path, newline="") as fh:
                rows = list(csv.reader(fh, delimiter=delim))
            assert abs(float(rows[d["row"] - 1][-1])) > 5_000_000


# -- synthetic boroughs --------------------------------------------------------------
def test_scale_2_writes_boroughs_yml_with_three_synthetic_boroughs(tmp_path):
    manifest = generate(tmp_path, seed=1, scale=2, as_of=date(2024, 3, 31))
    doc = yaml.safe_load((tmp_path / "boroughs.yml").read_text())
    entries = doc["boroughs"]
    assert [e["borough"] for e in entries] == ["S01", "S02", "S03"]
    assert [e["like"] for e in entries] == ["HF", "KC", "WCC"]
    assert [e["la_number"] for e in entries] == ["901", "902", "903"]
    assert entries[0]["name"] == "Synthetic borough 01" and entries[0]["ons_code"] == "E09900001"
    assert len(manifest["boroughs"]) == 6
    assert (tmp_path / "S01" / "case" / "hf_ehc_requests_20240331.csv").exists()
    assert (tmp_path / "S02" / "case" / "KC_SEND_Extract_20240331.xlsx").exists()
    psv = (tmp_path / "S03" / "case" / "wcc_send_20240331.psv").read_text().split("\n")
    assert psv[0] == "HDR|S03|903|20240331"
    rows = read_csv(tmp_path / "S01" / "case" / "hf_ehc_requests_20240331.csv")
    assert {r["LA Code"] for r in rows} == {"901"}
    assert all(upn_is_valid(r["UPN"]) and r["UPN"][1:4] == "901" for r in rows if r["UPN"])
    tree = etree.parse(str(tmp_path / "S02" / "sen2" / "S02_SEN2_2024.xml"))
    assert tree.findtext("Header/Source/LEA") == "902"
    assert manifest["summary"]["S01"]["plans_at_census"]["2023"] == 1536
    assert not (tmp_path / "S01" / "sen2" / "S01_SEN2_2025.xml").exists()


# -- England (sendwh sample --england) -------------------------------------------------
def _dfe_dir() -> Path:
    from foundation.settings import get_settings

    dfe = get_settings().dfe_dir
    if not dfe or not (Path(dfe) / "release-2025" / "caseload.csv").is_file():
        pytest.skip("DfE's published statistics are not here (SENDWH_DFE_DIR)")
    return Path(dfe)


def _dfe_january_2024() -> dict[str, tuple[str, str, int]]:
    """{LA number: (name, ONS code, EHC plans)} at the January 2024 census, read with csv."""
    out = {}
    for r in read_csv(_dfe_dir() / "release-2025" / "caseload.csv"):
        if (r["time_period"], r["geographic_level"], r["breakdown_topic"]) == \
                ("202324", "Local authority", "All EHC plans"):
            out[r["old_la_code"]] = (r["la_name"], r["new_la_code"], int(r["ehcplans"]))
    return out


@pytest.fixture(scope="module")
def england(tmp_path_factory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("england")
    return out, generate(out, seed=1, england=True, england_fraction=0.01, dfe_dir=_dfe_dir(),
                         councils=6, workers=2)


def test_england_lists_all_153_councils_from_dfes_latest_january():
    from sendwh.sample.england import england_specs

    dfe = _dfe_january_2024()
    year, specs = england_specs(_dfe_dir(), fraction=1.0)
    assert year == 2024 and len(specs) == len(dfe) == 153
    assert [s.code for s in specs[:3]] == ["HF", "KC", "WCC"]
    assert len({s.code for s in specs}) == len({s.la_number for s in specs}) == 153
    for s in specs:
        name, ons, plans = dfe[s.la_number]
        assert (s.ons_code, s.size) == (ons, (2024, plans))
        assert s.code == ({"205": "HF", "207": "KC", "213": "WCC"}.get(s.la_number) or f"LA{s.la_number}")
        assert s.name == name or s.code in ("HF", "KC", "WCC")
    assert sum(s.size[1] for s in specs) == 576474
    assert Counter(s.like for s in specs) == {"HF": 51, "KC": 51, "WCC": 51}


def test_england_councils_sized_from_dfe_in_each_layout_and_loaded(england, fresh, monkeypatch):
    from extract.ingest import ingest
    from foundation.settings import get_settings

    out, manifest = england
    dfe = _dfe_january_2024()
    codes = [b["borough"] for b in manifest["boroughs"]]
    assert codes == ["HF", "KC", "WCC", "LA201", "LA202", "LA203"]
    likes = {b["borough"]: b["like"] for b in manifest["boroughs"]}
    assert [likes[c] for c in codes[3:]] == ["HF", "KC", "WCC"]
    assert (out / "LA201" / "case" / f"hf_ehc_requests_{STAMP}.csv").exists()
    assert (out / "LA202" / "case" / f"KC_SEND_Extract_{STAMP}.xlsx").exists()
    assert (out / "LA203" / "case" / f"wcc_send_{STAMP}.psv").read_text().startswith("HDR|LA203|203|")
    entries = yaml.safe_load((out / "boroughs.yml").read_text())["boroughs"]
    assert [(e["borough"], e["la_number"], e["name"]) for e in entries] == \
        [(c, c[2:], dfe[c[2:]][0]) for c in codes[3:]]
    # each council's plans at the January 2024 census: 1% of DfE's count, at least 10
    for b in manifest["boroughs"]:
        want = max(10, round(dfe[b["la_number"]][2] * 0.01))
        assert manifest["summary"][b["borough"]]["plans_at_census"]["2024"] == want
        assert manifest["england"]["dfe_plans"][b["borough"]] == want
    assert manifest["summary"]["LA201"]["plans_at_census"]["2024"] == 10       # City of London: 59
    assert manifest["summary"]["HF"]["plans_at_census"]["2024"] == 17          # 1,700
    tree = etree.parse(str(out / "LA202" / "sen2" / "LA202_SEN2_2024.xml"))
    assert tree.findtext("Header/Source/LEA") == "202"
    # the councils' files load (the boroughs file tells the loader who they are)
    monkeypatch.setenv("SENDWH_BOROUGHS_FILE", str(out / "boroughs.yml"))
    get_settings.cache_clear()
    try:
        for code in codes:
            for kind in ("case", "sen2", "ledger"):
                results = ingest(kind, [out / code / kind], code)
                assert results and all(r.status == "loaded" for r in results), \
                    [r.reason for r in results if not r.ok]
    finally:
        monkeypatch.delenv("SENDWH_BOROUGHS_FILE")
        get_settings.cache_clear()


def test_england_same_seed_same_bytes_with_one_or_two_workers(england, tmp_path):
    out, _ = england
    generate(tmp_path, seed=1, england=True, england_fraction=0.01, dfe_dir=_dfe_dir(), councils=6)
    assert [p.relative_to(tmp_path) for p in all_files(tmp_path)] == \
        [p.relative_to(out) for p in all_files(out)]
    for p in all_files(tmp_path):
        assert p.read_bytes() == (out / p.relative_to(tmp_path)).read_bytes(), p
