"""RecordingClient replay rules and the RecordingWriter round trip through a crawl."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from lineage.crawl.crawler import crawl
from lineage.crawl.result import RECORD_META, RecordKind
from lineage.crawl.scrub import scrub
from lineage.recording import RecordingClient, RecordingWriter
from tests.conftest import load_case


def test_pages_advance_and_last_repeats() -> None:
    client = RecordingClient({"responses": {"list_models": {"pages": [
        {"Models": [{"ModelName": "a"}]}, {"Models": [{"ModelName": "b"}]}]}}})

    answers = [client.list_models()["Models"][0]["ModelName"] for _ in range(3)]

    assert answers == ["a", "b", "b"]


def test_by_args_matches_subset_of_call_arguments() -> None:
    client = RecordingClient(load_case("C19"))

    response = client.describe_model(ModelName="vendor-sentiment", ExtraArgument=1)

    assert response["ModelName"] == "vendor-sentiment"


def test_by_args_prefers_most_specific_entry() -> None:
    client = RecordingClient(load_case("C04"))

    both = client.list_model_packages(ModelPackageType="Both", MaxResults=100)
    default = client.list_model_packages(MaxResults=100)

    assert len(both["ModelPackageSummaryList"]) == 1
    assert default["ModelPackageSummaryList"] == []


def test_by_args_takes_first_of_equal_entries() -> None:
    client = RecordingClient({"responses": {"describe_model": {"by_args": [
        {"args": {"ModelName": "m"}, "response": {"ModelName": "first"}},
        {"args": {"ModelName": "m"}, "response": {"ModelName": "second"}},
    ]}}})

    assert client.describe_model(ModelName="m")["ModelName"] == "first"


def test_by_args_without_match_is_not_found() -> None:
    client = RecordingClient(load_case("C19"))

    with pytest.raises(ClientError) as raised:
        client.describe_model(ModelName="unknown-model")

    assert raised.value.response["Error"]["Code"] == "ValidationException"
    assert "Could not find" in raised.value.response["Error"]["Message"]


def test_error_response_raises_client_error() -> None:
    client = RecordingClient(load_case("C14"))

    with pytest.raises(ClientError) as raised:
        client.describe_model(ModelName="legacy-model")

    assert raised.value.response["Error"]["Code"] == "ValidationException"
    assert raised.value.operation_name == "DescribeModel"


def test_missing_operation_is_access_denied() -> None:
    client = RecordingClient(load_case("C14"))

    with pytest.raises(ClientError) as raised:
        client.list_training_jobs()

    assert raised.value.response["Error"]["Code"] == "AccessDeniedException"


def test_timestamps_become_datetimes() -> None:
    client = RecordingClient(load_case("C01"))

    pages = [client.list_training_jobs() for _ in range(3)]

    summary = pages[2]["TrainingJobSummaries"][0]
    assert isinstance(summary["CreationTime"], datetime)
    assert summary["CreationTime"].tzinfo is not None
    assert summary["TrainingJobName"] == "churn-xgb-2024-05-02"


def test_writer_round_trip_replays_same_records(tmp_path: Path) -> None:
    source = RecordingClient(_round_trip_document())
    writer = RecordingWriter(source, metadata={"account": "111122223333", "region": "us-east-1"})
    first = crawl(writer, sleep=lambda _: None)
    path = tmp_path / "recording.json"

    writer.write(path)
    replayed = crawl(RecordingClient.from_file(path), sleep=lambda _: None)

    assert _records(replayed) == _records(first)
    assert replayed.report.counts == first.report.counts
    assert replayed.report.unresolved == first.report.unresolved
    written = json.loads(path.read_text())
    assert written["account"] == "111122223333"


def test_writer_keeps_server_error_status() -> None:
    source = RecordingClient({"responses": {"describe_model": {"error": {
        "Code": "InternalFailure", "Message": "boom", "HTTPStatusCode": 500}}}})
    writer = RecordingWriter(source)

    with pytest.raises(ClientError):
        writer.describe_model(ModelName="m")

    entry = writer.document()["responses"]["describe_model"]["by_args"][0]
    assert entry["response"]["error"]["HTTPStatusCode"] == 500


def test_scrubbed_recording_crawls_to_same_shape(tmp_path: Path) -> None:
    writer = RecordingWriter(RecordingClient(_round_trip_document()), scrub=scrub)
    first = crawl(writer, sleep=lambda _: None)
    path = tmp_path / "scrubbed.json"

    writer.write(path)
    text = path.read_text()
    replayed = crawl(RecordingClient.from_file(path), sleep=lambda _: None)

    assert "111122223333" not in text
    assert "example-bucket" not in text
    assert replayed.report.counts == first.report.counts


_ARN_PREFIX = "arn:aws:sagemaker:us-east-1:111122223333:"


def _round_trip_document() -> dict:
    """Throttled pages, a throttled job, a deleted package and tags across several kinds."""
    document = {"responses": {}}
    for case in ("C02", "C03", "C04"):
        document["responses"].update(load_case(case)["responses"])
    document["responses"]["search"] = {"by_args": [
        {"args": {"Resource": "TrainingJob"}, "response": {"error": {
            "Code": "AccessDeniedException", "Message": "no search"}}},
        {"args": {"Resource": "Endpoint"}, "response": {"Results": [
            {"Endpoint": {"EndpointName": "legacy-ep",
                          "EndpointArn": _ARN_PREFIX + "endpoint/legacy-ep",
                          "EndpointConfigName": "legacy-ep-config-2023",
                          "CreationTime": "2024-01-01T00:00:00Z"}}]}},
    ]}
    document["responses"]["describe_endpoint_config"] = load_case("C14")["responses"][
        "describe_endpoint_config"]
    return document


def _records(result) -> dict[str, list]:
    def clean(record: dict) -> dict:
        return {k: v for k, v in record.items() if k != RECORD_META} | {
            "meta": record[RECORD_META]}

    return {
        kind.value: sorted(json.dumps(clean(r), default=str, sort_keys=True)
                            for r in result.of(kind))
        for kind in RecordKind if result.of(kind)
    }
