"""Trace page: what an endpoint serves, variant by variant, back to its training data."""

from __future__ import annotations

from typing import Any

import streamlit as st

from lineage.errors import LineageError
from lineage.graph import NodeKind
from lineage.queries.common import NodeRef
from lineage.queries.trace import EndpointTrace, ProducerTrace, VariantTrace, endpoint_trace
from lineage.source import Loaded
from ui.views import common


def render(loaded: Loaded) -> None:
    """Draw the Trace page for the loaded graph."""
    st.title("Trace")
    st.write(
        "Pick an endpoint to see every variant it serves (production, shadow, serverless, "
        "pending update) with the model, containers, artifacts, training jobs, datasets, "
        "images, hyperparameters and final metrics behind it."
    )
    graph = loaded.graph
    endpoints = common.nodes_by_label(graph, [NodeKind.ENDPOINT.value])
    if not endpoints:
        st.info("The loaded graph has no endpoints. Load a crawl that includes endpoints.")
        return

    endpoint = st.selectbox(
        "Endpoint",
        endpoints,
        format_func=lambda node_id: str(graph.attribute(node_id, "label")),
        key="trace_endpoint",
    )
    try:
        result = endpoint_trace(graph, str(endpoint))
    except LineageError as err:
        common.show_lineage_error(err, "Pick another endpoint, or reload the crawl.")
        return

    _show_endpoint(result)
    if not result.variants:
        st.info("This endpoint has no variants in its current config (a failed or deleted config).")
    for variant in result.variants:
        _show_variant(variant)

    with st.expander("Upstream graph"):
        common.show_graph(graph, graph.upstream(result.endpoint.id), focus=result.endpoint.id)


def _ref_text(ref: NodeRef | None) -> str:
    if ref is None:
        return ""
    if ref.status:
        return f"{ref.label} ({ref.status})"
    return ref.label


def _show_endpoint(result: EndpointTrace) -> None:
    rows: list[dict[str, Any]] = [
        {"field": "endpoint", "value": result.endpoint.label},
        {"field": "ARN or id", "value": result.endpoint.id},
        {"field": "status", "value": result.status},
        {"field": "failure reason", "value": result.failure_reason},
        {"field": "config", "value": _ref_text(result.config)},
        {"field": "pending config", "value": _ref_text(result.pending_config)},
    ]
    common.show_table([row for row in rows if row["value"]])
    for note in result.notes:
        st.warning(common.escape_markdown(note))


def variant_role(variant: VariantTrace) -> str:
    """Return how a variant takes traffic: production, shadow, pending, serverless, component."""
    roles = []
    if variant.inference_component is not None:
        roles.append("inference component")
    roles.append("shadow" if variant.shadow else "production")
    if variant.pending:
        roles.append("pending update")
    if variant.serverless:
        roles.append("serverless")
    return ", ".join(roles)


def _show_variant(variant: VariantTrace) -> None:
    st.header(f"Variant {common.escape_markdown(variant.name)}", divider="gray")
    st.text(variant_role(variant))
    summary = {
        "config": _ref_text(variant.config),
        "inference component": _ref_text(variant.inference_component),
        "model": _ref_text(variant.model),
        "model mode": variant.model_mode,
        "weight": variant.weight,
        "instances": _instances(variant),
    }
    common.show_table(
        [
            {"field": key, "value": value}
            for key, value in summary.items()
            if value not in (None, "")
        ]
    )
    for note in variant.notes:
        st.warning(common.escape_markdown(note))

    st.subheader("Containers")
    common.show_table(
        [
            {
                "hostname": container.hostname,
                "image": container.image,
                "model data": container.model_data_url,
                "model package": _ref_text(container.model_package),
                "note": container.note,
            }
            for container in variant.containers
        ],
        empty="No containers recorded for this model.",
    )

    for container in variant.containers:
        for artifact in container.artifacts:
            st.subheader("Artifact")
            st.code(artifact.artifact.id, language=None)
            if artifact.note:
                st.text(artifact.note)
            for producer in artifact.producers:
                _show_producer(producer)


def _instances(variant: VariantTrace) -> str:
    if variant.serverless:
        memory = variant.serverless.get("MemorySizeInMB")
        concurrency = variant.serverless.get("MaxConcurrency")
        parts = ["serverless"]
        if memory:
            parts.append(f"{memory} MB")
        if concurrency:
            parts.append(f"max concurrency {concurrency}")
        return " ".join(parts)
    if variant.instance_type:
        return f"{variant.instance_count or '?'} x {variant.instance_type}"
    return ""


def _show_producer(producer: ProducerTrace) -> None:
    st.markdown(f"**Training job** {common.escape_markdown(_ref_text(producer.job))}")
    summary: dict[str, Any] = {
        "status": producer.status,
        "image or algorithm": producer.image,
        "instance type": producer.instance_type,
        "tuning job": _ref_text(producer.tuning_job),
        "matched by": producer.match,
    }
    common.show_table([{"field": key, "value": value} for key, value in summary.items() if value])

    left, right = st.columns(2)
    with left:
        st.markdown("**Hyperparameters** (decoded)")
        common.show_table(
            [
                {"name": name, "value": value}
                for name, value in sorted(producer.hyperparameters.items())
            ],
            empty="none recorded",
        )
    with right:
        st.markdown("**Final metrics**")
        common.show_table(
            [{"metric": name, "value": value} for name, value in sorted(producer.metrics.items())],
            empty="none recorded",
        )

    st.markdown("**Datasets**")
    common.show_table(
        [
            {
                "channel": dataset.channel,
                "uri": dataset.uri or dataset.dataset.id,
                "data type": dataset.data_type,
                "status": dataset.dataset.status,
                "produced by": ", ".join(ref.label for ref in dataset.produced_by),
            }
            for dataset in producer.datasets
        ],
        empty="no input channels recorded",
    )
