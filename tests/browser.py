"""A real Chromium (Debian's package, installed by `make test` and `.ci/run`), driven by
Playwright, with every request that leaves the page's own files refused and recorded: the
pages under test must work with no network at all."""
from __future__ import annotations

import os
import shutil
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import pytest

# Without the background-networking flags Chromium tries Google's hosts at every start.
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def chromium() -> str:
    path = os.environ.get("SENDWH_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        pytest.fail("Chromium is not installed: `make test` installs Debian's chromium package "
                    "(apt-get install chromium); or set SENDWH_CHROMIUM to its path")
    return path


@dataclass
class Visit:
    page: object
    failed: list[str] = field(default_factory=list)      # requests refused or failed
    errors: list[str] = field(default_factory=list)      # console errors and page errors


@contextmanager
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium(), args=FLAGS)
        try:
            yield b
        finally:
            b.close()


@contextmanager
def visit(b, path: Path, width: int = 1200) -> Iterator[Visit]:
    """Open a local file with the network cut: anything not file: or data: is aborted and
    counted as a failed request."""
    context = b.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    seen = Visit(page)

    def route(route, request):
        if request.url.startswith(("file:", "data:")):
            route.continue_()
        else:
            seen.failed.append(request.url)
            route.abort()

    page.route("**/*", route)
    page.on("requestfailed", lambda r: seen.failed.append(r.url))
    page.on("console", lambda m: seen.errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: seen.errors.append(str(e)))
    page.goto(path.resolve().as_uri(), wait_until="load")
    try:
        yield seen
    finally:
        context.close()
