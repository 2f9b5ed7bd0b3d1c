"""How each resource kind is read: one row per kind instead of one method per kind.

A row names the Search resource (when Search supports the kind) and the list operation with its
result key and fixed arguments. It also names the describe operation with the argument that
takes the name, and the fields that carry the name and the ARN in records and list summaries.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from lineage.crawl.result import RecordKind


@dataclass(frozen=True, slots=True)
class KindSpec:
    """The operations and field names that read one resource kind."""

    kind: RecordKind
    name_field: str
    arn_field: str
    arn_type: str
    list_op: str | None
    list_key: str
    describe_op: str | None = None
    describe_arg: str = ""
    search_resource: str | None = None
    list_args: Mapping[str, Any] = field(default_factory=dict)
    # describe_model_package needs the ARN: the name of a versioned package is its group's name.
    describe_by_arn: bool = False
    # The Search record wraps the describe-shaped record under this key (Model search returns
    # a ModelDashboardModel whose "Model" member is the model itself).
    search_inner_key: str | None = None

    @property
    def label(self) -> str:
        return self.kind.value


SPECS: dict[RecordKind, KindSpec] = {
    spec.kind: spec
    for spec in (
        KindSpec(
            RecordKind.TRAINING_JOB, "TrainingJobName", "TrainingJobArn", "training-job",
            "list_training_jobs", "TrainingJobSummaries",
            "describe_training_job", "TrainingJobName", search_resource="TrainingJob",
        ),
        KindSpec(
            RecordKind.MODEL, "ModelName", "ModelArn", "model",
            "list_models", "Models",
            "describe_model", "ModelName", search_resource="Model", search_inner_key="Model",
        ),
        KindSpec(
            RecordKind.ENDPOINT, "EndpointName", "EndpointArn", "endpoint",
            "list_endpoints", "Endpoints",
            "describe_endpoint", "EndpointName", search_resource="Endpoint",
        ),
        KindSpec(
            RecordKind.ENDPOINT_CONFIG, "EndpointConfigName", "EndpointConfigArn",
            "endpoint-config", "list_endpoint_configs", "EndpointConfigs",
            "describe_endpoint_config", "EndpointConfigName",
        ),
        KindSpec(
            RecordKind.MODEL_PACKAGE, "ModelPackageName", "ModelPackageArn", "model-package",
            "list_model_packages", "ModelPackageSummaryList",
            "describe_model_package", "ModelPackageName", search_resource="ModelPackage",
            # The API default is "Unversioned", which hides every package in a group.
            list_args={"ModelPackageType": "Both"}, describe_by_arn=True,
        ),
        KindSpec(
            RecordKind.MODEL_PACKAGE_GROUP, "ModelPackageGroupName", "ModelPackageGroupArn",
            "model-package-group", "list_model_package_groups", "ModelPackageGroupSummaryList",
        ),
        KindSpec(
            RecordKind.TUNING_JOB, "HyperParameterTuningJobName", "HyperParameterTuningJobArn",
            "hyper-parameter-tuning-job", "list_hyper_parameter_tuning_jobs",
            "HyperParameterTuningJobSummaries",
            "describe_hyper_parameter_tuning_job", "HyperParameterTuningJobName",
            search_resource="HyperParameterTuningJob",
        ),
        KindSpec(
            RecordKind.PROCESSING_JOB, "ProcessingJobName", "ProcessingJobArn", "processing-job",
            "list_processing_jobs", "ProcessingJobSummaries",
            "describe_processing_job", "ProcessingJobName",
        ),
        KindSpec(
            RecordKind.TRANSFORM_JOB, "TransformJobName", "TransformJobArn", "transform-job",
            "list_transform_jobs", "TransformJobSummaries",
            "describe_transform_job", "TransformJobName",
        ),
        KindSpec(
            RecordKind.INFERENCE_COMPONENT, "InferenceComponentName", "InferenceComponentArn",
            "inference-component", "list_inference_components", "InferenceComponents",
            "describe_inference_component", "InferenceComponentName",
        ),
    )
}

# Kinds a full crawl reads, in the order it reads them. Endpoint configs come after endpoints
# because only the configs endpoints refer to are described.
FULL_CRAWL_ORDER: tuple[RecordKind, ...] = (
    RecordKind.TRAINING_JOB,
    RecordKind.MODEL,
    RecordKind.ENDPOINT,
    RecordKind.MODEL_PACKAGE,
    RecordKind.TUNING_JOB,
    RecordKind.ENDPOINT_CONFIG,
    RecordKind.PROCESSING_JOB,
    RecordKind.TRANSFORM_JOB,
    RecordKind.INFERENCE_COMPONENT,
    RecordKind.MODEL_PACKAGE_GROUP,
)

TAGS_OP = "list_tags"
TAGS_KEY = "Tags"
