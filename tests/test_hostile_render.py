"""Hostile strings through the graph page and the incident exports: shown as text, never run."""

from __future__ import annotations

import html
import json
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from lineage.export import to_html, to_json, to_markdown
from lineage.queries.regression import RegressionReport, regression
from lineage.render import check_offline_html, render, tooltip_text
from lineage.source import Loaded, load, load_sample
from tests import hostile_account as hostile

HOSTILE_JOB = hostile.arn("training-job", hostile.JOB_AFTER)


class _TagCounter(HTMLParser):
    """Count the elements of a page and collect its attribute names, as a browser parses it."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: dict[str, int] = {}
        self.attributes: set[str] = set()
        self.iframes: list[dict[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags[tag] = self.tags.get(tag, 0) + 1
        self.attributes.update(name for name, _ in attrs)
        if tag == "iframe":
            self.iframes.append(dict(attrs))


def _parsed(page: str) -> _TagCounter:
    counter = _TagCounter()
    counter.feed(page)
    counter.close()
    return counter


def _vis_nodes(page: str) -> list[dict[str, Any]]:
    marker = "nodes = new vis.DataSet("
    start = page.index(marker) + len(marker)
    nodes, _ = json.JSONDecoder().raw_decode(page, start)
    return nodes


@pytest.fixture(scope="module")
def account(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("hostile")
    hostile.write_account(folder)
    return folder


@pytest.fixture(scope="module")
def loaded(account: Path) -> Loaded:
    return load(recording=account / "hostile-after.json")


@pytest.fixture(scope="module")
def report(account: Path) -> RegressionReport:
    history = load_sample(account)
    assert history.store is not None
    return regression(history.store, hostile.ENDPOINT)


@pytest.fixture(scope="module")
def plain_page() -> str:
    # The sample account has no markup in its data: the page structure to compare against.
    sample = load()
    return render(sample.graph, list(sample.graph.nx.nodes)[:30]).html


@pytest.fixture(scope="module")
def hostile_page(loaded: Loaded) -> str:
    return render(loaded.graph, list(loaded.graph.nx.nodes)).html


def test_graph_page_has_no_elements_from_data(hostile_page: str, plain_page: str) -> None:
    hostile_tags = _parsed(hostile_page)
    plain_tags = _parsed(plain_page)

    # The legend has one span per kind drawn, so span counts differ; nothing else may.
    assert set(hostile_tags.tags) == set(plain_tags.tags)
    assert hostile_tags.tags["script"] == plain_tags.tags["script"]
    assert hostile_tags.attributes == plain_tags.attributes
    assert "img" not in hostile_tags.tags


def test_graph_page_passes_offline_check(hostile_page: str) -> None:
    check_offline_html(hostile_page)

    assert "popup.innerHTML" not in hostile_page
    assert hostile.SCRIPT not in hostile_page
    assert hostile.CLOSE_SCRIPT not in hostile_page


def test_graph_tooltips_keep_hostile_text(loaded: Loaded, hostile_page: str) -> None:
    nodes = {node["id"]: node for node in _vis_nodes(hostile_page)}

    job = nodes[HOSTILE_JOB]
    assert job["title"] == tooltip_text(HOSTILE_JOB, loaded.graph.node(HOSTILE_JOB))
    assert hostile.SCRIPT in job["title"]
    assert hostile.IMG in job["title"]
    assert hostile.RIGHT_TO_LEFT in job["title"]


def test_graph_node_ids_keep_hostile_uris(hostile_page: str) -> None:
    ids = {node["id"] for node in _vis_nodes(hostile_page)}

    assert hostile.HOSTILE_TRAIN_URI in ids
    assert hostile.HOSTILE_VALIDATION_URI in ids


def test_graph_tooltip_value_is_capped(hostile_page: str) -> None:
    nodes = {node["id"]: node for node in _vis_nodes(hostile_page)}

    assert len(nodes[HOSTILE_JOB]["title"]) < hostile.HUGE_LENGTH / 10


def test_html_export_has_no_elements_from_data(report: RegressionReport) -> None:
    page = to_html(report)
    parsed = _parsed(page)

    assert set(parsed.tags) <= {
        "html", "head", "meta", "title", "style", "body", "h1", "h2", "div", "p", "ul", "li",
        "table", "tr", "th", "td", "iframe",
    }
    assert not any(name.startswith("on") for name in parsed.attributes)
    assert hostile.SCRIPT not in page
    assert html.escape(hostile.SCRIPT) in page


def test_html_export_frame_is_sandboxed(report: RegressionReport) -> None:
    parsed = _parsed(to_html(report))

    assert len(parsed.iframes) == 1
    frame = parsed.iframes[0]
    assert frame["sandbox"] == "allow-scripts"
    check_offline_html(frame["srcdoc"] or "")


def test_markdown_export_lines_stay_in_place(report: RegressionReport) -> None:
    text = to_markdown(report)
    lines = text.split("\n")

    assert "EVIL forged row" not in lines
    assert not any(line.startswith("EVIL") for line in lines)
    assert hostile.SCRIPT not in text
    assert "<img" not in text
    assert "\r" not in text


def test_markdown_export_shows_control_characters(report: RegressionReport) -> None:
    text = to_markdown(report)

    assert "\x1b" not in text
    assert "\x07" not in text
    assert "\u202e" not in text


def test_json_export_keeps_values_exactly(report: RegressionReport) -> None:
    document = json.loads(to_json(report))
    text = json.dumps(document, ensure_ascii=False)

    assert hostile.SCRIPT in text or json.dumps(hostile.SCRIPT)[1:-1] in text
    assert hostile.HOSTILE_TRAIN_URI in _strings(document)


def _strings(value: Any) -> set[str]:
    if isinstance(value, str):
        return {value}
    if isinstance(value, dict):
        return set().union(*(_strings(item) for item in value.values())) if value else set()
    if isinstance(value, list):
        return set().union(*(_strings(item) for item in value)) if value else set()
    return set()
