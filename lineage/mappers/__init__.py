"""One pure mapper per record kind: API record dict -> Fragment of node and edge specs.

`MAPPERS` is the table the builder uses; `RESOURCE_TYPES` gives, per kind, which node kind and
ARN resource type a record becomes and which fields name it, for placeholders and references.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from lineage.crawl.result import RecordKind
from lineage.graph import NodeKind
from lineage.mappers.association import map_association
from lineage.mappers.base import EdgeSpec, Fragment, MalformedRecordError, NodeSpec, Ref
from lineage.mappers.endpoint import map_endpoint
from lineage.mappers.endpoint_config import map_endpoint_config
from lineage.mappers.inference_component import map_inference_component
from lineage.mappers.model import map_model
from lineage.mappers.model_package import map_model_package
from lineage.mappers.model_package_group import map_model_package_group
from lineage.mappers.pipeline import map_pipeline_execution
from lineage.mappers.processing_job import map_processing_job
from lineage.mappers.training_job import map_training_job
from lineage.mappers.transform_job import map_transform_job
from lineage.mappers.tuning_job import map_tuning_job

Mapper = Callable[[dict[str, Any]], Fragment]


@dataclass(frozen=True, slots=True)
class ResourceType:
    node_kind: NodeKind
    arn_type: str
    name_key: str
    arn_key: str


MAPPERS: dict[RecordKind, Mapper] = {
    RecordKind.TRAINING_JOB: map_training_job,
    RecordKind.MODEL: map_model,
    RecordKind.ENDPOINT: map_endpoint,
    RecordKind.ENDPOINT_CONFIG: map_endpoint_config,
    RecordKind.MODEL_PACKAGE: map_model_package,
    RecordKind.MODEL_PACKAGE_GROUP: map_model_package_group,
    RecordKind.PROCESSING_JOB: map_processing_job,
    RecordKind.TRANSFORM_JOB: map_transform_job,
    RecordKind.TUNING_JOB: map_tuning_job,
    RecordKind.INFERENCE_COMPONENT: map_inference_component,
    RecordKind.PIPELINE_EXECUTION: map_pipeline_execution,
    RecordKind.ASSOCIATION: map_association,
}

RESOURCE_TYPES: dict[RecordKind, ResourceType] = {
    RecordKind.TRAINING_JOB: ResourceType(
        NodeKind.TRAINING_JOB, "training-job", "TrainingJobName", "TrainingJobArn"),
    RecordKind.MODEL: ResourceType(NodeKind.MODEL, "model", "ModelName", "ModelArn"),
    RecordKind.ENDPOINT: ResourceType(
        NodeKind.ENDPOINT, "endpoint", "EndpointName", "EndpointArn"),
    RecordKind.ENDPOINT_CONFIG: ResourceType(
        NodeKind.ENDPOINT_CONFIG, "endpoint-config", "EndpointConfigName", "EndpointConfigArn"),
    RecordKind.MODEL_PACKAGE: ResourceType(
        NodeKind.MODEL_PACKAGE, "model-package", "ModelPackageName", "ModelPackageArn"),
    RecordKind.MODEL_PACKAGE_GROUP: ResourceType(
        NodeKind.MODEL_PACKAGE_GROUP, "model-package-group", "ModelPackageGroupName",
        "ModelPackageGroupArn"),
    RecordKind.PROCESSING_JOB: ResourceType(
        NodeKind.PROCESSING_JOB, "processing-job", "ProcessingJobName", "ProcessingJobArn"),
    RecordKind.TRANSFORM_JOB: ResourceType(
        NodeKind.TRANSFORM_JOB, "transform-job", "TransformJobName", "TransformJobArn"),
    RecordKind.TUNING_JOB: ResourceType(
        NodeKind.TUNING_JOB, "hyper-parameter-tuning-job", "HyperParameterTuningJobName",
        "HyperParameterTuningJobArn"),
    RecordKind.INFERENCE_COMPONENT: ResourceType(
        NodeKind.INFERENCE_COMPONENT, "inference-component", "InferenceComponentName",
        "InferenceComponentArn"),
    # An execution's ARN is pipeline/<pipeline name>/execution/<id>; records always carry it.
    RecordKind.PIPELINE_EXECUTION: ResourceType(
        NodeKind.PIPELINE_EXECUTION, "pipeline", "PipelineExecutionDisplayName",
        "PipelineExecutionArn"),
}

__all__ = [
    "MAPPERS",
    "RESOURCE_TYPES",
    "EdgeSpec",
    "Fragment",
    "MalformedRecordError",
    "Mapper",
    "NodeSpec",
    "Ref",
    "ResourceType",
]
