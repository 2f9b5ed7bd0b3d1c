"""Endpoint deployments from CloudTrail, for the time before the first crawl.

A snapshot store contains an endpoint's config only from the first crawl on. CloudTrail's event
history (LookupEvents, management events of the last 90 days) records every CreateEndpoint,
UpdateEndpoint and UpdateEndpointWeightsAndCapacities call, with the config name or the new
weights in the request parameters, so it can date deployments that no crawl saw.

Two entry points: `read_events` runs inside a crawl (through the crawl's `Caller`, so calls are
rate-limited, retried and counted in the crawl report) and stores each event as a
`RecordKind.CLOUDTRAIL_EVENT` record, so the snapshot store keeps them. `fetch_endpoint_events`
reads a CloudTrail client directly and returns timeline entries.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

from botocore.exceptions import ClientError

from lineage.crawl.calls import Caller, FailureKind, paginate
from lineage.crawl.result import RECORD_META, CrawlReport, CrawlResult, RecordKind
from lineage.errors import LineageError

logger = logging.getLogger(__name__)

ENDPOINT_EVENTS = ("CreateEndpoint", "UpdateEndpoint", "UpdateEndpointWeightsAndCapacities")

# LookupEvents returns events of the last 90 days only, and at most 50 per page.
LOOKBACK = timedelta(days=90)
PAGE_SIZE = 50

LOOKUP_OP = "lookup_events"
LOOKUP_KEY = "Events"

_DENIED = {"AccessDeniedException", "AccessDenied", "UnauthorizedOperation"}
_THROTTLED = {"ThrottlingException", "Throttling", "TooManyRequestsException"}


def fetch_endpoint_events(
    cloudtrail_client: Any,
    start: datetime | None = None,
    end: datetime | None = None,
    *,
    endpoint: str | None = None,
    now: datetime | None = None,
    sleep: Callable[[float], None] = time.sleep,
    max_attempts: int = 5,
    report: CrawlReport | None = None,
) -> list[dict[str, Any]]:
    """Return the successful endpoint deployment calls between `start` and `end`, oldest first.

    Calls `lookup_events` once per event name in `ENDPOINT_EVENTS` and follows NextToken.
    `start` is moved forward to 90 days before `now` (CloudTrail keeps no older events);
    `end` defaults to `now`. `endpoint` keeps only the events of that endpoint name (compared
    without regard to case). Each entry has `event_id`, `event_name`, `event_time` (UTC),
    `endpoint`, `config_name` (None for a weights update), `weights` (a list of `variant`,
    `weight`, `instance_count`, for a weights update), `user` and `region`.

    When CloudTrail denies access, returns an empty list, logs a warning and adds it to
    `report.warnings` when a report is given. Throttled calls are retried up to `max_attempts`
    times with exponential backoff; other errors raise LineageError.
    """
    current = _utc(now or datetime.now(timezone.utc))
    until = _utc(end) if end is not None else current
    since = current - LOOKBACK
    if start is not None and _utc(start) > since:
        since = _utc(start)
    elif start is not None:
        logger.info("CloudTrail keeps 90 days of events; looking up from %s instead of %s",
                    since.isoformat(), _utc(start).isoformat())
    if since >= until:
        return []

    events: dict[str, dict[str, Any]] = {}
    for event_name in ENDPOINT_EVENTS:
        try:
            raw_events = _lookup(cloudtrail_client, event_name, since, until, sleep,
                                 max_attempts)
        except _AccessDenied as denied:
            message = (f"CloudTrail lookup_events was denied ({denied}); the deployment "
                       "timeline has no events from before the first crawl. Grant "
                       "cloudtrail:LookupEvents to fill it")
            logger.warning("%s", message)
            if report is not None:
                report.warn(message)
            return []
        for raw in raw_events:
            entry = parse_event(raw)
            if entry is None:
                continue
            if endpoint is not None and entry["endpoint"].lower() != endpoint.lower():
                continue
            events[entry["event_id"]] = entry

    ordered = sorted(events.values(), key=lambda entry: (entry["event_time"], entry["event_id"]))
    logger.info("read %d endpoint events from CloudTrail between %s and %s", len(ordered),
                since.isoformat(), until.isoformat())
    return ordered


def read_events(
    caller: Caller,
    result: CrawlResult,
    *,
    until: datetime | None = None,
    since: datetime | None = None,
    account: str | None = None,
    region: str | None = None,
) -> int:
    """Read the endpoint deployment events between `since` and `until` into `result`.

    Sends `lookup_events` through `caller` once per event name in `ENDPOINT_EVENTS`, following
    NextToken. `until` defaults to now and `since` to `LOOKBACK` before `until` (CloudTrail
    keeps no older events, so an earlier `since` is moved forward). Each event that
    `parse_event` accepts becomes a CLOUDTRAIL_EVENT record: the LookupEvents event unchanged
    plus RECORD_META. An event whose EventId is already in `result` (copied from the previous
    snapshot by an incremental crawl) is skipped. Returns the number of events added.

    A denied or unsupported first call adds a warning and marks the kind denied in the report,
    and the crawl goes on. Other failures add a warning and a partial line.
    """
    end = _utc(until) if until is not None else datetime.now(timezone.utc)
    start = end - LOOKBACK
    if since is not None and _utc(since) > start:
        start = _utc(since)
    if start >= end:
        return 0

    known = {str(record.get("EventId")) for record in result.of(RecordKind.CLOUDTRAIL_EVENT)}
    found: dict[str, dict[str, Any]] = {}
    for event_name in ENDPOINT_EVENTS:
        listing = paginate(caller, LOOKUP_OP, LOOKUP_KEY, {
            "LookupAttributes": [{"AttributeKey": "EventName", "AttributeValue": event_name}],
            "StartTime": start,
            "EndTime": end,
        }, page_size=PAGE_SIZE)
        failure = listing.failure
        if listing.pages == 0 and failure is not None and failure.kind in (
            FailureKind.DENIED, FailureKind.UNSUPPORTED,
        ):
            _mark_denied(result.report, failure.code, failure.message)
            return 0
        if not listing.complete:
            _note_incomplete(result.report, event_name, listing.pages, failure)
        for raw in listing.items:
            event_id = str(raw.get("EventId") or "")
            if not event_id or event_id in known or parse_event(raw) is None:
                continue
            found[event_id] = raw

    ordered = sorted(found.values(), key=lambda raw: (_event_time(raw, {}) or end, raw["EventId"]))
    for raw in ordered:
        record = dict(raw)
        record[RECORD_META] = {"account": account, "region": region, "source": "list"}
        result.add(RecordKind.CLOUDTRAIL_EVENT, record)
    logger.info("read %d new endpoint events from CloudTrail between %s and %s", len(ordered),
                start.isoformat(), end.isoformat())
    return len(ordered)


def stored_events(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Return the timeline entries of stored CLOUDTRAIL_EVENT records, oldest first."""
    entries: dict[str, dict[str, Any]] = {}
    for record in records:
        raw = {key: value for key, value in record.items() if key != RECORD_META}
        entry = parse_event(raw)
        if entry is not None:
            entries[entry["event_id"]] = entry
    return sorted(entries.values(), key=lambda entry: (entry["event_time"], entry["event_id"]))


def event_endpoint(record: dict[str, Any]) -> str | None:
    """Return the endpoint name in an event's request parameters, or None."""
    try:
        detail = json.loads(record.get("CloudTrailEvent") or "{}")
    except (TypeError, json.JSONDecodeError):
        return None
    parameters = detail.get("requestParameters") if isinstance(detail, dict) else None
    name = parameters.get("endpointName") if isinstance(parameters, dict) else None
    return name if isinstance(name, str) and name else None


def _mark_denied(report: CrawlReport, code: str, message: str) -> None:
    label = RecordKind.CLOUDTRAIL_EVENT.value
    if label not in report.denied:
        report.denied.append(label)
    report.warn(
        f"CloudTrail events not read: lookup_events failed with {code} ({message}); the "
        "deployment timeline has only the times snapshots show. Grant cloudtrail:LookupEvents "
        "to date deployments exactly"
    )


def _note_incomplete(report: CrawlReport, event_name: str, pages: int, failure: Any) -> None:
    what = f"{failure.code}: {failure.message}" if failure is not None else "repeated NextToken"
    report.partial.append(f"{LOOKUP_OP} for {event_name}: stopped after page {pages}")
    report.warn(f"{LOOKUP_OP} for {event_name} stopped after page {pages} ({what}); kept the "
                "events of the pages before it")


def parse_event(raw: dict[str, Any]) -> dict[str, Any] | None:
    """Turn one LookupEvents event into a timeline entry; None for a failed or unusable call.

    The request parameters come from the event's `CloudTrailEvent` JSON document. A call that
    CloudTrail records with an `errorCode` did not deploy anything, so it is skipped.
    """
    event_name = raw.get("EventName")
    try:
        detail = json.loads(raw.get("CloudTrailEvent") or "{}")
    except (TypeError, json.JSONDecodeError):
        logger.warning("skipping CloudTrail event %s: its CloudTrailEvent is not JSON",
                       raw.get("EventId"))
        return None
    if not isinstance(detail, dict):
        return None
    if detail.get("errorCode"):
        logger.debug("skipping failed %s call %s: %s", event_name, raw.get("EventId"),
                     detail.get("errorCode"))
        return None

    parameters = detail.get("requestParameters") or {}
    endpoint = parameters.get("endpointName")
    when = _event_time(raw, detail)
    if event_name not in ENDPOINT_EVENTS or not isinstance(endpoint, str) or when is None:
        logger.debug("skipping CloudTrail event %s: not an endpoint deployment with a time",
                     raw.get("EventId"))
        return None

    config = parameters.get("endpointConfigName")
    identity = detail.get("userIdentity") or {}
    return {
        "event_id": str(raw.get("EventId") or detail.get("eventID") or ""),
        "event_name": event_name,
        "event_time": when,
        "endpoint": endpoint,
        "config_name": config if isinstance(config, str) else None,
        "weights": _weights(parameters.get("desiredWeightsAndCapacities")),
        "user": raw.get("Username") or identity.get("arn"),
        "region": detail.get("awsRegion"),
    }


def _weights(value: Any) -> list[dict[str, Any]]:
    if not isinstance(value, list):
        return []
    weights = []
    for item in value:
        if not isinstance(item, dict) or not isinstance(item.get("variantName"), str):
            continue
        weights.append({
            "variant": item["variantName"],
            "weight": _number(item.get("desiredWeight")),
            "instance_count": _integer(item.get("desiredInstanceCount")),
        })
    return weights


def _lookup(
    client: Any, event_name: str, since: datetime, until: datetime,
    sleep: Callable[[float], None], max_attempts: int,
) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    seen_tokens: set[str] = set()
    token: str | None = None
    while True:
        arguments: dict[str, Any] = {
            "LookupAttributes": [{"AttributeKey": "EventName", "AttributeValue": event_name}],
            "StartTime": since,
            "EndTime": until,
            "MaxResults": PAGE_SIZE,
        }
        if token:
            arguments["NextToken"] = token
        page = _call(client, arguments, sleep, max_attempts)
        events.extend(page.get("Events") or [])

        token = page.get("NextToken")
        if not token:
            return events
        if token in seen_tokens:
            logger.warning("CloudTrail returned NextToken %r twice for %s; stopping there",
                           token, event_name)
            return events
        seen_tokens.add(token)


def _call(client: Any, arguments: dict[str, Any], sleep: Callable[[float], None],
          max_attempts: int) -> dict[str, Any]:
    for attempt in range(1, max_attempts + 1):
        try:
            return dict(client.lookup_events(**arguments))
        except ClientError as err:
            code = str(err.response.get("Error", {}).get("Code", ""))
            if code in _DENIED:
                raise _AccessDenied(err.response.get("Error", {}).get("Message") or code) from err
            if code not in _THROTTLED or attempt == max_attempts:
                raise LineageError(
                    f"CloudTrail lookup_events failed with {code or 'an error'}: {err}; check "
                    "the region and credentials, or crawl without CloudTrail events"
                ) from err
            delay = min(2.0 ** attempt / 4, 20.0)
            logger.info("lookup_events throttled (attempt %d of %d); retrying in %.2f s",
                        attempt, max_attempts, delay)
            sleep(delay)
    raise AssertionError("unreachable: the loop returns or raises")


class WithCloudTrail:
    """A SageMaker client whose `lookup_events` calls go to a CloudTrail client.

    The crawler and the recording writer see one client, so a recording written during a live
    crawl contains the CloudTrail responses beside the SageMaker ones.
    """

    def __init__(self, sagemaker: Any, cloudtrail_client: Any) -> None:
        self._sagemaker = sagemaker
        self._cloudtrail = cloudtrail_client

    @property
    def meta(self) -> Any:
        return self._sagemaker.meta

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        if name == LOOKUP_OP:
            return getattr(self._cloudtrail, name)
        return getattr(self._sagemaker, name)


class _AccessDenied(Exception):
    pass


def _event_time(raw: dict[str, Any], detail: dict[str, Any]) -> datetime | None:
    value = raw.get("EventTime") or detail.get("eventTime")
    if isinstance(value, datetime):
        return _utc(value)
    if isinstance(value, str):
        try:
            return _utc(datetime.fromisoformat(value.replace("Z", "+00:00")))
        except ValueError:
            return None
    return None


def _number(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _integer(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


__all__ = [
    "ENDPOINT_EVENTS", "LOOKBACK", "LOOKUP_OP", "WithCloudTrail", "event_endpoint",
    "fetch_endpoint_events", "parse_event", "read_events", "stored_events",
]
