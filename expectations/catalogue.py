"""The gates' checks: suites.yml (which expectation on which query) merged with config.yml
(severity and thresholds, per check and per borough) into one list of `Check`s per run."""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
QUERIES = HERE / "queries"
SEVERITIES = ("block", "warn")


@dataclass(frozen=True)
class Check:
    source: str                 # sen2 | case | ledger | mart
    borough: str                # a borough code, or ALL
    asset: str                  # the query under expectations/queries/
    name: str
    expectation: str            # GX expectation type, e.g. expect_column_values_to_be_between
    kwargs: dict = field(hash=False)
    severity: str = "block"
    description: str = ""

    @property
    def threshold(self) -> str:
        """The accepted values, in words, for the scorecard."""
        k = self.kwargs
        parts = []
        if "value_set" in k:
            parts.append("in " + ", ".join(str(v).lower() for v in k["value_set"]))
        if k.get("min_value") is not None and k.get("max_value") is not None:
            parts.append(f"between {k['min_value']} and {k['max_value']}")
        elif k.get("min_value") is not None:
            parts.append(f">= {k['min_value']}")
        elif k.get("max_value") is not None:
            parts.append(f"<= {k['max_value']}")
        if self.expectation.endswith("to_be_unique"):
            parts.append("unique")
        if self.expectation.endswith("not_be_null"):
            parts.append("not null")
        mostly = k.get("mostly", 1.0)
        if mostly < 1.0:
            parts.append(f"for at least {mostly:.1%} of rows")
        return k.get("column", "") + " " + " ".join(parts) if parts else k.get("column", "")


@lru_cache(maxsize=1)
def suites() -> dict:
    return yaml.safe_load((HERE / "suites.yml").read_text())


def load_config(path: Path | None = None) -> dict:
    config = yaml.safe_load((path or HERE / "config.yml").read_text())
    for name, settings in config["checks"].items():
        if settings.get("severity") not in SEVERITIES:
            raise ValueError(f"expectations config: check {name!r} needs severity block or warn")
    return config


def asset_query(asset: str) -> str:
    return (QUERIES / f"{asset}.sql").read_text()


def row_id_columns(source: str, asset: str) -> list[str]:
    spec = suites()["marts"][asset] if source == "mart" else suites()["sources"][source][asset]
    return list(spec["row_id"])


def _settings(config: dict, check: str, borough: str, source: str) -> dict:
    if check not in config["checks"]:
        raise ValueError(f"expectations config has no entry for check {check!r}")
    settings = dict(config["checks"][check])
    if check == "freshness":
        settings["max_value"] = config["freshness_max_days"][source]
    settings.update(((config.get("boroughs") or {}).get(borough) or {}).get(check) or {})
    return settings


def _make(config: dict, source: str, borough: str, asset: str, spec: dict) -> Check:
    settings = _settings(config, spec["check"], borough, source)
    severity = settings.pop("severity")
    kwargs = {**spec.get("kwargs", {}), **settings}
    return Check(source=source, borough=borough, asset=asset, name=spec["check"],
                 expectation=spec["expect"], kwargs=kwargs, severity=severity,
                 description=spec.get("description", ""))


def source_checks(config: dict, borough: str, source: str) -> list[Check]:
    return [_make(config, source, borough, asset, spec)
            for asset, asset_spec in suites()["sources"].get(source, {}).items()
            for spec in asset_spec["checks"]]


def mart_scope(scope: str, boroughs: list[str]) -> list[str]:
    """The boroughs a mart check runs for: each borough (the default), the tri-borough rows
    only (`all`), or both (`boroughs_and_all`)."""
    scopes = {"boroughs": boroughs, "all": ["ALL"], "boroughs_and_all": [*boroughs, "ALL"]}
    if scope not in scopes:
        raise ValueError(f"expectations suites: mart scope {scope!r} is not one of {sorted(scopes)}")
    return scopes[scope]


def mart_checks(config: dict, boroughs: list[str]) -> list[Check]:
    checks = []
    for asset, asset_spec in suites()["marts"].items():
        scope = mart_scope(asset_spec.get("scope", "boroughs"), boroughs)
        checks += [_make(config, "mart", borough, asset, spec)
                   for borough in scope for spec in asset_spec["checks"]]
    return checks
