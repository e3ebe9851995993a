"""`sendwh sen2 diff`: persons and plans added, removed and changed, and plans that vanish
without a cease reason."""
from __future__ import annotations

import re

from typer.testing import CliRunner

from sen2.diff import diff_returns
from sendwh.cli import app
from tests import source_files as sf

BEN = re.compile(r"\s*<Person>\s*<Surname>Jones</Surname>.*?</Person>", re.S)


def _write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_a_plan_dropped_without_a_cease_reason_is_reported(tmp_path):
    old = _write(tmp_path, "old.xml", sf.sen2_xml())
    # Ben leaves the return; Amy's plan is no longer active and was not ceased
    new_text = BEN.sub("", sf.sen2_xml())
    new_text = re.sub(r"<ActivePlans>.*?</ActivePlans>", "", new_text, flags=re.S)
    new = _write(tmp_path, "new.xml", new_text)
    d = diff_returns(old, new)
    assert d.removed == [sf.UPN_2] and d.added == []
    assert d.changed == [(sf.UPN_1, "plans")]
    assert d.plans_vanished == [f"{sf.UPN_1} plan from 2023-05-30"]


def test_a_ceased_plan_is_not_reported_as_vanished(tmp_path):
    old = _write(tmp_path, "old.xml", sf.sen2_xml())
    ceased = re.sub(r"<ActivePlans>.*?</ActivePlans>", "", sf.sen2_xml(), flags=re.S).replace(
        "<PB>0</PB><OA>0</OA>", "<PB>0</PB><OA>0</OA><CeaseDate>2024-01-05</CeaseDate><CeaseReason>7</CeaseReason>")
    new_text = ceased.replace(sf.UPN_2, sf.UPN_10)  # Ben replaced by a new person
    d = diff_returns(old, _write(tmp_path, "new.xml", new_text))
    assert d.plans_vanished == []
    assert d.added == [sf.UPN_10] and d.removed == [sf.UPN_2]


def test_diff_command_prints_counts(tmp_path):
    old = _write(tmp_path, "old.xml", sf.sen2_xml())
    new = _write(tmp_path, "new.xml", BEN.sub("", sf.sen2_xml()))
    result = CliRunner().invoke(app, ["sen2", "diff", str(old), str(new), "--no-measures"])
    assert result.exit_code == 0, result.output
    assert "persons removed: 1" in result.output and sf.UPN_2 in result.output
    assert "plans active before, now neither active nor ceased: 0" in result.output


def test_diff_refuses_a_return_with_a_dtd_or_an_xinclude(tmp_path):
    """As the loader and the validator do: an entity would stand for text the diff cannot see."""
    old = _write(tmp_path, "old.xml", sf.sen2_xml())
    entity = sf.sen2_xml().replace("<?xml version=\"1.0\" encoding=\"UTF-8\"?>", "", 1)
    entity = '<!DOCTYPE Message [<!ENTITY who "Jones">]>\n' + entity.replace(">Jones<", ">&who;<", 1)
    xinclude = sf.sen2_xml().replace(
        "<Surname>Jones</Surname>",
        '<Surname><xi:include xmlns:xi="http://www.w3.org/2001/XInclude" href="/etc/passwd"/></Surname>', 1)
    for name, text, reason in (("entity.xml", entity, "declares a DTD"),
                               ("xinclude.xml", xinclude, "XInclude element")):
        new = _write(tmp_path, name, text)
        assert text != sf.sen2_xml()
        result = CliRunner().invoke(app, ["sen2", "diff", str(old), str(new), "--no-measures"])
        assert result.exit_code == 1, result.output
        assert f"refused: {name}: " in result.output and reason in result.output, result.output
