"""Map a batch transform job to its node, model, input and output."""

from __future__ import annotations

from typing import Any

from lineage.graph import NodeKind, Relation
from lineage.mappers.base import (
    Fragment,
    as_dict,
    dataset_node,
    identify,
    number,
    resource_ref,
    text,
)

ARN_TYPE = "transform-job"


def map_transform_job(record: dict[str, Any]) -> Fragment:
    """Return the fragment of one TransformJob record.

    Edges: job -[uses_model]-> model, job -[reads]-> input dataset, output -[produced_by]-> job.
    """
    me = identify(record, kind_label="transform job", arn_type=ARN_TYPE,
                  name_key="TransformJobName", arn_key_name="TransformJobArn")
    fragment = Fragment()
    where = f"transform job {me.name}"

    source = as_dict(as_dict(as_dict(record.get("TransformInput")).get("DataSource"))
                     .get("S3DataSource"))
    input_uri, input_type = text(source, "S3Uri"), text(source, "S3DataType")
    output_uri = text(as_dict(record.get("TransformOutput")), "S3OutputPath")
    resources = as_dict(record.get("TransformResources"))
    model_name = text(record, "ModelName")

    fragment.node(
        me.id, NodeKind.TRANSFORM_JOB, me.name,
        name=me.name, arn=me.arn, account=me.account, region=me.region,
        status=text(record, "TransformJobStatus"),
        failure_reason=text(record, "FailureReason"),
        model_name=model_name,
        input=input_uri,
        input_data_type=input_type,
        output=output_uri,
        instance_type=text(resources, "InstanceType"),
        instance_count=number(resources, "InstanceCount"),
        created=record.get("CreationTime"),
        started=record.get("TransformStartTime"),
        ended=record.get("TransformEndTime"),
    )

    model = resource_ref(me, NodeKind.MODEL, "model", model_name)
    if model is not None:
        fragment.edge(me.id, model, Relation.USES_MODEL)
    if input_uri is not None:
        node = dataset_node(fragment, input_uri, input_type, where=f"{where} input")
        if node is not None:
            fragment.edge(me.id, node, Relation.READS, channel="input")
    if output_uri is not None:
        node = dataset_node(fragment, output_uri, "S3Prefix", where=f"{where} output",
                            is_prefix=True)
        if node is not None:
            fragment.edge(node, me.id, Relation.PRODUCED_BY, channel="output")
    return fragment
