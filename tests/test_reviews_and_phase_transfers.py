"""Annual reviews and phase transfers end to end: the small hand-made extracts of every
layout (tests/source_files.py: HF CSV files, the KC workbook, the WCC record file) loaded
into their own warehouse, built with dbt (the marts' unit tests included) and published
through the gates; the marts' figures worked out by hand from those files.

As at 2026-11-30. Reviews are due 12 months after the plan or the last review; decisions
within 4 weeks of the meeting; amended plans for a phase transfer by 15 February (31 March
into post-16) of the year of the move."""
from __future__ import annotations

from datetime import date

import pytest

from tests.conftest import scratch_database

pytestmark = pytest.mark.slow   # a gated dbt build of the hand-made extracts

TODAY = "2026-11-30"


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    from extract.ingest import ingest
    from foundation.database import connect
    from sendwh.pipeline import build
    from tests.source_files import SourceFiles

    files = SourceFiles(tmp_path_factory.mktemp("hand_made"))
    with scratch_database("reviews"):
        for borough, paths in (("HF", [files.hf_case_dir()]), ("KC", [files.kc_workbook()]),
                               ("WCC", [files.wcc_extract()])):
            results = ingest("case", paths, borough)
            assert all(r.status == "loaded" for r in results), [r.reason for r in results]
        assert build(today=TODAY, quiet=True) == 0
        with connect(autocommit=True) as conn:
            yield conn


def _q(conn, query: str, *args) -> list[tuple]:
    return conn.execute(query, args).fetchall()


def test_annual_reviews_per_borough_and_year(built):
    rows = _q(built, "select borough, calendar_year, plans_due_review, reviews_within_12_months, "
                     "reviews_late, reviews_not_held, pc_reviews_within_12_months::float, "
                     "reviews_overdue_at_period_end, review_meetings, decisions_within_4_weeks, "
                     "decisions_late, decisions_awaited from marts.annual_reviews "
                     "where period_type = 'year' and calendar_year >= 2023 and (plans_due_review > 0 "
                     "or review_meetings > 0 or reviews_overdue_at_period_end > 0) "
                     "order by borough = 'ALL', borough, calendar_year")
    assert rows == [
        # HF: RV3 on time (P004); RV1 on time; RV2 late, decision in 35 days; P001's next
        # review (due 2026-06-10) and P010's first (due 2017-12-15) overdue
        ("HF", 2023, 1, 1, 0, 0, 100.0, 1, 1, 1, 0, 0),
        ("HF", 2024, 1, 1, 0, 0, 100.0, 1, 1, 1, 0, 0),
        ("HF", 2025, 1, 0, 1, 0, 0.0, 1, 1, 0, 1, 0),
        ("HF", 2026, 1, 0, 0, 1, 0.0, 2, 0, 0, 0, 0),
        # KC: held on its due day, then 4 days early (decision in 33 days); overdue from 2026-05-28
        ("KC", 2024, 1, 1, 0, 0, 100.0, 0, 1, 1, 0, 0),
        ("KC", 2025, 1, 1, 0, 0, 100.0, 0, 1, 0, 1, 0),
        ("KC", 2026, 1, 0, 0, 1, 0.0, 1, 0, 0, 0, 0),
        # WCC: on time (decision on day 28), then late with the decision awaited
        ("WCC", 2024, 1, 1, 0, 0, 100.0, 0, 1, 1, 0, 0),
        ("WCC", 2025, 1, 0, 1, 0, 0.0, 0, 1, 0, 0, 1),
        ("WCC", 2026, 1, 0, 0, 1, 0.0, 1, 0, 0, 0, 0),
        ("ALL", 2023, 1, 1, 0, 0, 100.0, 1, 1, 1, 0, 0),
        ("ALL", 2024, 3, 3, 0, 0, 100.0, 1, 3, 3, 0, 0),
        ("ALL", 2025, 3, 1, 2, 0, 33.3, 1, 3, 0, 2, 1),
        ("ALL", 2026, 3, 0, 0, 3, 0.0, 4, 0, 0, 0, 0),
    ]
    # HF's first review fell due in December 2017 (P010, from a statement transfer): the
    # periods start there, and the review is overdue at the end of every year since
    first = _q(built, "select min(period_start) filter (where period_type = 'month'), "
                      "count(*) filter (where period_type = 'year') "
                      "from marts.annual_reviews where borough = 'HF'")
    assert first == [(date(2017, 12, 1), 10)]
    months = _q(built, "select period_start, plans_due_review, reviews_late, review_meetings, "
                       "decisions_late from marts.annual_reviews where borough = 'HF' "
                       "and period_type = 'month' and (plans_due_review > 0 or review_meetings > 0) "
                       "and calendar_year = 2025")
    assert months == [(date(2025, 5, 1), 1, 1, 0, 0), (date(2025, 6, 1), 0, 0, 1, 1)]


def test_the_draft_amended_plan_is_there_for_the_sen2_return(built):
    rows = _q(built, "select borough, review_seq, review_on, review_outcome, draft_plan_on, "
                     "final_plan_on from intermediate.int_annual_reviews "
                     "where draft_plan_on is not null order by borough")
    assert rows == [("HF", 2, date(2025, 6, 10), "A", date(2025, 7, 15), date(2025, 9, 1)),
                    ("KC", 1, date(2024, 6, 1), "A", date(2024, 6, 20), date(2024, 8, 15))]


def test_phase_transfers_against_their_deadlines(built):
    rows = _q(built, "select borough, transfer_year, phase_transfer, deadline_on, transfers_due, "
                     "finalised_by_deadline, finalised_late, still_open, open_past_deadline, "
                     "pc_finalised_by_deadline::float from marts.phase_transfers "
                     "order by borough = 'ALL', borough, transfer_year, phase_transfer")
    assert rows == [
        ("HF", 2021, "P16", date(2021, 3, 31), 1, 0, 1, 0, 0, 0.0),   # 20 days after 31 March
        ("HF", 2021, "all", None, 1, 0, 1, 0, 0, 0.0),
        ("HF", 2026, "SEC", date(2026, 2, 15), 1, 1, 0, 0, 0, 100.0),
        ("HF", 2026, "all", None, 1, 1, 0, 0, 0, 100.0),
        ("KC", 2025, "SEC", date(2025, 2, 15), 1, 1, 0, 0, 0, 100.0),  # on the deadline day
        ("KC", 2025, "all", None, 1, 1, 0, 0, 0, 100.0),
        ("WCC", 2025, "SEC", date(2025, 2, 15), 1, 0, 0, 1, 1, 0.0),   # still open
        ("WCC", 2025, "all", None, 1, 0, 0, 1, 1, 0.0),
        ("ALL", 2021, "P16", date(2021, 3, 31), 1, 0, 1, 0, 0, 0.0),
        ("ALL", 2021, "all", None, 1, 0, 1, 0, 0, 0.0),
        ("ALL", 2025, "SEC", date(2025, 2, 15), 2, 1, 0, 1, 1, 50.0),
        ("ALL", 2025, "all", None, 2, 1, 0, 1, 1, 50.0),
        ("ALL", 2026, "SEC", date(2026, 2, 15), 1, 1, 0, 0, 0, 100.0),
        ("ALL", 2026, "all", None, 1, 1, 0, 0, 0, 100.0),
    ]


def test_the_worklist_carries_overdue_reviews_and_open_phase_transfers(built):
    rows = _q(built, "select borough, work_item, stage, due_on, days_left, is_breached, "
                     "request_key is null, received_on from marts.ehc_open_cases "
                     "order by urgency_rank")
    by_item = {(r[0], r[1], r[3]): r for r in rows}
    today = date.fromisoformat(TODAY)
    for (_, _, due), row in by_item.items():
        assert row[4] == (due - today).days and row[5] == (due < today)
    assert set(by_item) == {
        ("HF", "request", date(2024, 10, 13)),            # R003 awaiting its 6-week decision
        ("HF", "annual review", date(2017, 12, 15)),      # P010, never reviewed
        ("HF", "annual review", date(2026, 6, 10)),       # P001, 12 months after RV2
        ("KC", "annual review", date(2026, 5, 28)),
        ("WCC", "annual review", date(2026, 8, 15)),
        ("WCC", "annual review", date(2025, 9, 12)),      # WRV2's decision, 4 weeks on, awaited
        ("WCC", "phase transfer", date(2025, 2, 15)),     # WPT1, no final amended plan
    }
    assert by_item[("WCC", "annual review", date(2025, 9, 12))][2] == "review decision"
    assert [r[6] for r in rows if r[1] != "request"] == [True] * 6
    assert [r[7] for r in rows if r[1] == "request"] == [date(2024, 9, 1)]
    ranks = _q(built, "select days_left from marts.ehc_open_cases order by urgency_rank")
    assert [r[0] for r in ranks] == sorted(r[0] for r in ranks)


def test_the_new_marts_and_review_dates_passed_their_gates(built):
    rows = _q(built, 'select borough, asset, "check", passed, rows_checked > 0 from audit.dq_scorecard '
                     "where asset in ('mart_reviews', 'case_review_dates') order by 2, 1, 3")
    assert rows == [
        ("HF", "case_review_dates", "decision_after_request", True, True),
        ("KC", "case_review_dates", "decision_after_request", True, True),
        ("WCC", "case_review_dates", "decision_after_request", True, True),
        ("ALL", "mart_reviews", "review_bands_sum", True, True),
        ("ALL", "mart_reviews", "review_years_sum_months", True, True),
        ("HF", "mart_reviews", "review_bands_sum", True, True),
        ("HF", "mart_reviews", "review_years_sum_months", True, True),
        ("KC", "mart_reviews", "review_bands_sum", True, True),
        ("KC", "mart_reviews", "review_years_sum_months", True, True),
        ("WCC", "mart_reviews", "review_bands_sum", True, True),
        ("WCC", "mart_reviews", "review_years_sum_months", True, True),
    ]
    published = _q(built, "select table_name from information_schema.tables where table_schema = 'marts' "
                          "and table_name in ('annual_reviews', 'phase_transfers') order by 1")
    assert published == [("annual_reviews",), ("phase_transfers",)]
