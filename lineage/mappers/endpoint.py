"""Map an endpoint record to its node, its live config and the config an update deploys."""

from __future__ import annotations

from typing import Any

from lineage.graph import NodeKind, Relation
from lineage.mappers.base import (
    Fragment,
    as_dict,
    as_list,
    dataset_node,
    identify,
    number,
    resource_ref,
    text,
)

ARN_TYPE = "endpoint"
CONFIG_ARN_TYPE = "endpoint-config"


def map_endpoint(record: dict[str, Any]) -> Fragment:
    """Return the fragment of one Endpoint record.

    The live edge always comes from the endpoint's current `EndpointConfigName`, never from the
    newest config: a failed update leaves the old config serving and sets `FailureReason`.
    A `Failed` endpoint has no variants; that is not an error.
    """
    me = identify(record, kind_label="endpoint", arn_type=ARN_TYPE,
                  name_key="EndpointName", arn_key_name="EndpointArn")
    fragment = Fragment()

    status = text(record, "EndpointStatus")
    failure = text(record, "FailureReason")
    config_name = text(record, "EndpointConfigName")
    pending = as_dict(record.get("PendingDeploymentSummary"))
    pending_name = text(pending, "EndpointConfigName")
    capture = as_dict(record.get("DataCaptureConfig"))
    capture_uri = text(capture, "DestinationS3Uri")
    variants = [
        *(_variant(v, shadow=False) for v in as_list(record.get("ProductionVariants"))),
        *(_variant(v, shadow=True) for v in as_list(record.get("ShadowProductionVariants"))),
    ]

    fragment.node(
        me.id, NodeKind.ENDPOINT, me.name,
        name=me.name, arn=me.arn, account=me.account, region=me.region,
        status=status,
        failure_reason=failure,
        # An endpoint back in service with a FailureReason had an update that did not take.
        update_failed=bool(failure) and status == "InService",
        config_name=config_name,
        pending_config_name=pending_name,
        pending_variants=_pending_variants(pending),
        variants=[v for v in variants if v is not None],
        data_capture=capture_uri,
        created=record.get("CreationTime"),
        modified=record.get("LastModifiedTime"),
    )

    live = resource_ref(me, NodeKind.ENDPOINT_CONFIG, CONFIG_ARN_TYPE, config_name)
    if live is not None:
        fragment.edge(me.id, live, Relation.USES_CONFIG, pending=False)
    upcoming = resource_ref(me, NodeKind.ENDPOINT_CONFIG, CONFIG_ARN_TYPE, pending_name)
    if upcoming is not None and pending_name != config_name:
        fragment.edge(me.id, upcoming, Relation.PENDING_CONFIG, pending=True,
                      started=pending.get("StartTime"))

    if capture_uri is not None:
        captured = dataset_node(fragment, capture_uri, "S3Prefix",
                                where=f"endpoint {me.name} data capture", role="data capture")
        if captured is not None:
            fragment.edge(captured, me.id, Relation.PRODUCED_BY, channel="data capture")
    return fragment


def _pending_variants(pending: dict[str, Any]) -> list[dict[str, Any]]:
    """Return the variants an update in progress deploys, as PendingDeploymentSummary names them.

    The summary carries names and per-variant status but not the models. When the pending
    config cannot be read, this list is all the trace has.
    """
    result: list[dict[str, Any]] = []
    for value in as_list(pending.get("ProductionVariants")):
        variant = _variant(value, shadow=False)
        if variant is None:
            continue
        statuses = [text(as_dict(entry), "Status") for entry in as_list(value.get("VariantStatus"))]
        variant["status"] = next((status for status in statuses if status), None)
        result.append(variant)
    return result


def _variant(value: Any, *, shadow: bool) -> dict[str, Any] | None:
    variant = as_dict(value)
    if not variant:
        return None
    serverless = as_dict(variant.get("CurrentServerlessConfig")) or as_dict(
        variant.get("DesiredServerlessConfig")
    )
    instance_type = text(variant, "InstanceType")
    instance_count = None if serverless else number(variant, "CurrentInstanceCount")
    images = [
        {"specified": text(i, "SpecifiedImage"), "resolved": text(i, "ResolvedImage")}
        for i in map(as_dict, as_list(variant.get("DeployedImages")))
    ]
    return {
        "name": text(variant, "VariantName"),
        "weight": number(variant, "CurrentWeight"),
        "instance_type": instance_type,
        "instance_count": instance_count,
        "serverless": serverless or None,
        "shadow": shadow,
        "summary": variant_summary(serverless, instance_type, instance_count),
        "deployed_images": images,
    }


def variant_summary(
    serverless: dict[str, Any] | None, instance_type: str | None, instance_count: float | None
) -> str:
    """Return a short capacity text: `serverless 2048 MB` or `2 x ml.m5.large`."""
    if serverless:
        memory = number(serverless, "MemorySizeInMB")
        return f"serverless {int(memory)} MB" if memory is not None else "serverless"
    count = f"{int(instance_count)}" if instance_count is not None else ""
    if count and instance_type:
        return f"{count} x {instance_type}"
    if instance_type:
        return instance_type
    return f"{count} instance(s)" if count else ""
