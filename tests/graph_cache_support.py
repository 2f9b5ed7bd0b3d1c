"""Helpers shared by the tests of the graph cache and of frozen graphs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from lineage import graphcache
from lineage.graph import LineageGraph
from lineage.source import Loaded, load


def load_counting_writes(path: Path, as_of: int | None = None) -> tuple[Loaded, int]:
    """Load a snapshot of a store; return it and how many cache files this process wrote."""
    writes: list[Any] = []
    write = graphcache.write_graph

    def spy(*args: Any) -> Any:
        writes.append(args)
        return write(*args)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(graphcache, "write_graph", spy)
        loaded = load(db=path, as_of=as_of)
    return loaded, len(writes)


def cache_files(store_path: Path) -> list[Path]:
    """Return the graph cache files next to a store file, sorted by name."""
    return sorted(store_path.parent.glob(f"{store_path.name}.graph-*.pickle"))


def assert_same_graph(actual: LineageGraph, expected: LineageGraph) -> None:
    """Assert that two graphs have the same nodes, edges, metadata and name lookups."""
    assert dict(actual.nx.nodes(data=True)) == dict(expected.nx.nodes(data=True))
    assert sorted(actual.nx.edges(keys=True, data=True), key=_edge_order) == sorted(
        expected.nx.edges(keys=True, data=True), key=_edge_order
    )
    assert actual.meta == expected.meta
    assert actual.skipped_self_loops == expected.skipped_self_loops
    for node_id, label in expected.nx.nodes(data="label"):
        assert actual.find(label) == expected.find(label), node_id
        assert actual.find(node_id) == node_id


def _edge_order(edge: tuple[str, str, str, dict[str, Any]]) -> tuple[str, str, str]:
    return edge[0], edge[1], edge[2]
