"""Deliberate data defects (--defects R): about share R of case rows and SEN2 persons
carry one defect, each recorded in the manifest with the stage expected to catch it."""
from __future__ import annotations

from datetime import date, timedelta

import numpy as np

from foundation.identifiers import UPN_CHECK_ALPHABET, upn_check_letter

KINDS = ("missing_upn", "invalid_upn", "decision_before_request", "unknown_code",
         "duplicate_row", "wrong_borough", "blank_mandatory")
CAUGHT_BY = {"unknown_code": "loader", "wrong_borough": "loader", "blank_mandatory": "loader",
             "implausible_amount": "loader"}
UNKNOWN_CODE = "ZZ"


def caught_by(kind: str) -> str:
    return CAUGHT_BY.get(kind, "gates")


def corrupt_upn(upn: str) -> str:
    """The same UPN with a wrong check letter."""
    i = UPN_CHECK_ALPHABET.index(upn[0])
    return UPN_CHECK_ALPHABET[(i + 7) % len(UPN_CHECK_ALPHABET)] + upn[1:]


class Injector:
    """Draws defects for rows of one file and records them."""

    def __init__(self, rate: float, rng: np.random.Generator, records: list, file: str,
                 other_la: str, only: tuple[str, ...] | None = None):
        self.only = only            # draw only these kinds (None: all)
        self.rate = float(rate)
        self.rng = rng
        self.records = records
        self.file = file
        self.other_la = other_la

    def draw(self, kinds: list[str]) -> str | None:
        if self.only is not None:
            kinds = [k for k in kinds if k in self.only]
        if self.rate <= 0 or not kinds or self.rng.random() >= self.rate:
            return None
        return kinds[int(self.rng.integers(len(kinds)))]

    def record(self, row: int, field: str, kind: str) -> None:
        self.records.append({"file": self.file, "row": int(row), "field": field, "kind": kind,
                             "caught_by": caught_by(kind)})

    def apply(self, line: int, row: dict, roles: dict) -> list[dict]:
        """Maybe corrupt a row (column name -> raw value); returns the rows to write.

        roles: upn, upn_unknown, uln, received, decision (column names), codes, keys (lists),
        la (column name, only where the file carries the LA number on every row)."""
        if self.rate <= 0:
            return [row]
        kinds = ["duplicate_row"]
        if roles.get("upn"):
            kinds += ["missing_upn", "invalid_upn"]
        rec, dec = roles.get("received"), roles.get("decision")
        if rec and dec and isinstance(row.get(rec), date) and isinstance(row.get(dec), date):
            kinds.append("decision_before_request")
        codes = [c for c in roles.get("codes", ()) if row.get(c) not in (None, "")]
        if codes:
            kinds.append("unknown_code")
        if roles.get("la"):
            kinds.append("wrong_borough")
        keys = [c for c in roles.get("keys", ()) if row.get(c) not in (None, "")]
        if keys:
            kinds.append("blank_mandatory")
        kind = self.draw(kinds)
        if kind is None:
            return [row]
        row = dict(row)
        if kind == "duplicate_row":
            self.record(line + 1, "", kind)
            return [row, dict(row)]
        if kind == "missing_upn":
            row[roles["upn"]] = None
            if roles.get("upn_unknown"):
                row[roles["upn_unknown"]] = None
            field = roles["upn"]
        elif kind == "invalid_upn":
            upn = row.get(roles["upn"])
            if not upn:
                upn = "A" + "".join(str(int(d)) for d in self.rng.integers(0, 10, 12))
                upn = upn_check_letter(upn[1:]) + upn[1:]
            row[roles["upn"]] = corrupt_upn(upn)
            field = roles["upn"]
        elif kind == "decision_before_request":
            row[dec] = row[rec] - timedelta(days=int(self.rng.integers(1, 30)))
            field = dec
        elif kind == "unknown_code":
            field = codes[int(self.rng.integers(len(codes)))]
            row[field] = UNKNOWN_CODE
        elif kind == "wrong_borough":
            field = roles["la"]
            row[field] = self.other_la
        else:
            field = keys[int(self.rng.integers(len(keys)))]
            row[field] = None
        self.record(line, field, kind)
        return [row]
