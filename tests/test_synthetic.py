"""Synthetic accounts: counts follow the spec, paging works, shapes match botocore."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest

from lineage.errors import LineageError
from lineage.identity import artifact_uri
from lineage.recording import RecordingClient, validate_recording
from lineage.synthetic import (
    Account,
    AccountSpec,
    InvalidSpecError,
    build_account,
    generate_account,
)
from tests.recordings import search_all, shape_problems

MEDIUM = AccountSpec(
    training_jobs=250,
    models=30,
    endpoints=8,
    datasets=20,
    processing_jobs=130,
    tuning_jobs=3,
    children_per_tuning_job=10,
    transform_jobs=4,
    model_packages=6,
    hub_dataset_share=0.3,
)
HUB_PREFIX = f"s3://{MEDIUM.data_bucket}/shared/customer-features/"


@pytest.fixture(scope="module")
def medium() -> dict[str, Any]:
    return generate_account(MEDIUM)


@pytest.fixture(scope="module")
def client(medium: dict[str, Any]) -> RecordingClient:
    return RecordingClient(medium, source="medium synthetic account")


def test_document_is_valid_recording(medium: dict[str, Any]) -> None:
    validate_recording(medium)
    assert medium["account"] == MEDIUM.account
    assert medium["region"] == MEDIUM.region
    assert medium["recorded_at"] > MEDIUM.base_time.isoformat()


def test_responses_match_botocore_shapes(medium: dict[str, Any]) -> None:
    problems = shape_problems(medium)
    assert not problems, "\n".join(problems[:5])


def test_counts_follow_spec(client: RecordingClient) -> None:
    assert len(search_all(client, "TrainingJob")) == MEDIUM.training_jobs
    assert len(search_all(client, "Model")) == MEDIUM.models
    assert len(search_all(client, "Endpoint")) == MEDIUM.endpoints
    assert len(search_all(client, "HyperParameterTuningJob")) == MEDIUM.tuning_jobs
    assert len(search_all(client, "ModelPackage")) == MEDIUM.model_packages
    assert len(_list_all(client, "list_processing_jobs", "ProcessingJobSummaries")) == (
        MEDIUM.processing_jobs
    )
    assert len(_list_all(client, "list_transform_jobs", "TransformJobSummaries")) == (
        MEDIUM.transform_jobs
    )


def test_search_pages_chain_without_repeats(client: RecordingClient) -> None:
    names = []
    token = None
    pages = 0
    while True:
        kwargs: dict[str, Any] = {"Resource": "TrainingJob", "MaxResults": 100}
        if token:
            kwargs["NextToken"] = token
        page = client.search(**kwargs)
        pages += 1
        assert len(page["Results"]) <= 100
        names.extend(result["TrainingJob"]["TrainingJobName"] for result in page["Results"])
        token = page.get("NextToken")
        if not token:
            break
    assert pages == 3
    assert len(names) == len(set(names))


def test_list_pages_chain_without_repeats(client: RecordingClient) -> None:
    first = client.list_processing_jobs(MaxResults=100)
    assert len(first["ProcessingJobSummaries"]) == 100
    second = client.list_processing_jobs(MaxResults=100, NextToken=first["NextToken"])
    assert "NextToken" not in second
    names = [s["ProcessingJobName"] for s in first["ProcessingJobSummaries"]]
    names += [s["ProcessingJobName"] for s in second["ProcessingJobSummaries"]]
    assert len(names) == len(set(names)) == MEDIUM.processing_jobs


def test_search_results_newest_first(client: RecordingClient) -> None:
    created = [job["CreationTime"] for job in search_all(client, "TrainingJob")]
    assert created == sorted(created, reverse=True)


def test_tuning_children_reference_parent(client: RecordingClient) -> None:
    tuning_jobs = search_all(client, "HyperParameterTuningJob")
    jobs = search_all(client, "TrainingJob")
    for tuning in tuning_jobs:
        arn = tuning["HyperParameterTuningJobArn"]
        children = [job for job in jobs if job.get("TuningJobArn") == arn]
        assert len(children) == MEDIUM.children_per_tuning_job
        assert tuning["BestTrainingJob"]["TrainingJobName"] in {
            job["TrainingJobName"] for job in children
        }
        for child in children:
            assert child["HyperParameters"]["_tuning_objective_metric"] == "validation:auc"


def test_models_load_completed_job_artifacts(client: RecordingClient) -> None:
    artifacts = {
        artifact_uri(job["ModelArtifacts"]["S3ModelArtifacts"])
        for job in search_all(client, "TrainingJob")
        if job["TrainingJobStatus"] == "Completed"
    }
    for record in search_all(client, "Model"):
        container = record["Model"]["PrimaryContainer"]
        assert artifact_uri(container["ModelDataUrl"]) in artifacts


def test_failed_jobs_have_no_artifact(client: RecordingClient) -> None:
    failed = [
        job for job in search_all(client, "TrainingJob") if job["TrainingJobStatus"] == "Failed"
    ]
    assert failed
    for job in failed:
        assert "ModelArtifacts" not in job
        assert "FinalMetricDataList" not in job
        assert job["FailureReason"]


def test_endpoint_configs_are_described(client: RecordingClient) -> None:
    for endpoint in search_all(client, "Endpoint"):
        config = client.describe_endpoint_config(EndpointConfigName=endpoint["EndpointConfigName"])
        served = {variant["ModelName"] for variant in config["ProductionVariants"]}
        assert served


def test_hub_share_roughly_followed() -> None:
    spec = replace(MEDIUM, training_jobs=2000, tuning_jobs=0, hub_dataset_share=0.25)
    account = build_account(spec)
    readers = [
        job for job in account.training_jobs
        if job["InputDataConfig"][0]["DataSource"]["S3DataSource"]["S3Uri"] == HUB_PREFIX
    ]
    # The share is drawn per job, so the count varies around 500 with a standard deviation of 19.
    assert 400 < len(readers) < 600


def test_no_hub_readers_when_share_zero() -> None:
    account = build_account(replace(MEDIUM, hub_dataset_share=0.0))
    uris = {
        channel["DataSource"]["S3DataSource"]["S3Uri"]
        for job in account.training_jobs
        for channel in job["InputDataConfig"]
    }
    assert HUB_PREFIX not in uris


def test_same_spec_same_document() -> None:
    spec = replace(MEDIUM, training_jobs=120, processing_jobs=10)
    assert json.dumps(generate_account(spec)) == json.dumps(generate_account(spec))


def test_other_seed_other_document() -> None:
    spec = replace(MEDIUM, training_jobs=120, processing_jobs=10)
    other = replace(spec, seed=spec.seed + 1)
    assert json.dumps(generate_account(spec)) != json.dumps(generate_account(other))


def test_empty_account_replays_full_crawl() -> None:
    spec = AccountSpec(
        training_jobs=0, models=0, endpoints=0, datasets=0, processing_jobs=0, tuning_jobs=0,
        transform_jobs=0, model_packages=0,
    )
    client = RecordingClient(generate_account(spec))
    assert client.search(Resource="TrainingJob", MaxResults=100) == {"Results": []}
    assert client.list_processing_jobs() == {"ProcessingJobSummaries": []}
    assert shape_problems(generate_account(spec)) == []


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"training_jobs": -1}, "training_jobs is -1"),
        ({"hub_dataset_share": 1.5}, "hub_dataset_share is 1.5"),
        (
            {"training_jobs": 10, "tuning_jobs": 2, "children_per_tuning_job": 8},
            "raise training_jobs",
        ),
    ],
)
def test_invalid_spec_rejected(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidSpecError, match=message) as raised:
        replace(AccountSpec(), **changes)
    assert isinstance(raised.value, LineageError)


def test_account_rejects_unknown_config() -> None:
    account = Account()
    with pytest.raises(KeyError, match="missing-config"):
        account.add_endpoint(
            "orphan", config_name="missing-config",
            created=MEDIUM.base_time, modified=MEDIUM.base_time,
        )


def _list_all(client: RecordingClient, operation: str, key: str) -> list[dict[str, Any]]:
    summaries: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"MaxResults": 100}
    while True:
        page = getattr(client, operation)(**kwargs)
        summaries.extend(page[key])
        if "NextToken" not in page:
            return summaries
        kwargs["NextToken"] = page["NextToken"]
