"""Streamlit AppTest runs of each page on a hand-built graph shaped like the builder's output."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from tests.query_graphs import arn, s3

PAGE_TIMEOUT_S = 60


def _run_page(page: str) -> None:
    # Runs inside AppTest's script thread, so every name it uses is imported here.
    from lineage.crawl.result import CrawlResult
    from lineage.source import Loaded
    from tests.query_graphs import build_query_graph
    from ui.views import explore, impact, trace

    graph = build_query_graph()
    loaded = Loaded(
        graph=graph, result=CrawlResult(), description="hand-built graph", source="test"
    )
    pages = {"explore": explore.render, "trace": trace.render, "impact": impact.render}
    pages[page](loaded)


def _page_test(page: str) -> AppTest:
    return AppTest.from_function(_run_page, args=(page,), default_timeout=PAGE_TIMEOUT_S)


def _texts(at: AppTest) -> list[str]:
    return [element.value for element in at.text]


def _table_cells(at: AppTest) -> list[str]:
    cells: list[str] = []
    for frame in at.dataframe:
        for column in frame.value.columns:
            cells += [str(value) for value in frame.value[column]]
    return cells


def _unescape(markdown: str) -> str:
    return markdown.replace("\\", "")


def test_explore_opens_on_first_endpoint() -> None:
    at = _page_test("explore").run()

    assert not at.exception
    frames = at.get("iframe")
    assert len(frames) == 1
    srcdoc = frames[0].proto.srcdoc
    # Endpoints sorted by label: churn-canary, churn-prod, legacy-ep.
    assert f'"id": "{arn("endpoint", "churn-canary")}"' in srcdoc
    assert at.selectbox(key="explore_node").value == arn("endpoint", "churn-canary")


def test_explore_frame_is_offline() -> None:
    at = _page_test("explore").run()

    srcdoc = at.get("iframe")[0].proto.srcdoc
    assert "cdn.jsdelivr.net" not in srcdoc
    assert "lib/bindings" not in srcdoc
    assert '"physics": {"enabled": false}' in srcdoc


def test_explore_reports_drawn_count() -> None:
    at = _page_test("explore").run()

    srcdoc = at.get("iframe")[0].proto.srcdoc
    drawn = srcdoc.count('"kind": "')
    captions = [caption.value for caption in at.caption]
    assert any(caption.startswith(f"Drawn: {drawn} nodes") for caption in captions)


def test_explore_shows_training_job_details() -> None:
    at = _page_test("explore").run()
    at.selectbox(key="explore_kind").set_value("training_job").run()
    at.selectbox(key="explore_node").set_value(arn("training-job", "churn-train-2")).run()

    assert not at.exception
    cells = _table_cells(at)
    assert "validation:auc" in cells
    assert "eta" in cells
    assert '"0.1"' in cells  # the raw value next to the decoded one
    assert "0.1" in cells
    srcdoc = at.get("iframe")[0].proto.srcdoc
    assert f'"id": "{arn("training-job", "churn-train-2")}"' in srcdoc


def test_explore_kind_filter_keeps_focus() -> None:
    at = _page_test("explore").run()
    at.multiselect(key="explore_kinds").set_value(["endpoint"]).run()

    assert not at.exception
    srcdoc = at.get("iframe")[0].proto.srcdoc
    assert srcdoc.count('"kind": "endpoint"') == 1
    assert '"kind": "model"' not in srcdoc


def test_trace_shows_every_variant() -> None:
    at = _page_test("trace").run()
    at.selectbox(key="trace_endpoint").set_value(arn("endpoint", "churn-prod")).run()

    assert not at.exception
    headers = [_unescape(header.value) for header in at.header]
    assert "Variant AllTraffic" in headers
    assert "Variant shadow" in headers
    texts = _texts(at)
    assert "production" in texts
    assert "shadow, serverless" in texts
    cells = _table_cells(at)
    assert "churn-train-2" in " ".join(cells)
    assert "validation:auc" in cells
    assert s3("data/train/") in cells
    assert "3 x ml.m5.large" in cells  # the endpoint's live instance count, not the config's
    assert "serverless 2048 MB max concurrency 5" in cells


def test_trace_placeholder_config_endpoint() -> None:
    at = _page_test("trace").run()
    at.selectbox(key="trace_endpoint").set_value(arn("endpoint", "legacy-ep")).run()

    assert not at.exception
    cells = " ".join(_table_cells(at))
    assert "legacy-cfg (deleted or inaccessible)" in cells


def test_impact_lists_hits_for_prefix() -> None:
    at = _page_test("impact").run()
    at.text_input(key="impact_uri").input(s3("data/train/")).run()

    assert not at.exception
    cells = _table_cells(at)
    assert s3("data/train/") in cells
    assert "churn-train-2" in cells
    assert "train" in cells
    assert "churn-prod" in cells
    assert not any(text.startswith("No dataset") for text in _texts(at))
    assert len(at.get("iframe")) == 1


def test_impact_prefix_without_slash_warns() -> None:
    at = _page_test("impact").run()
    at.text_input(key="impact_uri").input(s3("data/train")).run()

    assert not at.exception
    warnings = [_unescape(warning.value) for warning in at.warning]
    assert any("no trailing slash" in warning for warning in warnings)
    assert s3("data/train_v2/") in _table_cells(at)


def test_impact_unused_prefix_states_coverage() -> None:
    at = _page_test("impact").run()
    at.text_input(key="impact_uri").input("s3://other-bucket/never-used/").run()

    assert not at.exception
    statements = [text for text in _texts(at) if text.startswith("No dataset or artifact")]
    assert len(statements) == 1
    assert "111122223333" in statements[0]
    assert "us-east-1" in statements[0]
    assert "TransformJob" in statements[0]
    # A job reading a manifest the crawl did not open may still read this location.
    subheaders = [subheader.value for subheader in at.subheader]
    assert "Possible matches through unread manifests" in subheaders
    assert "img-train-1" in _table_cells(at)
    assert "Matches" not in subheaders


def test_impact_invalid_uri_shows_error() -> None:
    at = _page_test("impact").run()
    at.text_input(key="impact_uri").input("ftp://example-bucket/x").run()

    assert not at.exception
    assert len(at.error) == 1
    assert "ftp" in _unescape(at.error[0].value)


def test_impact_status_column_from_attrs() -> None:
    at = _page_test("impact").run()
    at.text_input(key="impact_uri").input(s3("data/train/")).run()

    assert not at.exception
    tables = [frame.value for frame in at.dataframe]
    statuses = [set(table["status"]) for table in tables if "status" in table.columns]
    assert any("Completed" in values for values in statuses)
    assert any("InService" in values for values in statuses)
    # Models and artifacts have no status, so their tables have no status column.
    model_tables = [
        table for table in tables if "kind" in table.columns and set(table["kind"]) == {"model"}
    ]
    assert model_tables
    assert all("status" not in table.columns for table in model_tables)


def _draw_single_node() -> None:
    from lineage.graph import LineageGraph, NodeKind
    from ui.views import common

    graph = LineageGraph()
    graph.add_node("training-job:only", NodeKind.TRAINING_JOB, "only")
    common.show_graph(graph, ["training-job:only"])


def test_drawn_caption_uses_singular() -> None:
    at = AppTest.from_function(_draw_single_node, default_timeout=PAGE_TIMEOUT_S).run()

    assert not at.exception
    captions = [caption.value for caption in at.caption]
    assert "Drawn: 1 node, 0 edges." in captions
