"""Map an inference component: the endpoint hosts it and it serves a model."""

from __future__ import annotations

from typing import Any

from lineage.graph import NodeKind, Relation
from lineage.mappers.base import (
    Fragment,
    artifact_node,
    as_dict,
    identify,
    resource_ref,
    text,
)

ARN_TYPE = "inference-component"


def map_inference_component(record: dict[str, Any]) -> Fragment:
    """Return the fragment of one InferenceComponent record.

    Edges: endpoint -[hosts]-> component, component -[serves(variant)]-> model, and
    component -[loads]-> artifact when its own container names an artifact.
    """
    me = identify(record, kind_label="inference component", arn_type=ARN_TYPE,
                  name_key="InferenceComponentName", arn_key_name="InferenceComponentArn")
    fragment = Fragment()

    specification = as_dict(record.get("Specification"))
    container = as_dict(specification.get("Container"))
    model_name = text(specification, "ModelName")
    endpoint_name = text(record, "EndpointArn") or text(record, "EndpointName")
    variant = text(record, "VariantName")
    artifact = text(container, "ArtifactUrl")

    fragment.node(
        me.id, NodeKind.INFERENCE_COMPONENT, me.name,
        name=me.name, arn=me.arn, account=me.account, region=me.region,
        status=text(record, "InferenceComponentStatus"),
        failure_reason=text(record, "FailureReason"),
        endpoint_name=text(record, "EndpointName"),
        variant=variant,
        model_name=model_name,
        image=text(container, "DeployedImage") or text(container, "Image"),
        copies=as_dict(record.get("RuntimeConfig")).get("CurrentCopyCount"),
        created=record.get("CreationTime"),
        modified=record.get("LastModifiedTime"),
    )

    endpoint = resource_ref(me, NodeKind.ENDPOINT, "endpoint", endpoint_name)
    if endpoint is not None:
        fragment.edge(endpoint, me.id, Relation.HOSTS, variant=variant)
    model = resource_ref(me, NodeKind.MODEL, "model", model_name)
    if model is not None:
        fragment.edge(me.id, model, Relation.SERVES, variant=variant)
    if artifact is not None:
        artifact_id = artifact_node(fragment, artifact, where=f"inference component {me.name}")
        if artifact_id is not None:
            fragment.edge(me.id, artifact_id, Relation.LOADS)
    return fragment
