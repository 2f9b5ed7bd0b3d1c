"""Map a training job record to its node, artifact, datasets, image and hyperparameters."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from lineage.graph import NodeKind, Relation
from lineage.identity import decode_hyperparameter, is_arn
from lineage.mappers.base import (
    Fragment,
    Identity,
    artifact_node,
    as_dict,
    as_list,
    compression_flag,
    dataset_node,
    identify,
    image_node,
    number,
    resource_ref,
    tags_of,
    text,
)

ARN_TYPE = "training-job"


def map_training_job(record: dict[str, Any]) -> Fragment:
    """Return the fragment of one TrainingJob record.

    Edges: artifact -[produced_by]-> job, job -[trained_on(channel)]-> dataset, job -[runs]->
    image or algorithm, job -[configured_with]-> hyperparameters, job -[child_of]-> tuning job.
    """
    me = identify(record, kind_label="training job", arn_type=ARN_TYPE,
                  name_key="TrainingJobName", arn_key_name="TrainingJobArn")
    fragment = Fragment()
    where = f"training job {me.name}"

    algorithm = as_dict(record.get("AlgorithmSpecification"))
    image = text(algorithm, "TrainingImage") or text(algorithm, "AlgorithmName")
    resources = as_dict(record.get("ResourceConfig"))
    output = as_dict(record.get("OutputDataConfig"))
    artifact = text(as_dict(record.get("ModelArtifacts")), "S3ModelArtifacts")
    hyperparameters = _hyperparameters(record.get("HyperParameters"))
    decoded = _decoded(hyperparameters)
    channels = _channels(fragment, me, record.get("InputDataConfig"), where)
    started, ended = record.get("TrainingStartTime"), record.get("TrainingEndTime")

    fragment.node(
        me.id, NodeKind.TRAINING_JOB, me.name,
        name=me.name, arn=me.arn, account=me.account, region=me.region,
        status=text(record, "TrainingJobStatus"),
        secondary_status=text(record, "SecondaryStatus"),
        failure_reason=text(record, "FailureReason"),
        created=record.get("CreationTime"),
        started=started,
        ended=ended,
        modified=record.get("LastModifiedTime"),
        duration_seconds=_duration(record, started, ended),
        hyperparameters=hyperparameters,
        hyperparameters_decoded=decoded,
        metrics=_metrics(record.get("FinalMetricDataList")),
        algorithm=image,
        instance_type=text(resources, "InstanceType"),
        instance_count=number(resources, "InstanceCount"),
        tags=tags_of(record),
        channels=[
            {"channel": c["channel"], "uri": c["uri"], "data_type": c["data_type"]}
            for c in channels
        ],
        output_path=text(output, "S3OutputPath"),
        artifact=artifact,
        tuning_job=text(record, "TuningJobArn"),
        role=text(record, "RoleArn"),
    )

    for channel in channels:
        if channel["node"] is not None:
            fragment.edge(me.id, channel["node"], Relation.TRAINED_ON,
                          channel=channel["channel"], data_type=channel["data_type"])

    if artifact is not None:
        compressed = compression_flag(output.get("CompressionType"))
        # Uncompressed output is a folder of files, so the artifact location is a prefix.
        artifact_id = artifact_node(
            fragment, artifact, where=f"{where} ModelArtifacts",
            compressed=compressed, is_prefix=compressed is False,
        )
        if artifact_id is not None:
            fragment.edge(artifact_id, me.id, Relation.PRODUCED_BY, match="exact")

    if image is not None:
        image_id = image_node(fragment, image, algorithm=not text(algorithm, "TrainingImage"))
        fragment.edge(me.id, image_id, Relation.RUNS)

    if hyperparameters:
        parameters_id = fragment.node(
            f"{me.id}#hyperparameters", NodeKind.HYPERPARAMETERS, "hyperparameters",
            job=me.id,
            raw=hyperparameters,
            decoded=decoded,
        )
        fragment.edge(me.id, parameters_id, Relation.CONFIGURED_WITH)

    tuning = resource_ref(me, NodeKind.TUNING_JOB, "hyper-parameter-tuning-job",
                          text(record, "TuningJobArn"))
    if tuning is not None:
        fragment.edge(me.id, tuning, Relation.CHILD_OF)

    return fragment


def _hyperparameters(value: Any) -> dict[str, str]:
    # The API types every value as a string; anything else is kept as its text. A record whose
    # keys and values are all strings already is shared, not copied: graph nodes are read-only
    # once built, and a large account has hundreds of thousands of these dicts.
    parameters = as_dict(value)
    if all(type(k) is str and type(v) is str for k, v in parameters.items()):
        return parameters
    return {str(k): v if isinstance(v, str) else str(v) for k, v in parameters.items()}


def _decoded(hyperparameters: dict[str, str]) -> dict[str, str]:
    """Return the decoded values, or `hyperparameters` itself when no value was JSON-quoted."""
    decoded = {key: decode_hyperparameter(value) for key, value in hyperparameters.items()}
    if all(decoded[key] is value for key, value in hyperparameters.items()):
        return hyperparameters
    return decoded


def _metrics(value: Any) -> dict[str, float]:
    metrics: dict[str, float] = {}
    for entry in as_list(value):
        entry = as_dict(entry)
        name, metric = text(entry, "MetricName"), number(entry, "Value")
        if name is not None and metric is not None:
            metrics[name] = float(metric)
    return metrics


def _duration(record: dict[str, Any], started: Any, ended: Any) -> float | None:
    seconds = number(record, "TrainingTimeInSeconds")
    if seconds is not None:
        return float(seconds)
    if isinstance(started, datetime) and isinstance(ended, datetime):
        return (ended - started).total_seconds()
    return None


def _channels(
    fragment: Fragment, me: Identity, value: Any, where: str
) -> list[dict[str, Any]]:
    """Return one entry per input channel with the dataset node it reads (None if unusable)."""
    channels = []
    for index, channel in enumerate(as_list(value)):
        channel = as_dict(channel)
        name = text(channel, "ChannelName") or f"channel-{index}"
        source = as_dict(channel.get("DataSource"))
        uri, data_type, node = channel_dataset(fragment, source, f"{where} channel {name}")
        if uri is None:
            fragment.warnings.append(f"{where} channel {name} has no data source this tool reads")
            continue
        channels.append({"channel": name, "uri": uri, "data_type": data_type, "node": node})
    return channels


def channel_dataset(
    fragment: Fragment, source: dict[str, Any], where: str
) -> tuple[str | None, str | None, str | None]:
    """Return (uri, data type, dataset node id) of a channel's DataSource.

    S3 sources keep `S3DataType` exactly as the API spells it. File systems become
    `efs://fs-id/path` or `fsx-lustre://fs-id/path`. Any other source kind (DatasetSource, ...)
    becomes a dataset named by its first ARN or URI field, with the source kind as data type.
    """
    s3 = as_dict(source.get("S3DataSource"))
    if s3:
        uri = text(s3, "S3Uri")
        if uri is None:
            return None, None, None
        data_type = text(s3, "S3DataType")
        node = dataset_node(fragment, uri, data_type, where=where)
        return node or uri, data_type, node

    file_system = as_dict(source.get("FileSystemDataSource"))
    if file_system:
        return _file_system_dataset(fragment, file_system)

    for source_kind, detail in source.items():
        detail = as_dict(detail)
        locator = next(
            (v for k, v in detail.items() if isinstance(v, str) and k.endswith(("Arn", "Uri"))),
            None,
        )
        if locator is not None:
            node = fragment.node(
                locator, NodeKind.DATASET, locator.rsplit("/", 1)[-1],
                uri=locator, data_type=source_kind, is_prefix=False,
                is_arn=is_arn(locator),
            )
            return locator, source_kind, node
    return None, None, None


def _file_system_dataset(
    fragment: Fragment, file_system: dict[str, Any]
) -> tuple[str | None, str | None, str | None]:
    system_id = text(file_system, "FileSystemId")
    if system_id is None:
        return None, None, None
    system_type = text(file_system, "FileSystemType") or "FileSystem"
    scheme = {"efs": "efs", "fsxlustre": "fsx-lustre"}.get(system_type.lower(), system_type.lower())
    path = text(file_system, "DirectoryPath") or "/"
    uri = f"{scheme}://{system_id}/{path.lstrip('/')}"
    node = fragment.node(
        uri, NodeKind.DATASET, uri, uri=uri, data_type="FileSystem",
        file_system_type=system_type, is_prefix=True,
    )
    return uri, "FileSystem", node
