"""A fixed set of training-job records for the search tests, shaped as Search returns them.

Four records come from the hyperparameter, nested-filter and tag fixtures in tests/cases; five
more cover metrics, timestamps, Booleans, numbers, failures and an untagged job.
"""

from __future__ import annotations

from typing import Any

from lineage.crawl.result import RECORD_META
from lineage.recording import decode_timestamps
from tests.conftest import load_case

ARN = "arn:aws:sagemaker:us-east-1:111122223333:training-job/"


def _by_args_responses(case: str) -> list[dict[str, Any]]:
    entries = load_case(case)["responses"]["describe_training_job"]["by_args"]
    return [decode_timestamps(entry["response"]) for entry in entries]


def _channel(name: str, uri: str, data_type: str = "S3Prefix") -> dict[str, Any]:
    return {
        "ChannelName": name,
        "DataSource": {"S3DataSource": {"S3DataType": data_type, "S3Uri": uri}},
    }


def _metrics(**values: float) -> list[dict[str, Any]]:
    return [
        {"MetricName": name.replace("_", ":"), "Value": value} for name, value in values.items()
    ]


OWN_JOBS: list[dict[str, Any]] = [
    {
        "TrainingJobName": "churn-a",
        "TrainingJobArn": ARN + "churn-a",
        "TrainingJobStatus": "Completed",
        "Tags": [{"Key": "Project", "Value": "churn"}, {"Key": "Team", "Value": "ml"}],
        "HyperParameters": {"eta": "0.05", "max_depth": "6", "num_round": "100"},
        "FinalMetricDataList": _metrics(validation_auc=0.93, train_auc=0.97),
        "CreationTime": "2024-05-01T10:00:00Z",
        "LastModifiedTime": "2024-05-01T12:00:00Z",
        "ResourceConfig": {"InstanceType": "ml.m5.xlarge", "InstanceCount": 1},
        "TrainingTimeInSeconds": 3600,
        "EnableManagedSpotTraining": False,
        "InputDataConfig": [
            _channel("train", "s3://example-bucket/churn/train/"),
            _channel("validation", "s3://example-bucket/churn/validation/"),
        ],
    },
    {
        "TrainingJobName": "churn-b",
        "TrainingJobArn": ARN + "churn-b",
        "TrainingJobStatus": "Completed",
        "Tags": [{"Key": "Project", "Value": "churn"}],
        "HyperParameters": {"eta": '"0.3"', "max_depth": '"10"', "num_round": "200"},
        "FinalMetricDataList": _metrics(validation_auc=0.88),
        "CreationTime": "2024-05-03T09:00:00Z",
        "LastModifiedTime": "2024-05-03T11:00:00Z",
        "ResourceConfig": {"InstanceType": "ml.m5.2xlarge", "InstanceCount": 2},
        "TrainingTimeInSeconds": 7200,
        "EnableManagedSpotTraining": True,
        "InputDataConfig": [_channel("train", "s3://example-bucket/churn/train-v2/")],
    },
    {
        "TrainingJobName": "fraud-lgbm",
        "TrainingJobArn": ARN + "fraud-lgbm",
        "TrainingJobStatus": "Failed",
        "FailureReason": "AlgorithmError: out of memory",
        "Tags": [{"Key": "Project", "Value": "fraud"}, {"Key": "Team", "Value": "risk"}],
        "HyperParameters": {"learning_rate": "0.01", "num_leaves": "31", "eta": "1.5"},
        "FinalMetricDataList": _metrics(validation_auc=0.95),
        "CreationTime": "2024-06-02T08:00:00Z",
        "LastModifiedTime": "2024-06-02T09:10:00Z",
        "ResourceConfig": {"InstanceType": "ml.p3.2xlarge", "InstanceCount": 1},
        "EnableManagedSpotTraining": False,
        "InputDataConfig": [
            _channel("train", "s3://other-bucket/fraud/train.manifest", "ManifestFile")
        ],
    },
    {
        "TrainingJobName": "untagged-job",
        "TrainingJobArn": ARN + "untagged-job",
        "TrainingJobStatus": "Completed",
        "Tags": [],
        "HyperParameters": {},
        "CreationTime": "2024-04-01T00:00:00Z",
        "LastModifiedTime": "2024-04-01T01:00:00Z",
    },
]


def training_jobs() -> list[dict[str, Any]]:
    """Return fresh copies of all nine records, in a fixed crawl order, with crawl metadata."""
    tagged = load_case("C24")["responses"]["search"]["Results"][0]["TrainingJob"]
    records = [
        *_by_args_responses("C21"),
        *_by_args_responses("C22"),
        decode_timestamps(tagged),
        *(decode_timestamps(job) for job in OWN_JOBS),
    ]
    for record in records:
        record[RECORD_META] = {"account": "111122223333", "region": "us-east-1", "source": "search"}
    return records


NAMES = [
    "raw-api-job",
    "sdk-job",
    "job-mixed",
    "job-cat",
    "Churn-XGB-0503",
    "churn-a",
    "churn-b",
    "fraud-lgbm",
    "untagged-job",
]
