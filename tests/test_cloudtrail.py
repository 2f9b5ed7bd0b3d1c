"""CloudTrail endpoint events: lookup calls, pagination, parsing, denial and throttling."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from lineage.crawl.cloudtrail import ENDPOINT_EVENTS, fetch_endpoint_events, parse_event
from lineage.crawl.result import CrawlReport
from lineage.errors import LineageError
from lineage.recording import RecordingClient

NOW = datetime(2024, 6, 20, tzinfo=timezone.utc)


def test_fetch_returns_events_oldest_first():
    client = _client({
        "UpdateEndpoint": [[_event("e2", "UpdateEndpoint", "2024-06-12T10:14:00Z",
                                   endpointName="churn-prod",
                                   endpointConfigName="churn-prod-config-v2")]],
        "CreateEndpoint": [[_event("e1", "CreateEndpoint", "2024-05-06T10:00:00Z",
                                   endpointName="churn-prod",
                                   endpointConfigName="churn-prod-config-v1")]],
    })

    events = fetch_endpoint_events(client, now=NOW)

    assert [event["event_id"] for event in events] == ["e1", "e2"]
    assert events[0]["event_time"] == datetime(2024, 5, 6, 10, tzinfo=timezone.utc)
    assert events[1]["config_name"] == "churn-prod-config-v2"
    assert events[1]["endpoint"] == "churn-prod"
    assert events[1]["user"] == "arn:aws:iam::111122223333:user/deployer"


def test_fetch_looks_up_each_event_name():
    client = _client({})

    fetch_endpoint_events(client, now=NOW)

    names = [call[1]["LookupAttributes"][0]["AttributeValue"] for call in client.calls]
    assert names == list(ENDPOINT_EVENTS)
    assert all(call[0] == "lookup_events" for call in client.calls)


def test_fetch_follows_next_token():
    first = [_event("e1", "UpdateEndpoint", "2024-06-01T00:00:00Z", endpointName="a",
                    endpointConfigName="c1")]
    second = [_event("e2", "UpdateEndpoint", "2024-06-02T00:00:00Z", endpointName="a",
                     endpointConfigName="c2")]
    client = _client({"UpdateEndpoint": [first, [], second]})

    events = fetch_endpoint_events(client, now=NOW)

    assert [event["event_id"] for event in events] == ["e1", "e2"]
    tokens = [call[1].get("NextToken") for call in client.calls
              if call[1]["LookupAttributes"][0]["AttributeValue"] == "UpdateEndpoint"]
    assert tokens == [None, "UpdateEndpoint-1", "UpdateEndpoint-2"]


def test_fetch_stops_on_repeated_token(caplog):
    page = {"Events": [_event("e1", "UpdateEndpoint", "2024-06-01T00:00:00Z",
                              endpointName="a", endpointConfigName="c1")],
            "NextToken": "same"}
    client = RecordingClient({"responses": {"lookup_events": {"by_args": [
        {"args": {"LookupAttributes": _attribute("UpdateEndpoint")}, "response": page},
        {"args": {}, "response": {"Events": []}},
    ]}}})

    events = fetch_endpoint_events(client, now=NOW)

    assert [event["event_id"] for event in events] == ["e1"]
    assert "twice" in caplog.text


def test_fetch_limits_start_to_ninety_days():
    client = _client({})

    fetch_endpoint_events(client, start=NOW - timedelta(days=400), now=NOW)

    starts = {call[1]["StartTime"] for call in client.calls}
    ends = {call[1]["EndTime"] for call in client.calls}
    assert starts == {NOW - timedelta(days=90)}
    assert ends == {NOW}


def test_fetch_keeps_later_start_and_end():
    client = _client({})
    start = NOW - timedelta(days=10)

    fetch_endpoint_events(client, start=start, end=NOW - timedelta(days=1), now=NOW)

    assert {call[1]["StartTime"] for call in client.calls} == {start}
    assert {call[1]["EndTime"] for call in client.calls} == {NOW - timedelta(days=1)}


def test_fetch_empty_range_makes_no_call():
    client = _client({})

    assert fetch_endpoint_events(client, start=NOW, end=NOW - timedelta(days=1), now=NOW) == []
    assert client.calls == []


def test_fetch_filters_by_endpoint_name():
    client = _client({"UpdateEndpoint": [[
        _event("e1", "UpdateEndpoint", "2024-06-01T00:00:00Z", endpointName="Churn-Prod",
               endpointConfigName="c1"),
        _event("e2", "UpdateEndpoint", "2024-06-01T01:00:00Z", endpointName="fraud",
               endpointConfigName="c9"),
    ]]})

    events = fetch_endpoint_events(client, endpoint="churn-prod", now=NOW)

    assert [event["event_id"] for event in events] == ["e1"]


def test_fetch_access_denied_returns_empty_with_warning(caplog):
    client = RecordingClient({"responses": {}})
    report = CrawlReport()

    events = fetch_endpoint_events(client, now=NOW, report=report)

    assert events == []
    assert len(report.warnings) == 1
    assert "cloudtrail:LookupEvents" in report.warnings[0]
    assert "denied" in caplog.text


def test_fetch_retries_throttled_calls():
    throttled = {"error": {"Code": "ThrottlingException", "Message": "Rate exceeded"}}
    page = {"Events": [_event("e1", "CreateEndpoint", "2024-06-01T00:00:00Z",
                              endpointName="a", endpointConfigName="c1")]}
    client = RecordingClient({"responses": {"lookup_events": {"by_args": [
        {"args": {"LookupAttributes": _attribute("CreateEndpoint")},
         "response": {"pages": [throttled, throttled, page]}},
        {"args": {}, "response": {"Events": []}},
    ]}}})
    delays: list[float] = []

    events = fetch_endpoint_events(client, now=NOW, sleep=delays.append)

    assert [event["event_id"] for event in events] == ["e1"]
    assert len(delays) == 2
    assert delays[1] > delays[0]


def test_fetch_gives_up_after_max_attempts():
    throttled = {"error": {"Code": "ThrottlingException", "Message": "Rate exceeded"}}
    client = RecordingClient({"responses": {"lookup_events": throttled}})

    with pytest.raises(LineageError, match="ThrottlingException"):
        fetch_endpoint_events(client, now=NOW, sleep=lambda _: None, max_attempts=3)


def test_fetch_other_error_raises():
    client = RecordingClient({"responses": {"lookup_events": {
        "error": {"Code": "InvalidTimeRangeException", "Message": "bad range"}}}})

    with pytest.raises(LineageError, match="InvalidTimeRangeException"):
        fetch_endpoint_events(client, now=NOW)


def test_parse_weights_update():
    raw = _event("e1", "UpdateEndpointWeightsAndCapacities", "2024-06-01T00:00:00Z",
                 endpointName="churn-prod", desiredWeightsAndCapacities=[
                     {"variantName": "champion", "desiredWeight": 0.5},
                     {"variantName": "challenger", "desiredWeight": 0.5,
                      "desiredInstanceCount": 2},
                 ])

    entry = parse_event(raw)

    assert entry is not None
    assert entry["config_name"] is None
    assert entry["weights"] == [
        {"variant": "champion", "weight": 0.5, "instance_count": None},
        {"variant": "challenger", "weight": 0.5, "instance_count": 2},
    ]


def test_parse_skips_failed_call():
    raw = _event("e1", "UpdateEndpoint", "2024-06-01T00:00:00Z", endpointName="a",
                 endpointConfigName="missing")
    detail = json.loads(raw["CloudTrailEvent"])
    detail["errorCode"] = "ValidationException"
    raw["CloudTrailEvent"] = json.dumps(detail)

    assert parse_event(raw) is None


@pytest.mark.parametrize("document", ["not json", "[]", json.dumps({"requestParameters": {}})])
def test_parse_skips_unusable_event(document):
    raw = {"EventId": "e1", "EventName": "UpdateEndpoint", "CloudTrailEvent": document,
           "EventTime": datetime(2024, 6, 1, tzinfo=timezone.utc)}

    assert parse_event(raw) is None


def test_parse_reads_time_from_document_without_event_time():
    raw = _event("e1", "CreateEndpoint", "2024-06-01T08:30:00Z", endpointName="a",
                 endpointConfigName="c1")
    del raw["EventTime"]

    entry = parse_event(raw)

    assert entry is not None
    assert entry["event_time"] == datetime(2024, 6, 1, 8, 30, tzinfo=timezone.utc)


# --- Helpers -----------------------------------------------------------------------------------


def _attribute(name: str) -> list[dict[str, str]]:
    return [{"AttributeKey": "EventName", "AttributeValue": name}]


def _event(event_id: str, name: str, when: str, **parameters: Any) -> dict[str, Any]:
    detail = {
        "eventVersion": "1.08",
        "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::111122223333:user/deployer"},
        "eventTime": when,
        "eventSource": "sagemaker.amazonaws.com",
        "eventName": name,
        "awsRegion": "us-east-1",
        "requestParameters": parameters,
        "eventID": event_id,
    }
    return {
        "EventId": event_id,
        "EventName": name,
        "EventTime": datetime.fromisoformat(when.replace("Z", "+00:00")),
        "EventSource": "sagemaker.amazonaws.com",
        "CloudTrailEvent": json.dumps(detail),
    }


def _client(pages_by_name: dict[str, list[list[dict[str, Any]]]]) -> RecordingClient:
    """Build a recording whose lookup_events returns, per event name, these pages of events."""
    entries: list[dict[str, Any]] = []
    for name, pages in pages_by_name.items():
        for index, events in enumerate(pages):
            args: dict[str, Any] = {"LookupAttributes": _attribute(name)}
            if index:
                args["NextToken"] = f"{name}-{index}"
            response: dict[str, Any] = {"Events": events}
            if index + 1 < len(pages):
                response["NextToken"] = f"{name}-{index + 1}"
            entries.append({"args": args, "response": response})
    entries.append({"args": {}, "response": {"Events": []}})
    return RecordingClient({"responses": {"lookup_events": {"by_args": entries}}})
