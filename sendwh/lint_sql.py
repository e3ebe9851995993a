"""`make lint`, SQL part: sqlfluff with its dbt templater over the dbt project's models and
tests (rules in `.sqlfluff`). The templater compiles through dbt, which needs the warehouse's
connection settings: they are set here as `sendwh build` sets them, never written to disk."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from foundation.settings import PROJECT_ROOT
from sendwh.dbt_runner import DBT_PROJECT, dbt_env

PATHS = (DBT_PROJECT / "models", DBT_PROJECT / "tests")


def main(argv: list[str] | None = None) -> int:
    """`python -m sendwh.lint_sql [fix]`: lint (or fix) the SQL; exit status as sqlfluff's."""
    action = (argv or sys.argv[1:] or ["lint"])[0]
    sqlfluff = str(Path(sys.executable).with_name("sqlfluff"))
    args = [sqlfluff, action, "--processes", "2", *(str(p.relative_to(PROJECT_ROOT)) for p in PATHS)]
    return subprocess.run(args, cwd=PROJECT_ROOT, env=dbt_env()).returncode


if __name__ == "__main__":
    sys.exit(main())
