"""Impact groups made on first access give the same results as groups made and sorted at once."""

from __future__ import annotations

import dataclasses
import json
import pickle
import random
from typing import Any

import pytest

from lineage import synthetic
from lineage.build import build_graph
from lineage.crawl.crawler import crawl
from lineage.graph import LineageGraph, NodeKind
from lineage.queries.common import NodeRef, node_ref
from lineage.queries.impact import DOWNSTREAM_GROUPS, GroupedRefs, impact
from lineage.recording import RecordingClient, load_recording
from lineage.source import load

# A generated account with a hub dataset that a third of its 1,000 training jobs read.
SPEC = dataclasses.replace(synthetic.preset("small"), hub_dataset_share=0.3)


@pytest.fixture(scope="module")
def generated_graph(tmp_path_factory: pytest.TempPathFactory) -> LineageGraph:
    path = tmp_path_factory.mktemp("account") / "small.json"
    synthetic.write_recording(SPEC, path)
    client = RecordingClient(load_recording(path), source=str(path))
    return build_graph(crawl(client, account=client.account, region=client.region))


@pytest.fixture(scope="module")
def sample_graph() -> LineageGraph:
    return load().graph


def test_sample_impact_matches_eager_grouping(sample_graph):
    for uri in _locations(sample_graph, limit=None):
        _assert_matches_eager(sample_graph, uri)


def test_generated_impact_matches_eager_grouping(generated_graph):
    hub = synthetic.hub_dataset_uri(SPEC)
    result = impact(generated_graph, hub)

    assert result.downstream.count("jobs") > 200
    for uri in [hub, "s3://example-ml-data/", *_locations(generated_graph, limit=40)]:
        _assert_matches_eager(generated_graph, uri)


def test_group_counts_need_no_refs(generated_graph):
    result = impact(generated_graph, synthetic.hub_dataset_uri(SPEC))
    downstream = result.downstream
    assert isinstance(downstream, GroupedRefs)

    counts = {name: downstream.count(name) for name in downstream}

    assert downstream._refs == {}
    assert counts == {name: len(downstream[name]) for name in downstream}
    assert list(downstream) == list(DOWNSTREAM_GROUPS)
    assert downstream.count("no such group") == 0


def test_group_is_made_once(generated_graph):
    downstream = impact(generated_graph, synthetic.hub_dataset_uri(SPEC)).downstream

    assert downstream["jobs"] is downstream["jobs"]
    assert set(downstream._refs) == {"jobs"}


def test_unknown_group_raises_key_error(sample_graph):
    downstream = impact(sample_graph, "s3://example-ml-data/").downstream

    with pytest.raises(KeyError):
        downstream["no such group"]
    assert downstream.get("no such group") is None


def test_pickled_result_keeps_refs_and_drops_graph(generated_graph):
    result = impact(generated_graph, synthetic.hub_dataset_uri(SPEC))
    expected = result.to_dict()

    data = pickle.dumps(result, protocol=5)
    copy = pickle.loads(data)

    assert copy.to_dict() == expected
    assert copy.downstream._graph is None
    assert copy.downstream == result.downstream
    assert b"LineageGraph" not in data


# --- helpers -----------------------------------------------------------------------------------


def _locations(graph: LineageGraph, limit: int | None) -> list[str]:
    uris = sorted({
        str(graph.node(node_id).get("uri"))
        for node_id in graph.nodes_of_kind(NodeKind.DATASET, NodeKind.ARTIFACT)
        if str(graph.node(node_id).get("uri") or "").startswith("s3://")
    })
    if limit is not None and len(uris) > limit:
        uris = random.Random(11).sample(uris, limit)
    return uris


def _eager_groups(graph: LineageGraph, ids: set[str]) -> dict[str, Any]:
    """Group and sort `ids` as impact did before groups were made lazily."""
    kind_group = {kind: name for name, kinds in DOWNSTREAM_GROUPS.items() for kind in kinds}
    groups: dict[str, list[NodeRef]] = {name: [] for name in DOWNSTREAM_GROUPS}
    for node_id in ids:
        ref = node_ref(graph, node_id)
        groups.setdefault(kind_group.get(NodeKind(ref.kind), "other"), []).append(ref)
    return {
        name: [ref.to_dict() for ref in sorted(group, key=lambda r: (r.kind, r.label, r.id))]
        for name, group in groups.items()
    }


def _assert_matches_eager(graph: LineageGraph, uri: str) -> None:
    result = impact(graph, uri)
    data = result.to_dict()

    hits = {hit["node"]["id"] for hit in data["hits"]}
    reached = {node for hit in hits for node in graph.downstream(hit)} - hits
    assert data["downstream"] == _eager_groups(graph, reached), uri
    possible = {ref["id"] for group in data["possible_downstream"].values() for ref in group}
    assert data["possible_downstream"] == _eager_groups(graph, possible), uri
    for field in ("downstream", "possible_downstream"):
        assert {name: len(refs) for name, refs in data[field].items()} == {
            name: getattr(result, field).count(name) for name in getattr(result, field)
        }
    assert json.dumps(data) == json.dumps(impact(graph, uri).to_dict())
    assert result.node_ids() == list(dict.fromkeys(
        [hit["node"]["id"] for hit in data["hits"]]
        + [ref["id"] for group in data["downstream"].values() for ref in group]
        + [ref["id"] for group in data["possible_downstream"].values() for ref in group]
        + [id_ for item in data["possible"] for id_ in (item["job"]["id"],
                                                        item["manifest"]["id"])]
    ))
