"""Generate synthetic SageMaker accounts as recordings, for the sample data and for benchmarks.

`Account` collects API-shaped records (training jobs, models, endpoint configs, endpoints,
processing, transform and tuning jobs, model packages and their groups) and writes them as one
recording document that replays the calls of a full crawl: `search` per resource kind in pages of
100, `describe_endpoint_config` per config name, the list and describe calls for processing and
transform jobs, `list_model_package_groups` and an empty `list_inference_components`.

`generate_account(spec)` fills an `Account` with a background of ordinary activity sized by an
`AccountSpec`, so the same code makes the small sample account and 100k-job benchmark accounts.
Output is a pure function of the spec: one seeded `random.Random` and a fixed base time.
"""

from __future__ import annotations

import argparse
import bisect
import hashlib
import json
import logging
import random
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from lineage.errors import LineageError
from lineage.identity import sagemaker_arn

logger = logging.getLogger(__name__)

# Images of SageMaker's built-in algorithms and framework containers in us-east-1.
XGBOOST_IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"
LINEAR_LEARNER_IMAGE = "382416733822.dkr.ecr.us-east-1.amazonaws.com/linear-learner:1"
SKLEARN_IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3"

SEARCH_PAGE_SIZE = 100

# Resource kinds a full crawl searches; each Search result holds its record under this key.
SEARCH_RESOURCES = ("TrainingJob", "Model", "Endpoint", "ModelPackage", "HyperParameterTuningJob")

TRAINING_INSTANCE_TYPES = ("ml.m5.xlarge", "ml.m5.2xlarge", "ml.c5.2xlarge", "ml.m5.4xlarge")
GPU_INSTANCE_TYPES = ("ml.g5.xlarge", "ml.g5.2xlarge", "ml.p3.2xlarge")


def iso(moment: datetime) -> str:
    """Format a time the way recordings store it (ISO 8601 with the UTC offset)."""
    return moment.isoformat()


def tag_list(tags: dict[str, str]) -> list[dict[str, str]]:
    return [{"Key": key, "Value": value} for key, value in tags.items()]


def image_digest(image: str) -> str:
    """Return a stable fake `sha256:` digest for an image URI."""
    return "sha256:" + hashlib.sha256(image.encode("utf-8")).hexdigest()


def s3_input_channel(
    channel: str, uri: str, data_type: str = "S3Prefix", content_type: str = "text/csv"
) -> dict[str, Any]:
    """Build one `InputDataConfig` channel reading an S3 location."""
    return {
        "ChannelName": channel,
        "DataSource": {
            "S3DataSource": {
                "S3DataType": data_type,
                "S3Uri": uri,
                "S3DataDistributionType": "FullyReplicated",
            }
        },
        "ContentType": content_type,
        "CompressionType": "None",
        "RecordWrapperType": "None",
    }


class InvalidSpecError(LineageError, ValueError):
    """An AccountSpec count or share is out of range."""


@dataclass(frozen=True, slots=True)
class AccountSpec:
    """Size and shape of a generated account.

    `hub_dataset_share` is the fraction of training jobs whose `train` channel reads one shared
    dataset prefix, which makes a node with a very large fan-out. The other jobs read dated
    per-project prefixes. The training job count includes the children of the tuning jobs.
    """

    account: str = "111122223333"
    region: str = "us-east-1"
    seed: int = 20240501
    base_time: datetime = datetime(2024, 3, 1, tzinfo=timezone.utc)
    span: timedelta = timedelta(days=90)
    training_jobs: int = 60
    models: int = 12
    endpoints: int = 3
    datasets: int = 8
    processing_jobs: int = 8
    tuning_jobs: int = 1
    children_per_tuning_job: int = 8
    transform_jobs: int = 1
    model_packages: int = 2
    hub_dataset_share: float = 0.0
    failed_share: float = 0.05
    data_bucket: str = "example-ml-data"
    model_bucket: str = "example-ml-models"
    code_bucket: str = "example-ml-artifacts"

    def __post_init__(self) -> None:
        counts = {
            "training_jobs": self.training_jobs, "models": self.models,
            "endpoints": self.endpoints, "datasets": self.datasets,
            "processing_jobs": self.processing_jobs, "tuning_jobs": self.tuning_jobs,
            "children_per_tuning_job": self.children_per_tuning_job,
            "transform_jobs": self.transform_jobs, "model_packages": self.model_packages,
        }
        for name, value in counts.items():
            if value < 0:
                raise InvalidSpecError(f"AccountSpec.{name} is {value}; counts must be 0 or more")
        for name in ("hub_dataset_share", "failed_share"):
            share = getattr(self, name)
            if not 0.0 <= share <= 1.0:
                raise InvalidSpecError(
                    f"AccountSpec.{name} is {share}; use a fraction from 0 to 1"
                )
        if self.tuning_jobs * self.children_per_tuning_job > self.training_jobs:
            raise InvalidSpecError(
                f"AccountSpec asks for {self.tuning_jobs} tuning jobs with "
                f"{self.children_per_tuning_job} children each, more than its "
                f"{self.training_jobs} training jobs; raise training_jobs or lower the others"
            )


# Named account sizes. "large" is the scale target of the app: 100k training jobs and one hub
# dataset that 10% of them train on. Counts the target does not name (processing, tuning,
# transform jobs, packages) are choices.
PRESETS: dict[str, AccountSpec] = {
    "sample": AccountSpec(),
    "small": AccountSpec(
        training_jobs=1_000, models=50, endpoints=10, datasets=50, processing_jobs=50,
        tuning_jobs=20, children_per_tuning_job=10, transform_jobs=5, model_packages=10,
        hub_dataset_share=0.1,
    ),
    "medium": AccountSpec(
        training_jobs=20_000, models=1_000, endpoints=200, datasets=1_000, processing_jobs=200,
        tuning_jobs=100, children_per_tuning_job=10, transform_jobs=20, model_packages=50,
        hub_dataset_share=0.1,
    ),
    "large": AccountSpec(
        training_jobs=100_000, models=5_000, endpoints=1_000, datasets=5_000,
        processing_jobs=500, tuning_jobs=200, children_per_tuning_job=10, transform_jobs=50,
        model_packages=100, hub_dataset_share=0.1,
    ),
}


def preset(name: str) -> AccountSpec:
    """Return the AccountSpec of a named preset; raise InvalidSpecError naming the choices."""
    try:
        return PRESETS[name]
    except KeyError:
        raise InvalidSpecError(
            f"unknown account preset {name!r}; choose one of {', '.join(PRESETS)}"
        ) from None


def hub_dataset_uri(spec: AccountSpec) -> str:
    """Return the S3 prefix that the hub share of a spec's training jobs trains on."""
    return f"s3://{spec.data_bucket}/shared/customer-features/"


@dataclass
class Account:
    """API-shaped records of one account and region, and the recording that replays them.

    Records are stored as SageMaker returns them (Search records for the searchable kinds, Describe
    responses for the rest), with times as ISO strings. `document()` adds the paging.
    """

    account: str = "111122223333"
    region: str = "us-east-1"
    role_arn: str = ""
    training_jobs: list[dict[str, Any]] = field(default_factory=list)
    models: list[dict[str, Any]] = field(default_factory=list)
    endpoint_configs: list[dict[str, Any]] = field(default_factory=list)
    endpoints: list[dict[str, Any]] = field(default_factory=list)
    processing_jobs: list[dict[str, Any]] = field(default_factory=list)
    transform_jobs: list[dict[str, Any]] = field(default_factory=list)
    tuning_jobs: list[dict[str, Any]] = field(default_factory=list)
    model_packages: list[dict[str, Any]] = field(default_factory=list)
    model_package_groups: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.role_arn:
            self.role_arn = f"arn:aws:iam::{self.account}:role/example-sagemaker-execution"

    def arn(self, resource_type: str, name: str) -> str:
        return sagemaker_arn(resource_type, name, self.region, self.account)

    def ecr_image(self, repository: str, tag: str) -> str:
        return f"{self.account}.dkr.ecr.{self.region}.amazonaws.com/{repository}:{tag}"

    # --- Training and tuning ------------------------------------------------------------------

    def add_training_job(
        self,
        name: str,
        *,
        image: str,
        created: datetime,
        duration: timedelta,
        hyperparameters: dict[str, str],
        channels: list[dict[str, Any]],
        output_path: str,
        metrics: dict[str, float] | None = None,
        status: str = "Completed",
        failure_reason: str | None = None,
        instance_type: str = "ml.m5.xlarge",
        instance_count: int = 1,
        tags: dict[str, str] | None = None,
        tuning_job: str | None = None,
        metric_definitions: list[dict[str, str]] | None = None,
    ) -> dict[str, Any]:
        """Add a training job record as Search returns it (a DescribeTrainingJob body plus Tags).

        The artifact is `<output_path>/<name>/output/model.tar.gz`, where SageMaker writes it; a
        failed job has no artifact and no metrics.
        """
        started = created + timedelta(minutes=3)
        ended = started + duration
        algorithm: dict[str, Any] = {"TrainingImage": image, "TrainingInputMode": "File"}
        if metric_definitions:
            algorithm["MetricDefinitions"] = metric_definitions
            algorithm["EnableSageMakerMetricsTimeSeries"] = True

        record: dict[str, Any] = {
            "TrainingJobName": name,
            "TrainingJobArn": self.arn("training-job", name.lower()),
        }
        if tuning_job:
            record["TuningJobArn"] = self.arn("hyper-parameter-tuning-job", tuning_job.lower())
        if status == "Completed":
            record["ModelArtifacts"] = {
                "S3ModelArtifacts": f"{output_path.rstrip('/')}/{name}/output/model.tar.gz"
            }
        record.update({
            "TrainingJobStatus": status,
            "SecondaryStatus": status,
        })
        if failure_reason:
            record["FailureReason"] = failure_reason
        record.update({
            "HyperParameters": dict(hyperparameters),
            "AlgorithmSpecification": algorithm,
            "RoleArn": self.role_arn,
            "InputDataConfig": channels,
            "OutputDataConfig": {"S3OutputPath": output_path},
            "ResourceConfig": {
                "InstanceType": instance_type,
                "InstanceCount": instance_count,
                "VolumeSizeInGB": 30,
            },
            "StoppingCondition": {"MaxRuntimeInSeconds": 86400},
            "CreationTime": iso(created),
            "TrainingStartTime": iso(started),
            "TrainingEndTime": iso(ended),
            "LastModifiedTime": iso(ended + timedelta(seconds=40)),
            "SecondaryStatusTransitions": [
                {"Status": "Starting", "StartTime": iso(created), "EndTime": iso(started),
                 "StatusMessage": "Preparing the instances for training"},
                {"Status": "Training", "StartTime": iso(started), "EndTime": iso(ended),
                 "StatusMessage": "Training image download completed. Training in progress."},
            ],
        })
        if metrics and status == "Completed":
            record["FinalMetricDataList"] = [
                {"MetricName": metric, "Value": value, "Timestamp": iso(ended)}
                for metric, value in metrics.items()
            ]
        seconds = int(duration.total_seconds())
        record.update({
            "EnableNetworkIsolation": False,
            "EnableInterContainerTrafficEncryption": False,
            "EnableManagedSpotTraining": False,
            "TrainingTimeInSeconds": seconds,
            "BillableTimeInSeconds": seconds,
            "Tags": tag_list(tags or {}),
        })
        self.training_jobs.append(record)
        return record

    def add_tuning_job(
        self,
        name: str,
        *,
        objective: tuple[str, str],
        definition: dict[str, Any],
        parameter_ranges: dict[str, Any],
        children: list[dict[str, Any]],
        tuned: list[str],
        created: datetime,
        tags: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        """Add a tuning job search record over children already added as training jobs.

        `objective` is (Maximize|Minimize, metric name); the best child is the one with the best
        final value of that metric. `tuned` names the hyperparameters the search varied.
        """
        direction, metric = objective
        completed = [job for job in children if job["TrainingJobStatus"] == "Completed"]

        def objective_value(job: dict[str, Any]) -> float:
            values = {m["MetricName"]: m["Value"] for m in job.get("FinalMetricDataList", [])}
            return values.get(metric, float("-inf") if direction == "Maximize" else float("inf"))

        chooser = max if direction == "Maximize" else min
        ended = max(datetime.fromisoformat(job["TrainingEndTime"]) for job in children)
        record: dict[str, Any] = {
            "HyperParameterTuningJobName": name,
            "HyperParameterTuningJobArn": self.arn("hyper-parameter-tuning-job", name.lower()),
            "HyperParameterTuningJobConfig": {
                "Strategy": "Bayesian",
                "HyperParameterTuningJobObjective": {"Type": direction, "MetricName": metric},
                "ResourceLimits": {
                    "MaxNumberOfTrainingJobs": len(children),
                    "MaxParallelTrainingJobs": 2,
                },
                "ParameterRanges": parameter_ranges,
                "TrainingJobEarlyStoppingType": "Off",
            },
            "TrainingJobDefinition": definition,
            "HyperParameterTuningJobStatus": "Completed",
            "CreationTime": iso(created),
            "HyperParameterTuningEndTime": iso(ended + timedelta(minutes=1)),
            "LastModifiedTime": iso(ended + timedelta(minutes=1)),
            "TrainingJobStatusCounters": {
                "Completed": len(completed),
                "InProgress": 0,
                "RetryableError": 0,
                "NonRetryableError": len(children) - len(completed),
                "Stopped": 0,
            },
            "ObjectiveStatusCounters": {
                "Succeeded": len(completed),
                "Pending": 0,
                "Failed": len(children) - len(completed),
            },
        }
        if completed:
            best = chooser(completed, key=objective_value)
            summary = {
                "TrainingJobName": best["TrainingJobName"],
                "TrainingJobArn": best["TrainingJobArn"],
                "TunedHyperParameters": {
                    key: best["HyperParameters"][key] for key in tuned
                    if key in best["HyperParameters"]
                },
                "CreationTime": best["CreationTime"],
                "TrainingStartTime": best["TrainingStartTime"],
                "TrainingEndTime": best["TrainingEndTime"],
                "TrainingJobStatus": "Completed",
                "FinalHyperParameterTuningJobObjectiveMetric": {
                    "Type": direction, "MetricName": metric, "Value": objective_value(best),
                },
                "ObjectiveStatus": "Succeeded",
            }
            record["BestTrainingJob"] = summary
        record["Tags"] = tag_list(tags or {})
        self.tuning_jobs.append(record)
        return record

    # --- Data preparation and batch jobs ------------------------------------------------------

    def add_processing_job(
        self,
        name: str,
        *,
        image: str,
        created: datetime,
        duration: timedelta,
        inputs: dict[str, str],
        outputs: dict[str, str],
        code_uri: str | None = None,
        training_job_arn: str | None = None,
        instance_type: str = "ml.m5.xlarge",
        status: str = "Completed",
    ) -> dict[str, Any]:
        """Add a DescribeProcessingJob response; `inputs` and `outputs` map names to S3 URIs.

        `code_uri` adds the `code` input that SDK script processors upload their script to.
        """
        started = created + timedelta(minutes=2)
        ended = started + duration
        processing_inputs = [
            {
                "InputName": input_name,
                "AppManaged": False,
                "S3Input": {
                    "S3Uri": uri,
                    "LocalPath": f"/opt/ml/processing/input/{input_name}",
                    "S3DataType": "S3Prefix",
                    "S3InputMode": "File",
                    "S3DataDistributionType": "FullyReplicated",
                    "S3CompressionType": "None",
                },
            }
            for input_name, uri in inputs.items()
        ]
        if code_uri:
            processing_inputs.append({
                "InputName": "code",
                "AppManaged": False,
                "S3Input": {
                    "S3Uri": code_uri,
                    "LocalPath": "/opt/ml/processing/input/code",
                    "S3DataType": "S3Prefix",
                    "S3InputMode": "File",
                    "S3DataDistributionType": "FullyReplicated",
                    "S3CompressionType": "None",
                },
            })
        entrypoint = ["python3", "/opt/ml/processing/input/code/" + code_uri.rsplit("/", 1)[-1]] \
            if code_uri else ["python3", "/opt/program/process.py"]
        record: dict[str, Any] = {
            "ProcessingInputs": processing_inputs,
            "ProcessingOutputConfig": {
                "Outputs": [
                    {
                        "OutputName": output_name,
                        "S3Output": {
                            "S3Uri": uri,
                            "LocalPath": f"/opt/ml/processing/output/{output_name}",
                            "S3UploadMode": "EndOfJob",
                        },
                        "AppManaged": False,
                    }
                    for output_name, uri in outputs.items()
                ]
            },
            "ProcessingJobName": name,
            "ProcessingResources": {
                "ClusterConfig": {
                    "InstanceCount": 1, "InstanceType": instance_type, "VolumeSizeInGB": 30,
                }
            },
            "StoppingCondition": {"MaxRuntimeInSeconds": 86400},
            "AppSpecification": {"ImageUri": image, "ContainerEntrypoint": entrypoint},
            "RoleArn": self.role_arn,
            "ProcessingJobArn": self.arn("processing-job", name.lower()),
            "ProcessingJobStatus": status,
            "ProcessingEndTime": iso(ended),
            "ProcessingStartTime": iso(started),
            "LastModifiedTime": iso(ended + timedelta(seconds=30)),
            "CreationTime": iso(created),
        }
        if training_job_arn:
            record["TrainingJobArn"] = training_job_arn
        self.processing_jobs.append(record)
        return record

    def add_transform_job(
        self,
        name: str,
        *,
        model_name: str,
        input_uri: str,
        output_uri: str,
        created: datetime,
        duration: timedelta,
        instance_type: str = "ml.m5.xlarge",
    ) -> dict[str, Any]:
        """Add a DescribeTransformJob response scoring CSV lines under `input_uri`."""
        started = created + timedelta(minutes=4)
        record = {
            "TransformJobName": name,
            "TransformJobArn": self.arn("transform-job", name.lower()),
            "TransformJobStatus": "Completed",
            "ModelName": model_name,
            "MaxConcurrentTransforms": 1,
            "MaxPayloadInMB": 6,
            "BatchStrategy": "MultiRecord",
            "TransformInput": {
                "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": input_uri}},
                "ContentType": "text/csv",
                "CompressionType": "None",
                "SplitType": "Line",
            },
            "TransformOutput": {
                "S3OutputPath": output_uri, "Accept": "text/csv", "AssembleWith": "Line",
            },
            "TransformResources": {"InstanceType": instance_type, "InstanceCount": 1},
            "CreationTime": iso(created),
            "TransformStartTime": iso(started),
            "TransformEndTime": iso(started + duration),
            "DataProcessing": {"InputFilter": "$", "OutputFilter": "$", "JoinSource": "None"},
        }
        self.transform_jobs.append(record)
        return record

    # --- Models and the registry --------------------------------------------------------------

    def add_model(
        self,
        name: str,
        *,
        containers: list[dict[str, Any]],
        created: datetime,
        tags: dict[str, str] | None = None,
        arn_name: str | None = None,
    ) -> dict[str, Any]:
        """Add a model. One container becomes `PrimaryContainer`; several make a serial pipeline.

        `arn_name` overrides the name part of the ARN (SageMaker lower-cases it for models).
        """
        record: dict[str, Any] = {"ModelName": name}
        if len(containers) == 1:
            record["PrimaryContainer"] = containers[0]
        else:
            record["Containers"] = containers
            record["InferenceExecutionConfig"] = {"Mode": "Serial"}
        record.update({
            "ExecutionRoleArn": self.role_arn,
            "CreationTime": iso(created),
            "ModelArn": self.arn("model", arn_name or name.lower()),
            "EnableNetworkIsolation": False,
            "Tags": tag_list(tags or {}),
        })
        self.models.append(record)
        return record

    def add_model_package_group(
        self, name: str, *, description: str, created: datetime
    ) -> dict[str, Any]:
        record = {
            "ModelPackageGroupName": name,
            "ModelPackageGroupArn": self.arn("model-package-group", name.lower()),
            "ModelPackageGroupDescription": description,
            "CreationTime": iso(created),
            "ModelPackageGroupStatus": "Completed",
        }
        self.model_package_groups.append(record)
        return record

    def add_model_package(
        self,
        group: str,
        *,
        version: int,
        image: str,
        model_data_url: str,
        created: datetime,
        approval: str = "Approved",
        description: str = "",
        metadata: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        """Add a versioned model package of `group` as Search returns it."""
        record: dict[str, Any] = {
            "ModelPackageName": group,
            "ModelPackageGroupName": group,
            "ModelPackageVersion": version,
            "ModelPackageArn": self.arn("model-package", f"{group.lower()}/{version}"),
            "ModelPackageDescription": description or f"{group} version {version}",
            "CreationTime": iso(created),
            "InferenceSpecification": {
                "Containers": [{
                    "Image": image,
                    "ImageDigest": image_digest(image),
                    "ModelDataUrl": model_data_url,
                }],
                "SupportedTransformInstanceTypes": ["ml.m5.xlarge"],
                "SupportedRealtimeInferenceInstanceTypes": ["ml.m5.large", "ml.m5.xlarge"],
                "SupportedContentTypes": ["text/csv"],
                "SupportedResponseMIMETypes": ["text/csv"],
            },
            "ModelPackageStatus": "Completed",
            "ModelApprovalStatus": approval,
            "LastModifiedTime": iso(created + timedelta(hours=2)),
            "CustomerMetadataProperties": dict(metadata or {}),
            "Tags": [],
        }
        self.model_packages.append(record)
        return record

    # --- Serving ------------------------------------------------------------------------------

    def add_endpoint_config(
        self,
        name: str,
        *,
        variants: list[dict[str, Any]],
        created: datetime,
        shadow_variants: list[dict[str, Any]] | None = None,
        data_capture_uri: str | None = None,
    ) -> dict[str, Any]:
        """Add a DescribeEndpointConfig response; variants are `ProductionVariant` dicts."""
        record: dict[str, Any] = {
            "EndpointConfigName": name,
            "EndpointConfigArn": self.arn("endpoint-config", name.lower()),
            "ProductionVariants": variants,
        }
        if data_capture_uri:
            record["DataCaptureConfig"] = {
                "EnableCapture": True,
                "InitialSamplingPercentage": 20,
                "DestinationS3Uri": data_capture_uri,
                "KmsKeyId": f"arn:aws:kms:{self.region}:{self.account}:alias/example-ml-capture",
                "CaptureOptions": [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}],
            }
        record["CreationTime"] = iso(created)
        if shadow_variants:
            record["ShadowProductionVariants"] = shadow_variants
        self.endpoint_configs.append(record)
        return record

    def add_endpoint(
        self,
        name: str,
        *,
        config_name: str,
        created: datetime,
        modified: datetime,
        tags: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        """Add an InService endpoint running `config_name` (already added), as Search returns it.

        Variant summaries are derived from the config: weights, instance counts or the serverless
        settings, and the images of the variant's model.
        """
        config = self._find(self.endpoint_configs, "EndpointConfigName", config_name)
        record: dict[str, Any] = {
            "EndpointName": name,
            "EndpointArn": self.arn("endpoint", name.lower()),
            "EndpointConfigName": config_name,
            "ProductionVariants": [
                self._variant_summary(variant, modified)
                for variant in config["ProductionVariants"]
            ],
        }
        capture = config.get("DataCaptureConfig")
        if capture:
            record["DataCaptureConfig"] = {
                "EnableCapture": True,
                "CaptureStatus": "Started",
                "CurrentSamplingPercentage": capture["InitialSamplingPercentage"],
                "DestinationS3Uri": capture["DestinationS3Uri"],
                "KmsKeyId": capture["KmsKeyId"],
            }
        record.update({
            "EndpointStatus": "InService",
            "CreationTime": iso(created),
            "LastModifiedTime": iso(modified),
            "Tags": tag_list(tags or {}),
        })
        if config.get("ShadowProductionVariants"):
            record["ShadowProductionVariants"] = [
                self._variant_summary(variant, modified)
                for variant in config["ShadowProductionVariants"]
            ]
        self.endpoints.append(record)
        return record

    def _variant_summary(self, variant: dict[str, Any], deployed: datetime) -> dict[str, Any]:
        model = self._find(self.models, "ModelName", variant["ModelName"])
        containers = model.get("Containers") or [model["PrimaryContainer"]]
        summary: dict[str, Any] = {
            "VariantName": variant["VariantName"],
            "DeployedImages": [
                {
                    "SpecifiedImage": image,
                    "ResolvedImage": image.rsplit(":", 1)[0] + "@" + image_digest(image),
                    "ResolutionTime": iso(deployed),
                }
                for image in map(self._container_image, containers)
            ],
            "CurrentWeight": variant.get("InitialVariantWeight", 1.0),
            "DesiredWeight": variant.get("InitialVariantWeight", 1.0),
        }
        if "ServerlessConfig" in variant:
            summary["CurrentServerlessConfig"] = dict(variant["ServerlessConfig"])
            summary["DesiredServerlessConfig"] = dict(variant["ServerlessConfig"])
        else:
            summary["CurrentInstanceCount"] = variant["InitialInstanceCount"]
            summary["DesiredInstanceCount"] = variant["InitialInstanceCount"]
        return summary

    def _container_image(self, container: dict[str, Any]) -> str:
        # A model created from a model package names the package instead of an image.
        if "Image" in container:
            return str(container["Image"])
        package = self._find(self.model_packages, "ModelPackageArn", container["ModelPackageName"])
        return str(package["InferenceSpecification"]["Containers"][0]["Image"])

    @staticmethod
    def _find(records: list[dict[str, Any]], key: str, name: str) -> dict[str, Any]:
        for record in reversed(records):
            if record[key] == name:
                return record
        raise KeyError(f"no record with {key}={name!r} has been added yet; add it first")

    # --- The recording ------------------------------------------------------------------------

    def document(
        self, *, recorded_at: datetime, description: str, page_size: int = SEARCH_PAGE_SIZE
    ) -> dict[str, Any]:
        """Return the recording of a full crawl at `recorded_at`.

        Resources created after `recorded_at` are left out, so one `Account` gives several crawls
        of a growing account. Search and list pages hold `page_size` records, newest first.
        """

        def existing(records: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
            kept = [r for r in records if datetime.fromisoformat(r["CreationTime"]) <= recorded_at]
            return sorted(kept, key=lambda r: r["CreationTime"], reverse=True)

        endpoints = existing(self.endpoints)
        serving = self._endpoints_by_model(endpoints)
        search = {
            "TrainingJob": existing(self.training_jobs),
            "Model": [
                # Search on Model returns a ModelDashboardModel: the model itself under
                # "Model" plus the endpoints whose current config serves it.
                {"Model": model, "Endpoints": serving.get(model["ModelName"], [])}
                for model in existing(self.models)
            ],
            "Endpoint": endpoints,
            "ModelPackage": existing(self.model_packages),
            "HyperParameterTuningJob": existing(self.tuning_jobs),
        }
        processing = existing(self.processing_jobs)
        transform = existing(self.transform_jobs)
        groups = existing(self.model_package_groups)

        responses: dict[str, Any] = {
            "search": {"by_args": [
                entry
                for resource in SEARCH_RESOURCES
                for entry in _search_pages(resource, search[resource], page_size)
            ]},
            "describe_endpoint_config": {"by_args": [
                {"args": {"EndpointConfigName": config["EndpointConfigName"]}, "response": config}
                for config in existing(self.endpoint_configs)
            ]},
            "list_processing_jobs": _list_pages(
                "ProcessingJobSummaries", [_processing_summary(job) for job in processing],
                page_size,
            ),
            "describe_processing_job": {"by_args": [
                {"args": {"ProcessingJobName": job["ProcessingJobName"]}, "response": job}
                for job in processing
            ]},
            "list_transform_jobs": _list_pages(
                "TransformJobSummaries", [_transform_summary(job) for job in transform], page_size,
            ),
            "describe_transform_job": {"by_args": [
                {"args": {"TransformJobName": job["TransformJobName"]}, "response": job}
                for job in transform
            ]},
            "list_model_package_groups": _list_pages(
                "ModelPackageGroupSummaryList", groups, page_size,
            ),
            "list_inference_components": {"InferenceComponents": []},
            # The generated account has no pipelines or lineage associations. Empty pages record
            # that, where a missing operation would be reported as a denied permission.
            "list_pipelines": {"PipelineSummaries": []},
            "list_associations": {"AssociationSummaries": []},
        }
        return {
            "account": self.account,
            "region": self.region,
            "recorded_at": iso(recorded_at),
            "description": description,
            "responses": responses,
        }

    def _endpoints_by_model(
        self, endpoints: list[dict[str, Any]]
    ) -> dict[str, list[dict[str, Any]]]:
        """Map model names to summaries of the endpoints whose current config serves them."""
        configs = {config["EndpointConfigName"]: config for config in self.endpoint_configs}
        serving: dict[str, list[dict[str, Any]]] = {}
        for endpoint in endpoints:
            config = configs[endpoint["EndpointConfigName"]]
            variants = config["ProductionVariants"] + config.get("ShadowProductionVariants", [])
            summary = {
                key: endpoint[key] for key in (
                    "EndpointName", "EndpointArn", "CreationTime", "LastModifiedTime",
                    "EndpointStatus",
                )
            }
            for model_name in dict.fromkeys(variant["ModelName"] for variant in variants):
                serving.setdefault(model_name, []).append(summary)
        return serving


def _search_pages(
    resource: str, records: list[dict[str, Any]], page_size: int
) -> list[dict[str, Any]]:
    """Return the `by_args` entries for Search on `resource`, later pages first.

    A recording replies with the first entry whose args are a subset of the call's, so the entries
    that need a NextToken must come before the first page's entry, which has none.
    """
    pages = [records[start:start + page_size] for start in range(0, len(records), page_size)]
    if not pages:
        pages = [[]]
    entries = []
    for number, page in enumerate(pages):
        response: dict[str, Any] = {"Results": [{resource: record} for record in page]}
        if number + 1 < len(pages):
            response["NextToken"] = _token(resource, number + 1)
        args: dict[str, Any] = {"Resource": resource}
        if number:
            args["NextToken"] = _token(resource, number)
        entries.append({"args": args, "response": response})
    return entries[1:] + entries[:1]


def _list_pages(key: str, summaries: list[dict[str, Any]], page_size: int) -> dict[str, Any]:
    """Return a list operation's response, paged with NextToken like `_search_pages`."""
    pages = [summaries[start:start + page_size] for start in range(0, len(summaries), page_size)]
    if len(pages) <= 1:
        return {key: pages[0] if pages else []}
    entries = []
    for number, page in enumerate(pages):
        response: dict[str, Any] = {key: page}
        if number + 1 < len(pages):
            response["NextToken"] = _token(key, number + 1)
        args = {"NextToken": _token(key, number)} if number else {}
        entries.append({"args": args, "response": response})
    return {"by_args": entries[1:] + entries[:1]}


def _token(scope: str, page: int) -> str:
    return hashlib.sha256(f"{scope}/{page}".encode()).hexdigest()[:32]


def _processing_summary(job: dict[str, Any]) -> dict[str, Any]:
    return {
        key: job[key] for key in (
            "ProcessingJobName", "ProcessingJobArn", "CreationTime", "ProcessingEndTime",
            "LastModifiedTime", "ProcessingJobStatus",
        ) if key in job
    }


def _transform_summary(job: dict[str, Any]) -> dict[str, Any]:
    summary: dict[str, Any] = {
        key: job[key] for key in (
            "TransformJobName", "TransformJobArn", "CreationTime", "TransformEndTime",
            "TransformJobStatus",
        ) if key in job
    }
    summary["LastModifiedTime"] = job["TransformEndTime"]
    return summary


# --- Background activity sized by an AccountSpec ------------------------------------------------


@dataclass(frozen=True, slots=True)
class Project:
    """A team's line of work: its algorithm family and the tags its resources carry."""

    name: str
    family: str  # xgboost-binary | xgboost-regression | linear-binary | linear-regression | script
    owner: str
    customer: str
    industry: str

    @property
    def tags(self) -> dict[str, str]:
        return {
            "Project": self.name, "Owner": self.owner,
            "customer": self.customer, "industry": self.industry,
        }


PROJECTS = (
    Project("churn", "xgboost-binary", "maria.garcia", "acme-telecom", "telecommunications"),
    Project("fraud", "xgboost-binary", "li.wei", "northwind-bank", "financial-services"),
    Project("demand", "linear-regression", "sam.okafor", "contoso-retail", "retail"),
    Project("reco", "script", "ana.silva", "contoso-retail", "retail"),
    Project("ltv", "xgboost-regression", "maria.garcia", "acme-telecom", "telecommunications"),
    Project("support", "linear-binary", "jonas.berg", "fabrikam-insurance", "insurance"),
)

FAILURE_REASONS = (
    "AlgorithmError: framework error: XGBoostError: label must be in [0,1] for logistic "
    "regression",
    "ClientError: Data download failed: no S3 objects found under the channel's S3 prefix",
    "CapacityError: Unable to provision requested ML compute capacity. Please retry using a "
    "different ML instance type.",
)

# Metric definitions a script-mode training container's logs are parsed with.
SCRIPT_METRIC_DEFINITIONS = [
    {"Name": "train:loss", "Regex": r"train_loss=([0-9\.]+)"},
    {"Name": "validation:accuracy", "Regex": r"val_accuracy=([0-9\.]+)"},
]


@dataclass(frozen=True, slots=True)
class Dataset:
    """A dated dataset of one project: train and validation prefixes written at `created`."""

    project: Project
    label: str
    created: datetime
    train: str
    validation: str


def family_image(account: Account, project: Project, purpose: str = "train") -> str:
    """Return the container image a project trains (or, with purpose="serve", serves) with."""
    if project.family.startswith("xgboost"):
        return XGBOOST_IMAGE
    if project.family.startswith("linear"):
        return LINEAR_LEARNER_IMAGE
    return account.ecr_image(f"{project.name}-{purpose}", "2.1")


def short_algorithm(project: Project) -> str:
    return {"xgboost": "xgboost", "linear": "linear-learner", "script": "pytorch"}[
        project.family.split("-")[0]
    ]


def draw_hyperparameters(
    project: Project, job_name: str, rng: random.Random, code_bucket: str
) -> tuple[dict[str, str], dict[str, float]]:
    """Draw one job's hyperparameters (as SageMaker stores them) and final metric values.

    Script-mode jobs carry the values the SageMaker Python SDK 2.110 and later sends: every value
    JSON-encoded, so strings arrive quoted (`"\\"train.py\\""`) and numbers do not.
    """
    family = project.family
    if family.startswith("xgboost"):
        binary = family == "xgboost-binary"
        hyperparameters = {
            "objective": "binary:logistic" if binary else "reg:squarederror",
            "eval_metric": "auc" if binary else "rmse",
            "eta": str(rng.choice((0.05, 0.1, 0.15, 0.2, 0.3))),
            "max_depth": str(rng.randint(3, 9)),
            "num_round": str(rng.choice((100, 200, 300))),
            "subsample": str(rng.choice((0.7, 0.8, 0.9))),
        }
        if binary:
            auc = round(rng.uniform(0.78, 0.93), 4)
            return hyperparameters, {
                "validation:auc": auc,
                "train:auc": round(min(0.999, auc + rng.uniform(0.01, 0.06)), 4),
            }
        rmse = round(rng.uniform(40.0, 95.0), 3)
        return hyperparameters, {
            "validation:rmse": rmse, "train:rmse": round(rmse * rng.uniform(0.8, 0.95), 3),
        }

    if family.startswith("linear"):
        binary = family == "linear-binary"
        hyperparameters = {
            "predictor_type": "binary_classifier" if binary else "regressor",
            "feature_dim": "auto",
            "mini_batch_size": str(rng.choice((100, 200, 500))),
            "epochs": str(rng.choice((10, 15, 20))),
            "learning_rate": rng.choice(("auto", "0.01", "0.05")),
        }
        if binary:
            accuracy = round(rng.uniform(0.80, 0.92), 4)
            return hyperparameters, {
                "validation:binary_classification_accuracy": accuracy,
                "train:binary_classification_accuracy": round(
                    min(0.999, accuracy + rng.uniform(0.0, 0.04)), 4
                ),
                "validation:objective_loss": round(rng.uniform(0.2, 0.45), 4),
            }
        rmse = round(rng.uniform(10.0, 30.0), 3)
        return hyperparameters, {
            "validation:rmse": rmse,
            "train:objective_loss": round(rmse * rmse * rng.uniform(0.8, 0.95), 2),
        }

    hyperparameters = {
        "sagemaker_program": '"train.py"',
        "sagemaker_submit_directory":
            f'"s3://{code_bucket}/{job_name}/source/sourcedir.tar.gz"',
        "sagemaker_container_log_level": "20",
        "sagemaker_job_name": f'"{job_name}"',
        "sagemaker_region": '"us-east-1"',
        "learning_rate": f'"{rng.choice(("0.001", "0.0005", "0.002"))}"',
        "batch_size": str(rng.choice((128, 256, 512))),
        "epochs": str(rng.choice((8, 12, 16))),
    }
    accuracy = round(rng.uniform(0.62, 0.78), 4)
    return hyperparameters, {
        "validation:accuracy": accuracy, "train:loss": round(rng.uniform(0.3, 0.9), 4),
    }


def job_name(project: Project, created: datetime, rng: random.Random) -> str:
    """Name a job as the SageMaker SDK does: base name, then time to the millisecond."""
    return (
        f"{project.name}-{short_algorithm(project)}-"
        f"{created:%Y-%m-%d-%H-%M-%S}-{rng.randrange(1000):03d}"
    )


def build_account(spec: AccountSpec) -> Account:
    """Build the background account of `spec`: datasets, jobs, models, endpoints and packages."""
    rng = random.Random(spec.seed)
    account = Account(account=spec.account, region=spec.region)
    projects = PROJECTS

    datasets = _add_datasets(account, spec, rng, projects)
    jobs = _add_training_jobs(account, spec, rng, projects, datasets)
    children = _add_tuning_jobs(account, spec, rng, projects, datasets)
    models = _add_models(account, spec, rng, jobs + children)
    _add_endpoints(account, spec, rng, models)
    _add_model_packages(account, spec, models)
    _add_transform_jobs(account, spec, models)
    _add_evaluation_jobs(account, spec, rng, jobs, datasets)

    logger.debug(
        "built synthetic account %s: %d training jobs, %d models, %d endpoints",
        spec.account, len(account.training_jobs), len(account.models), len(account.endpoints),
    )
    return account


def generate_account(spec: AccountSpec) -> dict[str, Any]:
    """Return the recording of a full crawl of the account `spec` describes.

    The crawl time is one day after the end of `spec.span`, when every job has finished.
    """
    account = build_account(spec)
    recorded_at = spec.base_time + spec.span + timedelta(days=1)
    return account.document(
        recorded_at=recorded_at,
        description=(
            f"Synthetic account {spec.account} in {spec.region}: {spec.training_jobs} training "
            f"jobs, {spec.models} models, {spec.endpoints} endpoints (seed {spec.seed})"
        ),
    )


def _unit_times(count: int, spec: AccountSpec, rng: random.Random) -> list[datetime]:
    """Return `count` strictly increasing times spread over the span, at least a second apart."""
    times: list[datetime] = []
    step = spec.span / max(count, 1)
    for index in range(count):
        moment = spec.base_time + step * (index + rng.random() * 0.8)
        moment = moment.replace(microsecond=0)
        if times and moment <= times[-1]:
            moment = times[-1] + timedelta(seconds=1)
        times.append(moment)
    return times


def _add_datasets(
    account: Account, spec: AccountSpec, rng: random.Random, projects: tuple[Project, ...]
) -> dict[str, list[Dataset]]:
    """Create dated datasets per project; the first `processing_jobs` get a producing job."""
    by_project: dict[str, list[Dataset]] = {project.name: [] for project in projects}
    used_labels: set[str] = set()
    times = _unit_times(spec.datasets, spec, rng)
    for index, created in enumerate(times):
        project = projects[index % len(projects)]
        label = f"{created:%Y-%m-%d}"
        if f"{project.name}/{label}" in used_labels:
            label = f"{created:%Y-%m-%d}-{index:05d}"
        used_labels.add(f"{project.name}/{label}")
        root = f"s3://{spec.data_bucket}/{project.name}/{label}"
        dataset = Dataset(project, label, created, f"{root}/train/", f"{root}/validation/")
        by_project[project.name].append(dataset)

        if index < spec.processing_jobs:
            name = f"{project.name}-prep-{label}"
            account.add_processing_job(
                name,
                image=SKLEARN_IMAGE,
                created=created - timedelta(hours=1),
                duration=timedelta(minutes=rng.randint(6, 25)),
                inputs={"raw": f"s3://example-ml-raw/{project.name}/exports/{label}/"},
                outputs={"train": dataset.train, "validation": dataset.validation},
                code_uri=f"s3://{spec.code_bucket}/{name}/input/code/preprocess.py",
            )
    return by_project


def _pick_dataset(
    datasets: dict[str, list[Dataset]], project: Project, created: datetime
) -> Dataset | None:
    """Return the newest dataset of the project written before `created` (else its first)."""
    candidates = datasets.get(project.name) or []
    if not candidates:
        return None
    position = bisect.bisect_right(candidates, created, key=lambda d: d.created)
    return candidates[max(position - 1, 0)]


def _channels(
    dataset: Dataset | None, spec: AccountSpec, rng: random.Random
) -> list[dict[str, Any]]:
    hub = hub_dataset_uri(spec)
    if dataset is None or rng.random() < spec.hub_dataset_share:
        validation = dataset.validation if dataset else f"{hub}validation/"
        return [s3_input_channel("train", hub), s3_input_channel("validation", validation)]
    return [
        s3_input_channel("train", dataset.train),
        s3_input_channel("validation", dataset.validation),
    ]


def _add_training_jobs(
    account: Account,
    spec: AccountSpec,
    rng: random.Random,
    projects: tuple[Project, ...],
    datasets: dict[str, list[Dataset]],
) -> list[dict[str, Any]]:
    """Add the training jobs that are not tuning children; a share of them fails."""
    count = spec.training_jobs - spec.tuning_jobs * spec.children_per_tuning_job
    jobs = []
    for created in _unit_times(count, spec, rng):
        project = rng.choice(projects)
        name = job_name(project, created, rng)
        hyperparameters, metrics = draw_hyperparameters(project, name, rng, spec.code_bucket)
        failed = rng.random() < spec.failed_share
        script = project.family == "script"
        jobs.append(account.add_training_job(
            name,
            image=family_image(account, project),
            created=created,
            duration=timedelta(minutes=rng.randint(4, 90)),
            hyperparameters=hyperparameters,
            channels=_channels(_pick_dataset(datasets, project, created), spec, rng),
            output_path=f"s3://{spec.model_bucket}/{project.name}/training-output",
            metrics=metrics,
            status="Failed" if failed else "Completed",
            failure_reason=rng.choice(FAILURE_REASONS) if failed else None,
            instance_type=rng.choice(GPU_INSTANCE_TYPES if script else TRAINING_INSTANCE_TYPES),
            tags=project.tags,
            metric_definitions=SCRIPT_METRIC_DEFINITIONS if script else None,
        ))
    return jobs


def _add_tuning_jobs(
    account: Account,
    spec: AccountSpec,
    rng: random.Random,
    projects: tuple[Project, ...],
    datasets: dict[str, list[Dataset]],
) -> list[dict[str, Any]]:
    """Add XGBoost tuning jobs maximising validation:auc, each with its child training jobs."""
    candidates = [p for p in projects if p.family == "xgboost-binary"]
    children: list[dict[str, Any]] = []
    for index, created in enumerate(_unit_times(spec.tuning_jobs, spec, rng)):
        project = candidates[index % len(candidates)]
        name = f"{project.name}-xgb-hpo-{created:%m%d}-{index:03d}"
        static = {"objective": "binary:logistic", "eval_metric": "auc", "num_round": "200"}
        channels = _channels(_pick_dataset(datasets, project, created), spec, rng)
        output_path = f"s3://{spec.model_bucket}/{project.name}/tuning-output"
        family: list[dict[str, Any]] = []
        for number in range(1, spec.children_per_tuning_job + 1):
            child_name = f"{name}-{number:03d}-{rng.getrandbits(32):08x}"
            hyperparameters, metrics = draw_hyperparameters(
                project, child_name, rng, spec.code_bucket
            )
            tuned = {key: hyperparameters[key] for key in ("eta", "max_depth")}
            family.append(account.add_training_job(
                child_name,
                image=XGBOOST_IMAGE,
                created=created + timedelta(minutes=12 * ((number - 1) // 2)),
                duration=timedelta(minutes=rng.randint(5, 11)),
                hyperparameters={**static, **tuned, "_tuning_objective_metric": "validation:auc"},
                channels=channels,
                output_path=output_path,
                metrics=metrics,
                tags=project.tags,
                tuning_job=name,
            ))
        account.add_tuning_job(
            name,
            objective=("Maximize", "validation:auc"),
            definition=_tuning_definition(account, static, channels, output_path),
            parameter_ranges=XGBOOST_PARAMETER_RANGES,
            children=family,
            tuned=["eta", "max_depth"],
            created=created,
            tags=project.tags,
        )
        children.extend(family)
    return children


XGBOOST_PARAMETER_RANGES: dict[str, Any] = {
    "IntegerParameterRanges": [
        {"Name": "max_depth", "MinValue": "3", "MaxValue": "10", "ScalingType": "Auto"},
    ],
    "ContinuousParameterRanges": [
        {"Name": "eta", "MinValue": "0.05", "MaxValue": "0.5", "ScalingType": "Auto"},
    ],
    "CategoricalParameterRanges": [],
}


def _tuning_definition(
    account: Account,
    static: dict[str, str],
    channels: list[dict[str, Any]],
    output_path: str,
    image: str = XGBOOST_IMAGE,
) -> dict[str, Any]:
    """Return the `TrainingJobDefinition` of a tuning job training with a built-in algorithm."""
    return {
        "StaticHyperParameters": dict(static),
        "AlgorithmSpecification": {"TrainingImage": image, "TrainingInputMode": "File"},
        "RoleArn": account.role_arn,
        "InputDataConfig": channels,
        "OutputDataConfig": {"S3OutputPath": output_path},
        "ResourceConfig": {"InstanceType": "ml.m5.xlarge", "InstanceCount": 1,
                           "VolumeSizeInGB": 30},
        "StoppingCondition": {"MaxRuntimeInSeconds": 3600},
        "EnableNetworkIsolation": False,
        "EnableInterContainerTrafficEncryption": False,
        "EnableManagedSpotTraining": False,
    }


def _project_of(job: dict[str, Any]) -> Project:
    tags = {tag["Key"]: tag["Value"] for tag in job.get("Tags", [])}
    return next(p for p in PROJECTS if p.name == tags.get("Project"))


def _add_models(
    account: Account, spec: AccountSpec, rng: random.Random, jobs: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Create models from completed jobs spread over the account's history."""
    completed = [job for job in jobs if job["TrainingJobStatus"] == "Completed"]
    if not completed or not spec.models:
        return []
    step = max(len(completed) / spec.models, 1.0)
    chosen = [completed[min(int(i * step), len(completed) - 1)] for i in range(spec.models)]
    models: list[dict[str, Any]] = []
    for index, job in enumerate(chosen):
        project = _project_of(job)
        artifact = job["ModelArtifacts"]["S3ModelArtifacts"]
        container: dict[str, Any] = {
            "Image": family_image(account, project, "serve"),
            "Mode": "SingleModel",
            "ModelDataUrl": artifact,
            "Environment": {},
        }
        if project.family == "script":
            container["Environment"] = {
                "SAGEMAKER_PROGRAM": "inference.py",
                "SAGEMAKER_SUBMIT_DIRECTORY": artifact,
                "SAGEMAKER_CONTAINER_LOG_LEVEL": "20",
                "SAGEMAKER_REGION": spec.region,
            }
        name = f"{job['TrainingJobName']}-model"
        if any(model["ModelName"] == name for model in models):
            name = f"{name}-{index}"
        created = datetime.fromisoformat(job["TrainingEndTime"]) + timedelta(
            minutes=rng.randint(10, 240)
        )
        models.append(account.add_model(
            name, containers=[container], created=created, tags=project.tags,
        ))
    return models


def _add_endpoints(
    account: Account, spec: AccountSpec, rng: random.Random, models: list[dict[str, Any]]
) -> None:
    """Serve the newest models on single-variant endpoints, one config each."""
    if not models:
        return
    for index in range(spec.endpoints):
        model = models[-1 - (index % len(models))]
        project_name = model["ModelName"].split("-")[0]
        created = datetime.fromisoformat(model["CreationTime"]) + timedelta(minutes=15)
        endpoint = f"{project_name}-endpoint-{index + 1:04d}"
        config = f"{endpoint}-config-{created:%Y%m%d%H%M%S}"
        account.add_endpoint_config(
            config,
            variants=[{
                "VariantName": "AllTraffic",
                "ModelName": model["ModelName"],
                "InitialInstanceCount": rng.choice((1, 2)),
                "InstanceType": "ml.m5.large",
                "InitialVariantWeight": 1.0,
            }],
            created=created,
        )
        tags = {tag["Key"]: tag["Value"] for tag in model.get("Tags", [])}
        account.add_endpoint(
            endpoint, config_name=config, created=created + timedelta(minutes=1),
            modified=created + timedelta(minutes=9), tags=tags,
        )


def _add_model_packages(
    account: Account, spec: AccountSpec, models: list[dict[str, Any]]
) -> None:
    """Register the first `model_packages` models as versions in one group per project."""
    versions: dict[str, int] = {}
    for model in models[: spec.model_packages]:
        container = model["PrimaryContainer"]
        project_name = model["ModelName"].split("-")[0]
        group = f"{project_name}-registry"
        created = datetime.fromisoformat(model["CreationTime"]) + timedelta(minutes=5)
        if group not in versions:
            account.add_model_package_group(
                group, description=f"Approved {project_name} models", created=created,
            )
        versions[group] = versions.get(group, 0) + 1
        account.add_model_package(
            group,
            version=versions[group],
            image=container["Image"],
            model_data_url=container["ModelDataUrl"],
            created=created + timedelta(minutes=1),
        )


def _add_transform_jobs(
    account: Account, spec: AccountSpec, models: list[dict[str, Any]]
) -> None:
    """Add batch transforms, each scoring a dated `scoring/` prefix with one of the models."""
    if not models:
        return
    for index in range(spec.transform_jobs):
        model = models[index % len(models)]
        project_name = model["ModelName"].split("-")[0]
        created = datetime.fromisoformat(model["CreationTime"]) + timedelta(hours=1 + index)
        name = f"{project_name}-batch-{created:%Y%m%d-%H%M%S}-{index:04d}"
        account.add_transform_job(
            name,
            model_name=model["ModelName"],
            input_uri=f"s3://{spec.data_bucket}/{project_name}/scoring/{created:%Y-%m-%d}/",
            output_uri=f"s3://example-ml-predictions/{project_name}/{name}/",
            created=created,
            duration=timedelta(minutes=14),
        )


def _add_evaluation_jobs(
    account: Account,
    spec: AccountSpec,
    rng: random.Random,
    jobs: list[dict[str, Any]],
    datasets: dict[str, list[Dataset]],
) -> None:
    """Add one evaluation job per processing job beyond one per dataset.

    Each reads a completed training job's artifact and validation data, and names that job in
    `TrainingJobArn`.
    """
    extra = spec.processing_jobs - min(spec.processing_jobs, spec.datasets)
    completed = [job for job in jobs if job["TrainingJobStatus"] == "Completed"]
    for index in range(min(extra, len(completed))):
        job = completed[(index * 7919) % len(completed)]
        project = _project_of(job)
        name = f"{project.name}-eval-{index:06d}"
        validation = job["InputDataConfig"][-1]["DataSource"]["S3DataSource"]["S3Uri"]
        account.add_processing_job(
            name,
            image=SKLEARN_IMAGE,
            created=datetime.fromisoformat(job["TrainingEndTime"]) + timedelta(minutes=20),
            duration=timedelta(minutes=rng.randint(3, 12)),
            inputs={
                "model": job["ModelArtifacts"]["S3ModelArtifacts"],
                "validation": validation,
            },
            outputs={"evaluation": f"s3://{spec.data_bucket}/{project.name}/evaluation/{name}/"},
            code_uri=f"s3://{spec.code_bucket}/{name}/input/code/evaluate.py",
            training_job_arn=job["TrainingJobArn"],
        )


def write_recording(spec: AccountSpec, path: Path) -> dict[str, int]:
    """Write the recording of `spec` to `path` as compact JSON; return its resource counts."""
    document = generate_account(spec)
    with path.open("w", encoding="utf-8") as file:
        json.dump(document, file, separators=(",", ":"))
    return {
        "training_jobs": spec.training_jobs,
        "models": spec.models,
        "endpoints": spec.endpoints,
        "datasets": spec.datasets,
    }


def main(argv: list[str] | None = None) -> int:
    """Write a synthetic account recording: `python -m lineage.synthetic --preset large --out F`."""
    parser = argparse.ArgumentParser(
        prog="python -m lineage.synthetic",
        description="Write the recording of a synthetic SageMaker account, for "
                    "`lineage app --recording FILE` and the benchmarks.",
    )
    parser.add_argument("--preset", choices=sorted(PRESETS), default="small",
                        help="account size (default: small, 1,000 training jobs)")
    parser.add_argument("--out", required=True, type=Path, help="recording file to write")
    parser.add_argument("--seed", type=int, default=None,
                        help="seed of the random choices (default: the preset's)")
    args = parser.parse_args(argv)

    spec = preset(args.preset)
    if args.seed is not None:
        spec = replace(spec, seed=args.seed)
    counts = write_recording(spec, args.out)
    summary = ", ".join(f"{count} {name.replace('_', ' ')}" for name, count in counts.items())
    print(f"wrote {args.out}: {summary}; hub dataset {hub_dataset_uri(spec)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
