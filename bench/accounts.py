"""Synthetic SageMaker accounts for the mock server, as resource records per kind.

An account is a dict from a resource kind (`RecordKind` value, e.g. "TrainingJob") to a list
of full records in the shape of that kind's Describe response, with `Tags` added where Search
returns them. The mock builds its Search, List* and Describe* responses from these records.

Two sources of records:
- `generate_records(spec)`: a small deterministic generator kept in this package so that the
  benchmark runs even where `lineage.synthetic` is not installed;
- `records_from_recording(document)`: the records held in a recording document (the format
  that `lineage.synthetic.generate_account` and `sample_data/` produce).
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

logger = logging.getLogger(__name__)

ACCOUNT_ID = "111122223333"
REGION = "us-east-1"
DATA_BUCKET = "example-ml-data"
ARTIFACT_BUCKET = "example-ml-artifacts"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT_ID}:role/SageMakerExecutionRole"
XGBOOST_IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"
PROCESSING_IMAGE = f"{ACCOUNT_ID}.dkr.ecr.us-east-1.amazonaws.com/feature-prep:3"
PROJECTS = ("churn", "fraud", "ltv", "search-rank")
BASE_TIME = datetime(2024, 1, 1, tzinfo=timezone.utc)

Records = dict[str, list[dict[str, Any]]]


@dataclass(frozen=True, slots=True)
class AccountSpec:
    """Resource counts of a synthetic account."""

    training_jobs: int
    models: int
    endpoints: int
    processing_jobs: int
    tuning_jobs: int
    transform_jobs: int = 5
    model_package_groups: int = 2
    packages_per_group: int = 5
    children_per_tuning_job: int = 10
    seed: int = 7


# The account sizes the crawl benchmark measures. Counts not named in the benchmark's task
# (transform jobs, packages, the large account's processing and tuning jobs) are choices.
SMALL = AccountSpec(training_jobs=1_000, models=100, endpoints=10, processing_jobs=50,
                    tuning_jobs=20)
LARGE = AccountSpec(training_jobs=100_000, models=5_000, endpoints=1_000, processing_jobs=500,
                    tuning_jobs=200, transform_jobs=50, model_package_groups=20)
SPECS = {"small": SMALL, "large": LARGE}


def arn(resource_type: str, name: str) -> str:
    return f"arn:aws:sagemaker:{REGION}:{ACCOUNT_ID}:{resource_type}/{name}"


def generate_records(spec: AccountSpec) -> Records:
    """Build a deterministic account with the counts of `spec`.

    Processing jobs write dated dataset prefixes, training jobs read them and write model
    artifacts, models load those artifacts, and each endpoint's config serves one or two
    models, so every endpoint has a full upstream chain. The first
    `tuning_jobs * children_per_tuning_job` training jobs are tuning children.
    """
    rng = random.Random(spec.seed)

    processing = [_processing_job(i) for i in range(spec.processing_jobs)]
    datasets = [_output_uri(job, "train") for job in processing] or [
        f"s3://{DATA_BUCKET}/churn/manual/train/"
    ]
    tuning = [_tuning_job(i, spec.children_per_tuning_job) for i in range(spec.tuning_jobs)]

    training = []
    for index in range(spec.training_jobs):
        parent_index = index // spec.children_per_tuning_job if spec.children_per_tuning_job else 0
        parent = tuning[parent_index] if parent_index < len(tuning) else None
        training.append(_training_job(index, datasets[index % len(datasets)], parent, rng))

    models = [
        _model(index, training[index * len(training) // spec.models] if training else None)
        for index in range(spec.models)
    ]
    configs, endpoints = _configs_and_endpoints(spec.endpoints, models)
    transforms = [
        _transform_job(index, models[index % len(models)]) for index in range(spec.transform_jobs)
    ] if models else []
    groups, packages = _package_groups(spec, training)

    records: Records = {
        "TrainingJob": training,
        "Model": models,
        "EndpointConfig": configs,
        "Endpoint": endpoints,
        "ProcessingJob": processing,
        "TransformJob": transforms,
        "HyperParameterTuningJob": tuning,
        "ModelPackageGroup": groups,
        "ModelPackage": packages,
        "InferenceComponent": [],
    }
    logger.info("generated account: %s", {kind: len(items) for kind, items in records.items()})
    return records


def _time(hours: float) -> datetime:
    return BASE_TIME + timedelta(hours=hours)


def _tags(project: str) -> list[dict[str, str]]:
    return [{"Key": "Project", "Value": project}, {"Key": "Owner", "Value": f"{project}-team"}]


def _processing_job(index: int) -> dict[str, Any]:
    project = PROJECTS[index % len(PROJECTS)]
    day = (BASE_TIME + timedelta(days=index)).strftime("%Y-%m-%d")
    name = f"{project}-prep-{index:05d}"
    outputs = [
        {
            "OutputName": split,
            "S3Output": {
                "S3Uri": f"s3://{DATA_BUCKET}/{project}/{day}/{split}/",
                "LocalPath": f"/opt/ml/processing/{split}",
                "S3UploadMode": "EndOfJob",
            },
        }
        for split in ("train", "validation")
    ]
    return {
        "ProcessingJobName": name,
        "ProcessingJobArn": arn("processing-job", name),
        "ProcessingInputs": [{
            "InputName": "raw",
            "S3Input": {
                "S3Uri": f"s3://{DATA_BUCKET}/raw/{project}/{day}/",
                "LocalPath": "/opt/ml/processing/input",
                "S3DataType": "S3Prefix",
                "S3InputMode": "File",
            },
        }],
        "ProcessingOutputConfig": {"Outputs": outputs},
        "ProcessingResources": {"ClusterConfig": {
            "InstanceCount": 1, "InstanceType": "ml.m5.xlarge", "VolumeSizeInGB": 30,
        }},
        "AppSpecification": {"ImageUri": PROCESSING_IMAGE},
        "RoleArn": ROLE_ARN,
        "ProcessingJobStatus": "Completed",
        "CreationTime": _time(index * 24),
        "ProcessingStartTime": _time(index * 24 + 0.1),
        "ProcessingEndTime": _time(index * 24 + 0.5),
        "LastModifiedTime": _time(index * 24 + 0.5),
        "Tags": _tags(project),
    }


def _output_uri(processing_job: dict[str, Any], split: str) -> str:
    for output in processing_job["ProcessingOutputConfig"]["Outputs"]:
        if output["OutputName"] == split:
            return str(output["S3Output"]["S3Uri"])
    raise KeyError(split)


def _tuning_job(index: int, children: int) -> dict[str, Any]:
    project = PROJECTS[index % len(PROJECTS)]
    name = f"{project}-hpo-{index:04d}"
    return {
        "HyperParameterTuningJobName": name,
        "HyperParameterTuningJobArn": arn("hyper-parameter-tuning-job", name),
        "HyperParameterTuningJobConfig": {
            "Strategy": "Bayesian",
            "HyperParameterTuningJobObjective": {
                "Type": "Maximize", "MetricName": "validation:auc",
            },
            "ResourceLimits": {"MaxNumberOfTrainingJobs": children, "MaxParallelTrainingJobs": 2},
            "ParameterRanges": {"ContinuousParameterRanges": [
                {"Name": "eta", "MinValue": "0.05", "MaxValue": "0.5", "ScalingType": "Auto"},
            ]},
        },
        "TrainingJobDefinition": {
            "StaticHyperParameters": {"num_round": "100", "objective": "binary:logistic"},
            "AlgorithmSpecification": {"TrainingImage": XGBOOST_IMAGE, "TrainingInputMode": "File"},
            "RoleArn": ROLE_ARN,
            "OutputDataConfig": {"S3OutputPath": f"s3://{ARTIFACT_BUCKET}/{project}/hpo/"},
            "ResourceConfig": {"InstanceType": "ml.m5.xlarge", "InstanceCount": 1,
                               "VolumeSizeInGB": 30},
            "StoppingCondition": {"MaxRuntimeInSeconds": 3600},
        },
        "HyperParameterTuningJobStatus": "Completed",
        "CreationTime": _time(index * 6),
        "HyperParameterTuningEndTime": _time(index * 6 + 5),
        "LastModifiedTime": _time(index * 6 + 5),
        "TrainingJobStatusCounters": {"Completed": children, "InProgress": 0,
                                      "RetryableError": 0, "NonRetryableError": 0, "Stopped": 0},
        "ObjectiveStatusCounters": {"Succeeded": children, "Pending": 0, "Failed": 0},
        "Tags": _tags(project),
    }


def _training_job(
    index: int, dataset: str, parent: dict[str, Any] | None, rng: random.Random
) -> dict[str, Any]:
    project = PROJECTS[index % len(PROJECTS)]
    name = f"{project}-train-{index:06d}"
    output_path = f"s3://{ARTIFACT_BUCKET}/{project}/"
    created = _time(index * 0.25)
    eta = round(rng.uniform(0.05, 0.5), 3)
    validation = dataset.replace("/train/", "/validation/")
    record: dict[str, Any] = {
        "TrainingJobName": name,
        "TrainingJobArn": arn("training-job", name),
        "ModelArtifacts": {"S3ModelArtifacts": f"{output_path}{name}/output/model.tar.gz"},
        "TrainingJobStatus": "Completed",
        "SecondaryStatus": "Completed",
        # SageMaker Python SDK 2.110 and later send hyperparameters JSON-quoted.
        "HyperParameters": {"eta": f'"{eta}"', "max_depth": str(rng.randint(3, 10)),
                            "num_round": "100"},
        "AlgorithmSpecification": {"TrainingImage": XGBOOST_IMAGE, "TrainingInputMode": "File"},
        "RoleArn": ROLE_ARN,
        "InputDataConfig": [
            _channel("train", dataset),
            _channel("validation", validation),
        ],
        "OutputDataConfig": {"S3OutputPath": output_path},
        "ResourceConfig": {
            "InstanceType": "ml.m5.xlarge", "InstanceCount": 1, "VolumeSizeInGB": 30,
        },
        "StoppingCondition": {"MaxRuntimeInSeconds": 86400},
        "CreationTime": created,
        "TrainingStartTime": created + timedelta(minutes=3),
        "TrainingEndTime": created + timedelta(minutes=40),
        "LastModifiedTime": created + timedelta(minutes=41),
        "FinalMetricDataList": [
            {"MetricName": "validation:auc", "Value": round(rng.uniform(0.7, 0.95), 4),
             "Timestamp": created + timedelta(minutes=39)},
            {"MetricName": "train:auc", "Value": round(rng.uniform(0.8, 0.99), 4),
             "Timestamp": created + timedelta(minutes=39)},
        ],
        "EnableNetworkIsolation": False,
        "TrainingTimeInSeconds": 2220,
        "BillableTimeInSeconds": 2220,
        "Tags": _tags(project),
    }
    if parent is not None:
        record["TuningJobArn"] = parent["HyperParameterTuningJobArn"]
    return record


def _channel(name: str, uri: str) -> dict[str, Any]:
    return {
        "ChannelName": name,
        "DataSource": {"S3DataSource": {
            "S3DataType": "S3Prefix", "S3Uri": uri, "S3DataDistributionType": "FullyReplicated",
        }},
        "ContentType": "text/csv",
        "CompressionType": "None",
        "RecordWrapperType": "None",
        "InputMode": "File",
    }


def _model(index: int, training_job: dict[str, Any] | None) -> dict[str, Any]:
    project = PROJECTS[index % len(PROJECTS)]
    name = f"{project}-model-{index:05d}"
    container: dict[str, Any] = {"Image": XGBOOST_IMAGE, "Mode": "SingleModel"}
    if training_job is not None:
        container["ModelDataUrl"] = training_job["ModelArtifacts"]["S3ModelArtifacts"]
        created = training_job["LastModifiedTime"] + timedelta(minutes=5)
    else:
        created = _time(index)
    return {
        "ModelName": name,
        "ModelArn": arn("model", name),
        "PrimaryContainer": container,
        "ExecutionRoleArn": ROLE_ARN,
        "CreationTime": created,
        "EnableNetworkIsolation": False,
        "Tags": _tags(project),
    }


def _configs_and_endpoints(
    count: int, models: list[dict[str, Any]]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    # Each endpoint has an older config, still present because configs are immutable, and a
    # current one. Every second current config runs an A/B pair of models.
    configs: list[dict[str, Any]] = []
    endpoints: list[dict[str, Any]] = []
    if not models:
        return configs, endpoints

    for index in range(count):
        project = PROJECTS[index % len(PROJECTS)]
        name = f"{project}-endpoint-{index:04d}"
        first = models[(2 * index) % len(models)]
        second = models[(2 * index + 1) % len(models)]
        old_config = _endpoint_config(f"{name}-config-v1", [(first, 1.0)], _time(index))
        pair = [(first, 0.5), (second, 0.5)] if index % 2 else [(second, 1.0)]
        current = _endpoint_config(f"{name}-config-v2", pair, _time(index + 1))
        configs.extend([old_config, current])
        endpoints.append({
            "EndpointName": name,
            "EndpointArn": arn("endpoint", name),
            "EndpointConfigName": current["EndpointConfigName"],
            "ProductionVariants": [
                {
                    "VariantName": variant["VariantName"],
                    "CurrentWeight": variant["InitialVariantWeight"],
                    "DesiredWeight": variant["InitialVariantWeight"],
                    "CurrentInstanceCount": variant["InitialInstanceCount"],
                    "DesiredInstanceCount": variant["InitialInstanceCount"],
                }
                for variant in current["ProductionVariants"]
            ],
            "EndpointStatus": "InService",
            "CreationTime": _time(index),
            "LastModifiedTime": _time(index + 1),
            "Tags": _tags(project),
        })
    return configs, endpoints


def _endpoint_config(
    name: str, models: list[tuple[dict[str, Any], float]], created: datetime
) -> dict[str, Any]:
    variants = [
        {
            "VariantName": f"variant-{position + 1}",
            "ModelName": model["ModelName"],
            "InitialInstanceCount": 1,
            "InstanceType": "ml.m5.large",
            "InitialVariantWeight": weight,
        }
        for position, (model, weight) in enumerate(models)
    ]
    return {
        "EndpointConfigName": name,
        "EndpointConfigArn": arn("endpoint-config", name),
        "ProductionVariants": variants,
        "CreationTime": created,
    }


def _transform_job(index: int, model: dict[str, Any]) -> dict[str, Any]:
    project = PROJECTS[index % len(PROJECTS)]
    name = f"{project}-batch-{index:04d}"
    return {
        "TransformJobName": name,
        "TransformJobArn": arn("transform-job", name),
        "TransformJobStatus": "Completed",
        "ModelName": model["ModelName"],
        "TransformInput": {
            "DataSource": {"S3DataSource": {
                "S3DataType": "S3Prefix", "S3Uri": f"s3://{DATA_BUCKET}/{project}/score/{index}/",
            }},
            "ContentType": "text/csv",
        },
        "TransformOutput": {"S3OutputPath": f"s3://{DATA_BUCKET}/{project}/predictions/{index}/"},
        "TransformResources": {"InstanceType": "ml.m5.large", "InstanceCount": 1},
        "CreationTime": _time(index * 12),
        "TransformStartTime": _time(index * 12 + 0.1),
        "TransformEndTime": _time(index * 12 + 1),
        "LastModifiedTime": _time(index * 12 + 1),
        "Tags": _tags(project),
    }


def _package_groups(
    spec: AccountSpec, training: list[dict[str, Any]]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    groups: list[dict[str, Any]] = []
    packages: list[dict[str, Any]] = []
    for group_index in range(spec.model_package_groups):
        project = PROJECTS[group_index % len(PROJECTS)]
        group_name = f"{project}-models-{group_index:03d}"
        groups.append({
            "ModelPackageGroupName": group_name,
            "ModelPackageGroupArn": arn("model-package-group", group_name),
            "ModelPackageGroupDescription": f"Registered {project} models",
            "CreationTime": _time(group_index),
            "ModelPackageGroupStatus": "Completed",
            "Tags": _tags(project),
        })
        for version in range(1, spec.packages_per_group + 1):
            source = training[(group_index * spec.packages_per_group + version) % len(training)] \
                if training else None
            container: dict[str, Any] = {"Image": XGBOOST_IMAGE}
            if source is not None:
                container["ModelDataUrl"] = source["ModelArtifacts"]["S3ModelArtifacts"]
            packages.append({
                "ModelPackageName": group_name,
                "ModelPackageGroupName": group_name,
                "ModelPackageVersion": version,
                "ModelPackageArn": arn("model-package", f"{group_name}/{version}"),
                "InferenceSpecification": {
                    "Containers": [container],
                    "SupportedContentTypes": ["text/csv"],
                    "SupportedResponseMIMETypes": ["text/csv"],
                },
                "ModelPackageStatus": "Completed",
                "ModelApprovalStatus": "Approved" if version % 2 else "PendingManualApproval",
                "CreationTime": _time(group_index * 24 + version),
                "Tags": _tags(project),
            })
    return groups, packages


# A recording contains full records in Search results for the searchable kinds and in Describe
# responses for the rest.
_SEARCH_KINDS = ("TrainingJob", "Model", "Endpoint", "ModelPackage", "HyperParameterTuningJob")
_DESCRIBE_OPERATIONS = {
    "describe_training_job": "TrainingJob",
    "describe_model": "Model",
    "describe_endpoint": "Endpoint",
    "describe_endpoint_config": "EndpointConfig",
    "describe_model_package": "ModelPackage",
    "describe_model_package_group": "ModelPackageGroup",
    "describe_processing_job": "ProcessingJob",
    "describe_transform_job": "TransformJob",
    "describe_hyper_parameter_tuning_job": "HyperParameterTuningJob",
    "describe_inference_component": "InferenceComponent",
}
_NAME_KEYS = {
    "TrainingJob": "TrainingJobName",
    "Model": "ModelName",
    "Endpoint": "EndpointName",
    "EndpointConfig": "EndpointConfigName",
    "ModelPackage": "ModelPackageArn",
    "ModelPackageGroup": "ModelPackageGroupName",
    "ProcessingJob": "ProcessingJobName",
    "TransformJob": "TransformJobName",
    "HyperParameterTuningJob": "HyperParameterTuningJobName",
    "InferenceComponent": "InferenceComponentName",
}


def records_from_recording(document: dict[str, Any]) -> Records:
    """Collect the full resource records that a recording document contains.

    Reads every Search result and every Describe response (all `pages` and `by_args`
    entries), plus `list_model_package_groups` summaries, which are a group's whole record.
    ISO timestamps become datetimes, error entries are skipped, and a resource found twice
    keeps its first record.
    """
    from lineage.recording import decode_timestamps

    responses = document.get("responses", {})
    records: Records = {kind: [] for kind in _NAME_KEYS}
    seen: set[tuple[str, str]] = set()

    def keep(kind: str, record: Any) -> None:
        if not isinstance(record, dict):
            return
        # A Search result for Model nests the model under "Model" (ModelDashboardModel).
        if kind == "Model" and isinstance(record.get("Model"), dict):
            record = record["Model"]
        name = str(record.get(_NAME_KEYS[kind], ""))
        if not name or (kind, name.lower()) in seen:
            return
        seen.add((kind, name.lower()))
        records[kind].append(decode_timestamps({k: v for k, v in record.items()
                                                if k != "ResponseMetadata"}))

    for response in _leaf_responses(responses.get("search")):
        for result in response.get("Results", []):
            for kind in _SEARCH_KINDS:
                if kind in result:
                    keep(kind, result[kind])
    for operation, kind in _DESCRIBE_OPERATIONS.items():
        for response in _leaf_responses(responses.get(operation)):
            keep(kind, response)
    for response in _leaf_responses(responses.get("list_model_package_groups")):
        for summary in response.get("ModelPackageGroupSummaryList", []):
            keep("ModelPackageGroup", summary)
    return records


def _leaf_responses(response: Any) -> list[dict[str, Any]]:
    # Flatten the recording forms (`pages`, `by_args`) into the plain responses they hold.
    if not isinstance(response, dict):
        return []
    if "pages" in response:
        return [leaf for page in response["pages"] for leaf in _leaf_responses(page)]
    if "by_args" in response:
        return [leaf for entry in response["by_args"]
                for leaf in _leaf_responses(entry.get("response"))]
    if "error" in response and len(response) == 1:
        return []
    return [response]


def load_records(spec: AccountSpec) -> Records:
    """Return the records of an account with `spec`'s counts.

    Uses `lineage.synthetic.build_account` when that module can be imported, so the benchmark
    measures the same kind of account as the rest of the project, and this package's
    generator otherwise.
    """
    try:
        from lineage import synthetic
    except ImportError:
        logger.info("lineage.synthetic is not available; using the benchmark's own generator")
        return generate_records(spec)

    account = synthetic.build_account(synthetic.AccountSpec(
        training_jobs=spec.training_jobs,
        models=spec.models,
        endpoints=spec.endpoints,
        processing_jobs=spec.processing_jobs,
        tuning_jobs=spec.tuning_jobs,
        children_per_tuning_job=spec.children_per_tuning_job,
        transform_jobs=spec.transform_jobs,
        model_packages=spec.model_package_groups * spec.packages_per_group,
        datasets=max(1, spec.processing_jobs),
        seed=spec.seed,
    ))
    return records_from_account(account)


def records_from_account(account: Any) -> Records:
    """Return the records of a `lineage.synthetic.Account`, with timestamps as datetimes."""
    from lineage.recording import decode_timestamps

    lists = {
        "TrainingJob": account.training_jobs,
        "Model": account.models,
        "EndpointConfig": account.endpoint_configs,
        "Endpoint": account.endpoints,
        "ProcessingJob": account.processing_jobs,
        "TransformJob": account.transform_jobs,
        "HyperParameterTuningJob": account.tuning_jobs,
        "ModelPackageGroup": account.model_package_groups,
        "ModelPackage": account.model_packages,
    }
    records: Records = {kind: [decode_timestamps(record) for record in items]
                        for kind, items in lists.items()}
    records["InferenceComponent"] = []
    return records
