"""Dataset impact: everything made from an S3 location, and what the crawl covered."""

from __future__ import annotations

import bisect
import logging
import weakref
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from operator import attrgetter
from typing import Any

from lineage.errors import InvalidURIError
from lineage.graph import LineageGraph, NodeKind, Relation
from lineage.identity import MatchKind, S3Location, match_s3, parse_s3_uri
from lineage.queries.common import NodeRef, jsonable, node_ref, placeholder_status

logger = logging.getLogger(__name__)

MANIFEST_TYPES = ("ManifestFile", "AugmentedManifestFile")

# Relations from a job to the data it reads; their edges carry the channel or input name.
_INPUT_RELATIONS = (Relation.TRAINED_ON, Relation.READS)

_JOB_KINDS = (
    NodeKind.TRAINING_JOB,
    NodeKind.PROCESSING_JOB,
    NodeKind.TRANSFORM_JOB,
    NodeKind.TUNING_JOB,
)

# Downstream kinds reported in their own list, in the order the report prints them.
DOWNSTREAM_GROUPS: dict[str, tuple[NodeKind, ...]] = {
    "jobs": _JOB_KINDS,
    "datasets": (NodeKind.DATASET,),
    "artifacts": (NodeKind.ARTIFACT,),
    "models": (NodeKind.MODEL,),
    "model_packages": (NodeKind.MODEL_PACKAGE, NodeKind.MODEL_PACKAGE_GROUP),
    "endpoint_configs": (NodeKind.ENDPOINT_CONFIG,),
    "inference_components": (NodeKind.INFERENCE_COMPONENT,),
    "endpoints": (NodeKind.ENDPOINT,),
}


@dataclass
class Consumer:
    """A job that reads a matched location, through which channel or input."""

    job: NodeRef
    channel: str | None
    relation: str

    def to_dict(self) -> dict[str, Any]:
        return {"job": self.job.to_dict(), "channel": self.channel, "relation": self.relation}


@dataclass
class ImpactHit:
    """A dataset or artifact whose location matches the query, and how."""

    node: NodeRef
    uri: str
    match: str
    data_type: str | None
    consumers: list[Consumer] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "node": self.node.to_dict(),
            "uri": self.uri,
            "match": self.match,
            "data_type": self.data_type,
            "consumers": [consumer.to_dict() for consumer in self.consumers],
        }


@dataclass
class PossibleHit:
    """A job that reads a manifest the crawl did not open, so it may read the queried data."""

    job: NodeRef
    channel: str | None
    manifest: NodeRef
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {"job": self.job.to_dict(), "channel": self.channel,
                "manifest": self.manifest.to_dict(), "reason": self.reason}


@dataclass
class EndpointImpact:
    """An endpoint that serves (or is being updated to serve) an affected config."""

    endpoint: NodeRef
    config: NodeRef
    state: str  # "live" (uses the config now) or "pending" (an update in progress deploys it)

    def to_dict(self) -> dict[str, Any]:
        return {"endpoint": self.endpoint.to_dict(), "config": self.config.to_dict(),
                "state": self.state}


@dataclass
class ImpactResult:
    """Matches of one S3 location and everything downstream of them.

    `downstream` groups node references by DOWNSTREAM_GROUPS. It is a `GroupedRefs`, which makes
    and sorts a group's references on first access. `endpoints` records for each endpoint
    which affected config it uses now or is being updated to; `unused_configs` lists affected
    configs that no crawled endpoint uses. `possible` holds jobs (and their downstream nodes in
    `possible_downstream`) that read unresolved manifests. `coverage` is set from the graph's
    crawl coverage, and `coverage_statement` states it in a sentence when nothing matched.
    """

    query: str
    location: str
    hits: list[ImpactHit]
    downstream: Mapping[str, list[NodeRef]]
    endpoints: list[EndpointImpact]
    unused_configs: list[NodeRef]
    possible: list[PossibleHit]
    possible_downstream: Mapping[str, list[NodeRef]]
    warnings: list[str]
    coverage: dict[str, Any]
    coverage_statement: str | None

    @property
    def empty(self) -> bool:
        return not self.hits and not self.possible

    def node_ids(self) -> list[str]:
        """Return the ids of every hit, downstream node and possible hit, for a subgraph."""
        ids = [hit.node.id for hit in self.hits]
        for group in (self.downstream, self.possible_downstream):
            ids += [ref.id for refs in group.values() for ref in refs]
        for possible in self.possible:
            ids += [possible.job.id, possible.manifest.id]
        return list(dict.fromkeys(ids))

    def to_dict(self) -> dict[str, Any]:
        return {
            "query": self.query,
            "location": self.location,
            "hits": [hit.to_dict() for hit in self.hits],
            "downstream": _refs_dict(self.downstream),
            "endpoints": [endpoint.to_dict() for endpoint in self.endpoints],
            "unused_configs": [ref.to_dict() for ref in self.unused_configs],
            "possible": [possible.to_dict() for possible in self.possible],
            "possible_downstream": _refs_dict(self.possible_downstream),
            "warnings": list(self.warnings),
            "coverage": jsonable(self.coverage),
            "coverage_statement": self.coverage_statement,
        }


def impact(graph: LineageGraph, uri: str) -> ImpactResult:
    """Find datasets and artifacts matching `uri` and everything made from them.

    `uri` is any spelling `parse_s3_uri` accepts; it is a key-name prefix, so
    `s3://b/data/train` also covers `s3://b/data/train_v2/`. A recorded S3Prefix input covers
    every key that starts with it. Raises InvalidURIError for a location that is not S3.
    """
    query = parse_s3_uri(uri)

    hits = _hits(graph, query)
    hit_ids = {hit.node.id for hit in hits}
    downstream_ids = _downstream(graph, hit_ids)

    possible = _possible_hits(graph, query, hit_ids | downstream_ids)
    possible_ids = _downstream(graph, {p.manifest.id for p in possible}) - downstream_ids - hit_ids

    affected_configs = [node for node in downstream_ids
                        if graph.kind(node) == NodeKind.ENDPOINT_CONFIG]
    endpoints, unused = _endpoint_states(graph, affected_configs)
    coverage = dict(graph.meta.get("coverage") or {})

    result = ImpactResult(
        query=uri,
        location=query.uri,
        hits=hits,
        downstream=_group(graph, downstream_ids),
        endpoints=endpoints,
        unused_configs=unused,
        possible=possible,
        possible_downstream=_group(graph, possible_ids),
        warnings=_warnings(query, hits),
        coverage=coverage,
        coverage_statement=None,
    )
    if not hits:
        result.coverage_statement = coverage_statement(query.uri, coverage, bool(possible))
    return result


# --- matching -------------------------------------------------------------------------------


def _hits(graph: LineageGraph, query: S3Location) -> list[ImpactHit]:
    hits: list[ImpactHit] = []
    for entry in location_index(graph).candidates(query):
        match = match_s3(query, entry.location, entry.is_prefix)
        if match is None:
            continue
        attrs = graph.brief(entry.node_id)
        hits.append(ImpactHit(
            node=node_ref(graph, entry.node_id),
            uri=entry.location.uri,
            match=match.value,
            data_type=_data_type(attrs),
            consumers=_consumers(graph, entry.node_id),
        ))
    hits.sort(key=lambda hit: (hit.uri, hit.node.id))
    return hits


@dataclass(frozen=True, slots=True)
class LocationEntry:
    """A dataset, artifact or external node with an S3 location."""

    node_id: str
    location: S3Location
    is_prefix: bool


class LocationIndex:
    """S3 locations of a graph's nodes, per bucket, for prefix lookups without a full scan.

    Keys of a bucket are kept sorted, so the locations under a query prefix are one bisect and
    a contiguous run. Locations recorded as key-name prefixes are also kept by key, so the
    ones that cover a query are found by looking up each leading part of the query's key.
    `manifests` lists unresolved manifest datasets, which `impact` reports as possible hits.

    The index keeps plain strings and flags in lists, not an object per location: a large
    account has 100,000 locations, and 200,000 long-lived objects made every full garbage
    collection about 120 ms slower. `candidates()` makes LocationEntry objects for its results.
    """

    def __init__(self, graph: LineageGraph) -> None:
        rows: dict[str, list[tuple[str, str, bool]]] = {}
        self._prefixes: dict[tuple[str, str], list[str]] = {}
        self.manifests: list[str] = []
        kinds = (NodeKind.DATASET, NodeKind.ARTIFACT, NodeKind.EXTERNAL)
        for node_id in graph.nodes_of_kind(*kinds):
            attrs = graph.brief(node_id)
            if (
                attrs.get("kind") == NodeKind.DATASET
                and _data_type(attrs) in MANIFEST_TYPES
                and not attrs.get("resolved")
            ):
                self.manifests.append(node_id)
            location = _location(node_id, attrs)
            if location is None:
                continue
            is_prefix = _is_prefix(attrs)
            rows.setdefault(location.bucket, []).append((location.key, node_id, is_prefix))
            if is_prefix:
                self._prefixes.setdefault((location.bucket, location.key), []).append(node_id)

        self._keys: dict[str, list[str]] = {}
        self._nodes: dict[str, list[str]] = {}
        self._is_prefix: dict[str, bytearray] = {}
        for bucket, bucket_rows in rows.items():
            bucket_rows.sort(key=lambda row: (row[0], row[1]))
            self._keys[bucket] = [key for key, _, _ in bucket_rows]
            self._nodes[bucket] = [node_id for _, node_id, _ in bucket_rows]
            self._is_prefix[bucket] = bytearray(flag for _, _, flag in bucket_rows)
        self.manifests.sort()
        self.size = sum(len(keys) for keys in self._keys.values())

    def candidates(self, query: S3Location) -> list[LocationEntry]:
        """Return every entry that may match `query`: a superset of what `match_s3` accepts.

        An exact or covered location starts with the query key without its trailing slashes;
        a location that covers the query is a prefix whose key starts the query key.
        """
        bucket = query.bucket
        found: dict[str, LocationEntry] = {}
        keys = self._keys.get(bucket, [])
        stem = query.key.rstrip("/")
        position = bisect.bisect_left(keys, stem)
        while position < len(keys) and keys[position].startswith(stem):
            node_id = self._nodes[bucket][position]
            found[node_id] = LocationEntry(node_id, S3Location(bucket, keys[position]),
                                           bool(self._is_prefix[bucket][position]))
            position += 1

        for length in range(len(query.key) + 1):
            key = query.key[:length]
            for node_id in self._prefixes.get((bucket, key), ()):
                found[node_id] = LocationEntry(node_id, S3Location(bucket, key), True)
        return list(found.values())


# Indexes by graph, built on first use. A graph that gained nodes since gets a new index (the
# index reads nodes only, and counting nodes is constant time while counting the edges of a
# networkx multigraph is not); the weak keys let an index go with its graph.
_INDEXES: weakref.WeakKeyDictionary[LineageGraph, tuple[int, LocationIndex]] = (
    weakref.WeakKeyDictionary()
)


def location_index(graph: LineageGraph) -> LocationIndex:
    """Return the location index of `graph`, building it once per graph and node count.

    NOTE: changing the attributes of an indexed node without adding a node is not noticed;
    the graph is read-only once built.
    """
    size = len(graph)
    cached = _INDEXES.get(graph)
    if cached is not None and cached[0] == size:
        return cached[1]
    index = LocationIndex(graph)
    _INDEXES[graph] = (size, index)
    logger.debug("indexed %d S3 locations of the graph", index.size)
    return index


def _location(node_id: str, attrs: Mapping[str, Any]) -> S3Location | None:
    text = attrs.get("uri") or node_id
    if not isinstance(text, str) or "://" not in text:
        return None
    try:
        return parse_s3_uri(text)
    except InvalidURIError:
        # File-system inputs (efs://, fsx://) and image URIs are not S3 locations.
        return None


def _is_prefix(attrs: Mapping[str, Any]) -> bool:
    if attrs.get("is_prefix") is not None:
        return bool(attrs["is_prefix"])
    data_type = _data_type(attrs)
    if attrs.get("kind") == NodeKind.ARTIFACT:
        return False
    return data_type in (None, "S3Prefix")


def _data_type(attrs: Mapping[str, Any]) -> str | None:
    value = attrs.get("data_type")
    return None if value is None else str(value)


def _consumers(graph: LineageGraph, node_id: str) -> list[Consumer]:
    consumers = [
        Consumer(_node_ref(source, graph.brief(source)), _channel(data),
                 Relation(data["relation"]).value)
        for source, _, data in graph.in_edges(node_id)
        if data["relation"] in _INPUT_RELATIONS
    ]
    consumers.sort(key=_consumer_order)
    return consumers


def _consumer_order(consumer: Consumer) -> tuple[str, str]:
    return consumer.job.id, consumer.channel or ""


def _channel(data: dict[str, Any]) -> str | None:
    channel = data.get("channel")
    return None if channel is None else str(channel)


def _possible_hits(
    graph: LineageGraph, query: S3Location, known: set[str]
) -> list[PossibleHit]:
    # The objects a manifest lists are unknown until it is opened, so every job reading
    # an unresolved manifest may have read the queried data.
    possible: list[PossibleHit] = []
    for node_id in location_index(graph).manifests:
        attrs = graph.brief(node_id)
        recorded = _location(node_id, attrs)
        if recorded is not None and match_s3(query, recorded, False) is not None:
            continue
        for source, _, data in graph.in_edges(node_id):
            if data["relation"] not in _INPUT_RELATIONS or source in known:
                continue
            possible.append(PossibleHit(
                job=node_ref(graph, source),
                channel=_channel(data),
                manifest=node_ref(graph, node_id),
                reason=f"reads the unresolved {_data_type(attrs)} {recorded or node_id}, "
                       "which may list the queried data",
            ))
    possible.sort(key=lambda hit: (hit.job.id, hit.channel or ""))
    return possible


# --- downstream -----------------------------------------------------------------------------


def _downstream(graph: LineageGraph, start: set[str]) -> set[str]:
    reached: set[str] = set()
    for node_id in start:
        reached.update(graph.downstream(node_id))
    return reached - start


_KIND_GROUP = {kind: name for name, kinds in DOWNSTREAM_GROUPS.items() for kind in kinds}
_REF_ORDER = attrgetter("kind", "label", "id")


def _node_ref(node_id: str, attrs: Mapping[str, Any]) -> NodeRef:
    """Return what `node_ref()` returns, from attributes already read from the graph."""
    kind = attrs["kind"]
    status = placeholder_status(attrs)
    return NodeRef(
        id=node_id,
        kind=(kind if type(kind) is NodeKind else NodeKind(kind)).value,
        label=str(attrs.get("label") or node_id),
        status=status,
        reason=attrs.get("reason") if status else None,
    )


def _group(graph: LineageGraph, ids: set[str]) -> GroupedRefs:
    # A hub dataset reaches tens of thousands of nodes, so only each node's kind is read here.
    # Labels and statuses are read when a group is first used.
    groups: dict[str, list[str]] = {name: [] for name in DOWNSTREAM_GROUPS}
    for node_id in ids:
        name = _KIND_GROUP.get(graph.kind(node_id), "other")
        group = groups.get(name)
        if group is None:
            group = groups[name] = []
        group.append(node_id)
    return GroupedRefs(graph, groups)


class GroupedRefs(Mapping[str, list[NodeRef]]):
    """Node references per group name, each group made and sorted on its first access.

    Keys, `len()` of the mapping and `count()` need no reference to be made, so a caller that
    shows counts or one group does not pay for the others. A group's list is sorted by kind,
    label and id, and the same list is returned on every access. Pickling (for example by
    Streamlit's `st.cache_data`) makes every group first and leaves the graph out.

    NOTE: a group made after the graph changed shows the changed labels; the graph is
    read-only once built.
    """

    def __init__(self, graph: LineageGraph | None, ids: dict[str, list[str]]) -> None:
        self._graph = graph
        self._ids = ids
        self._refs: dict[str, list[NodeRef]] = {}

    def __getitem__(self, name: str) -> list[NodeRef]:
        refs = self._refs.get(name)
        if refs is None:
            ids = self._ids[name]
            assert self._graph is not None
            graph = self._graph
            refs = [_node_ref(node_id, graph.brief(node_id)) for node_id in ids]
            refs.sort(key=_REF_ORDER)
            self._refs[name] = refs
        return refs

    def __iter__(self) -> Iterator[str]:
        return iter(self._ids)

    def __len__(self) -> int:
        return len(self._ids)

    def count(self, name: str) -> int:
        """Return the number of references in group `name` (0 for an unknown name)."""
        return len(self._ids.get(name, ()))

    def __repr__(self) -> str:
        counts = ", ".join(f"{name}={len(ids)}" for name, ids in self._ids.items())
        return f"GroupedRefs({counts})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (_grouped_refs_from, ({name: self[name] for name in self._ids},))


def _grouped_refs_from(refs: dict[str, list[NodeRef]]) -> GroupedRefs:
    grouped = GroupedRefs(None, {name: [ref.id for ref in group] for name, group in refs.items()})
    grouped._refs = refs
    return grouped


def _endpoint_states(
    graph: LineageGraph, configs: list[str]
) -> tuple[list[EndpointImpact], list[NodeRef]]:
    states = {Relation.USES_CONFIG: "live", Relation.PENDING_CONFIG: "pending"}
    endpoints: list[EndpointImpact] = []
    unused: list[NodeRef] = []
    for config_id in configs:
        users = [
            EndpointImpact(node_ref(graph, source), node_ref(graph, config_id),
                           states[Relation(data["relation"])])
            for source, _, data in graph.in_edges(config_id)
            if data["relation"] in states
        ]
        if users:
            endpoints += users
        else:
            # NOTE: one crawl only shows each endpoint's current config; telling which
            # endpoint served this config before needs the snapshots of a store.
            unused.append(node_ref(graph, config_id))
    endpoints.sort(key=lambda item: (item.state != "live", item.endpoint.label, item.config.id))
    unused.sort(key=lambda ref: ref.label)
    return endpoints, unused


# --- warnings and coverage --------------------------------------------------------------------


def _warnings(query: S3Location, hits: list[ImpactHit]) -> list[str]:
    if not query.key or query.key.endswith("/"):
        return []
    siblings = [
        hit.uri for hit in hits
        if hit.match == MatchKind.QUERY_COVERS_RECORDED.value
        and not parse_s3_uri(hit.uri).key.startswith(query.key + "/")
    ]
    # A last segment without a dot reads as a folder name, so a user may not expect the
    # sibling keys; an object name such as part-0.csv is only warned about on a real sibling.
    looks_like_folder = "." not in query.key.rsplit("/", 1)[-1]
    if not siblings and not looks_like_folder:
        return []

    warning = (
        f"{query.uri} has no trailing slash, so it is matched as a key-name prefix and also "
        f"covers keys that only start with it (such as {query.uri}_v2/); "
        f"add a trailing slash to match only that folder"
    )
    if siblings:
        warning += ". Matched that way: " + ", ".join(sorted(set(siblings)))
    return [warning]


def coverage_statement(location: str, coverage: dict[str, Any], has_possible: bool) -> str:
    """Describe what a crawl covered, for a query that found no match for `location`."""
    if has_possible:
        opening = f"No dataset or artifact in the crawl is known to match {location}"
    else:
        opening = f"No dataset or artifact in the crawl matches {location}"
    if not coverage:
        return opening + "; the graph records no crawl coverage, so the searched scope is unknown."

    accounts = ", ".join(coverage.get("accounts") or []) or "an unknown account"
    regions = ", ".join(coverage.get("regions") or []) or "unknown regions"
    counts = coverage.get("counts") or {}
    counted = ", ".join(f"{count} {kind}" for kind, count in sorted(counts.items())) or "nothing"
    statement = f"{opening}. The crawl covered {accounts} in {regions}: {counted}"
    if coverage.get("crawled_at"):
        statement += f", crawled {coverage['crawled_at']}"
    statement += "."
    denied = coverage.get("denied") or []
    if denied:
        statement += " Not crawled (access denied): " + ", ".join(map(str, denied)) + "."
    return statement


def _refs_dict(groups: Mapping[str, list[NodeRef]]) -> dict[str, list[dict[str, Any]]]:
    return {name: [ref.to_dict() for ref in refs] for name, refs in groups.items()}
