"""The layers contract (`make lint`): the real tree keeps it, and an upward import breaks it."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("dags", "bench", "sendwh", "sen2", "forecast", "expectations", "extract", "foundation")
LINT_IMPORTS = str(Path(sys.executable).with_name("lint-imports"))


def _copy_tree(dest: Path) -> Path:
    for package in PACKAGES:
        shutil.copytree(ROOT / package, dest / package, ignore=shutil.ignore_patterns("results", "__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", dest / "pyproject.toml")
    return dest


def _lint(cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([LINT_IMPORTS, "--no-cache"], cwd=cwd, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(cwd)})


def test_the_project_keeps_its_layers(tmp_path):
    result = _lint(_copy_tree(tmp_path))
    assert result.returncode == 0, result.stdout
    assert "1 kept, 0 broken" in result.stdout


def test_the_foundation_importing_the_application_breaks_the_contract(tmp_path):
    tree = _copy_tree(tmp_path)
    settings = tree / "foundation" / "settings.py"
    settings.write_text(settings.read_text() + "\nimport sendwh.pipeline  # an upward import\n")
    result = _lint(tree)
    assert result.returncode != 0
    assert "foundation.settings -> sendwh.pipeline" in result.stdout


def test_a_stage_importing_a_sibling_stage_breaks_the_contract(tmp_path):
    tree = _copy_tree(tmp_path)
    store = tree / "forecast" / "store.py"
    store.write_text(store.read_text() + "\nimport sen2.rules  # sen2 and forecast are independent\n")
    result = _lint(tree)
    assert result.returncode != 0
    assert "forecast.store -> sen2.rules" in result.stdout
