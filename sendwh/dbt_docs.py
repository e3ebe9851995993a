"""dbt's documentation site for analysts: `dbt docs generate --static` against the published
schemas, so the catalog describes `marts` as analysts query it, with the exposures (the SEN2
return, the forecast, the board report) in the lineage graph.

The static page carries the manifest and the catalog inside it, so it opens from a file
(dbt's plain index.html fetches them, which a browser refuses from file://).
"""
from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from foundation.settings import get_settings
from sendwh.dbt_runner import run_dbt

PUBLISHED_VARS = "{marts_build_schema: marts, restricted_build_schema: restricted}"


class DocsFailed(RuntimeError):
    pass


# Two slips in dbt-docs' page make the browser fetch addresses that do not exist: the menu
# icons' <use xlink:href="{{ getIcon(...) }}"> is fetched as written before AngularJS fills it
# in, and the favicon's href is a webpack expression left unexpanded. Both are failed
# requests (and console errors) on a page opened from a file.
SLIPS = {
    'xlink:href="{{ getIcon(': 'ng-attr-href="{{ getIcon(',
    "href=\"${require('./assets/favicons/favicon.ico')}\"": 'href="data:,"',
}


def offline(page: str) -> str:
    for slip, fixed in SLIPS.items():
        page = page.replace(slip, fixed)
    return page


def docs_dir() -> Path:
    return get_settings().outputs_dir / "dbt-docs"


def generate_docs(out_dir: Path | None = None, quiet: bool = True) -> Path:
    """Generate the docs into `out_dir` (default outputs/dbt-docs); returns its index.html."""
    out_dir = Path(out_dir or docs_dir())
    with tempfile.TemporaryDirectory(prefix="sendwh-docs-") as target:
        status = run_dbt(["docs", "generate", "--static", "--target-path", target,
                          "--vars", PUBLISHED_VARS], quiet=quiet)
        if status != 0:
            raise DocsFailed(f"dbt docs generate exited {status}")
        out_dir.mkdir(parents=True, exist_ok=True)
        page = (Path(target) / "static_index.html").read_text(encoding="utf-8")
        (out_dir / "index.html").write_text(offline(page), encoding="utf-8")
        for name in ("manifest.json", "catalog.json"):
            shutil.copyfile(Path(target) / name, out_dir / name)
    return out_dir / "index.html"
