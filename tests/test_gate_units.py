"""How the gates group their checks into Great Expectations validations (no database): the
boroughs whose checks on an asset are the same share a validation, a limited number at a
time; a borough with its own thresholds, or a check with `mostly`, is validated alone."""
from __future__ import annotations

from expectations.catalogue import load_config, mart_checks, source_checks
from expectations.gate import plan_units


def _checks(config, boroughs):
    checks = [c for b in boroughs for kind in ("case", "sen2", "ledger") for c in source_checks(config, b, kind)]
    return checks + mart_checks(config, boroughs)


def test_boroughs_with_the_same_checks_share_a_validation_per_asset():
    config = load_config()
    boroughs = [f"LA{n}" for n in range(100, 105)]
    checks = _checks(config, boroughs)
    units = plan_units(checks)
    # one validation per asset of each source kind (6 SEN2, 8 case, 4 ledger) and per mart asset (5)
    assert len(units) == len({(c.source, c.asset) for c in checks}) == 23
    # every check is in exactly one unit, once per borough, in the same order for each
    seen = sorted(k for u in units for keys in u.keys.values() for k in keys)
    assert seen == list(range(len(checks)))
    for unit in units:
        shapes = {tuple(checks[k].name for k in keys) for keys in unit.keys.values()}
        assert len(shapes) == 1
        assert all(checks[k].borough == b and checks[k].asset == unit.asset
                   for b, keys in unit.keys.items() for k in keys)
    tri = next(u for u in units if u.asset == "mart_tri_borough")
    assert tri.boroughs == ["ALL"] and tri.name == "mart.ALL.mart_tri_borough"


def test_units_hold_a_limited_number_of_boroughs():
    config = load_config()
    boroughs = [f"LA{n}" for n in range(100, 195)]
    units = plan_units(_checks(config, boroughs), per_unit=40)
    case_persons = [u for u in units if (u.source, u.asset) == ("case", "case_persons")]
    assert [len(u.boroughs) for u in case_persons] == [40, 40, 15]
    assert case_persons[0].name == "case.LA100-LA139.case_persons"


def test_a_borough_override_or_mostly_is_validated_alone():
    config = load_config()
    config["boroughs"] = {"KC": {"identifiers_present": {"severity": "warn", "mostly": 0.98}},
                          "HF": {"age_0_25": {"max_value": 30}}}
    checks = _checks(config, ["HF", "KC", "WCC", "LA201"])
    units = {(u.source, u.asset, tuple(u.boroughs)) for u in plan_units(checks)}
    for source in ("case", "sen2"):
        persons = f"{source}_persons"
        assert {(s, a, b) for s, a, b in units if (s, a) == (source, persons)} == {
            (source, persons, ("HF",)), (source, persons, ("KC",)), (source, persons, ("WCC", "LA201"))}
    # the override touches only its asset: the other assets still share
    assert (("case", "case_dates", ("HF", "KC", "WCC", "LA201"))) in units
