"""The board report (issue 16): built from a copy of the session's sample warehouse after a
forecast, every headline figure equal to its mart, small numbers suppressed, nothing fetched
from anywhere; then opened in a real Chromium with the network cut, with the quality page and
dbt's docs."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from lxml import html

from tests.browser import browser, visit
from tests.conftest import SAMPLE_TODAY, copy_of_database
from tests.forecast_dfe_fixture import write_synthetic_dfe
from tests.report_expected import expected_figures, same, shown

SECTIONS = ("timeliness", "worklist", "caseload", "transfers", "reviews", "forecast", "finance", "quality")


@pytest.fixture(scope="module")
def built(sample_warehouse, tmp_path_factory):
    """(report result, docs index, the database's connection) on a forecast copy."""
    from forecast import run_forecast
    from foundation.database import connect
    from sendwh.dbt_docs import generate_docs
    from sendwh.report import build_report

    dfe = tmp_path_factory.mktemp("dfe")
    write_synthetic_dfe(dfe)
    out = tmp_path_factory.mktemp("report")
    with copy_of_database(sample_warehouse.url, "report"):
        run_forecast(dfe_dir=dfe, today=SAMPLE_TODAY)
        result = build_report(out_dir=out)
        one = build_report(out_dir=out, borough="KC")
        docs = generate_docs(out / "dbt-docs")
        with connect(autocommit=True) as conn:
            yield result, one, docs, conn


def _figures(path: Path) -> dict[str, tuple[str, str]]:
    tree = html.parse(str(path))
    return {d.get("data-key"): (d.get("value"), d.text_content()) for d in tree.iter("data")}


def test_every_headline_figure_equals_its_mart(built):
    result, _, _, conn = built
    page = _figures(result.path)
    expected = expected_figures(conn)
    assert set(page) == set(expected), set(page) ^ set(expected)
    wrong = {k: (page[k], v) for k, (v, kind) in expected.items()
             if not same(page[k][0], v) or not shown(page[k][1], v, kind)}
    assert not wrong, wrong


def test_every_section_has_a_headline_a_chart_and_its_data(built):
    result, _, _, _ = built
    tree = html.parse(str(result.path))
    for anchor in SECTIONS:
        [section] = tree.xpath(f"//section[@id='{anchor}']")
        assert section.xpath(".//h2"), anchor
        assert section.xpath(".//p[@class='headline']//data"), f"{anchor}: no headline figure"
        svgs = section.xpath(".//*[local-name()='svg' and @role='img']")
        assert svgs and all(s.get("aria-label") for s in svgs), f"{anchor}: chart without alt text"
        assert section.xpath(".//figcaption"), anchor
        assert section.xpath(".//table/thead/tr/th"), f"{anchor}: no data table"


def test_tables_show_the_marts_counts_with_small_ones_suppressed(built):
    result, _, _, conn = built
    tree = html.parse(str(result.path))
    [table] = tree.xpath("//section[@id='caseload']//table[caption='ehcp_caseload by placement group']")
    heads = [th.text_content() for th in table.xpath(".//th")]
    shown_totals = {int(r.xpath("./td")[0].text_content()): r.xpath("./td")[heads.index("all")].text_content()
                    for r in table.xpath(".//tbody/tr")}
    marts = dict(conn.execute("select census_year, sum(ehcplans) from marts.ehcp_caseload "
                              "where borough = 'ALL' group by 1").fetchall())
    assert shown_totals == {y: ("c" if 0 < n < 5 else f"{n:,}") for y, n in marts.items()}
    [worklist] = tree.xpath("//section[@id='worklist']//table")
    cells = [td.text_content() for td in worklist.xpath(".//tbody/tr/td[position() > 2]")]
    counts = [int(c.replace(",", "")) for c in cells if c != "c"]
    assert "c" in cells and counts and not [n for n in counts if 0 < n < 5]
    breached = dict(((s, b), n) for s, b, n in conn.execute(
        "select stage, borough, count(*) filter (where is_breached) from marts.ehc_open_cases group by 1, 2"))
    for row in worklist.xpath(".//tbody/tr"):
        stage, borough, cell = (td.text_content() for td in row.xpath("./td")[:3])
        if borough != "Tri-borough" and cell != "c":
            assert int(cell.replace(",", "")) == breached[(stage, borough)], (stage, borough)


def test_report_is_one_file_that_fetches_nothing(built):
    result, one, _, _ = built
    for path in (result.path, one.path, result.quality_path):
        text = path.read_text()
        assert "<script" not in text
        links = re.findall(r'(?:src|href)="([^"]*)"', text)
        assert all(u.startswith("#") or u in (result.quality_path.name, one.quality_path.name,
                                              result.path.name, one.path.name) for u in links), links
        assert "@import" not in text
        assert all(ref.startswith("#") for ref in re.findall(r"url\(([^)]*)\)", text))   # SVG hatches


def test_one_borough_report_shows_only_that_borough(built):
    _, one, _, conn = built
    text = one.path.read_text()
    assert "KC" in text and not re.search(r">(HF|WCC)<", text)
    page = _figures(one.path)
    plans = conn.execute("select sum(ehcplans) from marts.ehcp_caseload where borough = 'KC' and census_year = "
                         "(select max(census_year) from marts.ehcp_caseload)").fetchone()[0]
    assert int(page["caseload.plans"][0]) == plans


def test_report_refuses_marts_that_were_not_published(built, tmp_path):
    from foundation.published import NotPublished
    from sendwh.report import build_report

    _, _, _, conn = built
    conn.execute("create table marts.not_gated (n int)")      # put there outside a gated publish
    try:
        with pytest.raises(NotPublished):
            build_report(out_dir=tmp_path)
    finally:
        conn.execute("drop table marts.not_gated")
    assert not list(tmp_path.iterdir())


def test_pages_in_a_real_browser_with_no_network(built):
    from foundation.settings import get_settings

    result, _, docs, conn = built
    shots = get_settings().outputs_dir / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    expected = expected_figures(conn)
    with browser() as b:
        with visit(b, result.path) as seen:
            page = seen.page
            for anchor in SECTIONS:
                chart = page.locator(f"section#{anchor} svg[role=img]").first
                chart.scroll_into_view_if_needed()
                assert chart.is_visible(), anchor
                box = chart.bounding_box()
                assert box and box["width"] > 200 and box["height"] > 100, (anchor, box)
            on_page = {d.get_attribute("data-key"): (d.get_attribute("value"), d.inner_text())
                       for d in page.locator("p.headline data").all()}
            page.screenshot(path=str(shots / "board-report.png"), full_page=True)
            assert not seen.failed and not seen.errors, (seen.failed, seen.errors)
        wrong = {k: on_page.get(k) for k, (v, kind) in expected.items()
                 if k not in on_page or not same(on_page[k][0], v) or not shown(on_page[k][1], v, kind)}
        assert not wrong, wrong
        with visit(b, result.quality_path) as seen:
            rows = seen.page.locator("tbody tr").count()
            seen.page.screenshot(path=str(shots / "quality.png"), full_page=True)
            assert rows == conn.execute("select count(*) from audit.dq_scorecard where run_id in (select run_id "
                                        "from audit.dq_runs order by started_at desc limit 3)").fetchone()[0]
            assert not seen.failed and not seen.errors, (seen.failed, seen.errors)
        with visit(b, docs) as seen:
            page = seen.page
            page.goto(docs.resolve().as_uri() + "#!/model/model.sendwh.ehcp_caseload")
            page.locator("h1", has_text="ehcp_caseload").first.wait_for(timeout=30_000)
            assert page.locator("td", has_text="census_year").count() == 1     # the catalog's columns
            page.screenshot(path=str(shots / "dbt-docs.png"))
            page.goto(docs.resolve().as_uri() + "#!/exposure/exposure.sendwh.board_report")
            page.locator("h1", has_text="SEND board pack").first.wait_for(timeout=30_000)
            assert not seen.failed and not seen.errors, (seen.failed, seen.errors)
    assert (shots / "board-report.png").stat().st_size > 50_000
