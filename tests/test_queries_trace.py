"""Trace and endpoint-trace queries on a hand-built graph."""

from __future__ import annotations

import json

import pytest

from lineage.errors import LineageError, NodeNotFoundError
from lineage.queries.trace import NO_PRODUCER_NOTE, endpoint_trace, trace
from tests.query_graphs import arn, build_query_graph, s3


@pytest.fixture(scope="module")
def graph():
    return build_query_graph()


def _labels(result):
    return {traced.node.label: traced.distance for traced in result.nodes}


def test_trace_up_reaches_datasets_with_distances(graph):
    result = trace(graph, "churn-prod")

    distances = _labels(result)
    assert distances["churn-prod"] == 0
    assert distances["churn-cfg-2"] == 1
    assert distances["churn-model-2"] == 2
    assert distances["churn-train-2"] == 4
    assert distances["train"] == 5
    assert distances["prep-1"] == 6
    assert "churn-canary" not in distances


def test_trace_nodes_are_ordered_by_distance(graph):
    result = trace(graph, "churn-prod")

    distances = [traced.distance for traced in result.nodes]
    assert distances == sorted(distances)
    assert result.nodes[0].node.id == arn("endpoint", "churn-prod")


def test_trace_depth_limits_walk(graph):
    result = trace(graph, "churn-prod", depth=2)

    assert set(_labels(result)) == {"churn-prod", "churn-cfg-2", "churn-model-2", "churn-model-3"}


def test_trace_edges_stay_among_traced_nodes(graph):
    result = trace(graph, "churn-prod", depth=2)

    ids = set(result.node_ids)
    assert result.edges
    for edge in result.edges:
        assert edge.source in ids
        assert edge.target in ids
    shadow = [edge for edge in result.edges if edge.relation == "serves_shadow"]
    assert [edge.attrs["variant"] for edge in shadow] == ["shadow"]


def test_trace_down_from_dataset_reaches_endpoints(graph):
    result = trace(graph, s3("data/train/"), direction="down")

    labels = set(_labels(result))
    assert {"churn-train-2", "churn-model-2", "churn-model-3", "churn-prod"} <= labels
    assert "churn-canary" in labels
    assert "validation" not in labels


def test_trace_both_directions_from_training_job(graph):
    result = trace(graph, "churn-train-2", direction="both", depth=1)

    assert set(_labels(result)) == {
        "churn-train-2", "train", "validation", "hyperparameters", "xgb-training:1.7-1",
        "model.tar.gz",
    }


def test_trace_resolves_arn_in_other_letter_case(graph):
    result = trace(graph, arn("endpoint", "CHURN-PROD"), depth=0)

    assert result.root.id == arn("endpoint", "churn-prod")


def test_trace_unknown_node_suggests_names(graph):
    with pytest.raises(NodeNotFoundError) as info:
        trace(graph, "churn-prd")

    assert "churn-prod" in info.value.suggestions


@pytest.mark.parametrize(("direction", "depth"), [("sideways", None), ("up", -1)])
def test_trace_rejects_bad_arguments(graph, direction, depth):
    with pytest.raises(LineageError):
        trace(graph, "churn-prod", direction=direction, depth=depth)


def test_trace_to_dict_is_json(graph):
    data = json.loads(json.dumps(trace(graph, "churn-prod").to_dict()))

    assert data["root"]["label"] == "churn-prod"
    assert data["direction"] == "up"
    assert {"source", "target", "relation"} <= set(data["edges"][0])


def test_endpoint_trace_lists_production_and_shadow_variants(graph):
    result = endpoint_trace(graph, "churn-prod")

    assert result.config.label == "churn-cfg-2"
    names = [(variant.name, variant.shadow) for variant in result.variants]
    assert names == [("AllTraffic", False), ("shadow", True)]


def test_endpoint_trace_prefers_live_instance_count(graph):
    production = endpoint_trace(graph, "churn-prod").variants[0]

    assert production.instance_count == 3
    assert production.instance_type == "ml.m5.large"


def test_endpoint_trace_keeps_serverless_config(graph):
    shadow = endpoint_trace(graph, "churn-prod").variants[1]

    assert shadow.serverless == {"MemorySizeInMB": 2048, "MaxConcurrency": 5}
    assert shadow.instance_count is None


def test_endpoint_trace_reaches_job_details(graph):
    production = endpoint_trace(graph, "churn-prod").variants[0]

    (container,) = production.containers
    (artifact,) = container.artifacts
    (producer,) = artifact.producers
    assert producer.job.label == "churn-train-2"
    assert producer.hyperparameters == {"eta": "0.1", "max_depth": "6"}
    assert producer.metrics == {"validation:auc": 0.91}
    assert producer.image.endswith("xgb-training:1.7-1")
    assert [(d.channel, d.uri) for d in producer.datasets] == [
        ("train", s3("data/train/")), ("validation", s3("data/validation/")),
    ]
    assert [ref.label for ref in producer.datasets[0].produced_by] == ["prep-1"]


def test_endpoint_trace_pipeline_model_per_container(graph):
    shadow = endpoint_trace(graph, "churn-prod").variants[1]

    assert shadow.model_mode == "pipeline"
    assert [container.hostname for container in shadow.containers] == ["preprocess", "xgb"]
    preprocess, xgb = shadow.containers
    assert preprocess.artifacts[0].producers == []
    assert preprocess.artifacts[0].note == NO_PRODUCER_NOTE
    assert xgb.artifacts[0].producers[0].job.label == "churn-train-2"


def test_endpoint_trace_includes_pending_config(graph):
    result = endpoint_trace(graph, "churn-canary")

    assert result.config.label == "churn-cfg-3"
    assert result.pending_config.label == "churn-cfg-2"
    pending = [variant.model.label for variant in result.variants if variant.pending]
    assert pending == ["churn-model-2", "churn-model-3"]


def test_endpoint_trace_placeholder_config_keeps_variant(graph):
    result = endpoint_trace(graph, "legacy-ep")

    assert result.config.status == "deleted or inaccessible"
    (variant,) = result.variants
    assert variant.model is None
    assert variant.instance_count == 2
    assert "deleted or inaccessible" in variant.notes[0]


def test_endpoint_trace_rejects_non_endpoint(graph):
    with pytest.raises(LineageError, match="not an endpoint"):
        endpoint_trace(graph, "churn-model-2")


def test_endpoint_trace_to_dict_is_json(graph):
    data = json.loads(json.dumps(endpoint_trace(graph, "churn-prod").to_dict()))

    producer = data["variants"][0]["containers"][0]["artifacts"][0]["producers"][0]
    assert producer["job"]["label"] == "churn-train-2"
