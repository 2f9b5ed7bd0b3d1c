"""Dataset impact and subgraph export on a hand-built graph."""

from __future__ import annotations

import json

import pytest

from lineage.errors import InvalidURIError
from lineage.graph import LineageGraph, NodeKind
from lineage.queries.export import subgraph_json
from lineage.queries.impact import coverage_statement, impact
from tests.query_graphs import arn, build_query_graph, s3


@pytest.fixture(scope="module")
def graph():
    return build_query_graph()


def _labels(refs):
    return sorted(ref.label for ref in refs)


def _hit_matches(result):
    return {hit.uri: hit.match for hit in result.hits}


def test_impact_object_inside_prefix_is_covered(graph):
    result = impact(graph, s3("data/train/part-0.csv"))

    assert _hit_matches(result) == {s3("data/train/"): "covers query"}
    assert result.warnings == []


def test_impact_object_query_with_sibling_warns(graph):
    result = impact(graph, s3("manifests/train.man"))

    assert _hit_matches(result) == {s3("manifests/train.manifest"): "within query"}
    (warning,) = result.warnings
    assert s3("manifests/train.manifest") in warning


def test_impact_folder_query_excludes_sibling(graph):
    result = impact(graph, s3("data/train/"))

    assert _hit_matches(result) == {s3("data/train/"): "exact"}
    assert result.warnings == []


def test_impact_prefix_without_slash_covers_sibling_and_warns(graph):
    result = impact(graph, s3("data/train"))

    assert _hit_matches(result) == {
        s3("data/train/"): "exact",
        s3("data/train_v2/"): "within query",
    }
    (warning,) = result.warnings
    assert "trailing slash" in warning
    assert s3("data/train_v2/") in warning


def test_impact_hit_lists_consuming_job_and_channel(graph):
    result = impact(graph, s3("data/train/"))

    (hit,) = result.hits
    assert [(c.job.label, c.channel) for c in hit.consumers] == [("churn-train-2", "train")]


def test_impact_downstream_groups(graph):
    result = impact(graph, s3("data/train/"))

    assert _labels(result.downstream["jobs"]) == ["churn-train-2"]
    assert len(result.downstream["artifacts"]) == 1
    assert _labels(result.downstream["models"]) == ["churn-model-2", "churn-model-3"]
    assert _labels(result.downstream["endpoint_configs"]) == ["churn-cfg-2"]
    assert _labels(result.downstream["endpoints"]) == ["churn-canary", "churn-prod"]


def test_impact_endpoint_states_live_and_pending(graph):
    result = impact(graph, s3("data/train/"))

    states = [(item.endpoint.label, item.config.label, item.state) for item in result.endpoints]
    assert states == [
        ("churn-prod", "churn-cfg-2", "live"),
        ("churn-canary", "churn-cfg-2", "pending"),
    ]
    assert result.unused_configs == []


def test_impact_config_without_endpoint_is_unused(graph):
    result = impact(graph, s3("data/train_v2/"))

    assert _labels(result.unused_configs) == ["churn-cfg-1"]
    assert result.endpoints == []


def test_impact_through_processing_job(graph):
    result = impact(graph, s3("raw/2024/day=01/x.parquet"))

    assert _labels(result.downstream["jobs"]) == ["churn-train-2", "prep-1"]
    assert _labels(result.downstream["datasets"]) == ["train"]
    assert "churn-prod" in _labels(result.downstream["endpoints"])


def test_impact_artifact_exact_match(graph):
    url = "https://example-bucket.s3.amazonaws.com/models/churn-train-2/output/model.tar.gz"
    result = impact(graph, url)

    assert [(hit.node.kind, hit.match) for hit in result.hits] == [("artifact", "exact")]
    assert _labels(result.downstream["models"]) == ["churn-model-2", "churn-model-3"]


def test_impact_object_artifact_does_not_cover_deeper_key(graph):
    result = impact(graph, s3("models/churn-train-2/output/model.tar.gz/extra"))

    assert result.hits == []


def test_impact_unresolved_manifest_gives_possible_hit(graph):
    result = impact(graph, s3("images/cats/0001.jpg"))

    assert result.hits == []
    assert [(p.job.label, p.channel) for p in result.possible] == [("img-train-1", "train")]
    assert _labels(result.possible_downstream["models"]) == ["img-model"]
    assert _labels(result.possible_downstream["endpoints"]) == ["churn-canary"]
    assert "known to match" in result.coverage_statement
    assert not result.empty


def test_impact_manifest_itself_is_a_hit_not_possible(graph):
    result = impact(graph, s3("manifests/train.manifest"))

    assert _hit_matches(result) == {s3("manifests/train.manifest"): "exact"}
    assert result.possible == []


def test_impact_no_match_states_coverage(graph):
    empty = LineageGraph()
    empty.meta["coverage"] = graph.meta["coverage"]
    result = impact(empty, "s3://other-bucket/holdout/")

    assert result.empty
    statement = result.coverage_statement
    assert "No dataset or artifact in the crawl matches s3://other-bucket/holdout/" in statement
    assert "111122223333" in statement
    assert "us-east-1" in statement
    assert "4 TrainingJob" in statement
    assert "2024-06-12T08:00:00+00:00" in statement
    assert "TransformJob" in statement


def test_coverage_statement_without_coverage_says_unknown():
    statement = coverage_statement("s3://b/k", {}, False)

    assert "unknown" in statement


def test_impact_other_bucket_does_not_match(graph):
    result = impact(graph, "s3://other-bucket/data/train/")

    assert result.hits == []


def test_impact_rejects_non_s3_location(graph):
    with pytest.raises(InvalidURIError):
        impact(graph, "gs://example-bucket/data/")


def test_impact_to_dict_is_json(graph):
    data = json.loads(json.dumps(impact(graph, s3("data/train")).to_dict()))

    assert data["location"] == s3("data/train")
    assert data["hits"][0]["consumers"][0]["channel"] == "train"
    assert data["coverage"]["accounts"] == ["111122223333"]


def test_subgraph_json_nodes_and_edges(graph):
    ids = [arn("endpoint", "churn-prod"), arn("endpoint-config", "churn-cfg-2"), "not-a-node"]
    data = json.loads(json.dumps(subgraph_json(graph, ids)))

    assert [node["id"] for node in data["nodes"]] == sorted(ids[:2])
    assert data["nodes"][0]["kind"] in {kind.value for kind in NodeKind}
    assert [(e["source"], e["target"], e["relation"]) for e in data["edges"]] == [
        (ids[0], ids[1], "uses_config"),
    ]
