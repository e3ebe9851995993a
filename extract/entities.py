"""The raw shape of each source kind: the columns each reader fills, in table order.

These lists match the tables that `foundation/setup.sql` creates (a test checks that);
`batch_id` and `borough` are added by the loader, `source_row` by the reader.
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class RawTable:
    name: str
    columns: tuple[str, ...]          # after batch_id, borough, source_row
    key: tuple[str, ...] = ()         # a key repeated with different values rejects the file
    required: tuple[str, ...] = ()    # blank here rejects the file
    codes: tuple[str, ...] = field(default=())  # fields checked against a code list
    per_borough: bool = True          # rows carry the borough (DfE's national files do not)

    @property
    def copy_columns(self) -> tuple[str, ...]:
        prefix = ("batch_id", "borough") if self.per_borough else ("batch_id",)
        return (*prefix, "source_row", *self.columns)


def _t(name: str, columns: str, key: str = "", required: str = "", codes: str = "") -> RawTable:
    return RawTable(name, tuple(columns.split()), tuple(key.split()), tuple(required.split()),
                    tuple(codes.split()))


CASE_TABLES = {
    "persons": _t("case_persons",
                  "person_id upn uln upn_unknown surname forename birth_date sex ethnicity postcode",
                  key="person_id", required="person_id birth_date",
                  codes="upn_unknown sex ethnicity"),
    "requests": _t("case_requests",
                   "request_id person_id received_date request_source rya request_outcome "
                   "request_outcome_date request_mediation request_tribunal",
                   key="request_id", required="request_id person_id received_date request_outcome",
                   codes="request_source request_outcome"),
    "assessments": _t("case_assessments",
                      "request_id assessment_outcome assessment_outcome_date week20 "
                      "assessment_mediation assessment_tribunal",
                      key="request_id", required="request_id assessment_outcome",
                      codes="assessment_outcome"),
    "plans": _t("case_plans", "plan_id request_id person_id start_date plan_res plan_wbp pb oa dp",
                key="plan_id", required="plan_id person_id start_date",
                codes="plan_res plan_wbp dp"),
    "placements": _t("case_placements",
                     "placement_id plan_id urn ukprn sen_setting placement_rank entry_date "
                     "leaving_date sen_unit resourced_provision",
                     key="placement_id", required="placement_id plan_id placement_rank",
                     codes="sen_setting placement_rank"),
    "needs": _t("case_needs", "person_id need_type need_rank recorded_date",
                key="person_id need_rank recorded_date", required="person_id need_type need_rank",
                codes="need_type need_rank"),
    "reviews": _t("case_reviews", "review_id plan_id review_date review_outcome",
                  key="review_id", required="review_id plan_id review_date",
                  codes="review_outcome"),
    "ceased_plans": _t("case_ceased_plans", "plan_id cease_date cease_reason",
                       key="plan_id", required="plan_id cease_date cease_reason",
                       codes="cease_reason"),
    "transfers": _t("case_transfers",
                    "transfer_id person_id statement_date review_start_date transfer_date "
                    "transfer_outcome",
                    key="transfer_id", required="transfer_id person_id transfer_outcome",
                    codes="transfer_outcome"),
}

SEN2_TABLES = {
    "headers": _t("sen2_headers",
                  "collection year reference_date lea software_code release serial_no "
                  "generated_at dmo dco dsco"),
    "persons": _t("sen2_persons",
                  "person_seq surname forename birth_date sex ethnicity postcode upn uln upn_unknown",
                  codes="sex ethnicity upn_unknown"),
    "requests": _t("sen2_requests",
                   "person_seq request_seq received_date request_source rya request_outcome_date "
                   "request_outcome request_mediation request_tribunal exported",
                   codes="request_source request_outcome"),
    "assessments": _t("sen2_assessments",
                      "person_seq request_seq assessment_outcome assessment_outcome_date "
                      "assessment_mediation assessment_tribunal other_mediation other_tribunal week20",
                      codes="assessment_outcome"),
    "named_plans": _t("sen2_named_plans",
                      "person_seq request_seq start_date plan_res plan_wbp pb oa dp cease_date "
                      "cease_reason",
                      codes="plan_res plan_wbp dp cease_reason"),
    "plan_details": _t("sen2_plan_details",
                       "person_seq request_seq detail_seq urn ukprn sen_setting sen_setting_other "
                       "placement_rank sen_unit resourced_provision",
                       codes="sen_setting placement_rank"),
    "active_plans": _t("sen2_active_plans",
                       "person_seq request_seq transfer_la review_meeting review_outcome last_review",
                       codes="review_outcome"),
    "placements": _t("sen2_placements",
                     "person_seq request_seq placement_seq urn ukprn sen_setting sen_setting_other "
                     "placement_rank entry_date leaving_date sen_unit resourced_provision res wbp",
                     codes="sen_setting placement_rank res wbp"),
    "needs": _t("sen2_needs", "person_seq request_seq sen_type sen_type_rank",
                codes="sen_type sen_type_rank"),
}

LEDGER_TABLE = _t("ledger_lines",
                  "fiscal_year period cost_centre subjective value_type amount_gbp",
                  required="fiscal_year period cost_centre subjective value_type amount_gbp",
                  codes="value_type")

DFE_TABLE = RawTable(
    "dfe_ehcp",
    ("release", "file_name", "time_period", "time_identifier", "geographic_level",
     "new_la_code", "old_la_code", "la_name", "region_code", "region_name", "breakdown_topic",
     "breakdown", "measure", "value", "marker"),
    per_borough=False,
)

ALL_TABLES: list[RawTable] = [*CASE_TABLES.values(), *SEN2_TABLES.values(), LEDGER_TABLE,
                              DFE_TABLE]
