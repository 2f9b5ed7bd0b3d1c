"""The benchmark's SageMaker mock, driven through real boto3 over HTTP on 127.0.0.1."""

from __future__ import annotations

import json
import time
import urllib.request
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from bench.accounts import AccountSpec, generate_records, records_from_recording
from bench.mock_sagemaker import MockConfig, MockSageMaker, TokenBucket
from tests.conftest import load_case

SPEC = AccountSpec(training_jobs=250, models=30, endpoints=4, processing_jobs=12, tuning_jobs=3,
                   transform_jobs=2, model_package_groups=2, packages_per_group=3)
NO_LIMITS = MockConfig(rate=None, latency=(0.0, 0.0))


@pytest.fixture(autouse=True)
def aws_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    # Any client built without an endpoint_url would also land on loopback, not on AWS.
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")


@pytest.fixture(scope="module")
def records() -> dict[str, list[dict[str, Any]]]:
    return generate_records(SPEC)


@pytest.fixture
def mock(records: dict[str, list[dict[str, Any]]]) -> Iterator[MockSageMaker]:
    with MockSageMaker(records, NO_LIMITS) as server:
        yield server


@pytest.fixture
def client(mock: MockSageMaker) -> Any:
    return _client(mock)


def test_search_pages_hold_100_records(client: Any) -> None:
    pages = _search_all(client, "TrainingJob")

    assert [len(page["Results"]) for page in pages] == [100, 100, 50]
    assert "NextToken" in pages[0]
    assert "NextToken" not in pages[-1]
    names = [r["TrainingJob"]["TrainingJobName"] for page in pages for r in page["Results"]]
    assert len(set(names)) == SPEC.training_jobs


def test_search_records_carry_tags_and_datetimes(client: Any) -> None:
    record = client.search(Resource="TrainingJob", MaxResults=1)["Results"][0]["TrainingJob"]

    assert {"Key": "Project", "Value": "churn"} in record["Tags"]
    assert record["CreationTime"].year == 2024
    assert record["ModelArtifacts"]["S3ModelArtifacts"].endswith("/output/model.tar.gz")


def test_search_model_nests_model_and_endpoints(client: Any) -> None:
    results = client.search(Resource="Model", MaxResults=100)["Results"]

    assert len(results) == SPEC.models
    served = [r["Model"] for r in results if r["Model"]["Endpoints"]]
    assert served, "no model returned with the endpoints serving it"
    assert "ModelName" in served[0]["Model"]
    assert served[0]["Endpoints"][0]["EndpointStatus"] == "InService"


def test_search_rejects_unsupported_resource(client: Any) -> None:
    with pytest.raises(ClientError) as raised:
        client.search(Resource="Experiment")

    assert raised.value.response["Error"]["Code"] == "ValidationException"
    assert "Experiment" in raised.value.response["Error"]["Message"]


def test_search_rejects_search_expression(client: Any) -> None:
    expression = {"Filters": [{"Name": "TrainingJobName", "Operator": "Equals", "Value": "x"}]}

    with pytest.raises(ClientError) as raised:
        client.search(Resource="TrainingJob", SearchExpression=expression)

    assert raised.value.response["Error"]["Code"] == "ValidationException"


def test_same_token_returns_same_page(client: Any) -> None:
    token = client.search(Resource="TrainingJob", MaxResults=100)["NextToken"]

    first = client.search(Resource="TrainingJob", MaxResults=100, NextToken=token)
    again = client.search(Resource="TrainingJob", MaxResults=100, NextToken=token)

    assert first["Results"] == again["Results"]
    assert first["NextToken"] == again["NextToken"]


def test_invalid_token_is_rejected(client: Any) -> None:
    token = client.list_models(MaxResults=5)["NextToken"]

    with pytest.raises(ClientError) as raised:
        client.search(Resource="Model", NextToken=token)

    assert raised.value.response["Error"]["Code"] == "ValidationException"
    assert "pagination token" in raised.value.response["Error"]["Message"]


def test_max_results_above_100_is_rejected(client: Any) -> None:
    with pytest.raises(ClientError) as raised:
        client.list_training_jobs(MaxResults=101)

    assert raised.value.response["Error"]["Code"] == "ValidationException"
    assert "less than or equal to 100" in raised.value.response["Error"]["Message"]


def test_list_paginator_reads_every_summary(client: Any) -> None:
    paginator = client.get_paginator("list_training_jobs")
    pages = list(paginator.paginate(PaginationConfig={"PageSize": 100}))

    assert len(pages) == 3
    summaries = [s for page in pages for s in page["TrainingJobSummaries"]]
    assert len(summaries) == SPEC.training_jobs
    assert set(summaries[0]) <= {"TrainingJobName", "TrainingJobArn", "CreationTime",
                                 "TrainingEndTime", "LastModifiedTime", "TrainingJobStatus",
                                 "SecondaryStatus"}


def test_list_without_max_results_uses_default_page(client: Any) -> None:
    page = client.list_models()

    assert len(page["Models"]) == 10
    assert "NextToken" in page


def test_list_model_packages_default_hides_versioned(client: Any) -> None:
    default = client.list_model_packages(MaxResults=100)["ModelPackageSummaryList"]
    both = client.list_model_packages(ModelPackageType="Both", MaxResults=100)

    assert default == []
    assert len(both["ModelPackageSummaryList"]) == 6


def test_list_tuning_jobs_lifts_strategy(client: Any) -> None:
    summary = client.list_hyper_parameter_tuning_jobs(MaxResults=1)[
        "HyperParameterTuningJobSummaries"][0]

    assert summary["Strategy"] == "Bayesian"
    assert summary["ResourceLimits"]["MaxNumberOfTrainingJobs"] == 10


@pytest.mark.parametrize("operation, key", [
    ("list_actions", "ActionSummaries"),
    ("list_artifacts", "ArtifactSummaries"),
    ("list_contexts", "ContextSummaries"),
    ("list_associations", "AssociationSummaries"),
    ("list_feature_groups", "FeatureGroupSummaries"),
    ("list_labeling_jobs", "LabelingJobSummaryList"),
])
def test_unbacked_list_operations_answer_empty(client: Any, operation: str, key: str) -> None:
    response = getattr(client, operation)()

    assert response[key] == []
    assert "NextToken" not in response


def test_describe_is_case_insensitive_and_drops_tags(client: Any) -> None:
    record = client.describe_training_job(TrainingJobName="CHURN-TRAIN-000000")

    assert record["TrainingJobName"] == "churn-train-000000"
    assert "Tags" not in record


def test_describe_versioned_package_by_arn(client: Any) -> None:
    arn = client.list_model_packages(ModelPackageType="Versioned", MaxResults=1)[
        "ModelPackageSummaryList"][0]["ModelPackageArn"]

    record = client.describe_model_package(ModelPackageName=arn)

    assert record["ModelPackageArn"] == arn
    assert record["InferenceSpecification"]["Containers"][0]["ModelDataUrl"].startswith("s3://")


def test_describe_unknown_name_says_could_not_find(client: Any) -> None:
    with pytest.raises(ClientError) as raised:
        client.describe_endpoint_config(EndpointConfigName="deleted-config")

    assert raised.value.response["Error"]["Code"] == "ValidationException"
    assert "Could not find" in raised.value.response["Error"]["Message"]


def test_list_tags_by_arn(client: Any) -> None:
    arn = client.describe_endpoint(EndpointName="churn-endpoint-0000")["EndpointArn"]

    tags = client.list_tags(ResourceArn=arn)["Tags"]

    assert {"Key": "Owner", "Value": "churn-team"} in tags


def test_unknown_operation_is_an_error(mock: MockSageMaker) -> None:
    status, body = mock.answer("CreateModel", {})

    assert status == 400
    assert body["__type"] == "UnknownOperationException"


def test_empty_bucket_raises_throttling(records: dict[str, list[dict[str, Any]]]) -> None:
    config = MockConfig(rate=0.01, burst=2, latency=(0.0, 0.0))
    with MockSageMaker(records, config) as server:
        client = _client(server)

        client.list_models(MaxResults=1)
        client.list_models(MaxResults=1)
        with pytest.raises(ClientError) as raised:
            client.list_models(MaxResults=1)
        # Buckets are per operation: another operation still has tokens.
        client.list_endpoints(MaxResults=1)

        stats = server.stats()

    assert raised.value.response["Error"]["Code"] == "ThrottlingException"
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert stats["calls"]["ListModels"] == 3
    assert stats["throttled"] == {"ListModels": 1}


def test_boto3_retries_throttled_requests(records: dict[str, list[dict[str, Any]]]) -> None:
    config = MockConfig(rate=20.0, burst=1, latency=(0.0, 0.0))
    with MockSageMaker(records, config) as server:
        client = _client(server, Config(retries={"max_attempts": 10, "mode": "standard"}))

        for _ in range(5):
            client.describe_model(ModelName="churn-model-00000")

        stats = server.stats()

    assert stats["total_throttled"] >= 1
    assert stats["calls"]["DescribeModel"] == 5 + stats["throttled"]["DescribeModel"]


def test_token_bucket_refills_at_rate() -> None:
    now = [0.0]
    bucket = TokenBucket(rate=2.0, capacity=2.0, clock=lambda: now[0])

    taken = [bucket.take() for _ in range(3)]
    now[0] = 0.4
    early = bucket.take()
    now[0] = 0.5
    refilled = bucket.take()

    assert taken == [True, True, False]
    assert early is False
    assert refilled is True


def test_stats_count_calls_and_reset(mock: MockSageMaker, client: Any) -> None:
    client.list_models(MaxResults=1)
    client.list_models(MaxResults=1)
    with pytest.raises(ClientError):
        client.describe_model(ModelName="missing")

    with urllib.request.urlopen(f"{mock.endpoint_url}/_stats", timeout=5) as response:
        served = json.load(response)
    mock.reset_stats()

    assert served == {
        "calls": {"DescribeModel": 1, "ListModels": 2},
        "throttled": {},
        "errors": {"DescribeModel": 1},
        "total_calls": 3,
        "total_throttled": 0,
        "total_errors": 1,
    }
    assert mock.stats()["total_calls"] == 0


def test_latency_delays_each_request(records: dict[str, list[dict[str, Any]]]) -> None:
    config = MockConfig(rate=None, latency=(0.08, 0.08))
    with MockSageMaker(records, config) as server:
        client = _client(server)
        client.list_models(MaxResults=1)

        started = time.monotonic()
        for _ in range(3):
            client.list_models(MaxResults=1)
        elapsed = time.monotonic() - started

    assert elapsed >= 3 * 0.08


def test_mock_refuses_non_loopback_host(records: dict[str, list[dict[str, Any]]]) -> None:
    with pytest.raises(ValueError, match="loopback"):
        MockSageMaker(records, NO_LIMITS, host="0.0.0.0")


def test_config_rejects_bad_latency() -> None:
    with pytest.raises(ValueError, match="latency"):
        MockConfig(latency=(0.2, 0.1))


def test_recording_records_are_served() -> None:
    records = records_from_recording(load_case("C04"))

    with MockSageMaker(records, NO_LIMITS) as server:
        client = _client(server)
        packages = client.list_model_packages(ModelPackageType="Both")["ModelPackageSummaryList"]
        groups = client.list_model_package_groups()["ModelPackageGroupSummaryList"]

    assert [p["ModelPackageVersion"] for p in packages] == [3]
    assert [g["ModelPackageGroupName"] for g in groups] == ["churn-models"]


def _client(server: MockSageMaker, config: Config | None = None) -> Any:
    return boto3.client(
        "sagemaker",
        region_name="us-east-1",
        endpoint_url=server.endpoint_url,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=config or Config(retries={"total_max_attempts": 1, "mode": "standard"}),
    )


def _search_all(client: Any, resource: str) -> list[dict[str, Any]]:
    pages = []
    kwargs: dict[str, Any] = {"Resource": resource, "MaxResults": 100}
    for _ in range(100):
        page = client.search(**kwargs)
        pages.append(page)
        if "NextToken" not in page:
            break
        kwargs["NextToken"] = page["NextToken"]
    return pages
