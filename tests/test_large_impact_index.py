"""The S3 location index of impact: the same matches as a scan of every node, found faster."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lineage.graph import LineageGraph, NodeKind
from lineage.identity import match_s3, parse_s3_uri
from lineage.queries.impact import _is_prefix, _location, impact, location_index

KEYS = [
    "",
    "data",
    "data/",
    "data/train",
    "data/train/",
    "data/train2/",
    "data/train/part-0.csv",
    "data/train_v2/",
    "data/validation/",
    "models/job-1/output/model.tar.gz",
    "models/job-1/output/model",
    "shared/features/",
    "shared/features/manifest.json",
]


def _graph(seed: int = 3) -> LineageGraph:
    """Datasets and artifacts in two buckets, prefixes and objects, with the keys above."""
    rng = random.Random(seed)
    graph = LineageGraph()
    for bucket in ("b", "other"):
        for number, key in enumerate(KEYS):
            uri = f"s3://{bucket}/{key}"
            if key.endswith("model.tar.gz") or key.endswith("/model"):
                graph.add_node(uri, NodeKind.ARTIFACT, key, uri=uri)
                continue
            data_type = rng.choice(["S3Prefix", "S3Object", "ManifestFile"])
            graph.add_node(
                uri, NodeKind.DATASET, key or bucket, uri=uri, data_type=data_type,
                is_prefix=data_type == "S3Prefix" if number % 2 else None,
            )
    graph.add_node("efs://fs-1/data", NodeKind.DATASET, "efs data", uri="efs://fs-1/data")
    graph.add_node("image:xgboost", NodeKind.IMAGE, "xgboost")
    return graph


def _scan(graph: LineageGraph, uri: str) -> set[tuple[str, str]]:
    """Match every dataset, artifact and external node by a plain scan."""
    query = parse_s3_uri(uri)
    found = set()
    for node_id in graph.nodes_of_kind(NodeKind.DATASET, NodeKind.ARTIFACT, NodeKind.EXTERNAL):
        attrs = graph.node(node_id)
        recorded = _location(node_id, attrs)
        if recorded is None:
            continue
        match = match_s3(query, recorded, _is_prefix(attrs))
        if match is not None:
            found.add((node_id, match.value))
    return found


def _indexed(graph: LineageGraph, uri: str) -> set[tuple[str, str]]:
    return {(hit.node.id, hit.match) for hit in impact(graph, uri).hits}


QUERIES = [f"s3://{bucket}/{key}" for bucket in ("b", "other", "missing") for key in KEYS] + [
    "s3://b/dat",
    "s3://b/data/train/part",
    "s3://b/data/train/part-0.csv/extra",
    "s3://b/data//",
    "s3://b/shared/features/2024/01/x.csv",
    "https://b.s3.amazonaws.com/data/train/",
]


@pytest.mark.parametrize("uri", QUERIES)
def test_index_matches_plain_scan(uri: str) -> None:
    graph = _graph()

    assert _indexed(graph, uri) == _scan(graph, uri)


@settings(max_examples=200, deadline=None)
@given(
    key=st.text(alphabet="ab/_.", max_size=8),
    keys=st.lists(st.text(alphabet="ab/_.", max_size=8), min_size=1, max_size=20),
    prefix_flags=st.lists(st.booleans(), min_size=20, max_size=20),
)
def test_index_matches_scan_on_random_keys(
    key: str, keys: list[str], prefix_flags: list[bool]
) -> None:
    graph = LineageGraph()
    for number, recorded in enumerate(keys):
        uri = f"s3://b/{recorded}"
        graph.add_node(
            uri, NodeKind.DATASET, recorded or "b", uri=uri, is_prefix=prefix_flags[number]
        )

    assert _indexed(graph, f"s3://b/{key}") == _scan(graph, f"s3://b/{key}")


def test_index_is_built_once_per_graph() -> None:
    graph = _graph()

    first = location_index(graph)

    assert location_index(graph) is first


def test_index_follows_a_grown_graph() -> None:
    graph = _graph()
    location_index(graph)

    graph.add_node("s3://b/new/", NodeKind.DATASET, "new/", uri="s3://b/new/")

    assert ("s3://b/new/", "exact") in _indexed(graph, "s3://b/new/")
    assert _indexed(graph, "s3://b/new/") == _scan(graph, "s3://b/new/")


def test_index_lists_unresolved_manifests() -> None:
    graph = LineageGraph()
    graph.add_node("s3://b/m.json", NodeKind.DATASET, "m", uri="s3://b/m.json",
                   data_type="ManifestFile")
    graph.add_node("s3://b/r.json", NodeKind.DATASET, "r", uri="s3://b/r.json",
                   data_type="ManifestFile", resolved=True)
    graph.add_node("s3://b/p/", NodeKind.DATASET, "p", uri="s3://b/p/", data_type="S3Prefix")

    assert location_index(graph).manifests == ["s3://b/m.json"]
