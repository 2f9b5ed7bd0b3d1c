"""`lineage list`: the names of the graph's nodes, to pass to `lineage trace` or `impact`."""

from __future__ import annotations

import argparse
from typing import Any

from lineage.cli.common import add_source_options, emit, load_source, print_json, say
from lineage.cli.table import format_table
from lineage.graph import NodeKind

EXIT_NOTHING_LISTED = 1


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "list",
        help="list node names and ids, optionally of one kind",
        description="List the nodes of the lineage graph: kind, name and id, sorted by kind "
                    "and name. Pass a name or id from this list to `lineage trace`. "
                    "Exits with 1 when the graph has no node of the kind.",
    )
    parser.add_argument("--kind", choices=[kind.value for kind in NodeKind], metavar="KIND",
                        help="list only nodes of this kind: "
                             + ", ".join(kind.value for kind in NodeKind))
    add_source_options(parser, json_help='print JSON with "nodes" (kind, label, id) instead '
                                         "of a table")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    loaded = load_source(args)
    graph = loaded.graph
    kinds = [NodeKind(args.kind)] if args.kind else list(NodeKind)
    rows = sorted(
        (graph.kind(node_id).value, str(graph.attribute(node_id, "label", "")), node_id)
        for node_id in graph.nodes_of_kind(*kinds)
    )

    if args.json:
        print_json({"nodes": [{"kind": kind, "label": label, "id": node_id}
                              for kind, label, node_id in rows],
                    "source": loaded.description})
        return 0 if rows else EXIT_NOTHING_LISTED

    say(f"Source: {loaded.description}")
    if rows:
        emit(format_table(["kind", "name", "id"], rows))
    else:
        say(f"No {args.kind} node in this graph." if args.kind else "The graph has no node.")
    return 0 if rows else EXIT_NOTHING_LISTED
