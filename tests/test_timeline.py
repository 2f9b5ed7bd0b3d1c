"""Deployment timelines from stored endpoint versions, merged with CloudTrail events."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from lineage import store as stores
from lineage.crawl.cloudtrail import fetch_endpoint_events
from lineage.crawl.result import RECORD_META, CrawlReport, CrawlResult, RecordKind
from lineage.queries.timeline import CLOUDTRAIL, SNAPSHOT, DeployedVariant, deployment_timeline
from lineage.recording import RecordingClient
from lineage.source import load

ACCOUNT = "111122223333"
T0 = datetime(2024, 6, 10, 6, 0, tzinfo=timezone.utc)
DAY = timedelta(days=1)


@pytest.fixture
def memory() -> Iterator[stores.Store]:
    with stores.open_store(stores.MEMORY, create=True) as store:
        yield store


# --- From snapshots ----------------------------------------------------------------------------


def test_timeline_sample_churn_prod_moves_to_v2():
    loaded = load()
    assert loaded.store is not None
    before, after = loaded.store.snapshots()

    timeline = deployment_timeline(loaded.store, "churn-prod")

    assert [d.config_name for d in timeline] == ["churn-prod-config-v1", "churn-prod-config-v2"]
    assert [d.source for d in timeline] == [SNAPSHOT, SNAPSHOT]
    assert [(d.first_snapshot, d.last_snapshot) for d in timeline] == [
        (before.id, before.id), (after.id, after.id),
    ]
    # The sample's stored CloudTrail events date both deployments, not the crawls.
    updated = datetime(2024, 6, 12, 10, 14, tzinfo=timezone.utc)
    assert timeline[0].start == datetime(2024, 5, 6, 10, 5, tzinfo=timezone.utc)
    assert timeline[0].end == updated
    assert timeline[1].start == updated
    assert timeline[1].end is None
    assert [(v.name, v.model, v.weight) for v in timeline[1].variants] == [
        ("champion", "churn-xgb-20240612-0810-model", 0.9),
        ("challenger", "churn-linear-20240502-1400-model", 0.1),
    ]
    assert timeline[1].modified == datetime(2024, 6, 12, 10, 14, tzinfo=timezone.utc)


def test_timeline_unchanged_config_is_one_deployment(memory):
    _save(memory, T0, _endpoint("ep", "cfg-a", status="Updating"), _config("cfg-a"))
    _save(memory, T0 + DAY, _endpoint("ep", "cfg-a"), _config("cfg-a"))
    _save(memory, T0 + 2 * DAY, _endpoint("ep", "cfg-a"), _config("cfg-a"))

    (deployment,) = deployment_timeline(memory, "ep")

    assert deployment.start == T0
    assert deployment.end is None
    assert (deployment.first_snapshot, deployment.last_snapshot) == (1, 3)
    assert deployment.status == "InService"


def test_timeline_variants_come_from_config(memory):
    config = _config("cfg-a", variants=[
        _spec("big", "model-a", 0.7, instance_type="ml.m5.xlarge", count=3),
        _spec("small", "model-b", 0.3, serverless={"MemorySizeInMB": 2048, "MaxConcurrency": 5}),
    ], shadows=[_spec("shadow", "model-c", 1.0, instance_type="ml.m5.large", count=1)])
    _save(memory, T0, _endpoint("ep", "cfg-a", weights={}), config)

    (deployment,) = deployment_timeline(memory, "ep")

    assert deployment.variants == (
        DeployedVariant("big", "model-a", 0.7, "ml.m5.xlarge", 3, None, False),
        DeployedVariant("small", "model-b", 0.3, None, None,
                        {"MemorySizeInMB": 2048, "MaxConcurrency": 5}, False),
        DeployedVariant("shadow", "model-c", 1.0, "ml.m5.large", 1, None, True),
    )


def test_timeline_weight_change_splits_deployment(memory):
    config = _config("cfg-a", variants=[_spec("a", "m-a", 0.9), _spec("b", "m-b", 0.1)])
    _save(memory, T0, _endpoint("ep", "cfg-a", weights={"a": 0.9, "b": 0.1}), config)
    _save(memory, T0 + DAY, _endpoint("ep", "cfg-a", weights={"a": 0.5, "b": 0.5}))

    first, second = deployment_timeline(memory, "ep")

    assert first.config_name == second.config_name == "cfg-a"
    assert [v.weight for v in first.variants] == [0.9, 0.1]
    assert [v.weight for v in second.variants] == [0.5, 0.5]
    assert first.end == second.start == T0 + DAY


def test_timeline_instance_count_change_does_not_split(memory):
    _save(memory, T0, _endpoint("ep", "cfg-a"), _config("cfg-a"))
    scaled = _endpoint("ep", "cfg-a")
    scaled["ProductionVariants"][0]["CurrentInstanceCount"] = 4
    _save(memory, T0 + DAY, scaled)

    (deployment,) = deployment_timeline(memory, "ep")

    assert deployment.last_snapshot == 2
    assert [v.instance_count for v in deployment.variants] == [1]


def test_timeline_missing_config_uses_endpoint_variants(memory):
    _save(memory, T0, _endpoint("ep", "cfg-gone", weights={"AllTraffic": 1.0}))

    (deployment,) = deployment_timeline(memory, "ep")

    assert deployment.config_name == "cfg-gone"
    assert deployment.variants == (
        DeployedVariant("AllTraffic", None, 1.0, None, 1, None, False),
    )


def test_timeline_deleted_endpoint_ends_deployment(memory):
    _save(memory, T0, _endpoint("ep", "cfg-a"), _config("cfg-a"))
    _save(memory, T0 + DAY, _endpoint("other", "cfg-a"))

    (deployment,) = deployment_timeline(memory, "ep")

    assert deployment.end == T0 + DAY


def test_timeline_recreated_endpoint_has_gap(memory):
    _save(memory, T0, _endpoint("ep", "cfg-a"), _config("cfg-a"))
    _save(memory, T0 + DAY, _endpoint("other", "cfg-a"))
    _save(memory, T0 + 2 * DAY, _endpoint("ep", "cfg-a"))

    first, second = deployment_timeline(memory, "ep")

    assert (first.start, first.end) == (T0, T0 + DAY)
    assert (second.start, second.end) == (T0 + 2 * DAY, None)


def test_timeline_snapshot_without_endpoints_does_not_split(memory):
    _save(memory, T0, _endpoint("ep", "cfg-a"), _config("cfg-a"))
    _save(memory, T0 + DAY, _config("cfg-a"))
    _save(memory, T0 + 2 * DAY, _endpoint("ep", "cfg-a"))

    (deployment,) = deployment_timeline(memory, "ep")

    assert (deployment.start, deployment.end) == (T0, None)
    assert (deployment.first_snapshot, deployment.last_snapshot) == (1, 3)


def test_timeline_by_arn_and_case(memory):
    _save(memory, T0, _endpoint("Churn-Prod", "cfg-a"), _config("cfg-a"))

    by_arn = deployment_timeline(memory, _arn("endpoint", "churn-prod"))
    by_name = deployment_timeline(memory, "CHURN-PROD")

    assert [d.endpoint for d in by_arn] == ["Churn-Prod"]
    assert by_arn == by_name


def test_timeline_unknown_endpoint_is_empty(memory):
    _save(memory, T0, _endpoint("ep", "cfg-a"))

    assert deployment_timeline(memory, "absent") == []


def test_timeline_to_dict_is_plain_data(memory):
    _save(memory, T0, _endpoint("ep", "cfg-a"), _config("cfg-a"))

    (data,) = [d.to_dict() for d in deployment_timeline(memory, "ep")]

    assert data["start"] == "2024-06-10T06:00:00+00:00"
    assert data["end"] is None
    assert data["variants"][0]["model"] == "cfg-a-model"
    assert data["source"] == "snapshot"


# --- With CloudTrail events --------------------------------------------------------------------


def test_timeline_events_before_first_crawl_add_deployments(memory):
    _save(memory, T0, _endpoint("ep", "cfg-b", weights={"AllTraffic": 1.0}), _config("cfg-b"))
    _save(memory, T0 + DAY, _endpoint("ep", "cfg-b", weights={"AllTraffic": 1.0}),
          _config("cfg-a"))
    events = [
        _create("ep", "cfg-a", T0 - 10 * DAY),
        _update("ep", "cfg-b", T0 - 2 * DAY),
    ]

    timeline = deployment_timeline(memory, "ep", events)

    assert [(d.config_name, d.source, d.event) for d in timeline] == [
        ("cfg-a", CLOUDTRAIL, "CreateEndpoint"),
        ("cfg-b", SNAPSHOT, "UpdateEndpoint"),
    ]
    assert (timeline[0].start, timeline[0].end) == (T0 - 10 * DAY, T0 - 2 * DAY)
    assert timeline[1].start == T0 - 2 * DAY
    assert timeline[1].first_snapshot == 1
    assert [v.model for v in timeline[0].variants] == ["cfg-a-model"]


def test_timeline_event_between_snapshots_dates_change(memory):
    _save(memory, T0, _endpoint("ep", "cfg-a"), _config("cfg-a"))
    _save(memory, T0 + DAY, _endpoint("ep", "cfg-b"), _config("cfg-b"))
    change = T0 + timedelta(hours=20)

    first, second = deployment_timeline(memory, "ep", [_update("ep", "cfg-b", change)])

    assert first.end == change
    assert second.start == change
    assert second.source == SNAPSHOT
    assert second.event == "UpdateEndpoint"


def test_timeline_unseen_deployment_between_snapshots(memory):
    _save(memory, T0, _endpoint("ep", "cfg-a"), _config("cfg-a"))
    _save(memory, T0 + DAY, _endpoint("ep", "cfg-c"), _config("cfg-c"))
    events = [_update("ep", "cfg-b", T0 + timedelta(hours=4)),
              _update("ep", "cfg-c", T0 + timedelta(hours=9))]

    timeline = deployment_timeline(memory, "ep", events)

    assert [(d.config_name, d.source) for d in timeline] == [
        ("cfg-a", SNAPSHOT), ("cfg-b", CLOUDTRAIL), ("cfg-c", SNAPSHOT),
    ]
    assert timeline[1].variants == ()
    assert [d.end for d in timeline] == [T0 + timedelta(hours=4), T0 + timedelta(hours=9), None]


def test_timeline_weights_event_reweights_previous_deployment(memory):
    _save(memory, T0, _endpoint("ep", "cfg-a", weights={"a": 0.9, "b": 0.1}),
          _config("cfg-a", variants=[_spec("a", "m-a", 0.9), _spec("b", "m-b", 0.1)]))
    event = _weights("ep", T0 + DAY, {"a": 0.5, "b": 0.5})

    first, second = deployment_timeline(memory, "ep", [event])

    assert second.source == CLOUDTRAIL
    assert second.config_name == "cfg-a"
    assert [(v.name, v.model, v.weight) for v in second.variants] == [
        ("a", "m-a", 0.5), ("b", "m-b", 0.5),
    ]
    assert first.end == second.start == T0 + DAY
    assert second.end is None


def test_timeline_events_of_other_endpoints_ignored(memory):
    _save(memory, T0, _endpoint("ep", "cfg-a"), _config("cfg-a"))

    timeline = deployment_timeline(memory, "ep", [_update("other", "cfg-x", T0 + DAY)])

    assert [d.config_name for d in timeline] == ["cfg-a"]


def test_timeline_from_events_alone(memory):
    _save(memory, T0, _config("cfg-a"))

    timeline = deployment_timeline(memory, "new-ep", [_create("new-ep", "cfg-a", T0)])

    assert [(d.config_name, d.source, d.end) for d in timeline] == [("cfg-a", CLOUDTRAIL, None)]
    assert [v.model for v in timeline[0].variants] == ["cfg-a-model"]


def test_timeline_sample_with_recorded_cloudtrail_events():
    loaded = load()
    assert loaded.store is not None
    created = datetime(2024, 5, 6, 10, tzinfo=timezone.utc)
    updated = datetime(2024, 6, 12, 10, 14, tzinfo=timezone.utc)
    client = RecordingClient({"responses": {"lookup_events": {"by_args": [
        {"args": {"LookupAttributes": [{"AttributeKey": "EventName",
                                        "AttributeValue": "CreateEndpoint"}]},
         "response": {"Events": [_trail_event("c1", "CreateEndpoint", created,
                                              "churn-prod-config-v1")]}},
        {"args": {"LookupAttributes": [{"AttributeKey": "EventName",
                                        "AttributeValue": "UpdateEndpoint"}]},
         "response": {"Events": [_trail_event("u1", "UpdateEndpoint", updated,
                                              "churn-prod-config-v2")]}},
        {"args": {}, "response": {"Events": []}},
    ]}}})
    events = fetch_endpoint_events(client, endpoint="churn-prod",
                                   now=datetime(2024, 6, 14, tzinfo=timezone.utc))

    timeline = deployment_timeline(loaded.store, "churn-prod", events)

    assert [(d.config_name, d.start, d.event) for d in timeline] == [
        ("churn-prod-config-v1", created, "CreateEndpoint"),
        ("churn-prod-config-v2", updated, "UpdateEndpoint"),
    ]
    assert timeline[0].end == updated
    assert [d.source for d in timeline] == [SNAPSHOT, SNAPSHOT]


# --- Helpers -----------------------------------------------------------------------------------


def _arn(kind: str, name: str) -> str:
    return f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:{kind}/{name}"


def _meta(source: str = "search") -> dict[str, str]:
    return {"account": ACCOUNT, "region": "us-east-1", "source": source}


def _endpoint(name: str, config: str, status: str = "InService",
              weights: dict[str, float] | None = None) -> dict[str, Any]:
    live = {"AllTraffic": 1.0} if weights is None else weights
    return {
        "EndpointName": name,
        "EndpointArn": _arn("endpoint", name.lower()),
        "EndpointConfigName": config,
        "EndpointStatus": status,
        "ProductionVariants": [
            {"VariantName": variant, "CurrentWeight": weight, "DesiredWeight": weight,
             "CurrentInstanceCount": 1, "DesiredInstanceCount": 1}
            for variant, weight in live.items()
        ],
        "LastModifiedTime": datetime(2024, 5, 6, 10, tzinfo=timezone.utc),
        RECORD_META: _meta(),
    }


def _spec(name: str, model: str, weight: float, instance_type: str | None = None,
          count: int | None = None, serverless: dict[str, int] | None = None) -> dict[str, Any]:
    spec: dict[str, Any] = {"VariantName": name, "ModelName": model,
                            "InitialVariantWeight": weight}
    if instance_type:
        spec["InstanceType"] = instance_type
    if count is not None:
        spec["InitialInstanceCount"] = count
    if serverless:
        spec["ServerlessConfig"] = serverless
    return spec


def _config(name: str, variants: list[dict[str, Any]] | None = None,
            shadows: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    config: dict[str, Any] = {
        "EndpointConfigName": name,
        "EndpointConfigArn": _arn("endpoint-config", name),
        "ProductionVariants": variants or [_spec("AllTraffic", f"{name}-model", 1.0,
                                                 instance_type="ml.m5.large", count=1)],
        RECORD_META: _meta("describe"),
    }
    if shadows:
        config["ShadowProductionVariants"] = shadows
    return config


def _save(store: stores.Store, when: datetime, *records: dict[str, Any]) -> int:
    result = CrawlResult(report=CrawlReport(accounts=[ACCOUNT], regions=["us-east-1"]))
    for record in records:
        kind = RecordKind.ENDPOINT if "EndpointName" in record else RecordKind.ENDPOINT_CONFIG
        result.add(kind, record)
    return store.save(result, taken_at=when)


def _event(name: str, endpoint: str, when: datetime, **fields: Any) -> dict[str, Any]:
    return {"event_id": f"{name}-{when.isoformat()}", "event_name": name, "event_time": when,
            "endpoint": endpoint, "config_name": None, "weights": [], "user": None,
            "region": "us-east-1", **fields}


def _create(endpoint: str, config: str, when: datetime) -> dict[str, Any]:
    return _event("CreateEndpoint", endpoint, when, config_name=config)


def _update(endpoint: str, config: str, when: datetime) -> dict[str, Any]:
    return _event("UpdateEndpoint", endpoint, when, config_name=config)


def _weights(endpoint: str, when: datetime, weights: dict[str, float]) -> dict[str, Any]:
    return _event("UpdateEndpointWeightsAndCapacities", endpoint, when, weights=[
        {"variant": variant, "weight": weight, "instance_count": None}
        for variant, weight in weights.items()
    ])


def _trail_event(event_id: str, name: str, when: datetime, config: str) -> dict[str, Any]:
    detail = {"eventName": name, "eventTime": when.isoformat(), "awsRegion": "us-east-1",
              "requestParameters": {"endpointName": "churn-prod", "endpointConfigName": config}}
    return {"EventId": event_id, "EventName": name, "EventTime": when.isoformat(),
            "CloudTrailEvent": json.dumps(detail)}
