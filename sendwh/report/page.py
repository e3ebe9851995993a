"""The report as one self-contained HTML file: styles inline, charts inline SVG, no script
and no address outside the file, so it opens from a file share or an email attachment."""
from __future__ import annotations

import html
import re
from datetime import datetime

from jinja2 import Environment, select_autoescape
from markupsafe import Markup

from .model import Section, cell

STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif; margin: 0 auto;
       max-width: 68rem; padding: 1rem 1.5rem 3rem; color: #1a1a1a; line-height: 1.45; }
h1 { font-size: 1.7rem; margin-bottom: .2rem; }
h2 { font-size: 1.25rem; margin-top: 2.4rem; border-bottom: 2px solid #1a1a1a; padding-bottom: .2rem; }
p.headline { font-size: 1.08rem; font-weight: 600; }
data { font-weight: 700; }
figure { margin: .8rem 0; break-inside: avoid; }
figure svg { max-width: 100%; height: auto; }
figcaption { font-size: .85rem; color: #444; }
.fans { display: flex; flex-wrap: wrap; gap: .5rem; }
.fans figure { flex: 1 1 20rem; }
table { border-collapse: collapse; margin: .6rem 0 1.2rem; font-size: .85rem; }
caption { text-align: left; font-size: .85rem; color: #444; padding-bottom: .2rem; }
th, td { border: 1px solid #999; padding: .15rem .45rem; text-align: right; }
th { background: #eee; }
td:first-child, th:first-child { text-align: left; }
details summary { cursor: pointer; font-size: .9rem; }
nav ol { columns: 2; font-size: .95rem; }
.meta, .note, footer { font-size: .85rem; color: #444; }
.empty { font-style: italic; }
@media print {
  body { max-width: none; padding: 0; }
  details { display: block; } details > summary { display: none; }
  h2 { break-after: avoid; } section { break-inside: auto; }
  a { color: inherit; }
}
"""

TEMPLATE = """<!DOCTYPE html>
<html lang="en-GB">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }}</title>
<style>{{ style }}</style>
</head>
<body>
<header>
<h1>{{ title }}</h1>
<p class="meta">Built {{ built }} from the published marts ({{ published_from }}). {{ scope_note }}</p>
<nav aria-label="Sections"><ol>
{% for s in sections %}<li><a href="#{{ s.anchor }}">{{ s.title }}</a></li>
{% endfor %}</ol></nav>
</header>
<main>
{% for s in sections %}
<section id="{{ s.anchor }}" aria-labelledby="{{ s.anchor }}-title">
<h2 id="{{ s.anchor }}-title">{{ s.title }}</h2>
{% if s.empty %}<p class="empty">{{ s.empty }}</p>{% else %}
<p class="headline">{{ headline(s) }}</p>
<div class="{{ 'fans' if s.anchor == 'forecast' else 'charts' }}">
{% for svg, alt in s.charts %}<figure>{{ svg | safe }}<figcaption>{{ alt }}</figcaption></figure>
{% endfor %}</div>
{% for t in s.tables %}<details{{ ' open' if loop.first }}><summary>Data: {{ t.caption }}</summary>
<table><caption>{{ t.caption }}</caption>
<thead><tr>{% for c in t.columns %}<th scope="col">{{ c }}</th>{% endfor %}</tr></thead>
<tbody>{% for r in t.rows %}<tr>{% for v in r %}<td>{{ cell(v) }}</td>{% endfor %}</tr>
{% endfor %}</tbody></table></details>
{% endfor %}
{% if s.note %}<p class="note">{{ s.note | safe }}</p>{% endif %}
{% endif %}
</section>
{% endfor %}
</main>
<footer>
<p>Counts from 1 to {{ threshold - 1 }} are shown as <abbr title="confidential">c</abbr>, as DfE
marks them, and so are the totals and rates that would reveal them; the marts keep the true counts
for the SEND team. Percentages are of the counts in the same row.</p>
</footer>
</body>
</html>
"""


def headline(section: Section) -> Markup:
    """The section's headline with each {key} as <data value=... data-key=...>text</data>."""
    figures = {f.key: f for f in section.figures}

    def tag(match: re.Match) -> str:
        f = figures[match.group(1)]
        value = f.value.isoformat() if hasattr(f.value, "isoformat") else f.value
        return (f'<data value="{html.escape(str(value), quote=True)}" data-key="{html.escape(f.key)}">'
                f"{html.escape(f.text)}</data>")

    return Markup(re.sub(r"\{([a-z0-9_.]+)\}", tag, html.escape(section.headline, quote=False)))


def render(sections: list[Section], *, title: str, published_from: str, scope_note: str,
           threshold: int, built: datetime) -> str:
    env = Environment(autoescape=select_autoescape(default=True, default_for_string=True))
    template = env.from_string(TEMPLATE)
    return template.render(sections=sections, title=title, style=Markup(STYLE), headline=headline,
                           cell=cell, published_from=published_from, scope_note=scope_note,
                           threshold=threshold, built=f"{built:%-d %B %Y %H:%M %Z}".strip())


QUALITY_TEMPLATE = """<!DOCTYPE html>
<html lang="en-GB">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }}</title><style>{{ style }}</style></head>
<body>
<h1>{{ title }}</h1>
<p class="meta">Every check of the latest gate runs, from audit.dq_scorecard. Failing checks first.
<a href="{{ report }}">Back to the report</a>.</p>
<table><caption>Checks by run, borough and source</caption>
<thead><tr>{% for c in columns %}<th scope="col">{{ c }}</th>{% endfor %}</tr></thead>
<tbody>{% for r in rows %}<tr class="{{ r.outcome }}">{% for c in columns %}<td>{{ cell(r[c]) }}</td>{% endfor %}</tr>
{% endfor %}</tbody></table>
</body></html>
"""


def render_quality(rows: list[dict], *, title: str, report: str) -> str:
    env = Environment(autoescape=select_autoescape(default=True, default_for_string=True))
    columns = ["run_at", "run_status", "borough", "source", "asset", "check", "severity", "outcome",
               "observed_value", "observed_unit", "threshold", "rows_checked", "description"]
    return env.from_string(QUALITY_TEMPLATE).render(title=title, style=Markup(STYLE), rows=rows,
                                                    columns=columns, cell=cell, report=report)
