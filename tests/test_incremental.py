"""Incremental crawls: a second crawl into the same store reads only what changed."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from bench.accounts import AccountSpec, arn, generate_records
from bench.mock_sagemaker import MockConfig, MockSageMaker
from lineage.crawl import incremental
from lineage.crawl.crawler import crawl
from lineage.crawl.result import RECORD_META, CrawlReport, CrawlResult, RecordKind
from lineage.store import open_store
from tests.scale_mock import (
    mock_client,
    offline_aws,  # noqa: F401 (autouse: dummy credentials, no AWS)
    replace_records,
    start_mock,
)

SPEC = AccountSpec(training_jobs=150, models=12, endpoints=4, processing_jobs=6, tuning_jobs=2,
                   transform_jobs=2, model_package_groups=1, packages_per_group=2)
# Search on these kinds and one list call each for the others, plus the endpoint listing.
LISTED_KINDS = 9


@pytest.fixture
def records() -> dict[str, list[dict[str, Any]]]:
    return generate_records(SPEC)


@pytest.fixture
def mock(records: dict[str, list[dict[str, Any]]]) -> Iterator[MockSageMaker]:
    server = start_mock(records, MockConfig(rate=None, latency=(0.0, 0.0)))
    yield server
    server.stop()


def test_unchanged_account_costs_one_call_per_kind(mock: MockSageMaker, tmp_path: Path) -> None:
    store = open_store(tmp_path / "lineage.sqlite", create=True)
    first = crawl(mock_client(mock))
    store.save(first)

    second = crawl(mock_client(mock), previous=store.latest().result)

    calls = second.report.calls
    assert second.report.total_calls <= LISTED_KINDS + 1
    assert calls["list_endpoints"] == 1
    assert not [op for op in calls if op.startswith("describe_")]
    assert second.report.counts == first.report.counts


def test_store_snapshot_unchanged_after_incremental(mock: MockSageMaker, tmp_path: Path) -> None:
    store = open_store(tmp_path / "lineage.sqlite", create=True)
    store.save(crawl(mock_client(mock)))

    store.save(crawl(mock_client(mock), previous=store.latest().result))

    snapshots = store.snapshots()
    assert len(snapshots) == 2
    assert snapshots[0].records == snapshots[1].records


def test_changes_are_read_and_deletions_dropped(
    mock: MockSageMaker, records: dict[str, list[dict[str, Any]]]
) -> None:
    first = crawl(mock_client(mock))
    changed = _change_account(records)
    replace_records(mock, changed)

    second = crawl(mock_client(mock), previous=first)

    names = {kind: _names(second, kind) for kind in RecordKind}
    assert "churn-new-train" in names[RecordKind.TRAINING_JOB]
    assert "churn-new-config" in names[RecordKind.ENDPOINT_CONFIG]
    assert records["Endpoint"][0]["EndpointName"] not in names[RecordKind.ENDPOINT]
    updated = _record(second, RecordKind.ENDPOINT, records["Endpoint"][1]["EndpointName"])
    assert updated["EndpointConfigName"] == "churn-new-config"
    assert len(names[RecordKind.TRAINING_JOB]) == SPEC.training_jobs + 1
    assert len(names[RecordKind.ENDPOINT]) == SPEC.endpoints - 1
    assert second.report.calls["describe_endpoint_config"] == 1


def test_finished_jobs_are_not_described_again(
    mock: MockSageMaker, records: dict[str, list[dict[str, Any]]]
) -> None:
    first = crawl(mock_client(mock))
    changed = copy.deepcopy(records)
    job = changed["ProcessingJob"][0]
    job["LastModifiedTime"] = datetime.now(timezone.utc)
    replace_records(mock, changed)

    second = crawl(mock_client(mock), previous=first)

    assert job["ProcessingJobStatus"] == "Completed"
    assert "describe_processing_job" not in second.report.calls


def test_running_job_is_described_when_modified(
    mock: MockSageMaker, records: dict[str, list[dict[str, Any]]]
) -> None:
    running = copy.deepcopy(records)
    running["ProcessingJob"][0]["ProcessingJobStatus"] = "InProgress"
    replace_records(mock, running)
    first = crawl(mock_client(mock))
    done = copy.deepcopy(running)
    done["ProcessingJob"][0]["ProcessingJobStatus"] = "Completed"
    done["ProcessingJob"][0]["LastModifiedTime"] = datetime.now(timezone.utc)
    replace_records(mock, done)

    second = crawl(mock_client(mock), previous=first)

    assert second.report.calls["describe_processing_job"] == 1
    name = running["ProcessingJob"][0]["ProcessingJobName"]
    assert _record(second, RecordKind.PROCESSING_JOB, name)["ProcessingJobStatus"] == "Completed"


def test_watermark_is_latest_time_minus_overlap() -> None:
    result = CrawlResult()
    for hour in (1, 5, 3):
        result.add(RecordKind.TRAINING_JOB, {
            "TrainingJobName": f"job-{hour}",
            "LastModifiedTime": datetime(2024, 1, 1, hour, tzinfo=timezone.utc),
            RECORD_META: {"account": "1", "region": "r", "source": "search"},
        })

    marks = incremental.watermarks(result, timedelta(minutes=10), [RecordKind.TRAINING_JOB])

    assert marks == {RecordKind.TRAINING_JOB: datetime(2024, 1, 1, 4, 50, tzinfo=timezone.utc)}


def test_partial_kind_has_no_watermark() -> None:
    result = CrawlResult(report=CrawlReport(partial=["TrainingJob: stopped at page 2"]))
    result.add(RecordKind.TRAINING_JOB, {
        "TrainingJobName": "job",
        "LastModifiedTime": datetime(2024, 1, 1, tzinfo=timezone.utc),
        RECORD_META: {"account": "1", "region": "r", "source": "search"},
    })

    marks = incremental.watermarks(result, timedelta(minutes=10), [RecordKind.TRAINING_JOB])

    assert marks == {}


def test_search_filter_sorts_by_watermark_field() -> None:
    since = datetime(2024, 1, 1, tzinfo=timezone.utc)

    args = incremental.search_filter(RecordKind.MODEL, since)

    assert args["SortBy"] == "CreationTime"
    assert args["SortOrder"] == "Ascending"
    assert args["SearchExpression"]["Filters"] == [
        {"Name": "CreationTime", "Operator": "GreaterThanOrEqualTo", "Value": since.isoformat()}
    ]


@pytest.mark.parametrize(
    ("operation", "argument"),
    [
        ("list_processing_jobs", "LastModifiedTimeAfter"),
        ("list_models", "CreationTimeAfter"),
        ("list_endpoint_configs", None),
    ],
)
def test_list_filter_uses_supported_argument(operation: str, argument: str | None) -> None:
    since = datetime(2024, 1, 1, tzinfo=timezone.utc)

    args = incremental.list_filter(operation, since)

    assert args == ({argument: since} if argument else {})


def test_scope_of_keeps_one_account_region() -> None:
    result = CrawlResult()
    for account, region in (("1", "us-east-1"), ("2", "us-east-1"), ("1", "eu-west-1")):
        result.add(RecordKind.MODEL, {
            "ModelName": f"m-{account}-{region}",
            RECORD_META: {"account": account, "region": region, "source": "search"},
        })

    scoped = incremental.scope_of(result, "1", "us-east-1")

    assert [r["ModelName"] for r in scoped.of(RecordKind.MODEL)] == ["m-1-us-east-1"]


def _change_account(records: dict[str, list[dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
    """Add a training job and a config, repoint one endpoint to it, and delete another."""
    changed = copy.deepcopy(records)
    now = datetime.now(timezone.utc)

    job = copy.deepcopy(changed["TrainingJob"][-1])
    job.update(TrainingJobName="churn-new-train", TrainingJobArn=arn("training-job",
               "churn-new-train"), CreationTime=now, LastModifiedTime=now)
    changed["TrainingJob"].append(job)

    config = copy.deepcopy(changed["EndpointConfig"][0])
    config.update(EndpointConfigName="churn-new-config",
                  EndpointConfigArn=arn("endpoint-config", "churn-new-config"), CreationTime=now)
    changed["EndpointConfig"].append(config)

    endpoint = changed["Endpoint"][1]
    endpoint.update(EndpointConfigName="churn-new-config", LastModifiedTime=now)
    del changed["Endpoint"][0]
    return changed


def _names(result: CrawlResult, kind: RecordKind) -> list[str]:
    return [str(r.get(f"{kind.value}Name")) for r in result.of(kind)]


def _record(result: CrawlResult, kind: RecordKind, name: str) -> dict[str, Any]:
    return next(r for r in result.of(kind) if r.get(f"{kind.value}Name") == name)
