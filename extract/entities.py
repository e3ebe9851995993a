"""The raw tables each source kind fills, and the loader's rules about their columns.

The columns themselves, their order and types, have one home: the raw DDL (the warehouse's
set-up). A RawTable reads them from the warehouse's catalog (foundation.catalog, once per
database), so adding a column to a raw table is a DDL change alone: the readers fill it
where a borough's layout (or the SEN2 reader's element map) names it, and leave it empty
elsewhere. `batch_id` and `borough` are added by the loader, `source_row` by the reader.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from foundation.catalog import table_columns

# columns the loader and the reader fill in every row, before the source's own
LOADER_COLUMNS = ("batch_id", "borough", "source_row")


@dataclass(frozen=True)
class RawTable:
    name: str
    key: tuple[str, ...] = ()         # a key repeated with different values rejects the file
    required: tuple[str, ...] = ()    # blank here rejects the file
    codes: tuple[str, ...] = field(default=())  # fields checked against a code list

    @property
    def columns(self) -> tuple[str, ...]:
        """The columns a reader fills from the source, in table order (the catalog's)."""
        return tuple(c for c in table_columns("raw", self.name) if c not in LOADER_COLUMNS)

    @property
    def per_borough(self) -> bool:
        """Rows carry the borough (DfE's national files do not)."""
        return "borough" in table_columns("raw", self.name)

    @property
    def copy_columns(self) -> tuple[str, ...]:
        """The COPY column list: the loader's, then source_row, then the reader's."""
        prefix = ("batch_id", "borough") if self.per_borough else ("batch_id",)
        return (*prefix, "source_row", *self.columns)


def _t(name: str, key: str = "", required: str = "", codes: str = "") -> RawTable:
    return RawTable(name, tuple(key.split()), tuple(required.split()), tuple(codes.split()))


CASE_TABLES = {
    "persons": _t("case_persons", key="person_id", required="person_id birth_date",
                  codes="upn_unknown sex ethnicity"),
    "requests": _t("case_requests", key="request_id",
                   required="request_id person_id received_date request_outcome",
                   codes="request_source request_outcome"),
    "assessments": _t("case_assessments", key="request_id", required="request_id assessment_outcome",
                      codes="assessment_outcome"),
    "plans": _t("case_plans", key="plan_id", required="plan_id person_id start_date",
                codes="plan_res plan_wbp dp"),
    "placements": _t("case_placements", key="placement_id",
                     required="placement_id plan_id placement_rank",
                     codes="sen_setting placement_rank"),
    "needs": _t("case_needs", key="person_id need_rank recorded_date",
                required="person_id need_type need_rank", codes="need_type need_rank"),
    "reviews": _t("case_reviews", key="review_id", required="review_id plan_id review_date",
                  codes="review_outcome"),
    "ceased_plans": _t("case_ceased_plans", key="plan_id",
                       required="plan_id cease_date cease_reason", codes="cease_reason"),
    "transfers": _t("case_transfers", key="transfer_id",
                    required="transfer_id person_id transfer_outcome", codes="transfer_outcome"),
    # a plan amended ahead of a move between school phases or into a post-16 institution
    "phase_transfers": _t("case_phase_transfers", key="phase_transfer_id",
                          required="phase_transfer_id plan_id phase_transfer transfer_date",
                          codes="phase_transfer"),
}

SEN2_TABLES = {
    "headers": _t("sen2_headers"),
    "persons": _t("sen2_persons", codes="sex ethnicity upn_unknown"),
    "requests": _t("sen2_requests", codes="request_source request_outcome"),
    "assessments": _t("sen2_assessments", codes="assessment_outcome"),
    "named_plans": _t("sen2_named_plans", codes="plan_res plan_wbp dp cease_reason"),
    "plan_details": _t("sen2_plan_details", codes="sen_setting placement_rank"),
    "active_plans": _t("sen2_active_plans", codes="review_outcome res wbp"),
    "placements": _t("sen2_placements", codes="sen_setting placement_rank res wbp attendance_pattern"),
    "needs": _t("sen2_needs", codes="sen_type sen_type_rank"),
}

LEDGER_TABLE = _t("ledger_lines",
                  required="fiscal_year period cost_centre subjective value_type amount_gbp",
                  codes="value_type")

DFE_TABLE = _t("dfe_ehcp")

ALL_TABLES: list[RawTable] = [*CASE_TABLES.values(), *SEN2_TABLES.values(), LEDGER_TABLE,
                              DFE_TABLE]
