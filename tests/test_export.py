"""Incident export: self-contained HTML, escaped Markdown and the report's JSON."""

from __future__ import annotations

import html
import json
import re

import pytest

from lineage.export import (
    ExportError,
    export_report,
    markdown_cell,
    markdown_table,
    to_html,
    to_json,
    to_markdown,
)
from lineage.queries.diff import diff
from lineage.queries.regression import Point, RegressionReport
from lineage.queries.suspects import rank_suspects
from lineage.render import check_offline_html
from lineage.source import load
from sample_data import generate as sample
from tests.diff_graphs import churn_story

HOSTILE = '<img src=x onerror="alert(1)">|cell\nrow'
SRCDOC = re.compile(r'srcdoc="([^"]*)"')


@pytest.fixture(scope="module")
def story() -> RegressionReport:
    from lineage.queries.regression import regression

    return regression(load().store, sample.ENDPOINT)


@pytest.fixture(scope="module")
def hostile() -> RegressionReport:
    """A report whose endpoint name, hyperparameter value and note carry markup and a pipe."""
    graph = churn_story()
    job = graph.find("churn-train-b")
    graph.node(job)["hyperparameters"]["objective"] = HOSTILE
    before = graph.find("churn-prod-config-v1")
    after = graph.find("churn-prod-config-v2")
    result = diff(graph, before, after)
    report = RegressionReport(
        endpoint=HOSTILE,
        endpoint_id="endpoint:hostile",
        timeline=[Point("churn-prod-config-v1", None, None), Point(HOSTILE, None, None)],
        before=Point("churn-prod-config-v1", None, None),
        after=Point(HOSTILE, None, None),
        graph=graph,
        diff=result,
        suspects=rank_suspects(result),
        notes=[HOSTILE],
        before_config=before,
        after_config=after,
    )
    report.lineage = {
        "before": sorted(graph.upstream(before)),
        "after": sorted(graph.upstream(after)),
    }
    return report


def test_html_escapes_resource_strings(hostile) -> None:
    page = to_html(hostile)
    outside_frame = SRCDOC.sub("", page)

    assert "<img" not in outside_frame
    assert html.escape(HOSTILE) in outside_frame


def test_html_loads_nothing(story) -> None:
    page = to_html(story)
    outside_frame = SRCDOC.sub("", page)

    assert not re.search(r"\b(?:src|href)\s*=|url\(", outside_frame, re.IGNORECASE)
    assert "<script" not in outside_frame
    assert '<iframe sandbox="allow-scripts"' in page


def test_html_frame_is_offline_graph(story) -> None:
    frames = SRCDOC.findall(to_html(story))

    assert len(frames) == 1
    graph_page = html.unescape(frames[0])
    check_offline_html(graph_page)
    assert "#d62728" in graph_page


def test_html_first_suspect_row_highlighted(story) -> None:
    page = to_html(story)
    top = re.search(r'<tr class="top">(.*?)</tr>', page)

    assert top is not None
    assert ">dataset<" in top.group(1)
    assert html.escape(sample.DATASET_AFTER) in top.group(1)


def test_html_states_crawl_time_and_coverage(story) -> None:
    page = to_html(story)

    assert sample.AFTER_RECORDED_AT.isoformat() in page
    assert "Coverage: accounts 111122223333" in page


def test_markdown_cell_escapes_pipe_and_newline() -> None:
    assert markdown_cell("a|b\nc\r") == "a\\|b\\nc\\r"
    assert markdown_cell("<b>") == "&lt;b>"
    assert markdown_cell(None) == ""


def test_markdown_table_rows_stay_intact(hostile) -> None:
    tables = to_markdown(hostile).split("\n\n")

    for table in (block for block in tables if block.startswith("|")):
        lines = table.splitlines()
        widths = {len(re.split(r"(?<!\\)\|", line)) for line in lines}
        assert len(widths) == 1, table
        assert all(line.startswith("|") and line.endswith("|") for line in lines)
    assert "<img" not in to_markdown(hostile)
    assert "onerror" in to_markdown(hostile)


def test_markdown_table_has_equal_column_counts() -> None:
    table = markdown_table([{"a": "x|y", "b": "1\n2"}, {"a": "", "b": None}], empty="none")
    counts = {len(re.split(r"(?<!\\)\|", line)) for line in table.splitlines()}

    assert counts == {4}


def test_markdown_story_sections(story) -> None:
    text = to_markdown(story)

    order = [text.index(title) for title in ("## Timeline", "## Suspects", "## Diff")]
    assert order == sorted(order)
    assert "higher is better" in text


def test_json_matches_to_dict(story) -> None:
    data = json.loads(to_json(story))

    assert data["suspects"][0]["kind"] == "dataset"
    assert data["trend"]["direction"]["direction"] == "higher is better"
    assert data == json.loads(json.dumps(story.to_dict()))


def test_invalid_format_raises(story) -> None:
    with pytest.raises(ExportError, match="pdf"):
        export_report(story, "pdf")
