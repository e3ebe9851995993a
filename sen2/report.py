"""Write SEN2 validation findings as text, json, csv or html, grouped by rule with counts.

- text: per file a summary line, then per rule (errors first) its count, description and up
  to `limit` messages;
- json: a list of every finding: rule, severity, person, item, message (plus file, line);
- csv: one row per finding, the same columns;
- html: a self-contained page: per file a table of rules (id, severity, description,
  count) and, per rule, up to `limit` findings.
"""
from __future__ import annotations

import csv
import html
import io
import json
from collections import Counter, defaultdict
from typing import Iterable

from .rules import ERROR, INFO, QUERY, RULES
from .validator import FileResult, Finding

FORMATS = ("text", "json", "html", "csv")
_ORDER = {ERROR: 0, QUERY: 1, INFO: 2}
COLUMNS = ("rule", "severity", "person", "item", "message", "file", "line")


def _grouped(findings: Iterable[Finding]) -> list[tuple[str, list[Finding]]]:
    groups: dict[str, list[Finding]] = defaultdict(list)
    for f in findings:
        groups[f.rule].append(f)
    return sorted(groups.items(), key=lambda kv: (_ORDER.get(RULES[kv[0]].severity, 9), kv[0]))


def _summary(result: FileResult) -> str:
    if result.unreadable:
        return f"{result.path}: UNREADABLE: {result.unreadable}"
    counts = Counter(f.severity for f in result.findings)
    year = f"{result.year} return" if result.year else "year unknown"
    lea = f", LEA {result.lea}" if result.lea else ""
    verdict = "FAIL" if counts[ERROR] else "PASS"
    return (f"{result.path}: {verdict} ({year}{lea}, {result.persons:,} persons): "
            f"{counts[ERROR]:,} errors, {counts[QUERY]:,} queries, {counts[INFO]:,} notes")


def text(results: list[FileResult], limit: int = 20) -> str:
    out: list[str] = []
    for result in results:
        out.append(_summary(result))
        for rule_id, findings in _grouped(result.findings):
            rule = RULES[rule_id]
            out.append(f"  {rule_id} {rule.severity:<5} x{len(findings):<6,} {rule.description}")
            for f in findings[:limit]:
                out.append(f"      {f.message}")
            if len(findings) > limit:
                out.append(f"      ... and {len(findings) - limit:,} more")
    if len(results) > 1:
        errors = sum(r.errors for r in results)
        bad = sum(1 for r in results if r.errors or r.unreadable)
        out.append(f"{len(results)} files: {bad} with errors or unreadable, {errors:,} errors in all")
    return "\n".join(out) + "\n"


def as_json(results: list[FileResult]) -> str:
    items = [f.as_dict() for r in results for f in r.findings]  # unreadable files: stderr
    return json.dumps(items, indent=2) + "\n"


def as_csv(results: list[FileResult]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    for r in results:
        for f in r.findings:
            row = f.as_dict()
            writer.writerow([row[c] for c in COLUMNS])
    return buffer.getvalue()


_CSS = """
body{font-family:system-ui,sans-serif;margin:2em;color:#222}
table{border-collapse:collapse;margin:.5em 0 1.5em}
td,th{border:1px solid #ccc;padding:.25em .6em;text-align:left;vertical-align:top}
th{background:#f3f3f3}.error{color:#b00020;font-weight:bold}.query{color:#a15c00}
.info{color:#555}.pass{color:#1b7a1b}.fail{color:#b00020}td.n{text-align:right}
details{margin:.3em 0}summary{cursor:pointer}
"""


def as_html(results: list[FileResult], limit: int = 200) -> str:
    e = html.escape
    parts = ["<!DOCTYPE html><html><head><meta charset='utf-8'>",
             "<title>SEN2 validation report</title>", f"<style>{_CSS}</style></head><body>",
             "<h1>SEN2 validation report</h1>"]
    for k, result in enumerate(results, 1):
        ok = not result.errors and not result.unreadable
        parts.append(f"<h2>{e(result.path)}</h2>")
        parts.append(f"<p class='{'pass' if ok else 'fail'}'>{e(_summary(result))}</p>")
        groups = _grouped(result.findings)
        if not groups:
            continue
        parts.append("<table><tr><th>rule</th><th>severity</th><th>description</th>"
                     "<th>count</th></tr>")
        for rule_id, findings in groups:
            rule = RULES[rule_id]
            parts.append(f"<tr><td><a href='#{e(rule_id)}-{k}'>{e(rule_id)}</a></td>"
                         f"<td class='{rule.severity}'>{rule.severity}</td>"
                         f"<td>{e(rule.description)}</td><td class='n'>{len(findings)}</td></tr>")
        parts.append("</table>")
        for rule_id, findings in groups:
            rule = RULES[rule_id]
            parts.append(f"<details id='{e(rule_id)}-{k}'><summary><b>{e(rule_id)}</b> "
                         f"<span class='{rule.severity}'>{rule.severity}</span> "
                         f"({len(findings)}) {e(rule.description)}</summary>")
            parts.append("<table><tr><th>person</th><th>item</th><th>line</th><th>message</th></tr>")
            for f in findings[:limit]:
                parts.append(f"<tr><td>{e(f.person or '')}</td><td>{e(f.item or '')}</td>"
                             f"<td class='n'>{f.line or ''}</td><td>{e(f.message)}</td></tr>")
            parts.append("</table>")
            if len(findings) > limit:
                parts.append(f"<p>... and {len(findings) - limit:,} more (see --format json or csv)</p>")
            parts.append("</details>")
    parts.append("</body></html>\n")
    return "\n".join(parts)


def render(results: list[FileResult], fmt: str, limit: int = 20) -> str:
    if fmt == "json":
        return as_json(results)
    if fmt == "csv":
        return as_csv(results)
    if fmt == "html":
        return as_html(results, limit=max(limit, 200))
    return text(results, limit=limit)
