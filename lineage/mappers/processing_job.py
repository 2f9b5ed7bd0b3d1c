"""Map a processing job to its node, the datasets it reads and writes, and what it evaluates."""

from __future__ import annotations

from typing import Any

from lineage.graph import NodeKind, Relation
from lineage.mappers.base import (
    Fragment,
    as_dict,
    as_list,
    dataset_node,
    identify,
    image_node,
    number,
    resource_ref,
    text,
)

ARN_TYPE = "processing-job"


def map_processing_job(record: dict[str, Any]) -> Fragment:
    """Return the fragment of one ProcessingJob record.

    Edges: job -[reads(input)]-> dataset, dataset -[produced_by(output)]-> job, job -[evaluates]->
    the training job in `TrainingJobArn`, job -[runs]-> image. The builder also joins a model
    artifact found inside one of the output prefixes to this job.
    """
    me = identify(record, kind_label="processing job", arn_type=ARN_TYPE,
                  name_key="ProcessingJobName", arn_key_name="ProcessingJobArn")
    fragment = Fragment()
    where = f"processing job {me.name}"

    inputs = [_input(fragment, as_dict(i), index, where)
              for index, i in enumerate(as_list(record.get("ProcessingInputs")))]
    output_config = as_dict(record.get("ProcessingOutputConfig"))
    outputs = [_output(fragment, as_dict(o), index, where)
               for index, o in enumerate(as_list(output_config.get("Outputs")))]
    application = as_dict(record.get("AppSpecification"))
    image = text(application, "ImageUri")
    resources = as_dict(as_dict(record.get("ProcessingResources")).get("ClusterConfig"))

    fragment.node(
        me.id, NodeKind.PROCESSING_JOB, me.name,
        name=me.name, arn=me.arn, account=me.account, region=me.region,
        status=text(record, "ProcessingJobStatus"),
        failure_reason=text(record, "FailureReason"),
        exit_message=text(record, "ExitMessage"),
        created=record.get("CreationTime"),
        started=record.get("ProcessingStartTime"),
        ended=record.get("ProcessingEndTime"),
        image=image,
        instance_type=text(resources, "InstanceType"),
        instance_count=number(resources, "InstanceCount"),
        inputs=[{k: v for k, v in i.items() if k != "node"} for i in inputs if i],
        outputs=[{k: v for k, v in o.items() if k != "node"} for o in outputs if o],
        training_job=text(record, "TrainingJobArn"),
    )

    for entry in inputs:
        if entry and entry["node"] is not None:
            fragment.edge(me.id, entry["node"], Relation.READS, channel=entry["name"])
    for entry in outputs:
        if entry and entry["node"] is not None:
            fragment.edge(entry["node"], me.id, Relation.PRODUCED_BY, channel=entry["name"])
    if image is not None:
        fragment.edge(me.id, image_node(fragment, image), Relation.RUNS)

    evaluated = resource_ref(me, NodeKind.TRAINING_JOB, "training-job",
                             text(record, "TrainingJobArn"))
    if evaluated is not None:
        fragment.edge(me.id, evaluated, Relation.EVALUATES)
    return fragment


def _input(fragment: Fragment, entry: dict[str, Any], index: int, where: str) -> dict[str, Any]:
    name = text(entry, "InputName") or f"input-{index}"
    s3 = as_dict(entry.get("S3Input"))
    if s3:
        uri, data_type = text(s3, "S3Uri"), text(s3, "S3DataType")
        node = None
        if uri is not None:
            node = dataset_node(fragment, uri, data_type, where=f"{where} input {name}")
        return {"name": name, "uri": uri, "data_type": data_type, "node": node}

    definition = as_dict(entry.get("DatasetDefinition"))
    athena = as_dict(definition.get("AthenaDatasetDefinition"))
    redshift = as_dict(definition.get("RedshiftDatasetDefinition"))
    if athena:
        uri = f"athena://{text(athena, 'Catalog') or ''}/{text(athena, 'Database') or ''}"
        data_type = "AthenaDatasetDefinition"
    elif redshift:
        uri = f"redshift://{text(redshift, 'ClusterId') or ''}/{text(redshift, 'Database') or ''}"
        data_type = "RedshiftDatasetDefinition"
    else:
        fragment.warnings.append(f"{where} input {name} has no data source this tool reads")
        return {}
    node = fragment.node(uri, NodeKind.DATASET, uri, uri=uri, data_type=data_type, is_prefix=False)
    return {"name": name, "uri": uri, "data_type": data_type, "node": node}


def _output(fragment: Fragment, entry: dict[str, Any], index: int, where: str) -> dict[str, Any]:
    name = text(entry, "OutputName") or f"output-{index}"
    s3 = as_dict(entry.get("S3Output"))
    uri = text(s3, "S3Uri")
    if uri is not None:
        node = dataset_node(fragment, uri, "S3Prefix", where=f"{where} output {name}",
                            is_prefix=True)
        return {"name": name, "uri": uri, "data_type": "S3Prefix", "node": node}

    feature_group = text(as_dict(entry.get("FeatureStoreOutput")), "FeatureGroupName")
    if feature_group is not None:
        uri = f"feature-group:{feature_group}"
        node = fragment.node(uri, NodeKind.DATASET, feature_group, uri=uri,
                             data_type="FeatureGroup", is_prefix=False)
        return {"name": name, "uri": uri, "data_type": "FeatureGroup", "node": node}

    fragment.warnings.append(f"{where} output {name} has no destination this tool reads")
    return {}
