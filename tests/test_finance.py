"""Finance marts (issue 7): the business case reproduced from its seeds alone, and savings,
payback and high-needs spend from a small hand-made ledger whose figures are worked out by
hand below. Real PostgreSQL, real loader (HF's ledger layout), real dbt."""
from __future__ import annotations

from decimal import Decimal

import pytest

from tests.conftest import scratch_database, using_database

pytestmark = pytest.mark.slow   # every test here builds the finance marts with dbt

FINANCE = "+path:models/marts/finance path:tests/finance"


def build_finance() -> None:
    """dbt build of the finance marts and everything under them, straight into `marts`."""
    from sendwh.dbt_runner import run_dbt

    status = run_dbt(["build", "--select", *FINANCE.split(),
                      "--vars", "{marts_build_schema: marts}"], quiet=True)
    assert status == 0, "dbt build of the finance marts failed"


def query(sql: str, *args) -> list[tuple]:
    from foundation.database import connect

    with connect(autocommit=True) as conn:
        return conn.execute(sql, args).fetchall()


# -- the plan seeds alone ---------------------------------------------------------------
@pytest.fixture(scope="module")
def plan_only(test_settings):
    """A warehouse with no data at all: only the seeds speak."""
    with scratch_database("finplan"):
        build_finance()
        yield query


def test_plan_gives_224k_a_year_and_1120k_and_2240k_over_5_and_10_years(plan_only):
    [(investment, annual, years_5, years_10)] = plan_only(
        "select investment_gbp, annual_savings_gbp, savings_years_1_5_gbp, savings_years_1_10_gbp "
        "from marts.invest_to_save_payback where basis = 'planned'")
    assert investment == Decimal("687500.00")
    assert annual == Decimal("224000.00")
    assert years_5 == Decimal("1120000.00")
    assert years_10 == Decimal("2240000.00")
    savings = plan_only("select fiscal_year, planned_savings_gbp from marts.invest_to_save "
                        "where line = 'ALL' and savings_year between 1 and 10 order by 1")
    assert [fy for fy, _ in savings] == [f"{y}/{(y + 1) % 100:02d}" for y in range(2017, 2027)]
    assert {amount for _, amount in savings} == {Decimal("224000.00")}


def test_plan_payback_is_3_07_years_and_3_1_to_one_decimal(plan_only):
    [(simple, simple_1dp, discounted, rate)] = plan_only(
        "select simple_payback_years, simple_payback_years_1dp, discounted_payback_years, "
        "discount_rate from marts.invest_to_save_payback where basis = 'planned'")
    assert simple == Decimal("3.07") and simple_1dp == Decimal("3.1")
    # discounted at 3.5% a year to 2016/17: investment 187.5 + 375/1.035 + 125/1.035^2;
    # savings of 224 from 2017/18 discounted the same way, accumulated until they reach it
    assert rate == Decimal("0.035")
    invest = 187.5 + 375 / 1.035 + 125 / 1.035 ** 2
    cumulative, year = 0.0, 0
    while cumulative + 224 / 1.035 ** (year + 1) < invest:
        year += 1
        cumulative += 224 / 1.035 ** year
    by_hand = year + (invest - cumulative) / (224 / 1.035 ** (year + 1))
    assert discounted == Decimal(f"{by_hand:.2f}") == Decimal("3.20")


def test_plan_investment_is_687_5k_profiled_187_5_375_125(plan_only):
    rows = plan_only("select line, fiscal_year, planned_investment_gbp from marts.invest_to_save "
                     "where planned_investment_gbp <> 0 order by 1, 2")
    assert rows == [
        ("ALL", "2016/17", Decimal("187500.00")), ("ALL", "2017/18", Decimal("375000.00")),
        ("ALL", "2018/19", Decimal("125000.00")),
        ("PROGRAMME_SUPPORT", "2016/17", Decimal("62500.00")),
        ("PROGRAMME_SUPPORT", "2017/18", Decimal("125000.00")),
        ("TRANSFER_REVIEW_TEAM", "2016/17", Decimal("125000.00")),
        ("TRANSFER_REVIEW_TEAM", "2017/18", Decimal("250000.00")),
        ("TRANSFER_REVIEW_TEAM", "2018/19", Decimal("125000.00")),
    ]
    [(cumulative,)] = plan_only("select cumulative_planned_net_gbp from marts.invest_to_save "
                                "where line = 'ALL' and fiscal_year = '2019/20'")
    assert cumulative == Decimal("-15500.00")     # -687.5 + 3 x 224


def test_plan_arithmetic_reports_the_misprinted_2017_18_total(plan_only):
    inconsistent = plan_only(
        "select case_table, row_item, column_item, printed_value, computed_value "
        "from marts.business_case_checks where not is_consistent")
    assert [(t, r, c, float(p), float(v)) for t, r, c, p, v in inconsistent] == [
        ("investment", "total", "2017/18", 325.0, 375.0)]
    checks = dict(((t, r, c), (float(p), float(v))) for t, r, c, p, v in plan_only(
        "select case_table, row_item, column_item, printed_value, computed_value "
        "from marts.business_case_checks"))
    assert checks[("investment", "total", "total")] == (687.5, 687.5)
    assert checks[("savings", "total", "years_1_10")] == (2240.0, 2240.0)
    assert checks[("payback", "total", "years")] == (3.1, 3.0692)
    assert len(checks) == 10


def test_plan_shares_fall_back_to_the_fixed_apportionment_without_a_census(plan_only):
    rows = plan_only("select borough, basis_used, share, planned_investment_gbp "
                     "from marts.programme_cost_shares where fiscal_year = '2017/18' order by 1")
    assert rows == [("HF", "fixed", Decimal("0.400000"), Decimal("150000.00")),
                    ("KC", "fixed", Decimal("0.220000"), Decimal("82500.00")),
                    ("WCC", "fixed", Decimal("0.380000"), Decimal("142500.00"))]


# -- a hand-made ledger -----------------------------------------------------------------
HEADER = "Year,Period,Cost Centre,Subjective,Value Type,Amount\n"
# HF cost centres (seed cost_centre_map): DCT H50250 (S251 3.4.3), SEN/EP trading H50260,
# travel training H50270, post-16 contract H50280 (S251 1.2.2), Transfer Review Team
# H50290, programme support H50300; H99999 is in no map. Subjective 9900 is the
# statistical account: activity units, not money. Income and credit notes are negative.
LEDGER = {
    # 2016/17, everything posted at period 12 (March 2017, the year-end): the baseline
    "HF_ledger_2016-17_P12.csv": """\
2016/17,12,H50250,1000,ACT,120000.00
2016/17,12,H50250,9900,ACT,300
2016/17,12,H50270,1000,ACT,48000.00
2016/17,12,H50270,9900,ACT,240
2016/17,12,H50280,5000,ACT,60000.00
2016/17,12,H50280,9000,ACT,-6000.00
2016/17,12,H50280,9900,ACT,90
2016/17,12,H50260,1000,ACT,36000.00
2016/17,12,H50260,9000,ACT,-6000.00
2016/17,12,H50290,1000,ACT,100000.00
2016/17,12,H50300,1000,ACT,50000.00
2016/17,12,H99999,4000,ACT,1234.00
""",
    # 2017/18 at period 6: DCT's first half, a credit note, its forecast and budget
    "HF_ledger_2017-18_P06.csv": """\
2017/18,6,H50250,1000,ACT,55000.00
2017/18,6,H50250,4000,ACT,-2000.00
2017/18,6,H50250,1000,FCST,56000.00
2017/18,6,H50250,1000,BUD,30000.00
2017/18,6,H50250,9900,ACT,150
""",
    "HF_ledger_2017-18_P12.csv": """\
2017/18,12,H50250,1000,ACT,40000.00
2017/18,12,H50250,1000,BUD,30000.00
2017/18,12,H50250,9900,ACT,150
2017/18,12,H50270,1000,ACT,40000.00
2017/18,12,H50270,9900,ACT,260
2017/18,12,H50280,5000,ACT,30000.00
2017/18,12,H50280,9000,ACT,-2000.00
2017/18,12,H50280,9900,ACT,100
2017/18,12,H50260,1000,ACT,30000.00
2017/18,12,H50260,9000,ACT,-13000.00
2017/18,12,H50290,1000,ACT,200000.00
2017/18,12,H50300,1000,ACT,100000.00
""",
    "HF_ledger_2018-19_P12.csv": """\
2018/19,12,H50250,1000,ACT,60000.00
2018/19,12,H50250,9900,ACT,300
2018/19,12,H50270,1000,ACT,28000.00
2018/19,12,H50270,9900,ACT,240
2018/19,12,H50280,5000,ACT,20000.00
2018/19,12,H50280,9900,ACT,100
2018/19,12,H50260,1000,ACT,10000.00
2018/19,12,H50290,1000,ACT,50000.00
""",
    **{f"HF_ledger_{y}-{(y + 1) % 100:02d}_P12.csv": f"""\
{y}/{(y + 1) % 100:02d},12,H50250,1000,ACT,20000.00
{y}/{(y + 1) % 100:02d},12,H50250,9900,ACT,300
{y}/{(y + 1) % 100:02d},12,H50270,1000,ACT,8000.00
{y}/{(y + 1) % 100:02d},12,H50270,9900,ACT,240
{y}/{(y + 1) % 100:02d},12,H50280,5000,ACT,10000.00
{y}/{(y + 1) % 100:02d},12,H50280,9900,ACT,100
""" for y in (2019, 2020)},
}
# baseline unit costs (2016/17): DCT 120000/300 = 400; travel training 48000/240 = 200;
# post-16 (60000 - 6000)/90 = 600; SEN/EP trading (36000 - 6000)/12 months = 2500 a month


@pytest.fixture(scope="module")
def ledger(test_settings, tmp_path_factory):
    from extract.ingest import ingest

    folder = tmp_path_factory.mktemp("ledger") / "HF" / "ledger"
    folder.mkdir(parents=True)
    for name, body in LEDGER.items():
        (folder / name).write_text(HEADER + body, encoding="utf-8")
    with scratch_database("finledger"):
        results = ingest("ledger", [folder], "HF")
        assert [r.status for r in results] == ["loaded"] * len(LEDGER), [r.reason for r in results]
        build_finance()
        yield query


def delivery(q, line: str, fy: str, period: int) -> dict:
    [row] = q("select target_to_date_gbp, activity_to_date, baseline_unit_cost_gbp, "
              "spend_to_date_gbp, achieved_to_date_gbp, forecast_year_gbp, at_risk_gbp, "
              "undeliverable_gbp, rag_status from marts.savings_delivery "
              "where savings_line = %s and fiscal_year = %s and period = %s", line, fy, period)
    keys = ("target_to_date", "activity", "unit_cost", "spend", "achieved", "forecast",
            "at_risk", "undeliverable", "rag")
    return {k: (float(v) if isinstance(v, Decimal) else v) for k, v in zip(keys, row)}


def test_dct_mid_year_is_activity_times_unit_cost_less_net_spend(ledger):
    d = delivery(ledger, "DCT", "2017/18", 6)
    # 150 package months x £400 = 60000 expected; spend 55000 less a 2000 credit note
    assert (d["activity"], d["unit_cost"], d["spend"]) == (150, 400, 53000)
    assert d["achieved"] == 60000 - 53000 == 7000
    # forecast: activity 150 x 12/6 = 300 x 400 = 120000, less spend 53000 + forecast
    # 56000 / 6 periods x 6 remaining = 109000
    assert d["forecast"] == 120000 - 109000 == 11000
    assert d["target_to_date"] == 61000                     # 122000 x 6/12
    assert d["undeliverable"] == 61000 - 7000 == 54000
    assert d["at_risk"] == 122000 - 11000 - 54000 == 57000
    assert d["rag"] == "red"                                # 11000 / 122000 < 0.75


def test_year_end_forecast_is_achieved_and_each_line_is_rated(ledger):
    dct = delivery(ledger, "DCT", "2017/18", 12)
    assert dct["achieved"] == dct["forecast"] == 300 * 400 - 93000 == 27000
    assert (dct["undeliverable"], dct["at_risk"], dct["rag"]) == (95000, 0, "red")
    travel = delivery(ledger, "TRAVEL_TRAINING", "2017/18", 12)
    assert travel["achieved"] == 260 * 200 - 40000 == 12000 and travel["rag"] == "red"
    post16 = delivery(ledger, "POST16_CONTRACT", "2017/18", 12)
    # income of 2000 nets off: spend 28000; 100 x 600 - 28000 = 32000 = 82% of 39000
    assert post16["spend"] == 28000
    assert post16["achieved"] == 32000 and post16["rag"] == "amber"
    trading = delivery(ledger, "SEN_EP_TRADING", "2017/18", 12)
    # baseline spend, the month as the unit: 12 x 2500 - (30000 - 13000) = 13000 = target
    assert trading["achieved"] == 13000 and trading["rag"] == "green"
    programme = delivery(ledger, "ALL", "2017/18", 12)
    assert programme["achieved"] == 27000 + 12000 + 32000 + 13000 == 84000
    assert programme["rag"] == "red"


def test_a_budget_cut_alone_is_not_a_saving(ledger):
    # DCT's 2017/18 budget was cut to 60000 from a baseline spend of 120000; what counts is
    # the activity and the spend: 27000 achieved, not the 60000 cut (and the line overspends)
    [(budget, variance, rag)] = ledger(
        "select budget_gbp, variance_gbp, rag_status from marts.high_needs_spend "
        "where borough = 'HF' and fiscal_year = '2017/18' and s251_line = '3.4.3'")
    assert (budget, variance, rag) == (Decimal("60000.00"), Decimal("33000.00"), "red")
    assert delivery(ledger, "DCT", "2017/18", 12)["achieved"] == 27000


def test_actual_payback_from_ledger_flows(ledger):
    [(investment, annual, years_5, simple, discounted)] = ledger(
        "select investment_gbp, annual_savings_gbp, savings_years_1_5_gbp, simple_payback_years, "
        "discounted_payback_years from marts.invest_to_save_payback where basis = 'actual'")
    # invested 150000 + 300000 + 50000; savings by year 84000, 140000, 220000, 220000
    # (2018/19: DCT 120000 - 60000, travel 48000 - 28000, post-16 60000 - 20000,
    # trading 30000 - 10000; 2019/20 and 2020/21: 100000 + 40000 + 50000 + 30000)
    assert investment == Decimal("500000.00")
    assert years_5 == Decimal("664000.00") and annual == Decimal("166000.00")
    assert simple == Decimal(f"{3 + (500000 - 444000) / 220000:.2f}") == Decimal("3.25")
    flows = [-150000, 84000 - 300000, 140000 - 50000, 220000, 220000]
    invest = 150000 + 300000 / 1.035 + 50000 / 1.035 ** 2
    saved = [s / 1.035 ** (i + 1) for i, s in enumerate([84000, 140000, 220000, 220000])]
    by_hand = 3 + (invest - sum(saved[:3])) / saved[3]
    assert discounted == Decimal(f"{by_hand:.2f}")
    net = ledger("select cumulative_actual_net_gbp from marts.invest_to_save where line = 'ALL' "
                 "and periods_loaded is not null order by fiscal_year_start")
    running = [sum(flows[:i + 1]) for i in range(len(flows))]
    assert [float(n) for (n,) in net] == running


def test_period_12_closes_the_year_and_forecast_is_the_outturn(ledger):
    rows = ledger("select fiscal_year, periods_loaded, is_year_closed, actual_gbp, forecast_gbp "
                  "from marts.high_needs_spend where borough = 'HF' and s251_line = '3.4.3' "
                  "order by 1")
    # the P12 file is March of the next calendar year, still in its fiscal year
    assert rows[1] == ("2017/18", 12, True, Decimal("93000.00"), Decimal("93000.00"))
    assert all(closed for _, _, closed, _, _ in rows)


def test_income_and_credit_notes_are_negative_and_net_off(ledger):
    [(post16, trading)] = ledger(
        "select sum(actual_gbp) filter (where s251_line = '1.2.2'), "
        "sum(actual_gbp) filter (where s251_line = '2.1.1') from marts.high_needs_spend "
        "where borough = 'HF' and fiscal_year = '2016/17'")
    assert post16 == Decimal("54000.00") and trading == Decimal("30000.00")


def test_a_cost_centre_with_no_mapping_is_reported_not_dropped(ledger):
    assert ledger("select borough, cost_centre, ledger_lines, actual_gbp "
                  "from marts.ledger_unmapped_cost_centres") == [
        ("HF", "H99999", 1, Decimal("1234.00"))]
    [(unmapped, total)] = ledger(
        "select sum(actual_gbp) filter (where s251_line = 'unmapped'), sum(actual_gbp) "
        "from marts.high_needs_spend where borough = 'HF' and fiscal_year = '2016/17'")
    assert unmapped == Decimal("1234.00")
    assert total == Decimal(120000 + 48000 + 54000 + 30000 + 150000 + 1234)


def test_finance_summary_lines_for_the_demo(ledger):
    from foundation.database import connect
    from sendwh.finance_report import finance_summary_lines

    with connect() as conn:
        text = "\n".join(finance_summary_lines(conn))
    assert "Savings 2020/21 to period 12" in text
    assert "payback 3.25 years actual, 3.07 years planned (the case: 3.1)" in text
    assert "2017/18 printed as 325, its lines add to 375" in text
    assert "Ledger cost centres with no mapping: 1" in text


def test_sample_ledgers_give_unit_costs_and_savings(sample_warehouse):
    """The sample generator's ledgers, loaded and built (the session's sample warehouse):
    independent placements cost about 2.5 times maintained special ones, and the
    programme's savings are measurable."""
    with using_database(sample_warehouse.url):
        ratios = query("select distinct borough, independent_to_special_ratio "
                       "from marts.placement_unit_costs where fiscal_year = '2022/23'")
        assert {b for b, _ in ratios} == {"HF", "KC", "WCC", "ALL"}
        assert all(2.0 < float(r) < 3.0 for _, r in ratios), ratios
        [(achieved, rag)] = query(
            "select achieved_to_date_gbp, rag_status from marts.savings_delivery "
            "where savings_line = 'ALL' and fiscal_year = '2022/23' and period = 12")
        assert 180_000 < float(achieved) < 300_000 and rag in ("green", "amber")
        assert query("select count(*) from marts.ledger_unmapped_cost_centres") == [(0,)]
        [(planned, actual)] = query(
            "select max(simple_payback_years) filter (where basis = 'planned'), "
            "max(simple_payback_years) filter (where basis = 'actual') "
            "from marts.invest_to_save_payback")
        assert planned == Decimal("3.07") and 2.5 < float(actual) < 4.5
