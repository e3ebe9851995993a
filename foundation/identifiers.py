"""UPN and ULN check characters (sen2-spec.md, "Identifier checks")."""
from __future__ import annotations

UPN_CHECK_ALPHABET = "ABCDEFGHJKLMNPQRTUVWXYZ"  # 23 letters: no I, O, S


def upn_check_letter(body: str) -> str:
    """The check letter for the 12 characters after it (LA, establishment, year, serial)."""
    if len(body) != 12 or not body[:11].isdigit():
        raise ValueError(f"UPN body must be 11 digits and a digit or letter, got {body!r}")
    total = 0
    for weight, char in zip(range(2, 14), body):
        value = int(char) if char.isdigit() else UPN_CHECK_ALPHABET.index(char) + 1
        total += weight * value
    return UPN_CHECK_ALPHABET[total % 23]


def upn_is_valid(upn: str | None) -> bool:
    if not upn or len(upn) != 13:
        return False
    last = upn[12]
    if not upn[1:12].isdigit() or not (last.isdigit() or last in UPN_CHECK_ALPHABET):
        return False
    return upn_check_letter(upn[1:]) == upn[0]


def make_upn(la_number: str, establishment: int, year: int, serial: int) -> str:
    body = f"{int(la_number):03d}{establishment:04d}{year % 100:02d}{serial:03d}"
    return upn_check_letter(body) + body


def uln_check_digit(first_nine: str) -> int | None:
    """The ULN check digit, or None when the remainder is 0 (no valid ULN has that body)."""
    total = sum(int(d) * w for d, w in zip(first_nine, range(10, 1, -1)))
    remainder = total % 11
    return None if remainder == 0 else 10 - remainder


def uln_is_valid(uln: str | None) -> bool:
    if not uln or len(uln) != 10 or not uln.isdigit():
        return False
    check = uln_check_digit(uln[:9])
    return check is not None and check == int(uln[9])
