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
    names = conn.execute("select table_schema, table_name from information_schema.tables "
                         "where table_schema in ('marts', 'restricted') order by 1, 2").fetchall()
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
