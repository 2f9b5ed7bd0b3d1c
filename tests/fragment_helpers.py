"""Lookups into a mapper's Fragment, shared by the mapper tests; each names what is missing."""

from __future__ import annotations

from typing import Any

from lineage.graph import NodeKind
from lineage.mappers import EdgeSpec, Fragment


def fragment_node(fragment: Fragment, node_id: str) -> dict[str, Any]:
    """Return kind, label and attributes of the node `node_id`; fail the test when absent."""
    found = [spec for spec in fragment.nodes if spec.id == node_id]
    assert found, f"no node {node_id!r} in {[spec.id for spec in fragment.nodes]}"
    return {"kind": found[0].kind, "label": found[0].label, **found[0].attrs}


def fragment_ids(fragment: Fragment, kind: NodeKind) -> list[str]:
    return sorted({spec.id for spec in fragment.nodes if spec.kind == kind})


def fragment_edge(fragment: Fragment, source: str, target: str) -> EdgeSpec:
    """Return the one edge from `source` to `target`; fail the test unless there is exactly one."""
    found = [e for e in fragment.edges if e.source == source and e.target == target]
    assert len(found) == 1, f"expected one edge {source} -> {target}, found {len(found)}"
    return found[0]
