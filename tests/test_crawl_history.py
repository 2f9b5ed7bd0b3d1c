"""CloudTrail events in crawls: read through the crawl's caller, stored, used by the timeline."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any

from lineage.crawl.cloudtrail import LOOKBACK, WithCloudTrail
from lineage.crawl.crawler import crawl
from lineage.crawl.result import RECORD_META, CrawlResult, RecordKind
from lineage.queries.timeline import deployment_timeline
from lineage.recording import RecordingClient
from lineage.store import open_store, record_key

ACCOUNT = "111122223333"
UNTIL = datetime(2024, 6, 20, tzinfo=timezone.utc)
CREATED = datetime(2024, 5, 6, 10, 5, tzinfo=timezone.utc)
UPDATED = datetime(2024, 6, 12, 10, 14, tzinfo=timezone.utc)


def test_crawl_reads_events_as_records() -> None:
    client = _client(_lookups({"CreateEndpoint": [_event("c1", "CreateEndpoint", CREATED, "v1")],
                               "UpdateEndpoint": [_event("u1", "UpdateEndpoint", UPDATED, "v2")]}))

    result = crawl(client, seeds=[], cloudtrail=True, cloudtrail_until=UNTIL)

    events = result.of(RecordKind.CLOUDTRAIL_EVENT)
    assert [event["EventId"] for event in events] == ["c1", "u1"]
    assert events[0][RECORD_META]["account"] == ACCOUNT
    assert result.report.counts["CloudTrailEvent"] == 2
    assert result.report.calls["lookup_events"] == 3
    assert result.report.warnings == []


def test_crawl_lookup_window_is_ninety_days() -> None:
    client = _client(_lookups({}))

    crawl(client, seeds=[], cloudtrail=True, cloudtrail_until=UNTIL)

    lookups = [arguments for operation, arguments in client.calls
               if operation == "lookup_events"]
    assert len(lookups) == 3
    for arguments in lookups:
        assert arguments["EndTime"] == UNTIL
        assert arguments["StartTime"] == UNTIL - LOOKBACK
        assert arguments["MaxResults"] == 50


def test_crawl_without_cloudtrail_sends_no_lookup() -> None:
    client = _client(_lookups({}))

    result = crawl(client, seeds=[])

    assert "lookup_events" not in result.report.calls
    assert RecordKind.CLOUDTRAIL_EVENT not in result.records


def test_crawl_denied_cloudtrail_warns_and_goes_on() -> None:
    client = _client({"error": {"Code": "AccessDeniedException", "Message": "no trail"}},
                     endpoint=True)

    result = crawl(client, seeds=[(RecordKind.ENDPOINT, "churn-prod")], cloudtrail=True,
                   cloudtrail_until=UNTIL)

    assert len(result.of(RecordKind.ENDPOINT)) == 1
    assert result.report.denied == ["CloudTrailEvent"]
    assert result.report.calls["lookup_events"] == 1
    assert any("cloudtrail:LookupEvents" in warning for warning in result.report.warnings)


def test_crawl_retries_throttled_lookup() -> None:
    page = {"Events": [_event("u1", "UpdateEndpoint", UPDATED, "v2")]}
    response = {"pages": [{"error": {"Code": "ThrottlingException", "Message": "slow down"}},
                          page]}
    client = _client({"by_args": [
        {"args": {"LookupAttributes": _attribute("UpdateEndpoint")}, "response": response},
        {"args": {}, "response": {"Events": []}},
    ]})

    result = crawl(client, seeds=[], cloudtrail=True, cloudtrail_until=UNTIL,
                   sleep=lambda seconds: None)

    assert [event["EventId"] for event in result.of(RecordKind.CLOUDTRAIL_EVENT)] == ["u1"]
    assert result.report.throttled == 1
    assert result.report.retries == 1
    assert result.report.calls["lookup_events"] == 4


def test_crawl_skips_failed_deployment_calls() -> None:
    failed = _event("f1", "UpdateEndpoint", UPDATED, "v3", error="ValidationException")
    client = _client(_lookups({"UpdateEndpoint": [failed]}))

    result = crawl(client, seeds=[], cloudtrail=True, cloudtrail_until=UNTIL)

    assert result.of(RecordKind.CLOUDTRAIL_EVENT) == []


def test_incremental_lookup_starts_at_previous_crawl() -> None:
    previous = CrawlResult()
    previous.report.started = UPDATED
    known = _event("c1", "CreateEndpoint", CREATED, "v1")
    previous.add(RecordKind.CLOUDTRAIL_EVENT, {**known, RECORD_META: {"account": ACCOUNT}})
    client = _client(_lookups({"CreateEndpoint": [known],
                               "UpdateEndpoint": [_event("u1", "UpdateEndpoint", UPDATED, "v2")]}))

    result = crawl(client, kinds=set(), previous=previous, overlap=timedelta(minutes=10),
                   cloudtrail=True, cloudtrail_until=UNTIL)

    starts = {arguments["StartTime"] for operation, arguments in client.calls
              if operation == "lookup_events"}
    assert starts == {UPDATED - timedelta(minutes=10)}
    # The event of the previous snapshot is kept once, and the new one is added.
    assert [event["EventId"] for event in result.of(RecordKind.CLOUDTRAIL_EVENT)] == ["c1", "u1"]


def test_store_keys_events_by_event_id() -> None:
    record = _event("c1", "CreateEndpoint", CREATED, "v1")

    assert record_key(RecordKind.CLOUDTRAIL_EVENT, record) == "event:c1"


def test_timeline_uses_stored_events() -> None:
    store = open_store(":memory:", create=True)
    for taken_at, config, events in (
        (UPDATED - timedelta(days=1), "v1", [_event("c1", "CreateEndpoint", CREATED, "v1")]),
        (UPDATED + timedelta(days=1), "v2", [_event("c1", "CreateEndpoint", CREATED, "v1"),
                                            _event("u1", "UpdateEndpoint", UPDATED, "v2")]),
    ):
        client = _client(_lookups(_by_name(events)), endpoint=True, config=config)
        result = crawl(client, seeds=[(RecordKind.ENDPOINT, "churn-prod")], cloudtrail=True,
                       cloudtrail_until=taken_at)
        store.save(result, source="test", taken_at=taken_at)

    timeline = deployment_timeline(store, "churn-prod")

    assert [(d.config_name, d.start, d.event) for d in timeline] == [
        ("v1", CREATED, "CreateEndpoint"),
        ("v2", UPDATED, "UpdateEndpoint"),
    ]
    assert timeline[0].end == UPDATED
    assert len(store.record_history(RecordKind.CLOUDTRAIL_EVENT, "churn-prod")) == 2


def test_with_cloudtrail_routes_lookup_events() -> None:
    sagemaker = RecordingClient({"responses": {"list_models": {"Models": []}}})
    trail = RecordingClient({"responses": {"lookup_events": {"Events": []}}})
    client = WithCloudTrail(sagemaker, trail)

    client.list_models()
    client.lookup_events()

    assert [operation for operation, _ in sagemaker.calls] == ["list_models"]
    assert [operation for operation, _ in trail.calls] == ["lookup_events"]


# --- Helpers -----------------------------------------------------------------------------------


def _attribute(name: str) -> list[dict[str, str]]:
    return [{"AttributeKey": "EventName", "AttributeValue": name}]


def _by_name(events: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    grouped: dict[str, list[dict[str, Any]]] = {}
    for event in events:
        grouped.setdefault(event["EventName"], []).append(event)
    return grouped


def _lookups(events_by_name: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    entries: list[dict[str, Any]] = [
        {"args": {"LookupAttributes": _attribute(name)}, "response": {"Events": events}}
        for name, events in events_by_name.items()
    ]
    entries.append({"args": {}, "response": {"Events": []}})
    return {"by_args": entries}


def _client(lookup: dict[str, Any], endpoint: bool = False, config: str = "v1") -> RecordingClient:
    responses: dict[str, Any] = {"lookup_events": lookup}
    if endpoint:
        responses["describe_endpoint"] = {
            "EndpointName": "churn-prod",
            "EndpointArn": f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:endpoint/churn-prod",
            "EndpointConfigName": config,
            "EndpointStatus": "InService",
            "CreationTime": CREATED.isoformat(),
            "LastModifiedTime": UPDATED.isoformat(),
        }
    return RecordingClient({"account": ACCOUNT, "region": "us-east-1", "responses": responses})


def _event(event_id: str, name: str, when: datetime, config: str,
           error: str | None = None) -> dict[str, Any]:
    detail: dict[str, Any] = {
        "eventTime": when.isoformat(),
        "eventName": name,
        "awsRegion": "us-east-1",
        "requestParameters": {"endpointName": "churn-prod", "endpointConfigName": config},
        "eventID": event_id,
    }
    if error:
        detail["errorCode"] = error
    return {
        "EventId": event_id,
        "EventName": name,
        "EventTime": when.isoformat(),
        "EventSource": "sagemaker.amazonaws.com",
        "CloudTrailEvent": json.dumps(detail),
    }
