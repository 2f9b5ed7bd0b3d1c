"""Deployment timelines: which endpoint config an endpoint served, and when.

SageMaker only returns what an endpoint serves now. The snapshot store keeps each version of the
endpoint record, so the changes of its `EndpointConfigName` (and of its variant weights and
instance counts) between snapshots are its deployments. A snapshot dates a deployment by when
it was first seen, which can be up to one crawl interval after the change. CloudTrail events
(see `lineage.crawl.cloudtrail`) date the change itself and reach back before the first crawl.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from typing import Any

from lineage.crawl.cloudtrail import stored_events
from lineage.crawl.result import RecordKind
from lineage.store import SnapshotInfo, Store

logger = logging.getLogger(__name__)

SNAPSHOT = "snapshot"
CLOUDTRAIL = "cloudtrail"


@dataclass(frozen=True, slots=True)
class DeployedVariant:
    """One production or shadow variant of a deployment.

    `weight` and `instance_count` are the endpoint's current values when a snapshot shows them,
    else the config's initial values.
    """

    name: str
    model: str | None
    weight: float | None
    instance_type: str | None
    instance_count: int | None
    serverless: dict[str, Any] | None
    shadow: bool

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "model": self.model, "weight": self.weight,
                "instance_type": self.instance_type, "instance_count": self.instance_count,
                "serverless": self.serverless, "shadow": self.shadow}


@dataclass(frozen=True, slots=True)
class Deployment:
    """A period during which an endpoint served one config with one set of weights.

    `start` is the CloudTrail event time when an event explains the change, else the time of the
    first snapshot that showed it. `end` is the start of the next deployment, the first
    snapshot without the endpoint, or None while it is current. `source` is "snapshot" when a
    snapshot showed the deployment and "cloudtrail" when only an event did. `modified` is the
    endpoint's LastModifiedTime in the first snapshot that showed it: when it falls after the
    previous snapshot, it is a closer estimate of the change than `start`.
    """

    endpoint: str
    config_name: str | None
    start: datetime
    end: datetime | None
    variants: tuple[DeployedVariant, ...]
    source: str
    first_snapshot: int | None = None
    last_snapshot: int | None = None
    status: str | None = None
    modified: datetime | None = None
    event: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "endpoint": self.endpoint,
            "config_name": self.config_name,
            "start": self.start.isoformat(),
            "end": self.end.isoformat() if self.end else None,
            "variants": [variant.to_dict() for variant in self.variants],
            "source": self.source,
            "first_snapshot": self.first_snapshot,
            "last_snapshot": self.last_snapshot,
            "status": self.status,
            "modified": self.modified.isoformat() if self.modified else None,
            "event": self.event,
        }


def deployment_timeline(
    store: Store, endpoint: str, events: Sequence[dict[str, Any]] | None = None,
) -> list[Deployment]:
    """Return the deployments of `endpoint` (a name or ARN), oldest first.

    Built from the endpoint's record history in `store`, each config's record and the
    CloudTrail events the store contains (crawls with CloudTrail save them as CloudTrailEvent
    records). `events`, entries from `lineage.crawl.cloudtrail.fetch_endpoint_events`, replace
    the stored events when given; those of other endpoints are ignored. Returns an empty list
    when neither the store nor the events contain the endpoint.
    """
    snapshots = store.snapshots()
    segments = _snapshot_segments(store, endpoint, snapshots)
    name = segments[0].endpoint if segments else _plain_name(endpoint)
    if events is None:
        events = _stored_events(store, name)
    own_events = [event for event in events
                  if str(event.get("endpoint", "")).lower() == name.lower()]
    configs = _ConfigLookup(store)
    merged = _merge_events(segments, own_events, snapshots, configs, name)
    return _close_ends(merged)


def _stored_events(store: Store, endpoint: str) -> list[dict[str, Any]]:
    history = store.record_history(RecordKind.CLOUDTRAIL_EVENT, endpoint)
    return stored_events([record for _, _, record in history])


# --- Deployments seen by snapshots -------------------------------------------------------------


def _snapshot_segments(store: Store, endpoint: str,
                       snapshots: list[SnapshotInfo]) -> list[Deployment]:
    """Return one deployment per run of snapshots with the same config and weights.

    Instance counts change with autoscaling, so they do not start a new deployment; a
    deployment shows the counts of its first snapshot.
    """
    # Snapshots without any endpoint record (kind denied, crawl cut short) cannot show
    # whether this endpoint existed, so they neither split nor end a deployment.
    observed = [info for info in snapshots if info.counts.get(RecordKind.ENDPOINT.value, 0)]
    position = {info.id: index for index, info in enumerate(observed)}
    configs = _ConfigLookup(store)

    segments: list[Deployment] = []
    previous_last = -2
    for first, last, record in store.record_history(RecordKind.ENDPOINT, endpoint):
        if first.id not in position or last.id not in position:
            continue
        config_name = record.get("EndpointConfigName")
        variants = _variants(configs.get(config_name), record)
        contiguous = position[first.id] == previous_last + 1
        if (segments and contiguous and segments[-1].config_name == config_name
                and _weights(segments[-1].variants) == _weights(variants)):
            segments[-1] = replace(segments[-1], last_snapshot=last.id,
                                   status=record.get("EndpointStatus"))
        else:
            vanished = _vanish_time(segments, observed, position, first)
            if vanished is not None:
                segments[-1] = replace(segments[-1], end=vanished)
            segments.append(Deployment(
                endpoint=str(record.get("EndpointName") or _plain_name(endpoint)),
                config_name=config_name,
                start=first.taken_at,
                end=None,
                variants=variants,
                source=SNAPSHOT,
                first_snapshot=first.id,
                last_snapshot=last.id,
                status=record.get("EndpointStatus"),
                modified=_time(record.get("LastModifiedTime")),
            ))
        previous_last = position[last.id]

    # The endpoint is gone when the newest snapshot that read endpoints does not show it.
    if segments and observed and segments[-1].last_snapshot != observed[-1].id:
        after = position[segments[-1].last_snapshot or 0] + 1
        segments[-1] = replace(segments[-1], end=observed[after].taken_at)
    return segments


def _weights(variants: tuple[DeployedVariant, ...]) -> list[tuple[str, bool, float | None]]:
    return [(variant.name, variant.shadow, variant.weight) for variant in variants]


def _vanish_time(segments: list[Deployment], observed: list[SnapshotInfo],
                 position: dict[int, int], first: SnapshotInfo) -> datetime | None:
    # When snapshots between two versions lack the endpoint, the earlier version ended at the
    # first of them: the endpoint was deleted and later created again.
    if not segments or segments[-1].last_snapshot is None:
        return None
    after = position[segments[-1].last_snapshot] + 1
    if after < position[first.id]:
        return observed[after].taken_at
    return None


class _ConfigLookup:
    """Endpoint config records by name from any snapshot (configs are immutable)."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._cache: dict[str, dict[str, Any] | None] = {}

    def get(self, name: Any) -> dict[str, Any] | None:
        if not isinstance(name, str) or not name:
            return None
        if name not in self._cache:
            history = self._store.record_history(RecordKind.ENDPOINT_CONFIG, name)
            # A placeholder (config not readable) has no variants; prefer a full record.
            full = [record for _, _, record in history if "ProductionVariants" in record]
            self._cache[name] = full[-1] if full else None
        return self._cache[name]


def _variants(config: dict[str, Any] | None,
              endpoint: dict[str, Any] | None) -> tuple[DeployedVariant, ...]:
    """Return the variants of a config, with the endpoint's current weights and counts."""
    live = {}
    for shadow, field in ((False, "ProductionVariants"), (True, "ShadowProductionVariants")):
        for variant in (endpoint or {}).get(field) or []:
            live[(shadow, variant.get("VariantName"))] = variant

    variants: list[DeployedVariant] = []
    for shadow, field in ((False, "ProductionVariants"), (True, "ShadowProductionVariants")):
        for spec in (config or {}).get(field) or []:
            current = live.pop((shadow, spec.get("VariantName")), {})
            variants.append(_variant(spec, current, shadow))
    # Variants the endpoint shows without a config record to describe them.
    for (shadow, _), current in live.items():
        variants.append(_variant({}, current, shadow))
    return tuple(variants)


def _variant(spec: dict[str, Any], current: dict[str, Any], shadow: bool) -> DeployedVariant:
    weight = current.get("CurrentWeight", spec.get("InitialVariantWeight"))
    count = current.get("CurrentInstanceCount", spec.get("InitialInstanceCount"))
    serverless = current.get("CurrentServerlessConfig") or spec.get("ServerlessConfig")
    return DeployedVariant(
        name=str(spec.get("VariantName") or current.get("VariantName") or ""),
        model=spec.get("ModelName"),
        weight=float(weight) if isinstance(weight, (int, float)) else None,
        instance_type=spec.get("InstanceType"),
        instance_count=int(count) if isinstance(count, int) else None,
        serverless=dict(serverless) if isinstance(serverless, dict) else None,
        shadow=shadow,
    )


# --- CloudTrail events -------------------------------------------------------------------------


def _merge_events(segments: list[Deployment], events: list[dict[str, Any]],
                  snapshots: list[SnapshotInfo], configs: _ConfigLookup,
                  name: str) -> list[Deployment]:
    """Insert deployments that only events show and date snapshot deployments by their event.

    Events are split into windows: before the first snapshot deployment, between the last
    snapshot of one deployment and the first of the next, and after the last. In each window
    every event starts a deployment, except that the window's last event, when it switches to
    the config the next snapshot deployment shows, dates that deployment instead.
    """
    ordered = sorted(events, key=lambda event: _event_time(event))
    if not ordered:
        return list(segments)
    last_seen = {info.id: info.taken_at for info in snapshots}

    merged: list[Deployment] = []
    remaining = list(ordered)
    for segment in segments:
        window = [event for event in remaining if _event_time(event) <= segment.start]
        remaining = remaining[len(window):]
        candidates = _event_deployments(window, merged[-1] if merged else None, configs, name)
        if candidates and candidates[-1].config_name == segment.config_name:
            explained = candidates.pop()
            segment = replace(segment, start=explained.start, event=explained.event)
        merged.extend(candidates)
        merged.append(segment)

        # NOTE: events while one deployment was seen by consecutive snapshots are dropped: a
        # switch away and back between two crawls cannot be placed against what they showed.
        seen_until = last_seen.get(segment.last_snapshot or -1, segment.start)
        inside = [event for event in remaining if _event_time(event) <= seen_until]
        if inside:
            logger.debug("ignoring %d events of %s while snapshots show one deployment",
                          len(inside), name)
        remaining = remaining[len(inside):]

    merged.extend(_event_deployments(remaining, merged[-1] if merged else None, configs, name))
    return merged


def _event_deployments(events: list[dict[str, Any]], before: Deployment | None,
                       configs: _ConfigLookup, name: str) -> list[Deployment]:
    deployments: list[Deployment] = []
    previous = before
    for event in events:
        config_name = event.get("config_name")
        if config_name:
            variants = _variants(configs.get(config_name), None)
        elif previous is not None:
            # A weights update keeps the config and changes the named variants only.
            config_name = previous.config_name
            variants = _reweighted(previous.variants, event.get("weights") or [])
        else:
            logger.debug("skipping %s of %s: no earlier deployment to reweight",
                         event.get("event_name"), name)
            continue
        deployment = Deployment(
            endpoint=str(event.get("endpoint") or name),
            config_name=config_name,
            start=_event_time(event),
            end=None,
            variants=variants,
            source=CLOUDTRAIL,
            event=event.get("event_name"),
        )
        deployments.append(deployment)
        previous = deployment
    return deployments


def _reweighted(variants: tuple[DeployedVariant, ...],
                weights: list[dict[str, Any]]) -> tuple[DeployedVariant, ...]:
    changes = {str(item.get("variant")): item for item in weights}
    updated = []
    for variant in variants:
        change = changes.get(variant.name)
        if change is None or variant.shadow:
            updated.append(variant)
            continue
        weight = change.get("weight")
        count = change.get("instance_count")
        updated.append(replace(
            variant,
            weight=variant.weight if weight is None else float(weight),
            instance_count=variant.instance_count if count is None else int(count),
        ))
    return tuple(updated)


def _close_ends(deployments: list[Deployment]) -> list[Deployment]:
    """End each deployment where the next one starts, unless it ended earlier."""
    closed = []
    for index, deployment in enumerate(deployments):
        end = deployment.end
        if index + 1 < len(deployments):
            following = deployments[index + 1].start
            end = following if end is None or following < end else end
        closed.append(replace(deployment, end=end))
    return closed


def _event_time(event: dict[str, Any]) -> datetime:
    value = _time(event.get("event_time"))
    return value or datetime.min.replace(tzinfo=timezone.utc)


def _time(value: Any) -> datetime | None:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    if not isinstance(value, datetime):
        return None
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(
        timezone.utc)


def _plain_name(endpoint: str) -> str:
    return endpoint.rsplit("/", 1)[-1] if endpoint.startswith("arn:") else endpoint


__all__ = ["CLOUDTRAIL", "SNAPSHOT", "DeployedVariant", "Deployment", "deployment_timeline"]
