"""Incident export: a regression report as one self-contained HTML, Markdown or JSON file.

The file is meant to be attached to an incident ticket, so it must stand alone. The HTML page
loads nothing: its only script is the lineage graph, drawn by `lineage.render.render_html`
(vis-network inlined) inside a sandboxed `<iframe srcdoc>`. Every string from the crawled
account is HTML-escaped in the page and Markdown-escaped in table cells, because resource names,
tags and hyperparameters are free text that anyone with SageMaker write access can set.
"""

from __future__ import annotations

import html
import json
import logging
import re
from collections.abc import Sequence
from datetime import datetime, timezone
from typing import Any

from lineage.errors import LineageError
from lineage.queries.common import jsonable
from lineage.queries.regression import (
    RegressionReport,
    diff_rows,
    suspect_rows,
    timeline_rows,
    trend_rows,
)
from lineage.render import check_offline_html, render_html

logger = logging.getLogger(__name__)

FORMATS = ("html", "md", "json")
GRAPH_HEIGHT_PX = 650


class ExportError(LineageError, ValueError):
    """An export format is unknown or the page would load an outside resource."""


def export_report(report: RegressionReport, fmt: str, *, changed_only: bool = True) -> str:
    """Return the report as the text of one file in `fmt` ("html", "md" or "json").

    `changed_only` drops the diff entries that are equal on both sides. Raises ExportError for
    another format.
    """
    if fmt == "json":
        return to_json(report, changed_only=changed_only)
    if fmt == "md":
        return to_markdown(report, changed_only=changed_only)
    if fmt == "html":
        return to_html(report, changed_only=changed_only)
    raise ExportError(f"invalid export format {fmt!r}; use one of: {', '.join(FORMATS)}")


def to_json(report: RegressionReport, *, changed_only: bool = True) -> str:
    """Return the report's `to_dict()` as indented JSON."""
    return json.dumps(
        jsonable(report.to_dict(changed_only=changed_only)), indent=2, ensure_ascii=False
    )


# --- Markdown ----------------------------------------------------------------------------------

# Characters that would end a cell, start a new row or open inline HTML or code in a renderer.
_MARKDOWN_CELL = str.maketrans(
    {
        "\\": "\\\\",
        "|": "\\|",
        "`": "\\`",
        "<": "&lt;",
        "\r": "\\r",
        "\n": "\\n",
    }
)


def markdown_cell(value: Any) -> str:
    """Return a value as one Markdown table cell: `|`, newlines and `<` cannot break out.

    Other control and invisible characters (ANSI escapes, bidi overrides) appear as escapes,
    so that showing the file in a terminal or an editor shows what the data contains.
    """
    # Imported here because the lineage.cli package imports this module.
    from lineage.cli.table import visible

    return visible(("" if value is None else str(value)).translate(_MARKDOWN_CELL))


def markdown_table(rows: Sequence[dict[str, Any]], empty: str) -> str:
    """Return rows as a Markdown table under their keys, or `empty` as a line of text."""
    if not rows:
        return markdown_cell(empty)
    headers = list(rows[0])
    lines = [
        "| " + " | ".join(markdown_cell(header) for header in headers) + " |",
        "| " + " | ".join("---" for _ in headers) + " |",
    ]
    for row in rows:
        lines.append("| " + " | ".join(markdown_cell(row.get(key)) for key in headers) + " |")
    return "\n".join(lines)


def to_markdown(report: RegressionReport, *, changed_only: bool = True) -> str:
    """Return the report as Markdown: summary, notes, then timeline, suspects, trend and diff."""
    parts = [f"# Regression report: endpoint {markdown_cell(report.endpoint)}", ""]
    parts += [markdown_cell(line) for line in _summary_lines(report)]
    if report.notes:
        parts += ["", "## Notes", ""]
        parts += [f"- {markdown_cell(note)}" for note in report.notes]

    for title, rows, empty in _tables(report, changed_only):
        # A trend title names the metric, which is free text from the account.
        parts += ["", f"## {markdown_cell(title)}", "", markdown_table(rows, empty)]
    parts += ["", "The lineage graph is drawn only in the HTML export.", ""]
    return "\n".join(parts)


# --- HTML --------------------------------------------------------------------------------------

_STYLE = """
body { font: 14px/1.45 system-ui, sans-serif; margin: 1.5em; color: #1b1b1b; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em 0; }
th, td { border: 1px solid #ccc; padding: 3px 8px; text-align: left; vertical-align: top; }
th { background: #f2f2f2; }
tr.top td { background: #fff1c2; font-weight: 600; }
td { white-space: pre-wrap; overflow-wrap: anywhere; max-width: 40em; }
.summary p { margin: 0.2em 0; }
iframe { width: 100%; border: 1px solid #ccc; }
"""

# A tag attribute or a CSS url() that would make a browser fetch something. Escaped data
# contains no "<", so only this module's own tags and style can match.
_FETCHING = re.compile(
    r"<[a-z][^>]*\b(?:src|href|action|poster|srcset|data)\s*=|<style\b[^<]*url\(",
    re.IGNORECASE,
)


def to_html(report: RegressionReport, *, changed_only: bool = True) -> str:
    """Return the report as one HTML page that loads nothing from a network or a file.

    Raises ExportError when the page, the graph frame aside, would fetch a resource.
    """
    esc = html.escape
    body = [f"<h1>Regression report: endpoint {esc(report.endpoint)}</h1>"]
    body.append('<div class="summary">')
    body += [f"<p>{esc(line)}</p>" for line in _summary_lines(report)]
    body.append("</div>")
    if report.notes:
        body.append("<h2>Notes</h2><ul>")
        body += [f"<li>{esc(note)}</li>" for note in report.notes]
        body.append("</ul>")

    for title, rows, empty in _tables(report, changed_only):
        body.append(f"<h2>{esc(title)}</h2>")
        body.append(html_table(rows, empty, highlight_first=title == "Suspects"))

    page_head = (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>Regression report: {esc(report.endpoint)}</title>\n"
        f"<style>{_STYLE}</style>\n</head>\n<body>\n"
    )
    page_without_graph = page_head + "\n".join(body)
    found = _FETCHING.search(page_without_graph)
    if found:
        snippet = page_without_graph[found.start() : found.start() + 80]
        raise ExportError(f"export page would fetch a resource: {snippet!r}")

    graph_section = _graph_section(report)
    return page_without_graph + "\n" + graph_section + "\n</body>\n</html>\n"


def html_table(rows: Sequence[dict[str, Any]], empty: str, highlight_first: bool = False) -> str:
    """Return rows as an HTML table with every header and cell escaped."""
    if not rows:
        return f"<p>{html.escape(empty)}</p>"
    headers = list(rows[0])
    lines = ["<table>", "<tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in headers) + "</tr>"]
    for position, row in enumerate(rows):
        marker = ' class="top"' if highlight_first and position == 0 else ""
        cells = "".join(f"<td>{html.escape(_html_text(row.get(key)))}</td>" for key in headers)
        lines.append(f"<tr{marker}>{cells}</tr>")
    lines.append("</table>")
    return "\n".join(lines)


def _graph_section(report: RegressionReport) -> str:
    ids = sorted(set(report.lineage.get("before", [])) | set(report.lineage.get("after", [])))
    if not ids:
        return "<h2>Lineage</h2>\n<p>No config of the compared deployments is in the graph.</p>"

    focus = report.after_config
    page = render_html(
        report.graph,
        ids,
        focus=focus,
        height_px=GRAPH_HEIGHT_PX,
        highlight=report.changed,
    )
    # render_html checks its own page; checking again here keeps this file's promise even if
    # that check changes.
    check_offline_html(page)
    caption = (
        f"{len(ids)} nodes upstream of the compared configs; the {len(report.changed)} nodes "
        "upstream of only one of them have a thick red border."
    )
    # sandbox="allow-scripts" lets vis-network draw but gives the frame no access to this page.
    return (
        "<h2>Lineage</h2>\n"
        f"<p>{html.escape(caption)}</p>\n"
        f'<iframe sandbox="allow-scripts" height="{GRAPH_HEIGHT_PX + 60}" '
        f'srcdoc="{html.escape(page, quote=True)}"></iframe>'
    )


# --- shared pieces -----------------------------------------------------------------------------


def _summary_lines(report: RegressionReport) -> list[str]:
    coverage = report.coverage
    lines = []
    if report.before is not None:
        lines.append(
            f"Compared config {report.before.config_name} (live from "
            f"{_time(report.before.since)}) with config {report.after.config_name} (live from "
            f"{_time(report.after.since)})."
        )
    else:
        lines.append(
            f"Current config: {report.after.config_name} (live from {_time(report.after.since)})."
        )
    if report.trend is not None:
        lines.append(f"Metric {report.trend.metric}: {report.trend.direction.text}.")
    lines.append(
        f"Snapshots used: {_join(coverage.get('snapshot_ids'))} (crawled "
        f"{coverage.get('first_crawl') or 'unknown'} to {coverage.get('last_crawl') or 'unknown'})."
    )
    lines.append(
        f"Coverage: accounts {_join(coverage.get('accounts'))}, regions "
        f"{_join(coverage.get('regions'))}; records "
        + ", ".join(f"{kind} {count}" for kind, count in (coverage.get("counts") or {}).items())
        + "."
    )
    if coverage.get("denied"):
        lines.append(f"Not readable (access denied): {_join(coverage.get('denied'))}.")
    lines.append(f"Exported {datetime.now(timezone.utc).isoformat(timespec='seconds')}.")
    return lines


def _tables(
    report: RegressionReport, changed_only: bool
) -> list[tuple[str, list[dict[str, Any]], str]]:
    diff_empty = "No diff: see the notes." if report.diff is None else "No differences."
    trend_title = "Metric trend"
    if report.trend is not None:
        trend_title += f": {report.trend.metric} ({report.trend.direction.text})"
    return [
        (
            "Timeline",
            timeline_rows(report.timeline, report.before, report.after),
            "No deployment recorded.",
        ),
        ("Suspects", suspect_rows(report), "No suspect: nothing upstream changed."),
        (trend_title, trend_rows(report.trend), "No metric trend."),
        ("Diff", diff_rows(report.diff, changed_only=changed_only), diff_empty),
    ]


def _join(values: Any) -> str:
    if not values:
        return "none"
    return ", ".join(str(value) for value in values)


def _time(moment: datetime | None) -> str:
    return moment.isoformat() if moment else "before the first crawl"


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _html_text(value: Any) -> str:
    # Cells keep their line breaks (the style wraps them), while other controls and bidi
    # overrides appear as escapes, so a name cannot reorder or hide text in the page.
    from lineage.cli.table import visible

    return "\n".join(visible(line) for line in _text(value).split("\n"))


__all__ = [
    "FORMATS",
    "ExportError",
    "export_report",
    "html_table",
    "markdown_cell",
    "markdown_table",
    "to_html",
    "to_json",
    "to_markdown",
]
