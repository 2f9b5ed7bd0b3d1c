"""Lineage diff on graphs made by the graph builder from API-shaped records."""

from __future__ import annotations

from typing import Any

import pytest

from lineage.build import build_graph
from lineage.crawl.crawler import crawl
from lineage.crawl.result import RECORD_META, CrawlResult, RecordKind
from lineage.queries.diff import ChangeStatus, diff
from lineage.queries.metrics import DirectionSource
from lineage.queries.suspects import SuspectKind, rank_suspects
from lineage.recording import RecordingClient
from tests.conftest import load_case
from tests.diff_graphs import check_case_diff

ACCOUNT = "111122223333"
REGION = "us-east-1"
PREFIX = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}"
XGBOOST = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost"
TUNING = "churn-tuning"


def meta(record: dict[str, Any]) -> dict[str, Any]:
    record[RECORD_META] = {"account": ACCOUNT, "region": REGION, "source": "search"}
    return record


def training_job(
    name: str,
    train_uri: str,
    hyperparameters: dict[str, str],
    auc: float,
    *,
    image_tag: str = "1.7-1",
    tuning: bool = False,
) -> dict[str, Any]:
    record = {
        "TrainingJobName": name,
        "TrainingJobArn": f"{PREFIX}:training-job/{name}",
        "TrainingJobStatus": "Completed",
        "AlgorithmSpecification": {"TrainingImage": f"{XGBOOST}:{image_tag}"},
        "HyperParameters": hyperparameters,
        "InputDataConfig": [
            {
                "ChannelName": "train",
                "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": train_uri}},
            },
            {
                "ChannelName": "validation",
                "DataSource": {
                    "S3DataSource": {
                        "S3DataType": "S3Prefix",
                        "S3Uri": "s3://example-ml-data/churn/validation/",
                    }
                },
            },
        ],
        "ModelArtifacts": {
            "S3ModelArtifacts": f"s3://example-ml-models/{name}/output/model.tar.gz"
        },
        "ResourceConfig": {"InstanceType": "ml.m5.xlarge", "InstanceCount": 1},
        "TrainingTimeInSeconds": 600,
        "FinalMetricDataList": [{"MetricName": "validation:auc", "Value": auc}],
        "Tags": [{"Key": "Project", "Value": "churn"}],
    }
    if tuning:
        record["TuningJobArn"] = f"{PREFIX}:hyper-parameter-tuning-job/{TUNING}"
    return meta(record)


def model(name: str, job: str) -> dict[str, Any]:
    return meta(
        {
            "ModelName": name,
            "ModelArn": f"{PREFIX}:model/{name}",
            "PrimaryContainer": {
                "Image": f"{XGBOOST}:1.7-1",
                "ModelDataUrl": f"s3://example-ml-models/{job}/output/model.tar.gz",
            },
        }
    )


def endpoint_config(name: str, model_name: str) -> dict[str, Any]:
    return meta(
        {
            "EndpointConfigName": name,
            "EndpointConfigArn": f"{PREFIX}:endpoint-config/{name}",
            "ProductionVariants": [
                {
                    "VariantName": "AllTraffic",
                    "ModelName": model_name,
                    "InstanceType": "ml.m5.large",
                    "InitialInstanceCount": 1,
                    "InitialVariantWeight": 1.0,
                }
            ],
        }
    )


@pytest.fixture
def churn_graph():
    result = CrawlResult()
    result.add(
        RecordKind.TUNING_JOB,
        meta(
            {
                "HyperParameterTuningJobName": TUNING,
                "HyperParameterTuningJobArn": f"{PREFIX}:hyper-parameter-tuning-job/{TUNING}",
                "HyperParameterTuningJobConfig": {
                    "Strategy": "Bayesian",
                    "HyperParameterTuningJobObjective": {
                        "Type": "Maximize",
                        "MetricName": "validation:auc",
                    },
                },
            }
        ),
    )
    result.add(
        RecordKind.TRAINING_JOB,
        training_job(
            "churn-a",
            "s3://example-ml-data/churn/2024-05-01/train/",
            {"eta": "0.2", "max_depth": "6"},
            0.91,
            image_tag="1.5-1",
        ),
    )
    result.add(
        RecordKind.TRAINING_JOB,
        training_job(
            "churn-b",
            "s3://example-ml-data/churn/2024-06-01/train/",
            {"eta": '"0.3"', "max_depth": '"6"', "sagemaker_region": '"us-east-1"'},
            0.84,
            tuning=True,
        ),
    )
    result.add(RecordKind.MODEL, model("churn-model-a", "churn-a"))
    result.add(RecordKind.MODEL, model("churn-model-b", "churn-b"))
    result.add(RecordKind.ENDPOINT_CONFIG, endpoint_config("churn-config-v1", "churn-model-a"))
    result.add(RecordKind.ENDPOINT_CONFIG, endpoint_config("churn-config-v2", "churn-model-b"))
    return build_graph(result)


def test_built_graph_config_diff(churn_graph) -> None:
    result = diff(churn_graph, "churn-config-v1", "churn-config-v2")

    train = next(entry for entry in result.datasets if entry.channel == "train")
    assert train.status is ChangeStatus.CHANGED
    assert train.after_uri == "s3://example-ml-data/churn/2024-06-01/train/"
    validation = next(entry for entry in result.datasets if entry.channel == "validation")
    assert validation.status is ChangeStatus.EQUAL
    eta = next(entry for entry in result.hyperparameters if entry.name == "eta")
    assert (eta.before, eta.after) == (0.2, 0.3)
    depth = next(entry for entry in result.hyperparameters if entry.name == "max_depth")
    assert depth.status is ChangeStatus.EQUAL
    assert result.hidden_hyperparameters == ["sagemaker_region"]
    image = next(entry for entry in result.images if entry.name == "training image")
    assert image.change == "version"
    tags = {entry.name: entry.status for entry in result.tags}
    assert tags == {"Project": ChangeStatus.EQUAL}


def test_built_graph_metric_direction(churn_graph) -> None:
    result = diff(churn_graph, "churn-config-v1", "churn-config-v2")

    auc = next(entry for entry in result.metrics if entry.name == "validation:auc")
    assert (auc.before, auc.after) == (0.91, 0.84)
    assert auc.direction.source is DirectionSource.TUNING_OBJECTIVE
    assert auc.direction.higher_is_better is True
    assert auc.regression is True


def test_built_graph_suspect_order(churn_graph) -> None:
    suspects = rank_suspects(diff(churn_graph, "churn-config-v1", "churn-config-v2"))

    assert [suspect.kind for suspect in suspects] == [
        SuspectKind.DATASET,
        SuspectKind.IMAGE,
        SuspectKind.HYPERPARAMETER,
    ]
    assert suspects[2].name == "eta"


def test_crawled_quoted_hyperparameters_diff() -> None:
    # A seeded crawl of two describe responses: one job launched through the raw API, one
    # through the SDK, which JSON-quotes every value.
    case = load_case("C21")
    client = RecordingClient(case, source="quoted hyperparameters")
    seeds = [(RecordKind.TRAINING_JOB, "raw-api-job"), (RecordKind.TRAINING_JOB, "sdk-job")]
    graph = build_graph(crawl(client, seeds=seeds, sleep=lambda _: None))
    query = next(query for query in case["query_cases"] if "diff" in query)

    result = diff(graph, *query["diff"])

    rows = check_case_diff(result, query)
    assert sorted(rows) == ["eta", "layers", "max_depth", "objective"]
    assert [entry.name for entry in result.code] == [
        "sagemaker_program",
        "sagemaker_submit_directory",
    ]
