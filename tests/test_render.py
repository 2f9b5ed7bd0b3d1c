"""Unit tests of lineage.render: offline HTML, layout, ids, tooltips, escaping, folding, cap."""

from __future__ import annotations

import json
import re
from itertools import pairwise
from typing import Any

import pytest
from pyvis.network import Network

from lineage.crawl.result import PlaceholderStatus
from lineage.errors import NodeNotFoundError
from lineage.graph import LineageGraph, NodeKind, Relation
from lineage.identity import decode_hyperparameter
from lineage.render import (
    DEFAULT_SIBLING_LIMIT,
    LABEL_LINE_CHARS,
    NODE_WIDTH,
    ROW_SPACING_MIN,
    RenderError,
    check_offline_html,
    render,
    render_html,
    short_label,
    tooltip_text,
    wrap_label,
)
from tests.conftest import load_case

BREAKOUT = "</script><script>alert(1)</script>"


# --- helpers -------------------------------------------------------------------------------


def _data_set(html: str, name: str) -> list[dict[str, Any]]:
    marker = f"{name} = new vis.DataSet("
    start = html.index(marker) + len(marker)
    value, _ = json.JSONDecoder().raw_decode(html, start)
    return value


def _options(html: str) -> dict[str, Any]:
    marker = "var options = "
    start = html.index(marker) + len(marker)
    value, _ = json.JSONDecoder().raw_decode(html, start)
    return value


def _nodes_by_id(html: str) -> dict[str, dict[str, Any]]:
    return {node["id"]: node for node in _data_set(html, "nodes")}


def _chain_graph() -> LineageGraph:
    graph = LineageGraph()
    graph.add_node("endpoint:churn-ep", NodeKind.ENDPOINT, "churn-ep", status="InService")
    graph.add_node("endpoint-config:churn-cfg", NodeKind.ENDPOINT_CONFIG, "churn-cfg")
    graph.add_node("model:churn-model", NodeKind.MODEL, "churn-model")
    graph.add_node("model:shadow-model", NodeKind.MODEL, "shadow-model")
    graph.add_node(
        "s3://b/models/churn-xgb-0503/output/model.tar.gz", NodeKind.ARTIFACT, "model.tar.gz"
    )
    graph.add_node(
        "training-job:churn-xgb-0503", NodeKind.TRAINING_JOB, "churn-xgb-0503", status="Completed"
    )
    graph.add_node("s3://b/data/train/", NodeKind.DATASET, "train/")
    graph.add_node(
        "training-job:old-job",
        NodeKind.TRAINING_JOB,
        "old-job",
        status=PlaceholderStatus.DELETED.value,
        reason="Requested resource not found",
    )

    graph.add_edge("endpoint:churn-ep", "endpoint-config:churn-cfg", Relation.USES_CONFIG)
    graph.add_edge(
        "endpoint-config:churn-cfg", "model:churn-model", Relation.SERVES, variant="AllTraffic"
    )
    graph.add_edge(
        "endpoint-config:churn-cfg", "model:shadow-model", Relation.SERVES_SHADOW, variant="shadow"
    )
    graph.add_edge(
        "model:churn-model", "s3://b/models/churn-xgb-0503/output/model.tar.gz", Relation.LOADS
    )
    graph.add_edge(
        "s3://b/models/churn-xgb-0503/output/model.tar.gz",
        "training-job:churn-xgb-0503",
        Relation.PRODUCED_BY,
    )
    graph.add_edge(
        "training-job:churn-xgb-0503", "s3://b/data/train/", Relation.TRAINED_ON, channel="train"
    )
    graph.add_edge("model:shadow-model", "training-job:old-job", Relation.REFERS_TO)
    return graph


def _case_c28_graph() -> LineageGraph:
    # The fixture lists edges in data-flow direction (job -> model -> endpoint); the graph's
    # edges point the other way, from a thing to what it was made from.
    fixture = load_case("C28")["graph"]
    graph = LineageGraph()
    kinds = {
        "endpoint": NodeKind.ENDPOINT,
        "model": NodeKind.MODEL,
        "training-job": NodeKind.TRAINING_JOB,
    }
    for node_id in fixture["nodes"]:
        prefix, name = node_id.split(":", 1)
        graph.add_node(node_id, kinds[prefix], name)
    for upstream, downstream in fixture["edges"]:
        graph.add_edge(downstream, upstream, Relation.REFERS_TO)
    return graph


def _synthetic_account(shared_dataset_jobs: int | None = None) -> LineageGraph:
    """Build the synthetic account of the scale case: jobs, models, endpoints, datasets.

    Every job reads three datasets; dataset 0 is read by all jobs, so it has thousands of
    training-job neighbours to fold.
    """
    spec = load_case("C29")["synthetic_account"]
    graph = LineageGraph()
    for number in range(spec["datasets"]):
        graph.add_node(f"s3://b/data/{number}/", NodeKind.DATASET, f"data/{number}/")
    jobs = spec["training_jobs"] if shared_dataset_jobs is None else shared_dataset_jobs
    for number in range(jobs):
        job = graph.add_node(
            f"training-job:job-{number:05d}", NodeKind.TRAINING_JOB, f"job-{number:05d}"
        )
        datasets = {
            0,
            1 + number % (spec["datasets"] - 1),
            1 + (number * 7) % (spec["datasets"] - 1),
        }
        for channel, dataset in enumerate(sorted(datasets)[: spec["edges_per_job"]]):
            graph.add_edge(
                job, f"s3://b/data/{dataset}/", Relation.TRAINED_ON, channel=f"c{channel}"
            )
    models = min(spec["models"], jobs)
    for number in range(models):
        artifact = graph.add_node(
            f"s3://b/models/job-{number:05d}/model.tar.gz", NodeKind.ARTIFACT, "model.tar.gz"
        )
        graph.add_edge(artifact, f"training-job:job-{number:05d}", Relation.PRODUCED_BY)
        model = graph.add_node(f"model:model-{number}", NodeKind.MODEL, f"model-{number}")
        graph.add_edge(model, artifact, Relation.LOADS)
    for number in range(spec["endpoints"]):
        endpoint = graph.add_node(f"endpoint:ep-{number}", NodeKind.ENDPOINT, f"ep-{number}")
        graph.add_edge(endpoint, f"model:model-{number * 15 % models}", Relation.REFERS_TO)
    return graph


# --- offline page -----------------------------------------------------------------------------


def test_page_has_no_outside_references() -> None:
    graph = _case_c28_graph()
    html = render_html(graph, list(graph.nx.nodes))

    assert not re.search(r"<(script|link)\b[^>]*\b(src|href)\s*=", html, re.IGNORECASE)
    assert "cdn.jsdelivr.net" not in html
    assert "cdnjs.cloudflare.com" not in html
    assert "lib/" not in html
    assert "node_modules" not in html
    assert "sourceMappingURL" not in html


def test_inline_scripts_stay_closed() -> None:
    graph = _case_c28_graph()
    html = render_html(graph, list(graph.nx.nodes))

    # pyvis's utility script, vis-network itself and the data script, each closed on its own.
    assert len(re.findall(r"<script\b[^>]*>", html)) >= 3
    assert html.count("</script>") == 3
    assert "vis-network.min.js.map" not in html


def test_page_inlines_vis_network() -> None:
    graph = _case_c28_graph()
    html = render_html(graph, list(graph.nx.nodes))

    assert "vis-network" in html
    assert "new vis.Network(container, data, options)" in html
    assert len(_data_set(html, "nodes")) == 3
    assert len(_data_set(html, "edges")) == 2


def test_render_never_opens_browser(monkeypatch: pytest.MonkeyPatch) -> None:
    def forbidden(*args: object, **kwargs: object) -> None:
        raise AssertionError("render must not write files or open a browser")

    monkeypatch.setattr(Network, "show", forbidden)
    monkeypatch.setattr(Network, "write_html", forbidden)
    monkeypatch.setattr("webbrowser.open", forbidden)
    graph = _case_c28_graph()

    assert render_html(graph, list(graph.nx.nodes)).startswith("<html>")


def test_check_offline_rejects_cdn_tag() -> None:
    page = '<html><head><script src="https://cdn.example.org/x.js"></script></head></html>'

    with pytest.raises(RenderError, match="references a resource"):
        check_offline_html(page)


def test_check_offline_rejects_relative_lib() -> None:
    page = '<html><head><script src="lib/bindings/utils.js"></script></head></html>'

    with pytest.raises(RenderError, match="lib/bindings"):
        check_offline_html(page)


# --- size, physics, positions ----------------------------------------------------------------


@pytest.mark.parametrize("height_px", [750, 420])
def test_height_is_pixels(height_px: int) -> None:
    graph = _chain_graph()
    html = render_html(graph, list(graph.nx.nodes), height_px=height_px)

    assert re.search(rf"#mynetwork \{{\s*width: 100%;\s*height: {height_px}px;", html)
    assert not re.search(r"height:\s*100%", html)


def test_height_rejects_tiny_value() -> None:
    graph = _chain_graph()

    with pytest.raises(ValueError, match="height_px"):
        render_html(graph, list(graph.nx.nodes), height_px=10)


def test_physics_is_disabled() -> None:
    graph = _chain_graph()
    options = _options(render_html(graph, list(graph.nx.nodes)))

    assert options["physics"]["enabled"] is False
    assert options["layout"]["improvedLayout"] is False


def test_positions_follow_dependency_layers() -> None:
    graph = _chain_graph()
    nodes = _nodes_by_id(render_html(graph, list(graph.nx.nodes)))

    for node in nodes.values():
        assert isinstance(node["x"], int)
        assert isinstance(node["y"], int)
    chain = [
        "endpoint:churn-ep",
        "endpoint-config:churn-cfg",
        "model:churn-model",
        "s3://b/models/churn-xgb-0503/output/model.tar.gz",
        "training-job:churn-xgb-0503",
        "s3://b/data/train/",
    ]
    columns = [nodes[node_id]["x"] for node_id in chain]
    assert columns == sorted(columns)
    assert len(set(columns)) == len(columns)
    assert nodes["model:churn-model"]["x"] == nodes["model:shadow-model"]["x"]
    assert nodes["model:churn-model"]["y"] != nodes["model:shadow-model"]["y"]


def test_nodes_have_fixed_width_and_no_overlap() -> None:
    graph = _chain_graph()
    long_name = "churn-dataset-with-a-very-long-prefix-name-2024-05-01/"
    graph.add_node(f"s3://b/{long_name}", NodeKind.DATASET, long_name)
    graph.add_edge("training-job:churn-xgb-0503", f"s3://b/{long_name}", Relation.TRAINED_ON)
    html = render_html(graph, list(graph.nx.nodes))
    nodes = _nodes_by_id(html)
    options = _options(html)

    assert options["nodes"]["widthConstraint"] == {"minimum": NODE_WIDTH, "maximum": NODE_WIDTH}
    assert {node["shape"] for node in nodes.values()} == {"box"}
    for node in nodes.values():
        assert all(len(line) <= LABEL_LINE_CHARS for line in node["label"].splitlines())
    long_node = nodes[f"s3://b/{long_name}"]
    assert long_node["title"].splitlines()[0] == long_name
    by_column: dict[int, list[int]] = {}
    for node in nodes.values():
        by_column.setdefault(node["x"], []).append(node["y"])
    columns = sorted(by_column)
    assert all(right - left > NODE_WIDTH for left, right in pairwise(columns))
    for rows in by_column.values():
        rows.sort()
        assert all(lower - upper >= ROW_SPACING_MIN for upper, lower in pairwise(rows))


def test_wrap_label_breaks_after_separators() -> None:
    assert wrap_label("churn-linear-20240502-1400", 15) == "churn-linear-\n20240502-1400"
    assert wrap_label("hyperparameters", 15) == "hyperparameters"
    assert wrap_label("abcdefghijklmnopq", 8) == "abcdefgh\nijklmnop\nq"


def test_layout_is_deterministic() -> None:
    graph = _chain_graph()
    ids = list(graph.nx.nodes)

    first = render_html(graph, ids, focus="model:churn-model")
    second = render_html(graph, list(reversed(ids)), focus="model:churn-model")

    assert first == second


def test_cycle_shares_a_column() -> None:
    graph = LineageGraph()
    graph.add_node("processing-job:rewrite", NodeKind.PROCESSING_JOB, "rewrite")
    graph.add_node("s3://b/table/", NodeKind.DATASET, "table/")
    graph.add_edge("processing-job:rewrite", "s3://b/table/", Relation.READS, channel="in")
    graph.add_edge("s3://b/table/", "processing-job:rewrite", Relation.PRODUCED_BY)

    nodes = _nodes_by_id(render_html(graph, list(graph.nx.nodes)))

    assert nodes["processing-job:rewrite"]["x"] == nodes["s3://b/table/"]["x"]
    assert nodes["processing-job:rewrite"]["y"] != nodes["s3://b/table/"]["y"]


# --- ids ---------------------------------------------------------------------------------------


def test_numeric_names_keep_string_ids() -> None:
    case = load_case("C26")["responses"]
    job = case["describe_training_job"]
    model = case["describe_model"]
    dataset_uri = job["InputDataConfig"][0]["DataSource"]["S3DataSource"]["S3Uri"]
    artifact_uri = job["ModelArtifacts"]["S3ModelArtifacts"]
    graph = LineageGraph()
    job_id = graph.add_node(
        f"training-job:{job['TrainingJobName']}", NodeKind.TRAINING_JOB, job["TrainingJobName"]
    )
    model_id = graph.add_node(f"model:{model['ModelName']}", NodeKind.MODEL, model["ModelName"])
    graph.add_node(dataset_uri, NodeKind.DATASET, "20240115/")
    graph.add_node(artifact_uri, NodeKind.ARTIFACT, "model.tar.gz")
    graph.add_edge(model_id, artifact_uri, Relation.LOADS)
    graph.add_edge(artifact_uri, job_id, Relation.PRODUCED_BY)
    graph.add_edge(job_id, dataset_uri, Relation.TRAINED_ON, channel="train")

    html = render_html(graph, list(graph.nx.nodes))
    nodes = _data_set(html, "nodes")
    edges = _data_set(html, "edges")

    assert len(nodes) == 4
    assert len(edges) == 3
    assert {node["id"] for node in nodes} == {job_id, model_id, dataset_uri, artifact_uri}
    assert {node["label"] for node in nodes} >= {"20240115", "1234"}
    for edge in edges:
        assert isinstance(edge["from"], str)
        assert isinstance(edge["to"], str)


def test_bare_numeric_ids_stay_strings() -> None:
    graph = LineageGraph()
    graph.add_node("20240115", NodeKind.TRAINING_JOB, "20240115")
    graph.add_node("1234", NodeKind.MODEL, "1234")
    graph.add_edge("1234", "20240115", Relation.REFERS_TO)

    html = render_html(graph, ["20240115", "1234"])

    assert {node["id"] for node in _data_set(html, "nodes")} == {"1234", "20240115"}
    assert _data_set(html, "edges")[0]["from"] == "1234"
    assert _data_set(html, "edges")[0]["to"] == "20240115"


def test_unknown_id_raises_not_found() -> None:
    graph = _chain_graph()

    with pytest.raises(NodeNotFoundError, match="no-such-node"):
        render_html(graph, ["no-such-node"])


# --- tooltips and escaping ---------------------------------------------------------------------


def _case_c27_graph() -> tuple[LineageGraph, str, str]:
    case = load_case("C27")
    job = case["responses"]["describe_training_job"]
    tags = {tag["Key"]: tag["Value"] for tag in case["responses"]["list_tags"]["Tags"]}
    raw = job["HyperParameters"]
    graph = LineageGraph()
    node_id = graph.add_node(
        job["TrainingJobArn"],
        NodeKind.TRAINING_JOB,
        job["TrainingJobName"],
        status=job["TrainingJobStatus"],
        tags=tags,
        hyperparameters=raw,
        hyperparameters_decoded={name: decode_hyperparameter(value) for name, value in raw.items()},
    )
    return graph, node_id, case["expected_tooltip_text"]


def test_tooltip_is_plain_text() -> None:
    graph, node_id, expected = _case_c27_graph()

    assert tooltip_text(node_id, graph.node(node_id)) == expected


def test_tooltip_reaches_page_unescaped() -> None:
    graph, node_id, expected = _case_c27_graph()

    html = render_html(graph, [node_id])
    title = _nodes_by_id(html)[node_id]["title"]

    assert title == expected
    assert "&amp;" not in title
    assert "<br>" not in title
    assert "<img src=x" not in html  # the tag value is in the page only as escaped JSON


def test_tooltip_of_crawled_job(case_client) -> None:
    from lineage.build import build_graph
    from lineage.crawl.crawler import crawl
    from lineage.crawl.result import RecordKind

    case = load_case("C27")
    result = crawl(
        case_client("C27"),
        seeds=[(RecordKind.TRAINING_JOB, "churn-xgb-0503")],
        fetch_tags=True,
        account="111122223333",
        region="us-east-1",
    )
    graph = build_graph(result)
    job = graph.resolve("churn-xgb-0503", [NodeKind.TRAINING_JOB])

    html = render_html(graph, [job])

    assert _nodes_by_id(html)[job]["title"] == case["expected_tooltip_text"]


def test_tooltip_hides_framework_hyperparameters() -> None:
    graph = LineageGraph()
    node_id = graph.add_node(
        "training-job:sdk-job",
        NodeKind.TRAINING_JOB,
        "sdk-job",
        hyperparameters={"eta": '"0.1"', "sagemaker_program": '"train.py"'},
    )

    text = tooltip_text(node_id, graph.node(node_id))

    assert "eta: 0.1" in text.splitlines()
    assert "sagemaker_program" not in text


def test_script_breakout_in_label_and_tooltip() -> None:
    graph = LineageGraph()
    node_id = graph.add_node(
        "training-job:evil",
        NodeKind.TRAINING_JOB,
        BREAKOUT,
        status="Completed",
        tags={"owner": BREAKOUT, "link": "<a href='x'>x</a>"},
    )
    graph.add_node("s3://b/<!--/", NodeKind.DATASET, "<!--")
    graph.add_edge(node_id, "s3://b/<!--/", Relation.TRAINED_ON, channel=BREAKOUT)

    html = render_html(graph, list(graph.nx.nodes))
    nodes = _nodes_by_id(html)

    assert BREAKOUT not in html
    assert "</script><script>" not in html
    assert "popup.innerHTML" not in html
    assert nodes[node_id]["title"].splitlines()[0] == BREAKOUT
    assert f"owner: {BREAKOUT}" in nodes[node_id]["title"].splitlines()
    assert nodes["s3://b/<!--/"]["label"] == "<!--"
    assert _data_set(html, "edges")[0]["label"] == f"trained_on ({BREAKOUT})"
    check_offline_html(html)


def test_short_label_cuts_middle() -> None:
    label = "churn-xgb-2024-05-03-10-15-22-123-final"

    shortened = short_label(label, 20)

    assert len(shortened) == 20
    assert shortened.startswith("churn-xgb")
    assert shortened.endswith("123-final")
    assert short_label("short") == "short"


# --- styling ------------------------------------------------------------------------------


def test_shadow_and_pending_edges_are_dashed() -> None:
    graph = _chain_graph()
    graph.add_node("endpoint-config:next-cfg", NodeKind.ENDPOINT_CONFIG, "next-cfg")
    graph.add_edge(
        "endpoint:churn-ep", "endpoint-config:next-cfg", Relation.PENDING_CONFIG, pending=True
    )

    edges = _data_set(render_html(graph, list(graph.nx.nodes)), "edges")
    dashed = {(edge["from"], edge["to"]) for edge in edges if edge["dashes"]}

    assert ("endpoint-config:churn-cfg", "model:shadow-model") in dashed
    assert ("endpoint:churn-ep", "endpoint-config:next-cfg") in dashed
    assert ("endpoint-config:churn-cfg", "model:churn-model") not in dashed
    labels = {edge["label"] for edge in edges}
    assert "serves (AllTraffic)" in labels
    assert "serves_shadow (shadow)" in labels


def test_placeholder_is_drawn_dashed() -> None:
    graph = _chain_graph()
    nodes = _nodes_by_id(render_html(graph, list(graph.nx.nodes)))

    placeholder = nodes["training-job:old-job"]
    regular = nodes["training-job:churn-xgb-0503"]
    assert placeholder["shapeProperties"]["borderDashes"]
    assert not regular["shapeProperties"]["borderDashes"]
    assert placeholder["color"]["background"] != regular["color"]["background"]
    assert "Status: deleted or inaccessible" in placeholder["title"].splitlines()


def test_legend_lists_drawn_kinds() -> None:
    graph = _chain_graph()
    result = render(graph, list(graph.nx.nodes))
    legend = re.search(r'<div id="lineage-legend".*?</div>', result.html, re.DOTALL)

    assert legend is not None
    for name in ("endpoint", "endpoint config", "model", "artifact", "training job", "dataset"):
        assert f"{name}</span>" in legend.group(0)
    assert "image</span>" not in legend.group(0)
    assert result.kinds[0] == "endpoint"


def test_focus_node_is_emphasised() -> None:
    graph = _chain_graph()
    nodes = _nodes_by_id(render_html(graph, list(graph.nx.nodes), focus="model:churn-model"))

    assert nodes["model:churn-model"]["borderWidth"] > nodes["model:shadow-model"]["borderWidth"]


# --- folding and the node cap ----------------------------------------------------------------


def test_siblings_fold_into_more_node() -> None:
    graph = _synthetic_account()
    dataset = "s3://b/data/0/"
    jobs = list(graph.downstream(dataset, depth=1))

    result = render(graph, jobs, focus=dataset)
    nodes = _data_set(result.html, "nodes")
    folds = [node for node in nodes if node["kind"] == "fold"]

    total_jobs = len(jobs) - 1
    kept_jobs = DEFAULT_SIBLING_LIMIT - 1
    assert total_jobs == 2000
    assert result.node_count == len(nodes) == 1 + kept_jobs + 1
    assert len(folds) == 1
    assert folds[0]["label"] == f"{total_jobs - kept_jobs} more training jobs"
    assert (
        folds[0]["title"].splitlines()[0]
        == f"{total_jobs - kept_jobs} more training jobs downstream of data/0/"
    )
    assert result.folded == total_jobs - kept_jobs
    assert result.hidden == 0
    fold_edges = [
        edge for edge in _data_set(result.html, "edges") if edge["from"] == folds[0]["id"]
    ]
    assert [edge["to"] for edge in fold_edges] == [dataset]


def test_whole_account_respects_node_cap() -> None:
    graph = _synthetic_account()
    spec = load_case("C29")["assert"]

    result = render(graph, list(graph.nx.nodes))
    nodes = _data_set(result.html, "nodes")

    assert result.node_count == len(nodes)
    assert len(nodes) <= spec["max_nodes_rendered_default"]
    assert len(nodes) >= spec["max_nodes_rendered_default"] - 1
    drawn_graph_nodes = len(result.graph_node_ids)
    assert drawn_graph_nodes + result.folded + result.hidden == len(graph)
    summary = [node for node in nodes if node["kind"] == "summary"]
    assert len(summary) == 1
    assert summary[0]["label"] == f"{result.hidden} more nodes not drawn"
    assert _options(result.html)["physics"]["enabled"] is False
    # Endpoints come first without a focus, so all of them are drawn.
    assert sum(1 for node in nodes if node["kind"] == "endpoint") == 40


@pytest.mark.parametrize("max_nodes", [2, 5, 50])
def test_small_caps_are_respected(max_nodes: int) -> None:
    graph = _synthetic_account(shared_dataset_jobs=200)

    result = render(graph, list(graph.nx.nodes), focus="s3://b/data/0/", max_nodes=max_nodes)

    assert result.node_count <= max_nodes
    assert "s3://b/data/0/" in result.graph_node_ids
    assert len(result.graph_node_ids) + result.folded + result.hidden == len(graph)


def test_cap_rejects_single_node() -> None:
    graph = _chain_graph()

    with pytest.raises(ValueError, match="max_nodes"):
        render(graph, list(graph.nx.nodes), max_nodes=1)
