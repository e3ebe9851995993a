"""The daily build (`sendwh build --only-changed`): dbt's seeds and unit tests are skipped when
the dbt project's files are those of the last published build that ran them, and what is
published is what a full build of the same data publishes, relation for relation. On a copy
of the session's sample warehouse (built in full by conftest.py)."""
from __future__ import annotations

import json

import pytest

from tests.conftest import SAMPLE_TODAY, copy_of_database


def published(conn) -> dict[str, str]:
    """{schema.relation: md5 of its rows in order} for the published marts and restricted models."""
    return row_digests(conn, ("marts", "restricted"))


def row_digests(conn, schemas: tuple[str, ...], tables_only: bool = False) -> dict[str, str]:
    names = conn.execute("select table_schema, table_name from information_schema.tables "
                         "where table_schema = any(%s) and (not %s or table_type = 'BASE TABLE') "
                         "order by 1, 2", (list(schemas), tables_only)).fetchall()
    out = {}
    for schema, name in names:
        [(digest,)] = conn.execute(f'select md5(coalesce(string_agg(t::text, E\'\\n\' order by t::text), \'\')) '
                                   f'from "{schema}"."{name}" t').fetchall()
        out[f"{schema}.{name}"] = digest
    return out


def run_results() -> dict[str, int]:
    from sendwh.dbt_runner import DBT_PROJECT

    nodes = json.loads((DBT_PROJECT / "target" / "run_results.json").read_text())["results"]
    kinds: dict[str, int] = {}
    for node in nodes:
        kind = node["unique_id"].split(".")[0]
        kinds[kind] = kinds.get(kind, 0) + 1
    return kinds


@pytest.fixture(scope="module")
def builds(sample_warehouse):
    from foundation.database import connect
    from sendwh.pipeline import build

    out: dict = {}
    with copy_of_database(sample_warehouse.url, "daily"), connect(autocommit=True) as conn:
        out["before"] = published(conn)
        said: list[str] = []
        out["daily_status"] = build(today=SAMPLE_TODAY, quiet=True, only_changed=True,
                                    say=lambda *a: said.append(" ".join(map(str, a))))
        out["daily_said"], out["daily_nodes"] = said, run_results()
        out["daily"] = published(conn)
        out["full_status"] = build(today=SAMPLE_TODAY, quiet=True, say=lambda *a: None)
        out["full_nodes"] = run_results()
        out["full"] = published(conn)
        out["recorded"] = conn.execute("select dbt_project is not null from audit.build_runs "
                                       "order by build_id desc limit 2").fetchall()
        yield out


def test_the_daily_build_skips_seeds_and_unit_tests(builds):
    assert builds["daily_status"] == 0 and builds["full_status"] == 0
    assert any("seeds and unit tests skipped" in line for line in builds["daily_said"])
    assert "seed" not in builds["daily_nodes"] and "unit_test" not in builds["daily_nodes"]
    assert builds["full_nodes"]["seed"] > 0 and builds["full_nodes"]["unit_test"] > 0
    assert builds["daily_nodes"]["model"] == builds["full_nodes"]["model"]
    assert builds["daily_nodes"]["test"] > 0
    # the full build records the project it checked; the daily one, which skipped, does not
    assert builds["recorded"] == [(True,), (False,)]


def test_the_daily_build_publishes_what_a_full_build_publishes(builds):
    assert len(builds["daily"]) > 20
    assert builds["daily"] == builds["full"] == builds["before"]


# --- a daily build that rebuilds one borough -------------------------------------------------
DAY_AFTER = "2026-12-31"    # HF's files simulated a month on; no January census in between


def intermediate(conn) -> dict[str, str]:
    """The same digest for the tables built in place (intermediate and pii)."""
    return row_digests(conn, ("intermediate", "pii"), tables_only=True)


def compiled_code() -> dict[str, str]:
    from sendwh.dbt_runner import DBT_PROJECT

    nodes = json.loads((DBT_PROJECT / "target" / "run_results.json").read_text())["results"]
    return {n["unique_id"]: n.get("compiled_code") or "" for n in nodes}


@pytest.fixture(scope="module")
def one_borough(sample_warehouse, tmp_path_factory):
    """HF sends a new case extract and a new month's ledger; the daily build rebuilds HF alone,
    then a whole build of the same data, for comparison."""
    from datetime import date

    from extract.ingest import ingest
    from foundation.database import connect
    from sendwh.borough_scope import daily_scope
    from sendwh.dbt_runner import borough_incremental_models, project_digest
    from sendwh.pipeline import build
    from sendwh.sample import borough_specs, write_borough

    later = tmp_path_factory.mktemp("hf_later")
    write_borough(borough_specs(1)[0], later, 1, 0.0, date.fromisoformat(DAY_AFTER), None)
    old_ledgers = {p.name for p in (sample_warehouse.files / "HF" / "ledger").iterdir()}
    new_ledger = sorted(p for p in (later / "HF" / "ledger").iterdir() if p.name not in old_ledgers)[-1:]
    out: dict = {"models": borough_incremental_models()}
    with copy_of_database(sample_warehouse.url, "oneborough"), connect(autocommit=True) as conn:
        out["before"], out["before_int"] = published(conn), intermediate(conn)
        loaded = ingest("case", [later / "HF" / "case"], "HF") + ingest("ledger", new_ledger, "HF")
        assert new_ledger and all(r.status == "loaded" for r in loaded), [r.reason for r in loaded]
        said: list[str] = []
        out["daily_status"] = build(today=DAY_AFTER, quiet=True, only_changed=True,
                                    say=lambda *a: said.append(" ".join(map(str, a))))
        out["said"], out["daily"], out["daily_int"] = said, published(conn), intermediate(conn)
        out["daily_sql"] = compiled_code()
        out["recorded"] = conn.execute("select built_boroughs, built_today::text from audit.build_runs "
                                       "order by build_id desc limit 1").fetchone()
        out["full_status"] = build(today=DAY_AFTER, quiet=True, say=lambda *a: None)
        out["full"], out["full_int"] = published(conn), intermediate(conn)
        [(last_id,)] = conn.execute("select max(build_id) from audit.build_runs").fetchall()
        project = project_digest()
        out["scopes"] = {
            "same day": daily_scope(conn, last_id + 1, project, date.fromisoformat(DAY_AFTER)),
            "census reached": daily_scope(conn, last_id + 1, project, date(2027, 1, 21)),
            "day before": daily_scope(conn, last_id + 1, project, date(2026, 12, 30)),
            "other project": daily_scope(conn, last_id + 1, "0" * 64, date.fromisoformat(DAY_AFTER)),
        }
        # a KC file whose load began before that build and is still going: KC has changed
        conn.execute("insert into audit.batches (source_kind, borough, dataset, period, file_name, "
                     "file_path, sha256, status) values ('case', 'KC', 'extract', '2026-12-31', "
                     "'kc.xlsx', 'kc.xlsx', 'x', 'loading')")
        out["scopes"]["KC loading"] = daily_scope(conn, last_id + 1, project, date.fromisoformat(DAY_AFTER))
        yield out


def test_the_models_incremental_by_borough_are_the_heavy_per_borough_ones(one_borough):
    models = one_borough["models"]
    assert {"sen2_return_requests", "sen2_return_placements"} <= set(models["restricted_build"])
    assert {"int_plans", "int_plans_at_census", "int_ledger_lines_mapped"} <= set(models["intermediate"])
    assert "persons" in models["pii"]
    assert "int_annual_reviews" in models["intermediate"]
    # models that read the day itself are rebuilt whole
    assert "int_phase_transfers" not in models["intermediate"]
    assert "marts_build" not in models


def test_a_daily_build_rebuilds_the_changed_borough_alone(one_borough):
    assert one_borough["daily_status"] == 0, one_borough["said"]
    assert any("only the changed boroughs rebuilt" in line and "HF" in line for line in one_borough["said"])
    assert any("the sources of HF" in line for line in one_borough["said"]), one_borough["said"]
    assert one_borough["recorded"] == (["HF"], DAY_AFTER)
    # the incremental models read HF's rows alone; the others every borough's
    code = one_borough["daily_sql"]
    model = {k.split(".")[-1]: v for k, v in code.items() if k.startswith("model.")}
    assert "borough in ('HF')" in model["int_plans"] and "borough in ('HF')" in model["sen2_return_requests"]
    assert "borough in (" not in model["int_phase_transfers"]
    # ... and so do the data tests of those models, not those of the others
    tests = {k: v for k, v in code.items() if k.startswith("test.")}
    of_plans = [v for k, v in tests.items() if ".not_null_int_plans_" in k]
    of_transfers = [v for k, v in tests.items() if ".not_null_int_phase_transfers_" in k]
    assert of_plans and all("borough in ('HF')" in v for v in of_plans)
    assert of_transfers and not any("borough in (" in v for v in of_transfers)


def test_it_publishes_what_a_whole_build_of_the_same_data_publishes(one_borough):
    assert one_borough["full_status"] == 0
    # HF's new files changed what is published, and the daily build got it right to the row
    assert one_borough["daily"] != one_borough["before"]
    changed = {k for k in one_borough["full"] if one_borough["full"][k] != one_borough["before"][k]}
    assert "restricted.sen2_return_requests" in changed
    assert one_borough["daily"] == one_borough["full"]
    assert one_borough["daily_int"] != one_borough["before_int"]
    assert one_borough["daily_int"] == one_borough["full_int"]


def test_a_whole_build_is_needed_when_a_census_passed_or_the_project_changed(one_borough):
    scopes = one_borough["scopes"]
    assert scopes["same day"].boroughs == []
    assert scopes["KC loading"].boroughs == ["KC"]
    assert scopes["census reached"].boroughs is None and "2027-01-21" in scopes["census reached"].reason
    assert scopes["day before"].boroughs is None and "before" in scopes["day before"].reason
    assert scopes["other project"].boroughs is None and "project changed" in scopes["other project"].reason
