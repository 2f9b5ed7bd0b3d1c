"""The bulk build paths return the same graph and query results as the one-at-a-time paths."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from lineage import synthetic
from lineage.build import build_graph
from lineage.crawl.crawler import crawl
from lineage.graph import LineageGraph, NodeKind, Relation
from lineage.mappers.training_job import map_training_job
from lineage.queries.common import node_ref
from lineage.queries.impact import DOWNSTREAM_GROUPS, impact
from lineage.recording import RecordingClient, load_recording

# The sample account with a hub dataset, so that impact has many downstream nodes to group.
SPEC = dataclasses.replace(synthetic.preset("sample"), hub_dataset_share=0.3)


@pytest.fixture(scope="module")
def small_graph(tmp_path_factory: pytest.TempPathFactory) -> LineageGraph:
    path = tmp_path_factory.mktemp("account") / "sample.json"
    synthetic.write_recording(SPEC, path)
    client = RecordingClient(load_recording(path), source=str(path))
    result = crawl(client, account=client.account, region=client.region)
    return build_graph(result)


def _replay_one_at_a_time(graph: LineageGraph) -> LineageGraph:
    """Rebuild `graph` with one add_node and one add_edge call per node and edge."""
    copy = LineageGraph()
    for node_id, attrs in graph.nx.nodes(data=True):
        extra = {k: v for k, v in attrs.items() if k not in ("kind", "label")}
        copy.add_node(node_id, attrs["kind"], attrs["label"], **extra)
    for source, target, data in graph.edges():
        extra = {k: v for k, v in data.items() if k != "relation"}
        copy.add_edge(source, target, data["relation"], **extra)
    return copy


def _edge_list(graph: LineageGraph) -> list[tuple[str, str, str, dict[str, Any]]]:
    return list(graph.nx.edges(keys=True, data=True))


def test_bulk_edges_match_single_adds(small_graph: LineageGraph) -> None:
    replayed = _replay_one_at_a_time(small_graph)

    assert list(replayed.nx.nodes(data=True)) == list(small_graph.nx.nodes(data=True))
    assert _edge_list(replayed) == _edge_list(small_graph)


def test_add_edges_skips_self_loops_and_merges_keys() -> None:
    graph = LineageGraph()
    graph.add_node("a", NodeKind.DATASET, "a")
    graph.add_node("b", NodeKind.TRAINING_JOB, "b")

    graph.add_edges([
        ("b", "a", Relation.TRAINED_ON, {"channel": "train"}),
        ("b", "b", Relation.RUNS, {}),
        ("b", "a", "trained_on", {"channel": "train", "data_type": "S3Prefix"}),
        ("b", "a", Relation.TRAINED_ON, {"channel": "test"}),
    ])

    assert graph.skipped_self_loops == [("b", str(Relation.RUNS))]
    assert sorted(graph.nx["b"]["a"]) == ["trained_on:test", "trained_on:train"]
    assert graph.nx["b"]["a"]["trained_on:train"] == {
        "relation": Relation.TRAINED_ON, "channel": "train", "data_type": "S3Prefix",
    }


def test_lazy_name_index_finds_every_node(small_graph: LineageGraph) -> None:
    for node_id, label in small_graph.nx.nodes(data="label"):
        found = small_graph.find(node_id)
        assert found == node_id
        assert small_graph.find(label) is not None


def test_name_index_sees_nodes_added_after_lookup() -> None:
    graph = LineageGraph()
    graph.add_node("training-job:first", NodeKind.TRAINING_JOB, "first")
    assert graph.find("FIRST") == "training-job:first"

    graph.add_node("training-job:second", NodeKind.TRAINING_JOB, "second")

    assert graph.find("Second") == "training-job:second"
    assert graph.suggest("secnd") == ["second"]


def test_merged_label_keeps_both_names() -> None:
    graph = LineageGraph()
    graph.add_node("s3://b/model.tar.gz", NodeKind.DATASET, "dataset-label")
    graph.add_node("s3://b/model.tar.gz", NodeKind.ARTIFACT, "artifact-label")

    assert graph.find("dataset-label") == "s3://b/model.tar.gz"
    assert graph.find("artifact-label") == "s3://b/model.tar.gz"
    assert graph.kind("s3://b/model.tar.gz") == NodeKind.ARTIFACT


def test_impact_groups_equal_node_ref(small_graph: LineageGraph) -> None:
    hub = synthetic.hub_dataset_uri(SPEC)
    result = impact(small_graph, hub)
    assert any(result.downstream.values())
    kind_group = {kind: name for name, kinds in DOWNSTREAM_GROUPS.items() for kind in kinds}

    for name, refs in result.downstream.items():
        for ref in refs:
            assert ref == node_ref(small_graph, ref.id)
            assert kind_group.get(small_graph.kind(ref.id), "other") == name
        keys = [(ref.kind, ref.label, ref.id) for ref in refs]
        assert keys == sorted(keys)
    for hit in result.hits:
        for consumer in hit.consumers:
            assert consumer.job == node_ref(small_graph, consumer.job.id)


def test_hyperparameters_shared_only_when_unchanged() -> None:
    plain = {"epochs": "10", "eta": "0.1"}
    quoted = {"epochs": '"10"', "eta": "0.1"}
    record = {"TrainingJobName": "job", "HyperParameters": plain}
    other = {"TrainingJobName": "job-2", "HyperParameters": quoted}

    node = map_training_job(record).nodes[0].attrs
    quoted_node = map_training_job(other).nodes[0].attrs

    assert node["hyperparameters"] == plain
    assert node["hyperparameters_decoded"] == plain
    assert quoted_node["hyperparameters"] == quoted
    assert quoted_node["hyperparameters_decoded"] == {"epochs": "10", "eta": "0.1"}
    assert quoted == {"epochs": '"10"', "eta": "0.1"}


def test_hyperparameters_with_numbers_are_text() -> None:
    record = {"TrainingJobName": "job", "HyperParameters": {"epochs": 10, 3: "x"}}

    node = map_training_job(record).nodes[0].attrs

    assert node["hyperparameters"] == {"epochs": "10", "3": "x"}
    assert record["HyperParameters"] == {"epochs": 10, 3: "x"}
