"""Run the same searches against moto's SageMaker `search` and against this engine.

Both see the same four training jobs: moto answers over HTTP on 127.0.0.1, and the engine
searches the records moto's unfiltered `search` returns. The table states, per expression,
whether moto 5.2 agrees with the documented semantics and, where it does not, why.
"""

from __future__ import annotations

from typing import Any

import pytest

moto_server = pytest.importorskip("moto.server")

import boto3  # noqa: E402
from botocore.config import Config  # noqa: E402
from botocore.exceptions import ClientError  # noqa: E402

from lineage.errors import SearchError  # noqa: E402
from lineage.search import SearchIndex  # noqa: E402

REGION = "us-east-1"
ACCOUNT = "123456789012"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/sagemaker-execution"
IMAGE = f"{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/xgb:1"
AUC = "Metrics.validation:auc"
CHANNEL = "InputDataConfig.ChannelName"
S3URI = "InputDataConfig.DataSource.S3DataSource.S3Uri"

# name, tags, hyperparameters, status, validation:auc, channels (name -> S3 prefix)
JOBS = [
    ("m-churn-a", {"Project": "churn"}, {"eta": "0.05"}, "Completed", 0.93,
     {"train": "s3://example-bucket/churn/", "validation": "s3://example-bucket/catdata/"}),
    ("m-churn-b", {"Project": "churn"}, {"eta": '"0.3"'}, "Stopped", 0.88,
     {"train": "s3://example-bucket/catdata/"}),
    ("m-fraud", {"Project": "fraud"}, {"eta": "1.5"}, "Failed", 0.95,
     {"train": "s3://example-bucket/fraud/"}),
    ("m-plain", {}, {"eta": "0.2"}, "Completed", None,
     {"train": "s3://example-bucket/plain/"}),
]


def f(name: str, operator: str, value: str | None = None) -> dict[str, Any]:
    item = {"Name": name, "Operator": operator}
    if value is not None:
        item["Value"] = value
    return item


ERROR = "error"

# (id, search() arguments, what this engine returns, whether moto agrees, why moto differs).
# The expected answers follow the SageMaker API reference (see lineage.search).
TABLE: list[tuple[str, dict[str, Any], Any, bool, str]] = [
    ("name-equals", {"SearchExpression": {"Filters": [f("TrainingJobName", "Equals",
                                                          "m-fraud")]}},
     ["m-fraud"], True, ""),
    ("name-contains", {"SearchExpression": {"Filters": [f("TrainingJobName", "Contains",
                                                          "churn")]}},
     ["m-churn-a", "m-churn-b"], True, ""),
    ("status-equals", {"SearchExpression": {"Filters": [f("TrainingJobStatus", "Equals",
                                                          "Stopped")]}},
     ["m-churn-b"], True, ""),
    ("status-not-equals", {"SearchExpression": {"Filters": [f("TrainingJobStatus", "NotEquals",
                                                              "Completed")]}},
     ["m-churn-b", "m-fraud"], True, ""),
    ("tag-equals", {"SearchExpression": {"Filters": [f("Tags.Project", "Equals", "churn")]}},
     ["m-churn-a", "m-churn-b"], True, ""),
    ("tag-not-equals", {"SearchExpression": {"Filters": [f("Tags.Project", "NotEquals",
                                                           "churn")]}},
     ["m-fraud", "m-plain"], False, "moto matches every job for any tag operator but Equals"),
    ("tag-then-status", {"SearchExpression": {"Filters": [
        f("Tags.Project", "Equals", "churn"), f("TrainingJobStatus", "Equals", "Stopped")]}},
     ["m-churn-b"], False, "moto stops evaluating at the first Tags filter"),
    ("or-operator", {"SearchExpression": {"Filters": [
        f("TrainingJobName", "Equals", "m-fraud"), f("TrainingJobName", "Equals", "m-plain")],
        "Operator": "Or"}},
     ["m-fraud", "m-plain"], False, "moto ignores Operator and always applies And"),
    ("in-operator", {"SearchExpression": {"Filters": [f("TrainingJobStatus", "In",
                                                        "Stopped, Failed")]}},
     ["m-churn-b", "m-fraud"], False, "moto compares In values as one string"),
    ("exists-operator", {"SearchExpression": {"Filters": [f("Tags.Project", "Exists")]}},
     ["m-churn-a", "m-churn-b", "m-fraud"], False, "moto matches every job for Exists on tags"),
    ("metric-greater", {"SearchExpression": {"Filters": [f(AUC, "GreaterThan", "0.9")]}},
     ["m-churn-a", "m-fraud"], False, "moto rejects Metrics.* as an unknown property"),
    ("hyperparameter-less", {"SearchExpression": {"Filters": [
        f("HyperParameters.eta", "LessThan", "0.25")]}},
     ["m-churn-a", "m-plain"], False, "moto rejects HyperParameters.* as an unknown property"),
    ("greater-than-on-text", {"SearchExpression": {"Filters": [
        f("TrainingJobName", "GreaterThan", "m-churn-a")]}},
     ERROR, False, "moto treats GreaterThan as Equals instead of rejecting it on text"),
    ("nested-filters", {"SearchExpression": {"NestedFilters": [{
        "NestedPropertyName": "InputDataConfig",
        "Filters": [f(CHANNEL, "Equals", "train"), f(S3URI, "Contains", "catdata")]}]}},
     ["m-churn-b"], False, "moto ignores NestedFilters and returns every job"),
    ("subexpressions", {"SearchExpression": {"SubExpressions": [
        {"Filters": [f("TrainingJobName", "Equals", "m-plain")]}]}},
     ["m-plain"], False, "moto ignores SubExpressions and returns every job"),
    ("sorted-first-page", {"SortBy": "TrainingJobName", "SortOrder": "Ascending",
                           "MaxResults": 2},
     ["m-churn-a", "m-churn-b"], False, "moto ignores SortBy and MaxResults"),
]


@pytest.fixture(scope="module")
def client(moto_url: str) -> Any:
    """Return a boto3 client of the suite's moto server, with the jobs of this module created."""
    sagemaker = boto3.client(
        "sagemaker",
        region_name=REGION,
        endpoint_url=moto_url,
        config=Config(retries={"total_max_attempts": 1}),
    )
    _create_jobs(sagemaker)
    return sagemaker


@pytest.fixture(scope="module")
def index(client: Any) -> SearchIndex:
    records = [item["TrainingJob"] for item in client.search(Resource="TrainingJob")["Results"]]
    return SearchIndex({"TrainingJob": records})


def test_moto_returns_the_created_jobs(index):
    assert sorted(r["TrainingJobName"] for r in index.records("TrainingJob")) == [
        job[0] for job in JOBS
    ]


@pytest.mark.parametrize(("arguments", "expected", "moto_agrees", "reason"),
                         [row[1:] for row in TABLE], ids=[row[0] for row in TABLE])
def test_engine_and_moto_side_by_side(client, index, arguments, expected, moto_agrees, reason):
    request = {"Resource": "TrainingJob", **arguments}
    ours = _names_or_error(lambda: index.search(request), SearchError)
    theirs = _names_or_error(lambda: client.search(**request), ClientError)

    if isinstance(expected, list) and "SortBy" not in arguments:
        ours = sorted(ours)
        theirs = sorted(theirs) if isinstance(theirs, list) else theirs
    assert ours == expected
    if moto_agrees:
        assert theirs == expected
    else:
        # A failure here means moto changed: update the table and the reason.
        assert theirs != expected, reason


def _names_or_error(call: Any, error: type[Exception]) -> list[str] | str:
    try:
        response = call()
    except error:
        return ERROR
    return [item["TrainingJob"]["TrainingJobName"] for item in response["Results"]]


def _create_jobs(client: Any) -> None:
    from moto.sagemaker.models import sagemaker_backends

    backend = sagemaker_backends[ACCOUNT][REGION]
    for name, tags, hyperparameters, status, auc, channels in JOBS:
        client.create_training_job(
            TrainingJobName=name,
            HyperParameters=hyperparameters,
            AlgorithmSpecification={"TrainingImage": IMAGE, "TrainingInputMode": "File"},
            RoleArn=ROLE,
            InputDataConfig=[
                {"ChannelName": channel, "DataSource": {"S3DataSource": {
                    "S3DataType": "S3Prefix", "S3Uri": uri}}}
                for channel, uri in channels.items()
            ],
            OutputDataConfig={"S3OutputPath": "s3://example-bucket/output/"},
            ResourceConfig={"InstanceType": "ml.m5.xlarge", "InstanceCount": 1,
                            "VolumeSizeInGB": 10},
            StoppingCondition={"MaxRuntimeInSeconds": 3600},
            Tags=[{"Key": key, "Value": value} for key, value in tags.items()],
        )
        # moto sets every job Completed with a fake metric; set the real ones in-process.
        job = backend.training_jobs[name]
        job.training_job_status = status
        job.final_metric_data_list = (
            [{"MetricName": "validation:auc", "Value": auc, "Timestamp": job.creation_time}]
            if auc is not None else []
        )
