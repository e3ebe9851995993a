"""UPN and ULN checks, with the vectors in sen2-spec.md."""
from __future__ import annotations

import pytest

from foundation.identifiers import make_upn, uln_check_digit, uln_is_valid, upn_is_valid


@pytest.mark.parametrize("upn", ["B801200005001", "A950000178301", "H243278544154"])
def test_spec_valid_upns_pass(upn):
    assert upn_is_valid(upn)


@pytest.mark.parametrize("upn", ["A801200005001", "R247962919251", "X428558133462"])
def test_spec_invalid_upns_fail(upn):
    assert not upn_is_valid(upn)


@pytest.mark.parametrize("upn", ["", None, "B80120000500", "B8012000050011", "b801200005001",
                                 "B80120000500I", "BX01200005001"])
def test_malformed_upns_fail(upn):
    assert not upn_is_valid(upn)


def test_temporary_upn_ending_in_a_letter_uses_the_letter_index():
    from foundation.identifiers import upn_check_letter

    body = "20520011500A"  # temporary UPN: last character a letter (A counts as 1)
    upn = upn_check_letter(body) + body
    assert upn_is_valid(upn)
    assert not upn_is_valid(("A" if upn[0] != "A" else "B") + body)


def test_made_upns_carry_the_la_number_and_a_valid_check_letter():
    upn = make_upn("213", 4001, 13, 7)
    assert upn[1:4] == "213" and upn_is_valid(upn)


def test_uln_check_digit():
    # weights 10..2 over 9 digits: 1*10+2*9+3*8+4*7+5*6+6*5+7*4+8*3+9*2 = 210; 210 % 11 = 1 -> 9
    assert uln_check_digit("123456789") == 9
    assert uln_is_valid("1234567899")
    assert not uln_is_valid("1234567890")
    assert not uln_is_valid("123456789")
    assert not uln_is_valid("12345678ab")


def test_uln_with_remainder_zero_is_never_valid():
    body = next(f"{n:09d}" for n in range(100000000, 100001000) if uln_check_digit(f"{n:09d}") is None)
    assert not any(uln_is_valid(body + str(d)) for d in range(10))
