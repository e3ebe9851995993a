"""SEN2 code lists (sen2-spec.md, "Code lists"), the one copy every stage reads."""
from __future__ import annotations

SEX = frozenset({"M", "F", "U"})
ETHNICITY = frozenset(
    "WBRI WIRI WIRT WOTH WROM MWBC MWBA MWAS MOTH AIND APKN ABAN AOTH BCRB BAFR BOTH "
    "CHNE OOTH REFU NOBT".split()
)
UPN_UNKNOWN = frozenset({"UN1", "UN2", "UN3", "UN5", "UN8", "UN9", "UN10"})
REQUEST_SOURCE = frozenset({"1", "2", "3", "4", "5"})
REQUEST_OUTCOME = frozenset({"Y", "N", "A", "W", "H"})
ASSESSMENT_OUTCOME = frozenset({"Y", "N", "A", "W", "H"})
RES = frozenset({"A", "B"})
WBP = frozenset({"A", "T", "S"})
DP = frozenset({"E", "S", "H", "I"})
CEASE_REASON = frozenset({str(n) for n in range(1, 10)})
SEN_SETTING = frozenset({"OLA", "OPA", "EHE", "EYP", "OTH", "NEET", "NIEC", "NIEO"})
SEN_TYPE = frozenset("SPLD MLD SLD PMLD SEMH SLCN HI VI MSI PD ASD OTH DS".split())
REVIEW_OUTCOME = frozenset({"A", "C", "M"})
RANK = frozenset({"1", "2"})
LEDGER_VALUE_TYPE = frozenset({"actual", "budget", "forecast", "commitment"})
# Statement-to-plan transfer outcomes (case systems only; SEN2 has no statements).
TRANSFER_OUTCOME = frozenset({"P", "C", "O"})  # plan issued, ceased without plan, outstanding

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
    "need_rank": RANK,
    "sen_type_rank": RANK,
    "value_type": LEDGER_VALUE_TYPE,
    "transfer_outcome": TRANSFER_OUTCOME,
}


def normalise_ethnicity(code: str) -> str:
    """Extended ethnicity codes (e.g. WBRB) map to their main code by prefix."""
    if code in ETHNICITY:
        return code
    for main in ETHNICITY:
        if code.startswith(main[:3]) and len(code) > 4:
            return main
    return code
