"""`lineage trace NODE`: what a node was made from or what was made from it."""

from __future__ import annotations

import argparse
from typing import Any

from lineage.cli.common import (
    add_source_options,
    emit,
    load_source,
    print_json,
    ref_text,
    say,
    section,
)
from lineage.cli.table import format_table
from lineage.crawl.result import PlaceholderStatus
from lineage.graph import LineageGraph, NodeKind
from lineage.identity import is_framework_hyperparameter
from lineage.queries.export import subgraph_json
from lineage.queries.trace import (
    DIRECTIONS,
    OUTSIDE_ACCOUNT_NOTE,
    EndpointTrace,
    TraceResult,
    endpoint_trace,
    node_notes,
    trace,
)


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "trace",
        help="trace a resource upstream (what it was made from) or downstream",
        description="Trace a resource through the lineage graph. For an endpoint traced "
                    "upstream, also print every variant's model, artifacts, training jobs, "
                    "datasets per channel, image, hyperparameters and final metrics.",
    )
    parser.add_argument("node", metavar="NODE",
                        help="resource name or ARN (names match without regard to case), "
                             "or a node id such as an s3:// URI")
    parser.add_argument("--direction", choices=DIRECTIONS, default="up",
                        help="up: what NODE was made from; down: what was made from it; "
                             "both (default: up)")
    parser.add_argument("--depth", type=int, metavar="N",
                        help="stop after N edges (default: no limit)")
    add_source_options(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    loaded = load_source(args)
    graph = loaded.graph
    result = trace(graph, args.node, direction=args.direction, depth=args.depth)
    endpoint = None
    if result.root.kind == NodeKind.ENDPOINT.value and args.direction != "down":
        endpoint = endpoint_trace(graph, result.root.id)

    if args.json:
        data: dict[str, Any] = subgraph_json(graph, result.node_ids)
        distances = {traced.node.id: traced.distance for traced in result.nodes}
        for node in data["nodes"]:
            node["distance"] = distances[node["id"]]
        data.update(root=result.root.to_dict(), direction=result.direction, depth=result.depth,
                    source=loaded.description)
        if endpoint is not None:
            data["endpoint_trace"] = endpoint.to_dict()
        print_json(data)
        return 0

    say(f"Source: {loaded.description}")
    _print_trace(result)
    _print_node_notes(graph, result)
    if endpoint is not None:
        chain_length = max(graph.upstream(result.root.id).values(), default=0)
        _print_endpoint(endpoint, details=args.depth is None or args.depth >= chain_length,
                        chain_length=chain_length)
    return 0


def _print_trace(result: TraceResult) -> None:
    depth = "no limit" if result.depth is None else f"depth {result.depth}"
    section(f"Trace {result.direction} from {result.root.label} ({result.root.kind}), {depth}")
    rows = [
        (traced.distance, traced.node.kind, traced.node.label, traced.node.status, traced.node.id)
        for traced in result.nodes
    ]
    emit(format_table(["distance", "kind", "name", "placeholder", "id"], rows))


def _print_node_notes(graph: LineageGraph, result: TraceResult) -> None:
    """Print what the table has no column for: placeholder errors, approval, node notes."""
    notes = [(traced.node, note) for traced in result.nodes
             for note in node_notes(graph, traced.node.id)]
    if not notes:
        return
    section("Notes")
    for node, note in notes:
        say(f"  {node.kind} {node.label}: {note}")


def _print_endpoint(result: EndpointTrace, details: bool = True, chain_length: int = 0) -> None:
    section(f"Endpoint {result.endpoint.label}: status {result.status or 'unknown'}")
    if result.failure_reason:
        say(f"Last failure: {result.failure_reason}")
    for note in result.notes:
        say(f"Note: {note}")
    if not result.variants:
        return

    rows = []
    for variant in result.variants:
        role = "shadow" if variant.shadow else "production"
        if variant.pending:
            role += " (pending)"
        if variant.inference_component is not None:
            role = f"inference component {variant.inference_component.label}"
        capacity = _capacity(variant.instance_type, variant.instance_count, variant.serverless)
        rows.append((
            variant.name, role, variant.config.label if variant.config else "",
            variant.weight, capacity, ref_text(variant.model), variant.model_mode,
        ))
    emit(format_table(["variant", "role", "config", "weight", "capacity", "model", "mode"], rows))

    if not details:
        say(f"Variant details reach {chain_length} edges upstream; use --depth "
            f"{chain_length} or no --depth to print them.")
        return
    for variant in result.variants:
        _print_variant_detail(variant)


def _print_variant_detail(variant: Any) -> None:
    title = f"Variant {variant.name}"
    if variant.model is not None:
        title += f" -> model {ref_text(variant.model)}"
    section(title)
    for note in variant.notes:
        say(f"  Note: {note}")
    for image in variant.deployed_images:
        say(f"  deployed image {image.get('specified') or '(unknown)'}, resolved to "
            f"{image.get('resolved') or '(unknown)'}")
    for number, container in enumerate(variant.containers, start=1):
        name = container.hostname or f"container {number}"
        say(f"  {name}: image {container.image or '(none)'}")
        if container.model_package is not None:
            _print_package(container)
        if container.note:
            say(f"    Note: {container.note}")
        for artifact in container.artifacts:
            say(f"    artifact {ref_text(artifact.artifact)}")
            if artifact.note:
                say(f"      {artifact.note}")
            for producer in artifact.producers:
                _print_producer(producer)


def _print_package(container: Any) -> None:
    package = container.model_package
    line = f"    model package {ref_text(package)}"
    if container.model_package_approval:
        line += f", approval status {container.model_package_approval}"
    say(line)
    if package.status == PlaceholderStatus.OTHER_ACCOUNT.value:
        say(f"      {OUTSIDE_ACCOUNT_NOTE}")
    if package.reason:
        say(f"      error: {package.reason}")


def _print_producer(producer: Any) -> None:
    say(f"      produced by {producer.job.kind} {ref_text(producer.job)}"
        f" [{producer.status or 'status unknown'}]")
    if producer.image:
        say(f"        image {producer.image}")
    if producer.tuning_job is not None:
        say(f"        tuning job {ref_text(producer.tuning_job)}")
    rows = [(dataset.channel, dataset.uri, dataset.data_type,
             ", ".join(ref.label for ref in dataset.produced_by))
            for dataset in producer.datasets]
    if rows:
        emit(_indent(format_table(["channel", "dataset", "data type", "written by"], rows), 8))
    # Framework keys (sagemaker_program, ...) name the code, not a tuning choice.
    tuning = {name: value for name, value in producer.hyperparameters.items()
              if not is_framework_hyperparameter(name)}
    if tuning:
        emit(_indent(format_table(["hyperparameter", "value"], sorted(tuning.items())), 8))
    if producer.metrics:
        emit(_indent(format_table(["metric", "final value"], sorted(producer.metrics.items())), 8))


def _capacity(instance_type: Any, instance_count: Any, serverless: Any) -> str:
    if serverless:
        memory = serverless.get("MemorySizeInMB") or serverless.get("memory_mb")
        return f"serverless {memory} MB" if memory else "serverless"
    if instance_type or instance_count:
        return f"{instance_count or '?'} x {instance_type or '?'}"
    return ""



def _indent(text: str, spaces: int) -> str:
    return "\n".join(" " * spaces + line for line in text.splitlines())
