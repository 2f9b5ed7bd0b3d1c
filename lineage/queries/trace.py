"""Trace queries: what a node was made from (upstream), what was made from it (downstream), and
the complete upstream chain of an endpoint per variant.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from lineage.crawl.result import PlaceholderStatus
from lineage.errors import InvalidURIError, LineageError
from lineage.graph import LineageGraph, NodeKind, Relation
from lineage.identity import artifact_uri, decode_hyperparameter
from lineage.queries.common import NodeRef, jsonable, node_ref

logger = logging.getLogger(__name__)

DIRECTIONS = ("up", "down", "both")

# Kinds tried first when a trace names a resource that several nodes share a name with.
TRACE_KIND_ORDER = (
    NodeKind.ENDPOINT,
    NodeKind.MODEL,
    NodeKind.TRAINING_JOB,
    NodeKind.ENDPOINT_CONFIG,
    NodeKind.MODEL_PACKAGE,
    NodeKind.PROCESSING_JOB,
    NodeKind.TRANSFORM_JOB,
    NodeKind.TUNING_JOB,
    NodeKind.INFERENCE_COMPONENT,
    NodeKind.MODEL_PACKAGE_GROUP,
    NodeKind.PIPELINE_EXECUTION,
    NodeKind.ARTIFACT,
    NodeKind.DATASET,
    NodeKind.IMAGE,
    NodeKind.HYPERPARAMETERS,
    NodeKind.EXTERNAL,
)

NO_PRODUCER_NOTE = "no training job found for this artifact in the crawled account"
OUTSIDE_ACCOUNT_NOTE = ("made outside the crawled accounts, so its training job and data are "
                        "not traced")


# --- trace ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TracedNode:
    """A node reached by a trace and its distance from the start, in edges."""

    node: NodeRef
    distance: int

    def to_dict(self) -> dict[str, Any]:
        return {**self.node.to_dict(), "distance": self.distance}


@dataclass(frozen=True, slots=True)
class TracedEdge:
    """An edge among traced nodes; `attrs` contains channel, variant, weight, pending or match."""

    source: str
    target: str
    relation: str
    attrs: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"source": self.source, "target": self.target, "relation": self.relation,
                **jsonable(self.attrs)}


@dataclass
class TraceResult:
    """Nodes within `depth` edges of `root` in `direction`, nearest first, and their edges."""

    root: NodeRef
    direction: str
    depth: int | None
    nodes: list[TracedNode]
    edges: list[TracedEdge]

    @property
    def node_ids(self) -> list[str]:
        return [traced.node.id for traced in self.nodes]

    def to_dict(self) -> dict[str, Any]:
        return {
            "root": self.root.to_dict(),
            "direction": self.direction,
            "depth": self.depth,
            "nodes": [traced.to_dict() for traced in self.nodes],
            "edges": [edge.to_dict() for edge in self.edges],
        }


def resolve_node(graph: LineageGraph, node: str) -> str:
    """Return the id of the node named by `node` (id, ARN or name); raise NodeNotFoundError."""
    return graph.resolve(node, TRACE_KIND_ORDER)


def trace(
    graph: LineageGraph, node: str, direction: str = "up", depth: int | None = None
) -> TraceResult:
    """Walk from `node` upstream ("up"), downstream ("down") or both, at most `depth` edges.

    Raises NodeNotFoundError (with close names) for an unknown node, and LineageError for an
    invalid direction or a negative depth.
    """
    if direction not in DIRECTIONS:
        raise LineageError(f"invalid direction {direction!r}; expected one of: up, down, both")
    if depth is not None and depth < 0:
        raise LineageError(f"invalid depth {depth}; expected 0 or a positive number of edges")

    root = resolve_node(graph, node)
    distances = graph.neighbourhood(root, depth, direction)

    ordered = sorted(distances, key=lambda node_id: (
        distances[node_id], graph.kind(node_id).value, str(graph.attribute(node_id, "label")),
        node_id,
    ))
    nodes = [TracedNode(node_ref(graph, node_id), distances[node_id]) for node_id in ordered]

    edges: list[TracedEdge] = []
    for source, target, data in graph.edges_among(distances):
        attrs = {key: value for key, value in data.items() if key != "relation"}
        edges.append(TracedEdge(source, target, Relation(data["relation"]).value, attrs))
    edges.sort(key=lambda edge: (distances[edge.source], edge.source, edge.target, edge.relation))

    return TraceResult(node_ref(graph, root), direction, depth, nodes, edges)


# --- endpoint trace ---------------------------------------------------------------------------


@dataclass
class DatasetTrace:
    """One input of a job: the channel (or processing input name) and the dataset it reads."""

    channel: str | None
    dataset: NodeRef
    uri: str | None
    data_type: str | None
    produced_by: list[NodeRef] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "channel": self.channel,
            "dataset": self.dataset.to_dict(),
            "uri": self.uri,
            "data_type": self.data_type,
            "produced_by": [ref.to_dict() for ref in self.produced_by],
        }


@dataclass
class ProducerTrace:
    """The job that wrote a model artifact, with what it ran on and what it reported."""

    job: NodeRef
    status: str | None
    match: str | None
    image: str | None
    instance_type: str | None
    tuning_job: NodeRef | None
    hyperparameters: dict[str, str]
    metrics: dict[str, float]
    datasets: list[DatasetTrace]

    def to_dict(self) -> dict[str, Any]:
        return {
            "job": self.job.to_dict(),
            "status": self.status,
            "match": self.match,
            "image": self.image,
            "instance_type": self.instance_type,
            "tuning_job": self.tuning_job.to_dict() if self.tuning_job else None,
            "hyperparameters": dict(self.hyperparameters),
            "metrics": jsonable(self.metrics),
            "datasets": [dataset.to_dict() for dataset in self.datasets],
        }


@dataclass
class ArtifactTrace:
    """A model artifact and the jobs that produced it; `note` explains when none is known."""

    artifact: NodeRef
    producers: list[ProducerTrace]
    note: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "artifact": self.artifact.to_dict(),
            "producers": [producer.to_dict() for producer in self.producers],
            "note": self.note,
        }


@dataclass
class ContainerTrace:
    """One container of a model (a pipeline model has several) and the artifacts it loads."""

    hostname: str | None
    image: str | None
    model_data_url: str | None
    model_package: NodeRef | None
    artifacts: list[ArtifactTrace]
    note: str | None = None
    model_package_approval: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "hostname": self.hostname,
            "image": self.image,
            "model_data_url": self.model_data_url,
            "model_package": self.model_package.to_dict() if self.model_package else None,
            "model_package_approval": self.model_package_approval,
            "artifacts": [artifact.to_dict() for artifact in self.artifacts],
            "note": self.note,
        }


@dataclass
class VariantTrace:
    """A production or shadow variant of an endpoint config, or an inference component."""

    name: str
    config: NodeRef | None
    pending: bool
    shadow: bool
    weight: float | None
    instance_type: str | None
    instance_count: int | None
    serverless: dict[str, Any] | None
    inference_component: NodeRef | None
    model: NodeRef | None
    model_mode: str | None
    containers: list[ContainerTrace]
    notes: list[str] = field(default_factory=list)
    # DescribeEndpoint DeployedImages: {"specified": image, "resolved": image@digest}.
    deployed_images: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "config": self.config.to_dict() if self.config else None,
            "pending": self.pending,
            "shadow": self.shadow,
            "weight": self.weight,
            "instance_type": self.instance_type,
            "instance_count": self.instance_count,
            "serverless": jsonable(self.serverless),
            "inference_component": (
                self.inference_component.to_dict() if self.inference_component else None
            ),
            "model": self.model.to_dict() if self.model else None,
            "model_mode": self.model_mode,
            "containers": [container.to_dict() for container in self.containers],
            "notes": list(self.notes),
            "deployed_images": jsonable(self.deployed_images),
        }


@dataclass
class EndpointTrace:
    """Everything an endpoint serves, variant by variant, traced upstream to its datasets."""

    endpoint: NodeRef
    status: str | None
    failure_reason: str | None
    config: NodeRef | None
    pending_config: NodeRef | None
    variants: list[VariantTrace]
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "endpoint": self.endpoint.to_dict(),
            "status": self.status,
            "failure_reason": self.failure_reason,
            "config": self.config.to_dict() if self.config else None,
            "pending_config": self.pending_config.to_dict() if self.pending_config else None,
            "variants": [variant.to_dict() for variant in self.variants],
            "notes": list(self.notes),
        }


def endpoint_trace(graph: LineageGraph, endpoint: str) -> EndpointTrace:
    """Trace an endpoint per variant (production, shadow, pending, inference components).

    For each variant: the model and its containers, the artifacts they load, the jobs that
    produced them (status, image, decoded hyperparameters, final metrics) and the datasets of
    every channel. Placeholders appear with their status; an artifact without a known producer
    carries a note instead of being dropped. Raises NodeNotFoundError for an unknown name and
    LineageError when the node is not an endpoint.
    """
    endpoint_id = resolve_node(graph, endpoint)
    if graph.kind(endpoint_id) != NodeKind.ENDPOINT:
        raise LineageError(
            f"{endpoint!r} is a {graph.kind(endpoint_id).value}, not an endpoint; "
            "use trace for other kinds of node"
        )
    attrs = graph.node(endpoint_id)

    live = _targets(graph, endpoint_id, Relation.USES_CONFIG)
    pending = _targets(graph, endpoint_id, Relation.PENDING_CONFIG)
    notes: list[str] = []
    if not live:
        notes.append("no endpoint config is recorded for this endpoint")

    endpoint_variants = {
        str(variant.get("name")): variant for variant in attrs.get("variants") or []
    }
    # PendingDeploymentSummary's variants, for a pending config that could not be read.
    pending_variants = {
        str(variant.get("name")): variant for variant in attrs.get("pending_variants") or []
    }
    variants: list[VariantTrace] = []
    for config_id, values, is_pending in (
        [(config_id, endpoint_variants, False) for config_id in live]
        + [(config_id, pending_variants, True) for config_id in pending]
    ):
        found = _config_variants(graph, config_id, values, pending=is_pending)
        variants += found
        if not found:
            notes.append(_unread_config_note(graph, config_id, is_pending))
    for component_id in _targets(graph, endpoint_id, Relation.HOSTS):
        variants.append(_component_variant(graph, component_id))

    return EndpointTrace(
        endpoint=node_ref(graph, endpoint_id),
        status=_text(attrs.get("status")),
        failure_reason=_text(attrs.get("failure_reason")),
        config=node_ref(graph, live[0]) if live else None,
        pending_config=node_ref(graph, pending[0]) if pending else None,
        variants=variants,
        notes=notes,
    )


def _unread_config_note(graph: LineageGraph, config_id: str, pending: bool) -> str:
    config = node_ref(graph, config_id)
    which = "pending endpoint config" if pending else "endpoint config"
    problem = config.status or "declares no variants"
    note = f"{which} {config.label}: {problem}"
    if config.reason:
        note += f" ({config.reason})"
    if pending:
        return note + "; its variants and models are unknown"
    return note + "; the endpoint reports no variants for it, so its models are unknown"


def node_notes(graph: LineageGraph, node_id: str) -> list[str]:
    """Return facts about a node that a trace table has no column for.

    Covers why a placeholder or external node has no full record (with the error text), the
    approval status of a model package, and a node's own `note` (such as an endpoint config
    whose models are attached by inference components).
    """
    attrs = graph.node(node_id)
    ref = node_ref(graph, node_id)
    notes: list[str] = []
    kind = str(attrs.get("ref_kind") or ref.kind).replace("_", " ")
    if ref.status == PlaceholderStatus.OTHER_ACCOUNT.value:
        account = attrs.get("account")
        where = f" in account {account}" if account else ""
        notes.append(f"{kind}{where}, {OUTSIDE_ACCOUNT_NOTE}")
    elif ref.status:
        notes.append(f"{kind} not read: {ref.status}")
    if ref.reason:
        notes.append(f"error: {ref.reason}")
    if attrs.get("approval_status"):
        notes.append(f"approval status {_text(attrs['approval_status'])}")
    if attrs.get("note"):
        notes.append(str(attrs["note"]))
    return notes


def _targets(graph: LineageGraph, node_id: str, *relations: Relation) -> list[str]:
    wanted = set(relations)
    found = [target for _, target, data in graph.out_edges(node_id) if data["relation"] in wanted]
    return sorted(set(found))


def _config_variants(
    graph: LineageGraph, config_id: str, live_values: dict[str, dict[str, Any]], pending: bool
) -> list[VariantTrace]:
    config = graph.node(config_id)
    config_ref = node_ref(graph, config_id)

    # Models per variant name, from the serves / serves_shadow edges of the config.
    models: dict[str, tuple[str, bool]] = {}
    for _, target, data in graph.out_edges(config_id):
        if data["relation"] in (Relation.SERVES, Relation.SERVES_SHADOW):
            shadow = data["relation"] == Relation.SERVES_SHADOW
            models[str(data.get("variant") or graph.node(target)["label"])] = (target, shadow)

    declared = list(config.get("variants") or [])
    if not declared and live_values and config_ref.status:
        # The config could not be read; the endpoint's own variant summary is what is left.
        declared = [dict(values, model_name=None) for values in live_values.values()]

    result: list[VariantTrace] = []
    seen: set[str] = set()
    for variant in declared:
        name = str(variant.get("name"))
        seen.add(name)
        # The endpoint reports current weight and instance count; the config the initial ones.
        merged = {**variant, **{k: v for k, v in live_values.get(name, {}).items()
                                if v is not None and k not in ("shadow", "model_name")}}
        model_id, shadow = models.get(name, (None, bool(variant.get("shadow"))))
        result.append(_variant(graph, name, config_ref, merged, model_id, shadow, pending))

    for name, (model_id, shadow) in sorted(models.items()):
        if name not in seen:
            result.append(_variant(graph, name, config_ref, {}, model_id, shadow, pending))
    return result


def _variant(
    graph: LineageGraph,
    name: str,
    config_ref: NodeRef | None,
    values: dict[str, Any],
    model_id: str | None,
    shadow: bool,
    pending: bool,
) -> VariantTrace:
    notes: list[str] = []
    if model_id is None:
        if config_ref is not None and config_ref.status:
            notes.append(f"endpoint config {config_ref.status}: the model is unknown")
        else:
            notes.append("no model attached to this variant (models may be served through "
                         "inference components)")

    model_ref = node_ref(graph, model_id) if model_id else None
    containers = _containers(graph, model_id) if model_id else []
    model_mode = graph.node(model_id).get("mode") if model_id else None
    return VariantTrace(
        name=name,
        config=config_ref,
        pending=pending,
        shadow=shadow,
        weight=values.get("weight"),
        instance_type=values.get("instance_type"),
        instance_count=values.get("instance_count"),
        serverless=values.get("serverless"),
        inference_component=None,
        model=model_ref,
        model_mode=model_mode,
        containers=containers,
        notes=notes,
        deployed_images=list(values.get("deployed_images") or []),
    )


def _component_variant(graph: LineageGraph, component_id: str) -> VariantTrace:
    attrs = graph.node(component_id)
    models = [target for _, target, _ in graph.out_edges(component_id)
              if graph.kind(target) in (NodeKind.MODEL, NodeKind.EXTERNAL)]
    variant = _variant(
        graph,
        str(attrs.get("variant") or attrs.get("variant_name") or attrs["label"]),
        None,
        {},
        models[0] if models else None,
        False,
        False,
    )
    variant.inference_component = node_ref(graph, component_id)
    return variant


# --- model containers and what produced their artifacts --------------------------------------


def _containers(graph: LineageGraph, model_id: str) -> list[ContainerTrace]:
    model = graph.node(model_id)
    loaded = _targets(graph, model_id, Relation.LOADS)
    packages = _targets(graph, model_id, Relation.FROM_PACKAGE)

    containers: list[ContainerTrace] = []
    claimed: set[str] = set()
    for container in model.get("containers") or []:
        package_id = _find_package(graph, container.get("model_package"), packages)
        artifact_ids = _container_artifacts(graph, container.get("model_data_url"), loaded)
        if package_id is not None:
            artifact_ids += [a for a in _targets(graph, package_id, Relation.LOADS)
                             if a not in artifact_ids]
        claimed.update(artifact_ids)
        containers.append(_container(graph, container, package_id, artifact_ids))

    # Loads edges no container accounts for (a placeholder model has no container list).
    rest = [artifact for artifact in loaded if artifact not in claimed]
    if rest or (not containers and packages):
        package_id = packages[0] if packages and not containers else None
        if package_id is not None:
            rest += [a for a in _targets(graph, package_id, Relation.LOADS) if a not in rest]
        containers.append(_container(graph, {}, package_id, rest))
    return containers


def _find_package(graph: LineageGraph, reference: str | None, packages: list[str]) -> str | None:
    if reference:
        found = graph.find(reference, [NodeKind.MODEL_PACKAGE, NodeKind.EXTERNAL])
        if found is not None:
            return found
    return packages[0] if len(packages) == 1 else None


def _container_artifacts(graph: LineageGraph, url: str | None, loaded: list[str]) -> list[str]:
    if not url:
        return []
    try:
        artifact_id = artifact_uri(url)
    except InvalidURIError:
        logger.debug("model data URL %r is not an S3 location", url)
        return []
    if artifact_id in loaded or artifact_id in graph:
        return [artifact_id]
    return []


def _container(
    graph: LineageGraph, container: dict[str, Any], package_id: str | None, artifacts: list[str]
) -> ContainerTrace:
    note = None
    if not artifacts and package_id is None:
        note = "no model artifact recorded for this container"
    return ContainerTrace(
        hostname=container.get("hostname"),
        image=container.get("image"),
        model_data_url=container.get("model_data_url"),
        model_package=node_ref(graph, package_id) if package_id else None,
        artifacts=[_artifact(graph, artifact_id) for artifact_id in artifacts],
        note=note,
        model_package_approval=(
            _text(graph.node(package_id).get("approval_status")) if package_id else None
        ),
    )


def _artifact(graph: LineageGraph, artifact_id: str) -> ArtifactTrace:
    producers = []
    for _, target, data in graph.out_edges(artifact_id):
        if data["relation"] == Relation.PRODUCED_BY:
            producers.append(_producer(graph, target, data.get("match")))
    producers.sort(key=lambda producer: producer.job.id)

    note = None
    if not any(producer.job.kind == NodeKind.TRAINING_JOB.value for producer in producers):
        note = NO_PRODUCER_NOTE
        placeholders = [p.job for p in producers if p.job.status]
        if placeholders:
            note += f" ({placeholders[0].label}: {placeholders[0].status})"
    return ArtifactTrace(node_ref(graph, artifact_id), producers, note)


def _producer(graph: LineageGraph, job_id: str, match: Any) -> ProducerTrace:
    job = graph.node(job_id)
    images = _targets(graph, job_id, Relation.RUNS)
    tuning = _targets(graph, job_id, Relation.CHILD_OF)
    # An image node's id is its full URI; the label is shortened for display.
    image = images[0] if images else _text(job.get("algorithm"))

    hyperparameters = job.get("hyperparameters_decoded")
    if hyperparameters is None:
        raw = job.get("hyperparameters") or {}
        hyperparameters = {name: decode_hyperparameter(str(value)) for name, value in raw.items()}

    return ProducerTrace(
        job=node_ref(graph, job_id),
        status=_text(job.get("status")),
        match=_text(match),
        image=image,
        instance_type=_text(job.get("instance_type")),
        tuning_job=node_ref(graph, tuning[0]) if tuning else None,
        hyperparameters={str(k): str(v) for k, v in dict(hyperparameters).items()},
        metrics=dict(job.get("metrics") or {}),
        datasets=_datasets(graph, job_id),
    )


def _datasets(graph: LineageGraph, job_id: str) -> list[DatasetTrace]:
    result: list[DatasetTrace] = []
    for _, target, data in graph.out_edges(job_id):
        if data["relation"] not in (Relation.TRAINED_ON, Relation.READS):
            continue
        attrs = graph.node(target)
        producers = [node_ref(graph, producer)
                     for producer in _targets(graph, target, Relation.PRODUCED_BY)]
        result.append(DatasetTrace(
            channel=_text(data.get("channel")),
            dataset=node_ref(graph, target),
            uri=_text(attrs.get("uri")) or target,
            data_type=_text(attrs.get("data_type")),
            produced_by=producers,
        ))
    result.sort(key=lambda dataset: (dataset.channel or "", dataset.dataset.id))
    return result


def _text(value: Any) -> str | None:
    if value is None:
        return None
    return str(value.value) if hasattr(value, "value") else str(value)
