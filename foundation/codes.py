"""SEN2 code lists (sen2-spec.md, "Code lists") as the sets every stage checks against.

Their one home is the dbt seeds (foundation.reference.codes): `seeds/code_lists.csv` for the
small lists, and the seeds of the lists SQL describes and groups (need types, ethnicities,
request and assessment outcomes, cease reasons, settings). Nothing is listed here.
"""
from __future__ import annotations

from foundation.reference import codes, ethnicity_main_codes


def _codes(code_list: str) -> frozenset[str]:
    return frozenset(codes(code_list))


SEX = _codes("sex")
ETHNICITY = _codes("ethnicity")
UPN_UNKNOWN = _codes("upn_unknown")
REQUEST_SOURCE = _codes("request_source")
REQUEST_OUTCOME = _codes("request_outcome")
ASSESSMENT_OUTCOME = _codes("assessment_outcome")
RES = _codes("res")
WBP = _codes("wbp")
DP = _codes("dp")
CEASE_REASON = _codes("cease_reason")
SEN_SETTING = _codes("sen_setting")
SEN_TYPE = _codes("sen_type")
REVIEW_OUTCOME = _codes("review_outcome")
RANK = _codes("rank")
ATTENDANCE_PATTERN = _codes("attendance_pattern")
LEDGER_VALUE_TYPE = _codes("value_type")
# Statement-to-plan transfer outcomes (case systems only; SEN2 has no statements).
TRANSFER_OUTCOME = _codes("transfer_outcome")
# Phase transfers (case systems only): the move a plan is amended for, which sets its deadline.
PHASE_TRANSFER = _codes("phase_transfer")

# raw column -> the code list its values come from (what the loader checks)
CODE_LISTS: dict[str, frozenset[str]] = {
    "sex": SEX,
    "ethnicity": ETHNICITY,
    "upn_unknown": UPN_UNKNOWN,
    "request_source": REQUEST_SOURCE,
    "request_outcome": REQUEST_OUTCOME,
    "assessment_outcome": ASSESSMENT_OUTCOME,
    "plan_res": RES,
    "res": RES,
    "plan_wbp": WBP,
    "wbp": WBP,
    "dp": DP,
    "cease_reason": CEASE_REASON,
    "sen_setting": SEN_SETTING,
    "need_type": SEN_TYPE,
    "sen_type": SEN_TYPE,
    "review_outcome": REVIEW_OUTCOME,
    "placement_rank": RANK,
    "attendance_pattern": ATTENDANCE_PATTERN,
    "need_rank": RANK,
    "sen_type_rank": RANK,
    "value_type": LEDGER_VALUE_TYPE,
    "transfer_outcome": TRANSFER_OUTCOME,
    "phase_transfer": PHASE_TRANSFER,
}


def normalise_ethnicity(code: str) -> str:
    """The school census's extended ethnicity codes (seeds/ethnicity_extended: WSCO, AKPA,
    BBRI...) map to their main code; a longer code (e.g. WBRIX) by its prefix."""
    if code in ETHNICITY:
        return code
    if code in ethnicity_main_codes():
        return ethnicity_main_codes()[code]
    for main in ETHNICITY:
        if code.startswith(main[:3]) and len(code) > 4:
            return main
    return code
