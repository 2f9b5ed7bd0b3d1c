"""Build the lineage graph from a crawl: map every record, then resolve references between them.

Mapping is per record and pure (see `lineage.mappers`). Joining happens here, in three steps:
nodes of every fragment go in first, so that references by name or ARN resolve no matter in
which order records came; references that match no record become `external` nodes with a status and
a reason; last, joins that need the whole graph (endpoint outputs through the live config, a
model artifact written inside a processing job's output prefix) are added.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from lineage.crawl.result import CrawlResult, PlaceholderStatus, RecordKind
from lineage.errors import LineageError
from lineage.frozen import freeze
from lineage.graph import LineageGraph, NodeKind, Relation
from lineage.identity import S3Location, arn_key, is_arn, parse_arn, parse_s3_uri, sagemaker_arn
from lineage.mappers import MAPPERS, RESOURCE_TYPES, Fragment, Ref
from lineage.mappers.base import dataset_node, identify, record_meta
from lineage.mappers.endpoint_config import VIA_INFERENCE_COMPONENTS
from lineage.mappers.pipeline import link_repack_jobs

logger = logging.getLogger(__name__)

_RESOURCE_KINDS = frozenset(resource.node_kind for resource in RESOURCE_TYPES.values())

# Errors a mapper can hit on a record whose fields have unexpected types; the record is skipped.
_RECORD_ERRORS = (LineageError, TypeError, ValueError, AttributeError, KeyError)


@dataclass
class _ResourceIndex:
    """Resource nodes by (kind, lower-cased name) and by ARN comparison key."""

    by_name: dict[tuple[NodeKind, str], list[str]] = field(default_factory=dict)
    by_arn: dict[str, str] = field(default_factory=dict)
    arn_of: dict[str, str | None] = field(default_factory=dict)

    def add(self, node_id: str, kind: NodeKind, name: str | None, arn: str | None) -> None:
        if node_id in self.arn_of:
            return
        self.arn_of[node_id] = arn
        if name:
            self.by_name.setdefault((kind, name.lower()), []).append(node_id)
        if arn and is_arn(arn):
            self.by_arn[arn_key(arn)] = node_id

    def resolve(self, ref: Ref) -> tuple[str, str] | None:
        """Return (node id, how it matched) for a reference, or None when nothing matches."""
        if ref.arn:
            found = self.by_arn.get(arn_key(ref.arn))
            if found is not None:
                return found, "arn"

        candidates = self.by_name.get((ref.kind, ref.display_name.lower()), [])
        if ref.arn:
            # The ARN did not match, so only a node whose ARN is unknown can be this resource.
            candidates = [c for c in candidates if self.arn_of[c] is None]
        elif ref.account and ref.region:
            candidates = [c for c in candidates if self._same_place(c, ref)]
        if not candidates:
            return None
        return sorted(candidates)[0], "name"

    def _same_place(self, node_id: str, ref: Ref) -> bool:
        arn = self.arn_of[node_id]
        if arn is None:
            return True
        parsed = parse_arn(arn)
        return (parsed.account, parsed.region) == (ref.account, ref.region)


@dataclass
class _Build:
    graph: LineageGraph
    index: _ResourceIndex
    accounts: set[str]
    warnings: list[str]
    external: list[str] = field(default_factory=list)


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for a bulk build, then restore its state.

    A build creates millions of dicts and lists and few reference cycles, and each collection
    pass walks every object made so far. With the collector running, reading and building the
    benchmark's 100,000-job snapshot took 45 s instead of 27 s (2 CPUs, Python 3.11).
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def build_graph(result: CrawlResult) -> LineageGraph:
    """Return the lineage graph of a crawl result, frozen (read-only, see lineage.frozen).

    Does not raise on a reference to something not crawled (it becomes an `external` node) or on
    one malformed record (it is skipped, with a warning in `graph.meta["warnings"]` and in
    `graph.meta["report"]["warnings"]`). Self-loops are never added.
    """
    with collector_paused():
        return _build_graph(result)


def _build_graph(result: CrawlResult) -> LineageGraph:
    graph = LineageGraph()
    warnings: list[str] = []
    fragments, placeholders = _map_records(result, warnings)
    build = _Build(graph, _ResourceIndex(), _crawled_accounts(result, fragments), warnings)

    for fragment in fragments:
        _add_nodes(build, fragment)
    for kind, record in placeholders:
        _add_placeholder(build, kind, record)
    # One bulk networkx call for all edges; resolving their ends may add external nodes first.
    graph.add_edges(edge for fragment in fragments for edge in _edge_rows(build, fragment))

    _link_endpoint_outputs(build)
    _link_artifacts_to_processing_outputs(build)
    warnings.extend(link_repack_jobs(graph))
    _note_endpoints_without_components(build, result)

    for source, relation in graph.skipped_self_loops:
        warnings.append(f"skipped a {relation} edge from {source} to itself")

    report = result.report.to_dict()
    report["warnings"] = report["warnings"] + warnings
    report["external"] = report["external"] + build.external
    graph.meta["report"] = report
    graph.meta["warnings"] = warnings
    graph.meta["coverage"] = _coverage(result, build.accounts)
    logger.debug("built graph: %d nodes, %d edges, %d warnings",
                 len(graph), graph.number_of_edges(), len(warnings))
    # Queries never change a built graph, and the frozen form takes far less memory.
    return freeze(graph)


# --- mapping ------------------------------------------------------------------------------------


def _map_records(
    result: CrawlResult, warnings: list[str]
) -> tuple[list[Fragment], list[tuple[RecordKind, dict[str, Any]]]]:
    fragments: list[Fragment] = []
    placeholders: list[tuple[RecordKind, dict[str, Any]]] = []
    for kind, records in result.records.items():
        mapper = MAPPERS.get(kind)
        if mapper is None:
            if records:
                logger.debug("no mapper for %s records; %d ignored", kind.value, len(records))
            continue
        for record in records:
            if _is_placeholder(record):
                placeholders.append((kind, record))
                continue
            try:
                fragment = mapper(record)
            except _RECORD_ERRORS as err:
                warnings.append(f"skipped a {kind.value} record ({_describe(kind, record)}): {err}")
                logger.debug("skipped %s record", kind.value, exc_info=True)
                continue
            warnings.extend(fragment.warnings)
            fragments.append(fragment)
    return fragments, placeholders


def _is_placeholder(record: Any) -> bool:
    return isinstance(record, dict) and bool(record_meta(record).get("status"))


def _describe(kind: RecordKind, record: Any) -> str:
    resource = RESOURCE_TYPES.get(kind)
    if resource is not None and isinstance(record, dict):
        for key in (resource.name_key, resource.arn_key):
            if isinstance(record.get(key), str):
                return f"{key} {record[key]!r}"
    return f"a {type(record).__name__} without a name"


def _crawled_accounts(result: CrawlResult, fragments: list[Fragment]) -> set[str]:
    accounts = set(result.report.accounts)
    for records in result.records.values():
        for record in records:
            account = record_meta(record).get("account") if isinstance(record, dict) else None
            if isinstance(account, str) and account:
                accounts.add(account)
    for fragment in fragments:
        for node in fragment.nodes:
            account = node.attrs.get("account") if node.kind in _RESOURCE_KINDS else None
            if isinstance(account, str) and account:
                accounts.add(account)
    return accounts


# --- nodes --------------------------------------------------------------------------------------


def _add_nodes(build: _Build, fragment: Fragment) -> None:
    for spec in fragment.nodes:
        build.graph.add_node(spec.id, spec.kind, spec.label, **spec.attrs)
        if spec.kind in _RESOURCE_KINDS:
            build.index.add(spec.id, spec.kind, spec.attrs.get("name"), spec.attrs.get("arn"))


def _add_placeholder(build: _Build, kind: RecordKind, record: dict[str, Any]) -> None:
    """Add an `external` node for a record the crawler could not read in full."""
    resource = RESOURCE_TYPES[kind]
    try:
        me = identify(record, kind_label=kind.value, arn_type=resource.arn_type,
                      name_key=resource.name_key, arn_key_name=resource.arn_key)
    except _RECORD_ERRORS as err:
        build.warnings.append(f"skipped a {kind.value} placeholder: {err}")
        return

    ref = Ref(resource.node_kind, resource.arn_type, name=me.name, arn=me.arn,
              account=me.account, region=me.region)
    if build.index.resolve(ref) is not None:
        return  # a full record of the same resource is in the crawl
    meta = record_meta(record)
    status = str(meta.get("status"))
    reason = meta.get("reason") if isinstance(meta.get("reason"), str) else None
    _add_external(build, me.id, ref, status, reason or f"{kind.value} {me.name}: {status}",
                  created=record.get("CreationTime"))


def _add_external(
    build: _Build, node_id: str, ref: Ref, status: str, reason: str, **attrs: Any
) -> str:
    account = parse_arn(ref.arn).account if ref.arn else ref.account
    build.graph.add_node(
        node_id, NodeKind.EXTERNAL, ref.display_name,
        ref_kind=ref.kind.value, name=ref.display_name, arn=ref.arn, account=account,
        status=status, reason=reason, **attrs,
    )
    build.index.add(node_id, ref.kind, ref.display_name, ref.arn)
    build.external.append(node_id)
    return node_id


# --- edges --------------------------------------------------------------------------------------


def _edge_rows(
    build: _Build, fragment: Fragment
) -> Iterator[tuple[str, str, Relation, dict[str, Any]]]:
    """Yield the (source, target, relation, attributes) of a fragment's edges, ends resolved."""
    for spec in fragment.edges:
        source, source_match = _end(build, spec.source)
        target, target_match = _end(build, spec.target)
        attrs = spec.attrs
        match = target_match or source_match
        if match and "match" not in attrs:
            attrs = {**attrs, "match": match}
        yield source, target, spec.relation, attrs


def _end(build: _Build, end: str | Ref) -> tuple[str, str | None]:
    if isinstance(end, str):
        return end, None
    found = build.index.resolve(end)
    if found is not None:
        return found
    return _external_for(build, end), "external"


def _external_for(build: _Build, ref: Ref) -> str:
    """Add the placeholder of a reference that matches no crawled record."""
    kind_text = ref.kind.value.replace("_", " ")
    if ref.arn:
        node_id = ref.arn
        account = parse_arn(ref.arn).account
    elif ref.account and ref.region:
        node_id = sagemaker_arn(ref.arn_type, ref.display_name, ref.region, ref.account)
        account = ref.account
    else:
        node_id = f"{ref.arn_type}:{ref.display_name}"
        account = None

    if account and build.accounts and account not in build.accounts:
        status = PlaceholderStatus.OTHER_ACCOUNT.value
        reason = (
            f"{kind_text} {ref.display_name} is in account {account}, outside the crawled "
            f"account(s) {', '.join(sorted(build.accounts))} (Marketplace or shared resource)"
        )
    else:
        status = PlaceholderStatus.OUTSIDE_CRAWL.value
        reason = (
            f"{kind_text} {ref.display_name} is referenced but was not crawled: deleted, in "
            "another region, outside the crawl window or of a kind that was not crawled"
        )
    return _add_external(build, node_id, ref, status, reason)


# --- joins over the whole graph -----------------------------------------------------------------


def _link_endpoint_outputs(build: _Build) -> None:
    """Add each config's async-inference and data-capture outputs as datasets.

    A live config's outputs are produced by the endpoint that uses it, because the endpoint, not
    the immutable config, writes them. A config that no crawled endpoint uses or is moving to
    still names where its endpoint would write, so its outputs are produced by the config itself
    and an impact query on those locations finds it.
    """
    graph = build.graph
    writers: list[tuple[str, str]] = []
    configs_in_use: set[str] = set()
    for endpoint in list(graph.nodes_of_kind(NodeKind.ENDPOINT)):
        for _, config, data in list(graph.out_edges(endpoint)):
            if data.get("relation") == Relation.USES_CONFIG:
                writers.append((config, endpoint))
            # A pending config's outputs are written only once its update completes.
            if data.get("relation") in (Relation.USES_CONFIG, Relation.PENDING_CONFIG):
                configs_in_use.add(config)
    for config in list(graph.nodes_of_kind(NodeKind.ENDPOINT_CONFIG)):
        if config not in configs_in_use:
            writers.append((config, config))

    for config, writer in writers:
        attrs = graph.node(config)
        fragment = Fragment()
        for attr, channel in (("async_output", "async output"),
                              ("async_failure_output", "async failure output"),
                              ("data_capture", "data capture")):
            uri = attrs.get(attr)
            if isinstance(uri, str):
                node = dataset_node(fragment, uri, "S3Prefix", role=channel,
                                    where=f"endpoint config {attrs.get('label')} {channel}")
                if node is not None:
                    fragment.edge(node, writer, Relation.PRODUCED_BY, channel=channel)
        build.warnings.extend(fragment.warnings)
        _add_nodes(build, fragment)
        graph.add_edges(_edge_rows(build, fragment))


def _link_artifacts_to_processing_outputs(build: _Build) -> None:
    """Join a model artifact that no job claims to a processing job whose output prefix contains it.

    An S3 output is a key-name prefix, so the test is a plain `startswith` (match "prefix"). An
    artifact that a training job already produced keeps that producer only.
    """
    graph = build.graph
    outputs: dict[tuple[str, str], list[tuple[str, str | None]]] = {}
    for dataset, job, data in graph.edges():
        if data.get("relation") != Relation.PRODUCED_BY:
            continue
        if graph.kind(job) != NodeKind.PROCESSING_JOB:
            continue
        location = _s3_location(dataset)
        if location is not None:
            outputs.setdefault((location.bucket, location.key), []).append(
                (job, data.get("channel"))
            )
    if not outputs:
        return

    for artifact in list(graph.nodes_of_kind(NodeKind.ARTIFACT)):
        if any(d.get("relation") == Relation.PRODUCED_BY for _, _, d in graph.out_edges(artifact)):
            continue
        location = _s3_location(artifact)
        if location is None:
            continue
        # Probe every leading substring of the key: fast for many outputs, and exactly the
        # key-name prefix rule.
        for end in range(1, len(location.key) + 1):
            for job, channel in outputs.get((location.bucket, location.key[:end]), []):
                graph.add_edge(artifact, job, Relation.PRODUCED_BY, channel=channel,
                               match="prefix")


def _s3_location(node_id: str) -> S3Location | None:
    if not node_id.startswith("s3://"):
        return None
    try:
        return parse_s3_uri(node_id)
    except LineageError:
        return None


def _note_endpoints_without_components(build: _Build, result: CrawlResult) -> None:
    """Say on an endpoint whose live config has variants without a model where its models are."""
    graph = build.graph
    crawled = RecordKind.INFERENCE_COMPONENT in result.records
    for endpoint in list(graph.nodes_of_kind(NodeKind.ENDPOINT)):
        edges = list(graph.out_edges(endpoint))
        configs = [t for _, t, d in edges if d.get("relation") == Relation.USES_CONFIG]
        if not any(graph.node(c).get("note") == VIA_INFERENCE_COMPONENTS for c in configs):
            continue
        if any(d.get("relation") == Relation.HOSTS for _, _, d in edges):
            graph.node(endpoint)["note"] = VIA_INFERENCE_COMPONENTS
        elif crawled:
            graph.node(endpoint)["note"] = f"{VIA_INFERENCE_COMPONENTS}; none found in the crawl"
        else:
            graph.node(endpoint)["note"] = (
                f"{VIA_INFERENCE_COMPONENTS}; inference components were not crawled"
            )


# --- metadata -----------------------------------------------------------------------------------


def _coverage(result: CrawlResult, accounts: set[str]) -> dict[str, Any]:
    regions = set(result.report.regions)
    for records in result.records.values():
        for record in records:
            region = record_meta(record).get("region") if isinstance(record, dict) else None
            if isinstance(region, str) and region:
                regions.add(region)
    report = result.report
    crawled_at = report.finished or report.started
    return {
        "accounts": sorted(accounts),
        "regions": sorted(regions),
        "counts": {kind.value: len(records) for kind, records in result.records.items()},
        "placeholders": {
            kind.value: sum(1 for r in records if _is_placeholder(r))
            for kind, records in result.records.items()
        },
        "crawled_at": crawled_at.isoformat() if crawled_at else None,
        "denied": list(report.denied),
    }


__all__ = ["build_graph", "collector_paused"]
