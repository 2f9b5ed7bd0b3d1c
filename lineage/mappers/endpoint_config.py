"""Map an endpoint config record to its node and one serving edge per variant."""

from __future__ import annotations

from typing import Any

from lineage.graph import NodeKind, Relation
from lineage.mappers.base import (
    Fragment,
    Identity,
    as_dict,
    as_list,
    identify,
    number,
    resource_ref,
    text,
)
from lineage.mappers.endpoint import CONFIG_ARN_TYPE, variant_summary

# Shown for a variant with no ModelName: its models are attached by inference components.
VIA_INFERENCE_COMPONENTS = "models via inference components"


def map_endpoint_config(record: dict[str, Any]) -> Fragment:
    """Return the fragment of one EndpointConfig record.

    Edges: config -[serves(variant)]-> model per production variant and -[serves_shadow]-> per
    shadow variant. The async-inference output and data-capture locations are attributes here;
    the builder turns them into datasets produced by each endpoint that runs this config.
    """
    me = identify(record, kind_label="endpoint config", arn_type=CONFIG_ARN_TYPE,
                  name_key="EndpointConfigName", arn_key_name="EndpointConfigArn")
    fragment = Fragment()

    production = as_list(record.get("ProductionVariants"))
    shadows = as_list(record.get("ShadowProductionVariants"))
    mapped = [
        *(_variant(fragment, me, v, shadow=False) for v in production),
        *(_variant(fragment, me, v, shadow=True) for v in shadows),
    ]
    variants = [v for v in mapped if v is not None]
    async_output = as_dict(as_dict(record.get("AsyncInferenceConfig")).get("OutputConfig"))
    capture = as_dict(record.get("DataCaptureConfig"))
    via_components = any(v["model_name"] is None for v in variants)

    fragment.node(
        me.id, NodeKind.ENDPOINT_CONFIG, me.name,
        name=me.name, arn=me.arn, account=me.account, region=me.region,
        variants=variants,
        async_output=text(async_output, "S3OutputPath"),
        async_failure_output=text(async_output, "S3FailurePath"),
        data_capture=text(capture, "DestinationS3Uri"),
        execution_role=text(record, "ExecutionRoleArn"),
        note=VIA_INFERENCE_COMPONENTS if via_components else None,
        created=record.get("CreationTime"),
    )
    return fragment


def _variant(
    fragment: Fragment, me: Identity, value: Any, *, shadow: bool
) -> dict[str, Any] | None:
    variant = as_dict(value)
    if not variant:
        return None
    name = text(variant, "VariantName")
    model_name = text(variant, "ModelName")
    serverless = as_dict(variant.get("ServerlessConfig")) or None
    instance_type = text(variant, "InstanceType")
    instance_count = None if serverless else number(variant, "InitialInstanceCount")
    weight = number(variant, "InitialVariantWeight")

    model = resource_ref(me, NodeKind.MODEL, "model", model_name)
    if model is not None:
        fragment.edge(
            me.id, model, Relation.SERVES_SHADOW if shadow else Relation.SERVES,
            variant=name, weight=weight, shadow=shadow,
        )
    return {
        "name": name,
        "model_name": model_name,
        "instance_type": instance_type,
        "instance_count": instance_count,
        "weight": weight,
        "serverless": serverless,
        "shadow": shadow,
        "summary": variant_summary(serverless, instance_type, instance_count),
        "note": VIA_INFERENCE_COMPONENTS if model_name is None else None,
    }
