"""Small-number suppression (foundation/suppression.py): DfE's `c` for small counts and the
totals and rates that would reveal them; zero is shown."""
from __future__ import annotations

from foundation.suppression import SUPPRESSED, Rule, suppress

RULE = Rule(counts=["plans", "late", "on_time"], row_totals={"plans": ["late", "on_time"]}, rates=["pc_on_time"])


def _rows(**by_borough):
    return [{"borough": b, "year": 2025, "plans": p, "late": late, "on_time": p - late,
             "pc_on_time": round(100 * (p - late) / p, 1) if p else None}
            for b, (p, late) in by_borough.items()]


def test_a_count_below_the_threshold_is_c_and_zero_is_shown():
    [row] = suppress(_rows(HF=(40, 3)), RULE, threshold=5)
    assert row["late"] == SUPPRESSED and row["on_time"] == 37
    assert suppress(_rows(HF=(40, 0)), RULE, threshold=5)[0]["late"] == 0


def test_the_total_that_would_reveal_a_suppressed_cell_is_suppressed_within_the_row():
    [row] = suppress(_rows(HF=(40, 3)), RULE, threshold=5)
    assert row["late"] == SUPPRESSED and row["plans"] == SUPPRESSED   # 40 - 37 would give 3
    assert row["pc_on_time"] == SUPPRESSED


def test_the_all_row_is_suppressed_when_one_boroughs_cell_is():
    rows = _rows(HF=(40, 3), KC=(30, 10), WCC=(50, 12), ALL=(120, 25))
    out = {r["borough"]: r for r in suppress(rows, RULE, threshold=5)}
    assert out["HF"]["late"] == SUPPRESSED and out["ALL"]["late"] == SUPPRESSED
    assert out["KC"]["late"] == 10 and out["WCC"]["late"] == 12     # two unknowns: nothing recovered


def test_the_threshold_is_a_setting():
    rows = _rows(HF=(40, 7))
    assert suppress(rows, RULE, threshold=5)[0]["late"] == 7
    assert suppress(rows, RULE, threshold=10)[0]["late"] == SUPPRESSED


def test_the_worklist_is_never_exported(tmp_path):
    from typer.testing import CliRunner

    from sendwh.cli import app

    result = CliRunner().invoke(app, ["export", "ehc_open_cases", "--out", str(tmp_path / "x.csv")])
    assert result.exit_code == 2 and "not exportable" in result.output
    assert not (tmp_path / "x.csv").exists()
