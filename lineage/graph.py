"""The lineage graph: node kinds, edge relations and the one mapping of up/down to networkx.

Edges point from a thing to what it was made from (dependency direction):
endpoint -[uses_config]-> endpoint_config -[serves]-> model -[loads]-> artifact
-[produced_by]-> training_job -[trained_on]-> dataset. "Upstream" of a node is therefore what
its out-edges reach (networkx successors), and "downstream" what reaches it (predecessors).
"""

from __future__ import annotations

import difflib
import sys
from collections import deque
from collections.abc import Iterable, Iterator, Mapping
from enum import Enum
from typing import Any

import networkx as nx

from lineage.errors import NodeNotFoundError
from lineage.identity import arn_key, is_arn, name_from_arn


class NodeKind(str, Enum):
    ENDPOINT = "endpoint"
    ENDPOINT_CONFIG = "endpoint_config"
    INFERENCE_COMPONENT = "inference_component"
    MODEL = "model"
    ARTIFACT = "artifact"
    TRAINING_JOB = "training_job"
    DATASET = "dataset"
    IMAGE = "image"
    HYPERPARAMETERS = "hyperparameters"
    PROCESSING_JOB = "processing_job"
    TRANSFORM_JOB = "transform_job"
    TUNING_JOB = "tuning_job"
    MODEL_PACKAGE = "model_package"
    MODEL_PACKAGE_GROUP = "model_package_group"
    PIPELINE_EXECUTION = "pipeline_execution"
    EXTERNAL = "external"


class Relation(str, Enum):
    USES_CONFIG = "uses_config"  # endpoint -> its live endpoint config
    PENDING_CONFIG = "pending_config"  # endpoint -> the config an update in progress deploys
    SERVES = "serves"  # endpoint config -> model, one edge per production variant
    SERVES_SHADOW = "serves_shadow"  # endpoint config -> model of a shadow variant
    HOSTS = "hosts"  # endpoint -> inference component
    LOADS = "loads"  # model or model package -> artifact
    FROM_PACKAGE = "from_package"  # model -> model package
    MEMBER_OF = "member_of"  # model package -> model package group
    PRODUCED_BY = "produced_by"  # artifact or dataset -> job (or endpoint) that wrote it
    TRAINED_ON = "trained_on"  # training job -> dataset, one edge per channel
    READS = "reads"  # processing or transform job -> input dataset
    USES_MODEL = "uses_model"  # transform job -> model
    EVALUATES = "evaluates"  # processing job -> the training job it was run for
    RUNS = "runs"  # job -> container image or algorithm
    CONFIGURED_WITH = "configured_with"  # training job -> its hyperparameter set
    CHILD_OF = "child_of"  # training job -> tuning job
    STEP_OF = "step_of"  # job -> pipeline execution that ran it
    ASSOCIATED_WITH = "associated_with"  # SageMaker lineage association, as extra evidence
    REFERS_TO = "refers_to"  # any reference to something outside the crawl


# When two records describe one id with different kinds (an S3 object that is both a model
# artifact and a processing input), the more specific kind wins.
_KIND_PRIORITY = {NodeKind.EXTERNAL: 0, NodeKind.DATASET: 1, NodeKind.ARTIFACT: 2}


# Attributes that queries read from thousands of nodes at once (statuses in tables, creation
# times to order siblings, locations for the impact index). `brief()` returns them, and a
# read-only graph keeps them in memory when the other attributes stay on disk.
BRIEF_ATTRIBUTES = ("status", "reason", "created", "uri", "data_type", "is_prefix", "resolved")


class LineageGraph:
    """A directed multigraph of lineage nodes plus indexes to find nodes by name or ARN.

    Node ids are strings: the resource ARN where one exists, otherwise a canonical URI
    (`s3://bucket/key`, an image URI) or `<resource-type>:<name>`. They are never bare names,
    so a job named `20240115` cannot collide with a number or another kind.
    """

    def __init__(self) -> None:
        self.nx = nx.MultiDiGraph()
        self.meta: dict[str, Any] = {}
        self._by_arn_key: dict[str, str] = {}
        self._by_name: dict[str, set[str]] = {}
        # (node id, label) pairs added since the name indexes were last brought up to date.
        # Indexing on first lookup, not on every add_node, keeps bulk builds fast.
        self._unindexed: list[tuple[str, str]] = []
        self.skipped_self_loops: list[tuple[str, str]] = []

    # --- building ---------------------------------------------------------------------

    def add_node(self, node_id: str, kind: NodeKind | str, label: str, **attrs: Any) -> str:
        """Add a node or merge attributes into an existing one; return its id."""
        if type(kind) is not NodeKind:
            kind = NodeKind(kind)
        existing = self.nx._node.get(node_id)
        if existing is not None:
            old_kind = NodeKind(existing["kind"])
            if _KIND_PRIORITY.get(kind, 3) > _KIND_PRIORITY.get(old_kind, 3):
                existing["kind"] = kind
                existing["label"] = label
            # A later record fills gaps but never overwrites what an earlier one stated.
            for key, value in attrs.items():
                missing = key not in existing or existing[key] in (None, "", [], {})
                if value is not None and missing:
                    existing[key] = value
        else:
            self.nx.add_node(node_id, kind=kind, label=label, **attrs)
        self._unindexed.append((node_id, label))
        return node_id

    def _update_indexes(self) -> None:
        """Index the names and ARNs of nodes added since the last lookup."""
        pending, self._unindexed = self._unindexed, []
        for node_id, label in pending:
            self._index(node_id, label)

    def _index(self, node_id: str, label: str) -> None:
        if is_arn(node_id):
            self._by_arn_key[arn_key(node_id)] = node_id
        for name in {label, name_from_arn(node_id), node_id}:
            if name:
                self._by_name.setdefault(name.lower(), set()).add(node_id)

    def add_edge(self, source: str, target: str, relation: Relation | str, **attrs: Any) -> None:
        """Add an edge once per (source, target, relation, channel or variant).

        A self-loop is never added: it would make a job feed itself and upstream walks loop,
        so it is recorded in `skipped_self_loops` for the crawl report instead.
        """
        self.add_edges([(source, target, relation, attrs)])

    def add_edges(
        self, edges: Iterable[tuple[str, str, Relation | str, dict[str, Any]]]
    ) -> None:
        """Add many (source, target, relation, attributes) edges with one networkx call.

        Each edge behaves as in `add_edge`: self-loops are skipped and recorded, and an edge
        with the key of an existing one updates that edge's attributes.
        """
        batch = []
        for source, target, relation, attrs in edges:
            if source == target:
                self.skipped_self_loops.append((source, str(relation)))
                continue
            if type(relation) is not Relation:
                relation = Relation(relation)
            # Keys repeat across edges ("runs:", "trained_on:train"), so one copy of each is kept.
            qualifier = attrs.get("channel") or attrs.get("variant") or ""
            key = sys.intern(f"{relation.value}:{qualifier}")
            batch.append((source, target, key, {"relation": relation, **attrs}))
        self.nx.add_edges_from(batch)

    # --- reading ----------------------------------------------------------------------

    def __contains__(self, node_id: object) -> bool:
        return node_id in self.nx

    def __len__(self) -> int:
        return self.nx.number_of_nodes()

    def node(self, node_id: str) -> dict[str, Any]:
        """Return the attributes of a node, including `kind` and `label`."""
        try:
            return self.nx.nodes[node_id]
        except KeyError:
            raise NodeNotFoundError(node_id, self.suggest(node_id)) from None

    def kind(self, node_id: str) -> NodeKind:
        return NodeKind(self.nx.nodes[node_id]["kind"])

    def brief(self, node_id: str) -> Mapping[str, Any]:
        """Return a node's `kind`, `label` and those of BRIEF_ATTRIBUTES it has.

        The mapping may hold more attributes; callers read only these. Raises KeyError for
        an unknown node.
        """
        return self.nx._node[node_id]

    def attribute(self, node_id: str, name: str, default: Any = None) -> Any:
        """Return one attribute of a node, or `default` when the node does not have it.

        Queries that read one attribute of thousands of nodes (a status per table row, a
        creation time per sibling) use this rather than `node()`, because a read-only graph
        keeps a few attributes in memory and the rest on disk.
        """
        try:
            attrs = self.nx._node[node_id]
        except KeyError:
            raise NodeNotFoundError(node_id, self.suggest(node_id)) from None
        return attrs.get(name, default)

    def nodes_of_kind(self, *kinds: NodeKind) -> Iterator[str]:
        wanted = set(kinds)
        for node_id, kind in self.nx.nodes(data="kind"):
            if kind in wanted:
                yield node_id

    def edges(self) -> Iterator[tuple[str, str, dict[str, Any]]]:
        yield from self.nx.edges(data=True)

    def out_edges(self, node_id: str) -> Iterator[tuple[str, str, dict[str, Any]]]:
        """Edges to what `node_id` was made from."""
        yield from self.nx.out_edges(node_id, data=True)

    def in_edges(self, node_id: str) -> Iterator[tuple[str, str, dict[str, Any]]]:
        """Edges from what was made from `node_id`."""
        yield from self.nx.in_edges(node_id, data=True)

    def successors(self, node_id: str) -> list[str]:
        """Return the distinct nodes `node_id` has an edge to (what it was made from)."""
        return list(self.nx._succ[node_id])

    def predecessors(self, node_id: str) -> list[str]:
        """Return the distinct nodes with an edge to `node_id` (what was made from it)."""
        return list(self.nx._pred[node_id])

    def edge_data(self, source: str, target: str) -> list[dict[str, Any]]:
        """Return the attributes of every edge from `source` to `target` (empty if none)."""
        keyed = self.nx._succ.get(source, {}).get(target)
        return list(keyed.values()) if keyed else []

    def edges_among(self, node_ids: Iterable[str]) -> Iterator[tuple[str, str, dict[str, Any]]]:
        """Yield the (source, target, attributes) of every edge between two of `node_ids`."""
        members = set(node_ids)
        # Sorted, so that callers get the same order whatever order the ids came in.
        for source in sorted(members):
            if source not in self.nx:
                continue
            for target, keyed in self.nx._succ[source].items():
                if target in members:
                    for data in keyed.values():
                        yield source, target, data

    def number_of_edges(self) -> int:
        return int(self.nx.number_of_edges())

    def find(self, text: str, kinds: Iterable[NodeKind] | None = None) -> str | None:
        """Return the id of the node named or identified by `text`, or None.

        Accepts a node id, an ARN in any letter case, or a resource name (case-insensitive).
        When a name matches several nodes, the one whose kind comes first in `kinds` (or any
        ARN-identified resource) wins, so `churn-prod` finds the endpoint before a same-named
        endpoint config.
        """
        if text in self:
            return text
        if is_arn(text):
            found = self._with_arn(text)
            if found is not None:
                return found
        candidates = self._named(text.lower())
        if not candidates:
            return None
        order = list(kinds) if kinds else list(NodeKind)
        rank = {kind: position for position, kind in enumerate(order)}
        ranked = sorted(
            (node for node in candidates if self.kind(node) in rank),
            key=lambda node: (rank[self.kind(node)], node),
        )
        return ranked[0] if ranked else None

    def resolve(self, text: str, kinds: Iterable[NodeKind] | None = None) -> str:
        """Return the id of the node named by `text`; raise NodeNotFoundError with suggestions."""
        found = self.find(text, kinds)
        if found is None:
            raise NodeNotFoundError(text, self.suggest(text))
        return found

    def suggest(self, text: str, limit: int = 5) -> list[str]:
        """Return up to `limit` node names close to `text`, for "did you mean" messages."""
        names = self._names_sorted()
        lowered = text.lower()
        close = difflib.get_close_matches(lowered, names, n=limit, cutoff=0.6)
        contained = [name for name in names if lowered and lowered in name][:limit]
        result: list[str] = []
        for name in close + contained:
            display = self.attribute(min(self._named(name)), "label")
            if display not in result:
                result.append(display)
        return result[:limit]

    # The name indexes behind find() and suggest(); a frozen graph keeps its own.

    def _with_arn(self, arn: str) -> str | None:
        """Return the node whose ARN compares equal to `arn`, or None."""
        self._update_indexes()
        return self._by_arn_key.get(arn_key(arn))

    def _named(self, lowered: str) -> list[str]:
        """Return the nodes with a label, name or id that lower-cases to `lowered`."""
        self._update_indexes()
        return list(self._by_name.get(lowered, ()))

    def _names_sorted(self) -> list[str]:
        self._update_indexes()
        return sorted(self._by_name)

    # --- traversal: the one place that maps upstream/downstream to networkx ------------

    def upstream(self, node_id: str, depth: int | None = None) -> dict[str, int]:
        """Return what `node_id` was made from, each with its distance in edges."""
        return self._walk(node_id, depth, self.nx.succ)

    def downstream(self, node_id: str, depth: int | None = None) -> dict[str, int]:
        """Return what was made from `node_id`, each with its distance in edges."""
        return self._walk(node_id, depth, self.nx.pred)

    def _walk(self, start: str, depth: int | None, adjacency: Any) -> dict[str, int]:
        # A plain breadth-first walk over the adjacency dicts: an order of magnitude faster
        # than nx.descendants on large graphs, and it honours a depth limit.
        if start not in self.nx:
            raise NodeNotFoundError(start, self.suggest(start))
        distances = {start: 0}
        queue = deque([start])
        while queue:
            node = queue.popleft()
            distance = distances[node]
            if depth is not None and distance >= depth:
                continue
            for neighbour in adjacency[node]:
                if neighbour not in distances:
                    distances[neighbour] = distance + 1
                    queue.append(neighbour)
        return distances

    def neighbourhood(
        self, node_id: str, depth: int | None, direction: str = "both"
    ) -> dict[str, int]:
        """Return nodes within `depth` edges upstream, downstream or both ("up", "down", "both")."""
        if direction not in ("up", "down", "both"):
            raise ValueError(f"invalid direction {direction!r}; expected up, down or both")
        result: dict[str, int] = {}
        if direction in ("up", "both"):
            result.update(self.upstream(node_id, depth))
        if direction in ("down", "both"):
            for node, distance in self.downstream(node_id, depth).items():
                result[node] = min(distance, result.get(node, distance))
        return result

    def subgraph(self, node_ids: Iterable[str]) -> LineageGraph:
        """Return a new graph of these nodes and the edges among them (attributes shared)."""
        view = LineageGraph()
        view.nx = self.nx.subgraph(set(node_ids)).copy()
        view.meta = dict(self.meta)
        for node_id, label in view.nx.nodes(data="label"):
            view._index(node_id, label)
        return view

    def counts(self) -> dict[str, int]:
        """Return the number of nodes of each kind."""
        result: dict[str, int] = {}
        for _, kind in self.nx.nodes(data="kind"):
            result[NodeKind(kind).value] = result.get(NodeKind(kind).value, 0) + 1
        return dict(sorted(result.items()))
