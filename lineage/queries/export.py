"""Export part of a graph as JSON-ready nodes and edges (the `--json` output of the CLI)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from lineage.graph import LineageGraph
from lineage.queries.common import jsonable


def subgraph_json(graph: LineageGraph, ids: Iterable[str]) -> dict[str, list[dict[str, Any]]]:
    """Return the nodes `ids` with all their attributes, and the edges among them.

    Nodes come as {"id", "kind", "label", ...attributes} sorted by id, edges as
    {"source", "target", "relation", ...attributes}; every value is JSON-safe. Ids that are
    not in the graph are skipped.
    """
    wanted = sorted({node_id for node_id in ids if node_id in graph})

    nodes: list[dict[str, Any]] = []
    for node_id in wanted:
        attrs = jsonable(dict(graph.node(node_id)))
        nodes.append({"id": node_id, "kind": attrs.pop("kind"), "label": attrs.pop("label"),
                      **attrs})

    members = set(wanted)
    edges: list[dict[str, Any]] = []
    for source, target, data in graph.edges_among(members):
        attrs = jsonable(dict(data))
        edges.append({"source": source, "target": target, "relation": attrs.pop("relation"),
                      **attrs})
    edges.sort(key=lambda edge: (edge["source"], edge["target"], edge["relation"]))
    return {"nodes": nodes, "edges": edges}
