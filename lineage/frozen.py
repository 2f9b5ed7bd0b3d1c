"""A read-only lineage graph in flat arrays, with node attributes in memory or in a file.

The networkx graph of a large account (300,000 nodes, 500,000 edges) took about 1 GB in the
benchmark. Every node has three dicts and every edge two dict entries and a dict of
attributes. The largest part is the training jobs' attributes (hyperparameters, metrics, tags,
channels). A built graph never changes, so `freeze()` turns it into:

- node ids in one list, their kinds in one byte string and their labels in one list;
- edges in compressed sparse rows, one set for out-edges and one for in-edges, each edge
  pointing into a table of the distinct edge attribute dicts (edges share relations and
  channel names, so the table is small);
- the attributes listed in `BRIEF_ATTRIBUTES`, one column each, because queries read them
  from thousands of nodes at once;
- every node's full attributes, either in memory (as built) or, for a graph read from the
  graph cache, as one pickle per node in the cache file, read when a query needs them.

`FrozenLineageGraph` answers every reading method of `LineageGraph` and refuses changes. Its
`nx` property builds a networkx copy for callers that need one (tests, small graphs).
"""

from __future__ import annotations

import logging
import os
import pickle
import weakref
from array import array
from collections import Counter, deque
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, BinaryIO

import networkx as nx

from lineage.errors import LineageError, NodeNotFoundError
from lineage.graph import BRIEF_ATTRIBUTES, LineageGraph, NodeKind, Relation
from lineage.identity import arn_key, is_arn, name_from_arn

logger = logging.getLogger(__name__)

PICKLE_PROTOCOL = 5

_KINDS = list(NodeKind)
_KIND_CODE = {kind: code for code, kind in enumerate(_KINDS)}

# Keys every node has; the rest of a node's attributes are "details".
_HEAD_KEYS = ("kind", "label")


class DetailFile:
    """Node details stored as one pickle per node in an open file, read with `os.pread`.

    `offsets[i]` to `offsets[i + 1]` is node i's pickle, relative to `base`; an empty range
    means the node has no details. The file is read, not memory-mapped: a mapped file that
    someone truncates kills the process with SIGBUS, while a short read is an error with a
    message. The descriptor is closed when the DetailFile is collected.
    """

    def __init__(self, descriptor: int, base: int, offsets: array, path: str) -> None:
        self._descriptor = descriptor
        self._base = base
        self._offsets = offsets
        self._path = path
        self._finalizer = weakref.finalize(self, os.close, descriptor)

    def read(self, index: int) -> dict[str, Any]:
        start = self._offsets[index]
        size = self._offsets[index + 1] - start
        if size == 0:
            return {}
        blob = os.pread(self._descriptor, size, self._base + start)
        try:
            if len(blob) != size:
                raise EOFError(f"read {len(blob)} of {size} bytes")
            details: dict[str, Any] = pickle.loads(blob)
        except Exception as err:  # noqa: BLE001 - any damage means the file changed
            raise CacheChangedError(
                f"the graph cache {self._path} changed while it was in use ({err}); restart "
                "the app or command so that it reads the store again"
            ) from err
        return details

    def close(self) -> None:
        self._finalizer()


class CacheChangedError(LineageError):
    """A graph cache file was changed or truncated after it was opened."""


class FrozenLineageGraph(LineageGraph):
    """A read-only `LineageGraph` in flat arrays; see the module docstring."""

    def __init__(
        self,
        ids: list[str],
        kinds: bytes,
        labels: list[str],
        brief: dict[str, list[Any]],
        out_rows: tuple[array, array, array],
        in_rows: tuple[array, array, array],
        edge_table: list[tuple[str, dict[str, Any]]],
        attrs: list[dict[str, Any]] | None,
        meta: dict[str, Any],
        skipped_self_loops: list[tuple[str, str]],
    ) -> None:
        # LineageGraph.__init__ is not called: it makes an empty networkx graph.
        self._ids = ids
        self._position = {node_id: index for index, node_id in enumerate(ids)}
        self._kinds = kinds
        self._labels = labels
        self._brief = brief
        self._out_start, self._out_targets, self._out_edges = out_rows
        self._in_start, self._in_sources, self._in_edges = in_rows
        self._edge_table = edge_table
        self._attrs = attrs
        self._details: DetailFile | None = None
        self._names: dict[str, int | list[int]] | None = None
        self._arns: dict[str, int] | None = None
        self._nx_copy: nx.MultiDiGraph | None = None
        self.meta = meta
        self.skipped_self_loops = skipped_self_loops

    # --- pickling: what the graph cache keeps ---------------------------------------------

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        # The position map and name indexes are rebuilt on load (faster than unpickling
        # them); the detail file belongs to one process.
        for name in ("_position", "_details", "_names", "_arns", "_nx_copy"):
            state[name] = None
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._position = {node_id: index for index, node_id in enumerate(self._ids)}

    def without_attributes(self) -> FrozenLineageGraph:
        """Return a copy that shares everything but the in-memory attributes (for the cache)."""
        copy = object.__new__(FrozenLineageGraph)
        copy.__dict__.update(self.__dict__)
        copy._attrs = None
        copy._details = None
        copy._names = copy._arns = copy._nx_copy = None
        return copy

    def attach_details(self, details: DetailFile) -> None:
        """Read node details from `details` (for a graph loaded without its attributes)."""
        self._details = details

    def write_details(self, file: BinaryIO) -> array:
        """Write each node's details as one pickle to `file`; return the offsets array."""
        offsets = array("q", [0])
        position = 0
        for index in range(len(self._ids)):
            details = self._details_of(index)
            if details:
                blob = pickle.dumps(details, protocol=PICKLE_PROTOCOL)
                file.write(blob)
                position += len(blob)
            offsets.append(position)
        return offsets

    # --- building is refused ----------------------------------------------------------------

    def add_node(self, node_id: str, kind: NodeKind | str, label: str, **attrs: Any) -> str:
        raise TypeError("a frozen lineage graph is read-only; build a LineageGraph instead")

    def add_edges(
        self, edges: Iterable[tuple[str, str, Relation | str, dict[str, Any]]]
    ) -> None:
        raise TypeError("a frozen lineage graph is read-only; build a LineageGraph instead")

    # --- nodes ----------------------------------------------------------------------------

    def _index_of(self, node_id: str) -> int:
        index = self._position.get(node_id) if isinstance(node_id, str) else None
        if index is None:
            raise NodeNotFoundError(str(node_id), self.suggest(str(node_id)))
        return index

    def _details_of(self, index: int) -> dict[str, Any]:
        if self._attrs is not None:
            attrs = self._attrs[index]
            return {key: value for key, value in attrs.items() if key not in _HEAD_KEYS}
        if self._details is None:
            raise RuntimeError("this frozen graph was loaded without its node attributes")
        return self._details.read(index)

    @property
    def nx(self) -> nx.MultiDiGraph:  # type: ignore[override]
        """A networkx copy of the graph, made on first use (slow and large on big graphs)."""
        if self._nx_copy is None:
            logger.debug("making a networkx copy of a frozen graph of %d nodes", len(self._ids))
            copy = nx.MultiDiGraph()
            copy.add_nodes_from((node_id, dict(self.node(node_id))) for node_id in self._ids)
            copy.add_edges_from(self._keyed_edges(range(len(self._ids)), None))
            self._nx_copy = copy
        return self._nx_copy

    def __contains__(self, node_id: object) -> bool:
        return isinstance(node_id, str) and node_id in self._position

    def __len__(self) -> int:
        return len(self._ids)

    def node(self, node_id: str) -> dict[str, Any]:
        """Return the attributes of a node, including `kind` and `label`.

        A graph loaded from the cache reads them from its file and returns a new dict on each
        call, so changing that dict does not change the graph.
        """
        index = self._index_of(node_id)
        if self._attrs is not None:
            return self._attrs[index]
        return {"kind": _KINDS[self._kinds[index]], "label": self._labels[index],
                **self._details_of(index)}

    def kind(self, node_id: str) -> NodeKind:
        index = self._position.get(node_id)
        if index is None:
            raise KeyError(node_id)
        return _KINDS[self._kinds[index]]

    def brief(self, node_id: str) -> Mapping[str, Any]:
        index = self._position[node_id]
        if self._attrs is not None:
            return self._attrs[index]
        result: dict[str, Any] = {"kind": _KINDS[self._kinds[index]],
                                  "label": self._labels[index]}
        for name, column in self._brief.items():
            value = column[index]
            if value is not None:
                result[name] = value
        return result

    def attribute(self, node_id: str, name: str, default: Any = None) -> Any:
        index = self._index_of(node_id)
        if name == "kind":
            return _KINDS[self._kinds[index]]
        if name == "label":
            return self._labels[index]
        if name in BRIEF_ATTRIBUTES:
            # freeze() drops the column of an attribute that no node has.
            column = self._brief.get(name)
            value = None if column is None else column[index]
            return default if value is None else value
        return self.node(node_id).get(name, default)

    def nodes_of_kind(self, *kinds: NodeKind) -> Iterator[str]:
        codes = {_KIND_CODE[NodeKind(kind)] for kind in kinds}
        ids = self._ids
        for index, code in enumerate(self._kinds):
            if code in codes:
                yield ids[index]

    def counts(self) -> dict[str, int]:
        tally = Counter(self._kinds)
        return dict(sorted((_KINDS[code].value, count) for code, count in tally.items()))

    # --- edges ----------------------------------------------------------------------------

    def _keyed_edges(
        self, sources: Iterable[int], members: set[str] | None
    ) -> Iterator[tuple[str, str, str, dict[str, Any]]]:
        ids, start, targets, edges = self._ids, self._out_start, self._out_targets, self._out_edges
        for source in sources:
            for slot in range(start[source], start[source + 1]):
                target = ids[targets[slot]]
                if members is None or target in members:
                    key, data = self._edge_table[edges[slot]]
                    yield ids[source], target, key, data

    def edges(self) -> Iterator[tuple[str, str, dict[str, Any]]]:
        for source, target, _, data in self._keyed_edges(range(len(self._ids)), None):
            yield source, target, data

    def out_edges(self, node_id: str) -> Iterator[tuple[str, str, dict[str, Any]]]:
        for source, target, _, data in self._keyed_edges([self._index_of(node_id)], None):
            yield source, target, data

    def in_edges(self, node_id: str) -> Iterator[tuple[str, str, dict[str, Any]]]:
        index = self._index_of(node_id)
        ids, sources, edges = self._ids, self._in_sources, self._in_edges
        for slot in range(self._in_start[index], self._in_start[index + 1]):
            yield ids[sources[slot]], node_id, self._edge_table[edges[slot]][1]

    def successors(self, node_id: str) -> list[str]:
        index = self._index_of(node_id)
        found = self._out_targets[self._out_start[index]:self._out_start[index + 1]]
        return [self._ids[other] for other in dict.fromkeys(found)]

    def predecessors(self, node_id: str) -> list[str]:
        index = self._index_of(node_id)
        found = self._in_sources[self._in_start[index]:self._in_start[index + 1]]
        return [self._ids[other] for other in dict.fromkeys(found)]

    def edge_data(self, source: str, target: str) -> list[dict[str, Any]]:
        if source not in self or target not in self:
            return []
        return [data for _, _, _, data in self._keyed_edges([self._position[source]], {target})]

    def edges_among(self, node_ids: Iterable[str]) -> Iterator[tuple[str, str, dict[str, Any]]]:
        members = {node_id for node_id in node_ids if node_id in self}
        # Sources in id order, as LineageGraph.edges_among gives them.
        sources = [self._position[node_id] for node_id in sorted(members)]
        for source, target, _, data in self._keyed_edges(sources, members):
            yield source, target, data

    def number_of_edges(self) -> int:
        return len(self._out_targets)

    # --- traversal --------------------------------------------------------------------------

    def upstream(self, node_id: str, depth: int | None = None) -> dict[str, int]:
        return self._walk_rows(node_id, depth, self._out_start, self._out_targets)

    def downstream(self, node_id: str, depth: int | None = None) -> dict[str, int]:
        return self._walk_rows(node_id, depth, self._in_start, self._in_sources)

    def _walk_rows(self, node_id: str, depth: int | None, start: array,
                   neighbours: array) -> dict[str, int]:
        # The same breadth-first walk as LineageGraph._walk, over integer rows: the visiting
        # order, and so the order of the result, is the same.
        first = self._index_of(node_id)
        distances = {first: 0}
        queue = deque([first])
        while queue:
            node = queue.popleft()
            distance = distances[node]
            if depth is not None and distance >= depth:
                continue
            for neighbour in neighbours[start[node]:start[node + 1]]:
                if neighbour not in distances:
                    distances[neighbour] = distance + 1
                    queue.append(neighbour)
        ids = self._ids
        return {ids[index]: distance for index, distance in distances.items()}

    def subgraph(self, node_ids: Iterable[str]) -> LineageGraph:
        """Return a new, changeable graph of these nodes and the edges among them."""
        members = {node_id for node_id in node_ids if node_id in self}
        ordered = sorted(members, key=self._position.__getitem__)
        view = LineageGraph()
        view.nx.add_nodes_from((node_id, dict(self.node(node_id))) for node_id in ordered)
        view.nx.add_edges_from(
            (source, target, key, dict(data))
            for source, target, key, data in self._keyed_edges(
                [self._position[node_id] for node_id in ordered], members)
        )
        view.meta = dict(self.meta)
        for node_id in ordered:
            view._index(node_id, self._labels[self._position[node_id]])
        return view

    # --- lookup by name ---------------------------------------------------------------------

    def _name_indexes(self) -> tuple[dict[str, int | list[int]], dict[str, int]]:
        if self._names is None or self._arns is None:
            names: dict[str, int | list[int]] = {}
            arns: dict[str, int] = {}
            for index, node_id in enumerate(self._ids):
                arn = is_arn(node_id)
                if arn:
                    arns[arn_key(node_id)] = index
                label = self._labels[index]
                name = name_from_arn(node_id) if arn else node_id
                # A node is found by label, resource name and id, without regard to case. ARN
                # ids are left out to save memory, and `_named` finds them through `arns`.
                # Keys reuse the label and id strings where lower-casing changes nothing, which
                # halves the index.
                keys = {_lowered(label), _lowered(label if name == label else name)}
                if not arn:
                    keys.add(_lowered(node_id))
                for key in keys:
                    if not key:
                        continue
                    present = names.get(key)
                    if present is None:
                        names[key] = index
                    elif isinstance(present, int):
                        names[key] = [present, index]
                    else:
                        present.append(index)
            self._names, self._arns = names, arns
        return self._names, self._arns

    def _with_arn(self, arn: str) -> str | None:
        _, arns = self._name_indexes()
        found = arns.get(arn_key(arn))
        return None if found is None else self._ids[found]

    def _named(self, lowered: str) -> list[str]:
        names, arns = self._name_indexes()
        found = names.get(lowered)
        if found is None:
            indexes = []
        elif isinstance(found, int):
            indexes = [found]
        else:
            indexes = list(found)

        # LineageGraph also finds a node by its ARN id lower-cased, even when the text is not
        # an ARN to `is_arn` ("ARN:AWS:..." lower-cases to "arn:aws:...").
        if is_arn(lowered):
            index = arns.get(arn_key(lowered))
            if index is not None and index not in indexes and self._ids[index].lower() == lowered:
                indexes.append(index)
        return [self._ids[index] for index in indexes]

    def _names_sorted(self) -> list[str]:
        # The lower-cased ARN ids are names too, as in LineageGraph, so that suggest() offers
        # the same names for a misspelt ARN or a name part.
        names, arns = self._name_indexes()
        arn_names = {self._ids[index].lower() for index in arns.values()}
        return sorted(arn_names.union(names))


def freeze(graph: LineageGraph) -> FrozenLineageGraph:
    """Return a read-only copy of a built graph in flat arrays; `graph` is left as it was.

    The attribute dicts of nodes are shared with `graph`, not copied.
    """
    if isinstance(graph, FrozenLineageGraph):
        return graph
    node_attrs = graph.nx._node
    ids = list(node_attrs)
    position = {node_id: index for index, node_id in enumerate(ids)}
    attrs = list(node_attrs.values())
    kinds = bytes(_KIND_CODE[NodeKind(item["kind"])] for item in attrs)
    labels = [str(item.get("label") or "") for item in attrs]
    brief = {name: [item.get(name) for item in attrs] for name in BRIEF_ATTRIBUTES}
    # A column that no node has is left out, so `brief()` need not look at it.
    brief = {name: column for name, column in brief.items() if any(v is not None for v in column)}

    table: list[tuple[str, dict[str, Any]]] = []
    seen: dict[Any, int] = {}

    def edge_code(key: str, data: dict[str, Any]) -> int:
        identity = (key, _hashable(data))
        code = seen.get(identity)
        if code is None:
            code = seen[identity] = len(table)
            table.append((key, data))
        return code

    out_rows = _rows(ids, position, graph.nx._succ, edge_code)
    in_rows = _rows(ids, position, graph.nx._pred, edge_code)
    logger.debug("froze a graph of %d nodes, %d edges and %d distinct edge attribute sets",
                 len(ids), len(out_rows[1]), len(table))
    return FrozenLineageGraph(ids, kinds, labels, brief, out_rows, in_rows, table, attrs,
                              dict(graph.meta), list(graph.skipped_self_loops))


def _rows(
    ids: list[str], position: dict[str, int], adjacency: Mapping[str, Mapping[str, Any]],
    edge_code: Any,
) -> tuple[array, array, array]:
    """Return (start, neighbour, edge code) arrays of compressed sparse rows of `adjacency`."""
    start = array("i", [0])
    neighbours = array("i")
    codes = array("i")
    for node_id in ids:
        for other, keyed in adjacency[node_id].items():
            other_index = position[other]
            for key, data in keyed.items():
                neighbours.append(other_index)
                codes.append(edge_code(key, data))
        start.append(len(neighbours))
    return start, neighbours, codes


def _lowered(text: str) -> str:
    lowered = text.lower()
    return text if lowered == text else lowered


def _hashable(data: Mapping[str, Any]) -> Any:
    items = []
    for key, value in data.items():
        try:
            hash(value)
        except TypeError:
            value = ("unhashable", repr(value))
        items.append((key, type(value).__name__, value))
    return tuple(items)


__all__ = ["CacheChangedError", "DetailFile", "FrozenLineageGraph", "freeze"]
