"""Map a SageMaker Pipelines execution to its node and `step_of` edges, and join repack jobs.

A PipelineExecution record is the execution summary from `list_pipeline_executions` plus
`PipelineName`, `PipelineArn` and `PipelineExecutionSteps` (the crawler adds them). Each step's
`Metadata` names the resource the step created, for example `{"TrainingJob": {"Arn": ...}}`,
and that resource gets a `step_of` edge to the execution.

`link_repack_jobs` is a join over the whole graph that the builder runs after every edge is in.
The SageMaker Python SDK registers a model from a pipeline through a "RepackModel" training job
(SKLearn running `_repack_model.py`). The job only re-tars the trained model with the inference
script, so the registered package's artifact names the repack job as its producer. The join
connects the repack job to the artifact it re-packed, so a trace upstream from the package
reaches the job that trained the model.
"""

from __future__ import annotations

from typing import Any

from lineage.errors import InvalidARNError, InvalidURIError
from lineage.graph import LineageGraph, NodeKind, Relation
from lineage.identity import artifact_uri, is_arn, parse_arn
from lineage.mappers.base import (
    Fragment,
    MalformedRecordError,
    as_dict,
    as_list,
    identify,
    resource_ref,
    text,
)

ARN_TYPE = "pipeline"

# Step metadata members that name a resource the graph has a node kind for, with the ARN field.
STEP_RESOURCES: dict[str, tuple[NodeKind, str, str]] = {
    "TrainingJob": (NodeKind.TRAINING_JOB, "training-job", "Arn"),
    "ProcessingJob": (NodeKind.PROCESSING_JOB, "processing-job", "Arn"),
    "TransformJob": (NodeKind.TRANSFORM_JOB, "transform-job", "Arn"),
    "TuningJob": (NodeKind.TUNING_JOB, "hyper-parameter-tuning-job", "Arn"),
    "Model": (NodeKind.MODEL, "model", "Arn"),
    "RegisterModel": (NodeKind.MODEL_PACKAGE, "model-package", "Arn"),
    "Endpoint": (NodeKind.ENDPOINT, "endpoint", "Arn"),
    "EndpointConfig": (NodeKind.ENDPOINT_CONFIG, "endpoint-config", "Arn"),
    "InferenceComponent": (NodeKind.INFERENCE_COMPONENT, "inference-component", "Arn"),
    # Quality and Clarify checks run as processing jobs.
    "QualityCheck": (NodeKind.PROCESSING_JOB, "processing-job", "CheckJobArn"),
    "ClarifyCheck": (NodeKind.PROCESSING_JOB, "processing-job", "CheckJobArn"),
}

# Markers of the SDK's _RepackModelStep (sagemaker-python-sdk, src/sagemaker/workflow/_utils.py):
# its entry point, its two hyperparameters and its one input, which fit() names "training". The
# SDK names the step `<name>-RepackModel` or `<step>-RepackModel-<model>`, as its pipeline
# tests show.
REPACK_SCRIPT = "_repack_model.py"
REPACK_HYPERPARAMETERS = frozenset({"inference_script", "model_archive"})
REPACK_NAME_MARK = "repackmodel"
REPACK_CHANNEL = "training"
DEFAULT_MODEL_ARCHIVE = "model.tar.gz"


def map_pipeline_execution(record: dict[str, Any]) -> Fragment:
    """Return the fragment of one PipelineExecution record.

    Edges: resource -[step_of(step)]-> execution for every step whose metadata names a job,
    model, model package, endpoint or endpoint config. A cache-hit step names the resource of
    the earlier execution, and its edge has `cached` set.
    """
    arn = text(record, "PipelineExecutionArn")
    if arn is None or not is_arn(arn):
        raise MalformedRecordError(
            f"pipeline execution record has no valid PipelineExecutionArn: "
            f"{record.get('PipelineExecutionArn')!r}"
        )
    # The ARN ends in pipeline/<pipeline name>/execution/<execution id>.
    resource_id = _resource_id(arn)
    me = identify(record, kind_label="pipeline execution", arn_type=ARN_TYPE,
                  name_key="PipelineExecutionDisplayName", arn_key_name="PipelineExecutionArn",
                  name=resource_id)
    fragment = Fragment()
    pipeline = text(record, "PipelineName") or resource_id.split("/", 1)[0]
    label = text(record, "PipelineExecutionDisplayName") or resource_id.rsplit("/", 1)[-1]
    steps = [as_dict(step) for step in as_list(record.get("PipelineExecutionSteps"))]

    fragment.node(
        me.id, NodeKind.PIPELINE_EXECUTION, f"{pipeline} {label}",
        name=me.name, arn=me.arn, account=me.account, region=me.region,
        pipeline_name=pipeline,
        pipeline_arn=text(record, "PipelineArn"),
        status=text(record, "PipelineExecutionStatus"),
        failure_reason=text(record, "PipelineExecutionFailureReason"),
        description=text(record, "PipelineExecutionDescription"),
        started=record.get("StartTime"),
        steps=[_step_summary(step) for step in steps],
    )

    for step in steps:
        step_name = text(step, "StepName") or "?"
        cached = bool(text(as_dict(step.get("CacheHitResult")), "SourcePipelineExecutionArn"))
        for member, (kind, arn_type, arn_field) in STEP_RESOURCES.items():
            value = text(as_dict(as_dict(step.get("Metadata")).get(member)), arn_field)
            ref = resource_ref(me, kind, arn_type, value)
            if ref is not None:
                fragment.edge(ref, me.id, Relation.STEP_OF, step=step_name, cached=cached)
    return fragment


def _resource_id(arn: str) -> str:
    try:
        return parse_arn(arn).resource_id
    except InvalidARNError as err:
        raise MalformedRecordError(f"pipeline execution ARN {arn!r} is invalid: {err}") from err


def _step_summary(step: dict[str, Any]) -> dict[str, Any]:
    metadata = as_dict(step.get("Metadata"))
    resource = None
    for member, (_, _, arn_field) in STEP_RESOURCES.items():
        resource = resource or text(as_dict(metadata.get(member)), arn_field)
    return {
        "name": text(step, "StepName"),
        "type": next(iter(metadata), None),
        "status": text(step, "StepStatus"),
        "resource": resource,
        "cached_from": text(as_dict(step.get("CacheHitResult")), "SourcePipelineExecutionArn"),
        "failure_reason": text(step, "FailureReason"),
        "started": step.get("StartTime"),
        "ended": step.get("EndTime"),
    }


# --- repack join --------------------------------------------------------------------------------


def link_repack_jobs(graph: LineageGraph) -> list[str]:
    """Connect each repack training job to the model artifact it re-packed; return warnings.

    Adds job -[trained_on(channel, match "repack")]-> original artifact and sets the job's
    `repack` (True) and `repack_of` (ids of the jobs that produced the original artifact).
    An original artifact that is not in the graph leaves a `note` on the job instead.
    """
    warnings: list[str] = []
    for job in list(graph.nodes_of_kind(NodeKind.TRAINING_JOB)):
        if not is_repack_job(graph, job):
            continue
        attrs = graph.node(job)
        attrs["repack"] = True

        channel = _repack_channel(attrs)
        if channel is None:
            attrs["note"] = "repack job without an S3 input channel; the re-packed model is unknown"
            continue
        original = _original_artifact(channel["uri"], _decoded(attrs).get("model_archive"))
        if original is None:
            warnings.append(
                f"repack job {attrs.get('label')}: input {channel['uri']!r} is not an S3 location"
            )
            continue
        if original not in graph or graph.kind(original) not in (NodeKind.ARTIFACT,
                                                                  NodeKind.DATASET):
            attrs["note"] = f"re-packs {original}, which is not in the crawl"
            continue

        graph.add_edge(job, original, Relation.TRAINED_ON, channel=channel["channel"],
                       data_type=channel.get("data_type"), match="repack")
        attrs["repack_of"] = sorted(
            target for _, target, data in graph.out_edges(original)
            if data.get("relation") == Relation.PRODUCED_BY and target != job
        )
    return warnings


def is_repack_job(graph: LineageGraph, job: str) -> bool:
    """Return True when a training job node looks like the SDK's model repack step.

    Signals: both repack hyperparameters, `sagemaker_program` naming the repack script, or
    "RepackModel" in the job name or in the name of the pipeline step that ran it.
    """
    attrs = graph.node(job)
    decoded = _decoded(attrs)
    if REPACK_HYPERPARAMETERS <= decoded.keys():
        return True
    if str(decoded.get("sagemaker_program", "")).endswith(REPACK_SCRIPT):
        return True

    names = [attrs.get("name"), attrs.get("label")]
    names += [data.get("step") for _, _, data in graph.out_edges(job)
              if data.get("relation") == Relation.STEP_OF]
    return any(isinstance(name, str) and REPACK_NAME_MARK in name.lower() for name in names)


def _decoded(attrs: dict[str, Any]) -> dict[str, Any]:
    decoded = attrs.get("hyperparameters_decoded")
    return decoded if isinstance(decoded, dict) else {}


def _repack_channel(attrs: dict[str, Any]) -> dict[str, Any] | None:
    channels = [c for c in as_list(attrs.get("channels"))
                if isinstance(c, dict) and isinstance(c.get("uri"), str)]
    named = [c for c in channels if c.get("channel") == REPACK_CHANNEL]
    if named:
        return named[0]
    return channels[0] if len(channels) == 1 else None


def _original_artifact(channel_uri: str, model_archive: Any) -> str | None:
    """Return the artifact node id of the model a repack job read, or None for a non-S3 input.

    The SDK passes the model's parent prefix as the channel and the file name as
    `model_archive`, except when the model location is a pipeline property: then the channel is
    the model.tar.gz itself.
    """
    archive = model_archive if isinstance(model_archive, str) and model_archive else None
    if archive is not None and archive.startswith("s3://"):
        location = archive
    else:
        archive = archive or DEFAULT_MODEL_ARCHIVE
        stripped = channel_uri.rstrip("/")
        if stripped.rsplit("/", 1)[-1] == archive:
            location = stripped
        else:
            location = f"{stripped}/{archive}"
    try:
        return artifact_uri(location)
    except InvalidURIError:
        return None
