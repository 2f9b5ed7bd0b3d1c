"""AppTest runs of the whole app (ui/app.py): navigation, the cached loader, source arguments."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from lineage.source import load
from ui.views import common
from ui.views.common import parse_source_args

APP = str(Path(__file__).resolve().parent.parent / "ui" / "app.py")
APP_TIMEOUT_S = 120


@pytest.fixture
def app_args(monkeypatch: pytest.MonkeyPatch):
    """Return a setter for the script arguments the app reads, and clear the loader cache."""
    common.load_source.clear()

    def set_args(*args: str) -> None:
        monkeypatch.setattr(sys, "argv", [APP, *args])

    set_args()
    yield set_args
    common.load_source.clear()


def test_app_opens_explore_on_first_endpoint(app_args) -> None:
    at = AppTest.from_file(APP, default_timeout=APP_TIMEOUT_S).run()

    assert not at.exception
    assert [title.value for title in at.title] == ["Explore"]
    graph = load().graph
    first = common.first_endpoint(graph)
    assert first is not None
    srcdoc = at.get("iframe")[0].proto.srcdoc
    assert f'"id": "{first}"' in srcdoc
    sidebar_texts = [text.value for text in at.sidebar.text]
    assert any(text.startswith("Source: recording account-after.json") for text in sidebar_texts)


def test_app_reads_recording_argument(app_args) -> None:
    recording = Path(__file__).resolve().parent / "cases" / "C15.json"
    app_args("--recording", str(recording))

    at = AppTest.from_file(APP, default_timeout=APP_TIMEOUT_S).run()

    assert not at.exception
    sidebar_texts = [text.value for text in at.sidebar.text]
    assert sidebar_texts == ["Source: recording C15.json"]


def test_app_reports_missing_recording(app_args, tmp_path: Path) -> None:
    app_args("--recording", str(tmp_path / "missing.json"))

    at = AppTest.from_file(APP, default_timeout=APP_TIMEOUT_S).run()

    assert not at.exception
    assert len(at.error) == 1
    message = at.error[0].value.replace("\\", "")
    assert "missing.json" in message
    assert "--recording FILE" in message
    assert not at.get("iframe")


def test_source_args_ignore_unknown() -> None:
    options = parse_source_args(["-q", "--recording", "a.json", "tests/x.py"])

    assert options.recording == "a.json"
    assert options.db is None
    assert parse_source_args([]).describe() == "the bundled sample account"
    assert parse_source_args(["--db", "x.sqlite"]).describe() == "store x.sqlite"


def _run_sample_page(page: str) -> None:
    # Runs inside AppTest's script thread, so every name it uses is imported here.
    from ui.views import common, explore, impact, trace

    loaded = common.load_source(None, None)
    pages = {"explore": explore.render, "trace": trace.render, "impact": impact.render}
    pages[page](loaded)


def test_trace_every_sample_endpoint(app_args) -> None:
    from lineage.graph import NodeKind
    from lineage.queries.trace import endpoint_trace

    graph = load().graph
    endpoints = common.nodes_by_label(graph, [NodeKind.ENDPOINT.value])
    assert endpoints
    at = AppTest.from_function(_run_sample_page, args=("trace",), default_timeout=APP_TIMEOUT_S)
    at.run()

    for endpoint in endpoints:
        at.selectbox(key="trace_endpoint").set_value(endpoint).run()

        assert not at.exception, endpoint
        expected = [
            f"Variant {variant.name}" for variant in endpoint_trace(graph, endpoint).variants
        ]
        assert [header.value.replace("\\", "") for header in at.header] == expected


def test_impact_sample_dataset_has_hits(app_args) -> None:
    from lineage.graph import NodeKind

    graph = load().graph
    trained_on = [
        target
        for _, target, data in graph.edges()
        if data["relation"] == "trained_on" and graph.kind(target) == NodeKind.DATASET
    ]
    assert trained_on
    uri = sorted(trained_on)[0]
    at = AppTest.from_function(_run_sample_page, args=("impact",), default_timeout=APP_TIMEOUT_S)
    at.run()
    at.text_input(key="impact_uri").input(uri).run()

    assert not at.exception
    assert "Matches" in [subheader.value for subheader in at.subheader]
    assert len(at.get("iframe")) == 1
