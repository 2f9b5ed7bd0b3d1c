"""Regression drill-down: what changed upstream of an endpoint between two deployments.

The question: "endpoint churn-prod got worse since yesterday; what is it serving now, what did
it serve before, and what changed in between?" `regression()` reads the endpoint's deployment
timeline from the store and picks two points: by default the latest deployment and the one
before it. It then builds one graph over the store's snapshots up to the later point, so the old
config and its upstream records are present even after the endpoint moved on. Over that graph it
diffs the two configs, ranks the suspects and computes the trend of the regressed metric across
the models the endpoint served.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from typing import Any

from lineage.crawl.result import CrawlResult, RecordKind
from lineage.errors import LineageError, NodeNotFoundError
from lineage.graph import LineageGraph, NodeKind
from lineage.queries.common import jsonable
from lineage.queries.diff import LineageDiff, diff
from lineage.queries.suspects import Suspect, rank_suspects
from lineage.queries.timeline import Deployment, deployment_timeline
from lineage.queries.trend import MetricTrend, TrendError, as_time, choose_metric, endpoint_trend
from lineage.store import Store

logger = logging.getLogger(__name__)


class RegressionError(LineageError, ValueError):
    """A regression cannot be computed: an invalid time, or no deployment at that time."""


@dataclass(frozen=True, slots=True)
class Point:
    """One deployment of the endpoint: its config and the time range it was live.

    `start` is when the deployment was first seen (a CloudTrail event or the first snapshot
    showing it) and `end` is None for the deployment that is live now. `modified` is the
    endpoint's LastModifiedTime in the first snapshot that showed it, and `since` the best
    estimate of when the deployment went live: `modified` when it falls after the last
    snapshot of the previous deployment, else `start`. `config_name` is empty when the
    endpoint record names no config.
    """

    config_name: str
    start: datetime | None
    end: datetime | None
    variants: list[dict[str, Any]] = field(default_factory=list)
    source: str | None = None
    first_snapshot: int | None = None
    last_snapshot: int | None = None
    modified: datetime | None = None
    since: datetime | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "config_name": self.config_name,
            "since": jsonable(self.since),
            "start": jsonable(self.start),
            "end": jsonable(self.end),
            "variants": jsonable(self.variants),
            "source": self.source,
            "first_snapshot": self.first_snapshot,
            "last_snapshot": self.last_snapshot,
            "modified": jsonable(self.modified),
        }


@dataclass
class RegressionReport:
    """The two deployments compared, their diff and suspects, the metric trend and coverage.

    `diff` is None, and `notes` give the reason, when the endpoint has only one deployment or one of
    the two configs is missing from the crawled records. `lineage` maps "before" and "after" to
    the node ids upstream of each config (with the config), and `changed` lists the ids that
    are upstream of only one of them, for drawing. `before_config` and `after_config` are the
    configs' node ids, None when a config is not in the graph.
    """

    endpoint: str
    endpoint_id: str
    timeline: list[Point]
    before: Point | None
    after: Point
    graph: LineageGraph
    diff: LineageDiff | None = None
    suspects: list[Suspect] = field(default_factory=list)
    trend: MetricTrend | None = None
    coverage: dict[str, Any] = field(default_factory=dict)
    lineage: dict[str, list[str]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    before_config: str | None = None
    after_config: str | None = None

    @property
    def changed(self) -> list[str]:
        before = set(self.lineage.get("before", []))
        after = set(self.lineage.get("after", []))
        return sorted(before ^ after)

    def to_dict(self, changed_only: bool = True) -> dict[str, Any]:
        """Return the report as JSON-ready data; `changed_only` drops equal diff entries."""
        return {
            "endpoint": self.endpoint,
            "endpoint_id": self.endpoint_id,
            "timeline": [point.to_dict() for point in self.timeline],
            "before": self.before.to_dict() if self.before else None,
            "after": self.after.to_dict(),
            "diff": self.diff.to_dict(changed_only=changed_only) if self.diff else None,
            "suspects": [suspect.to_dict() for suspect in self.suspects],
            "trend": self.trend.to_dict() if self.trend else None,
            "coverage": jsonable(self.coverage),
            "before_config": self.before_config,
            "after_config": self.after_config,
            "lineage": {side: list(ids) for side, ids in self.lineage.items()},
            "changed": self.changed,
            "notes": list(self.notes),
        }


# --- rows for tables ---------------------------------------------------------------------------

# Diff sections in the order surfaces show them: the suspected causes first, the symptom last.
DIFF_SECTIONS = (
    "datasets",
    "code",
    "images",
    "hyperparameters",
    "instances",
    "tags",
    "serving",
    "training_time",
    "metrics",
)


def timeline_rows(
    timeline: list[Point], before: Point | None = None, after: Point | None = None
) -> list[dict[str, Any]]:
    """Return one row per deployment, oldest first, marking `before` and `after` if given."""
    rows = []
    for point in timeline:
        role = ""
        if point is after:
            role = "after"
        elif point is before:
            role = "before"
        rows.append(
            {
                "compared": role,
                "config": point.config_name,
                "live from": _time_text(point.since),
                "first seen": _time_text(point.start),
                "live until": point.end.isoformat() if point.end else "now",
                "snapshots": _snapshot_range(point),
                "source": point.source or "",
            }
        )
    return rows


def _snapshot_range(point: Point) -> str:
    if point.first_snapshot is None:
        return ""
    if point.last_snapshot in (None, point.first_snapshot):
        return str(point.first_snapshot)
    return f"{point.first_snapshot}-{point.last_snapshot}"


def suspect_rows(report: RegressionReport) -> list[dict[str, Any]]:
    """Return one row per suspect in rank order, most likely cause first."""
    return [
        {
            "rank": rank,
            "kind": suspect.kind.value,
            "name": suspect.name,
            "before": _cell(suspect.before),
            "after": _cell(suspect.after),
            "reason": suspect.reason,
        }
        for rank, suspect in enumerate(report.suspects, start=1)
    ]


def diff_rows(lineage_diff: LineageDiff | None, changed_only: bool = True) -> list[dict[str, Any]]:
    """Flatten a diff into rows of section, scope, name, status, before, after and detail."""
    if lineage_diff is None:
        return []
    data = lineage_diff.to_dict(changed_only=changed_only)
    rows = []
    for section in DIFF_SECTIONS:
        for entry in data[section]:
            rows.append(_diff_row(section, entry))
    return rows


def trend_rows(trend: MetricTrend | None) -> list[dict[str, Any]]:
    """Return one row per trend point in time order, with its regression mark."""
    if trend is None:
        return []
    return [
        {
            "time": _time_text(point.time) if point.time else "unknown",
            "variant": point.group,
            "point": point.label,
            trend.metric: "" if point.value is None else f"{point.value:g}",
            "change": "" if point.change is None else f"{point.change:+g}",
            "regression": {True: "yes", False: "no", None: ""}[point.regression],
        }
        for point in trend.points
    ]


def _diff_row(section: str, entry: dict[str, Any]) -> dict[str, Any]:
    name = entry.get("name") or entry.get("channel") or ""
    before = entry.get("before")
    after = entry.get("after")
    detail = ""
    if section == "datasets":
        before = entry.get("before_uri")
        after = entry.get("after_uri")
        detail = entry.get("detail") or ""
    elif section == "images":
        before = (before or {}).get("text") if isinstance(before, dict) else before
        after = (after or {}).get("text") if isinstance(after, dict) else after
        detail = f"{entry['change']} changed" if entry.get("change") else ""
    elif section == "metrics":
        direction = entry.get("direction") or {}
        detail = str(direction.get("direction") or "")
        if entry.get("regression"):
            detail = f"regression ({detail})"
        if entry.get("relative_change") is not None:
            detail += f", {entry['relative_change']:+.1%}"
    elif entry.get("relative_change") is not None:
        detail = f"{entry['relative_change']:+.1%}"
    return {
        "section": section.replace("_", " "),
        "scope": entry.get("scope") or "",
        "name": name,
        "status": entry.get("status") or "",
        "before": _cell(before),
        "after": _cell(after),
        "detail": detail,
    }


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, (dict, list)):
        return json.dumps(jsonable(value), sort_keys=True, ensure_ascii=False)
    return str(value)


# --- entry point -------------------------------------------------------------------------------


def regression(
    store: Store,
    endpoint: str,
    from_: str | int | datetime | None = None,
    to: str | int | datetime | None = None,
) -> RegressionReport:
    """Compare the deployment of `endpoint` live at `from_` with the one live at `to`.

    `from_` and `to` are snapshot ids, datetimes, or text that `resolve_time` reads. Without
    `to` the later point is the latest deployment; without `from_` the earlier point is the
    deployment before the later one. Raises NodeNotFoundError (with close names) for an
    endpoint that no snapshot records, StoreError for text that is no time or snapshot id, and
    RegressionError for an unknown snapshot id or a time before the first deployment.
    """
    snapshots = _snapshots(store)
    timeline = deployments(store, endpoint)

    to_time = resolve_time(to, snapshots) if to is not None else None
    from_time = resolve_time(from_, snapshots) if from_ is not None else None
    after_index = _live_at(timeline, to_time, "--to", to)
    before_index = _before_index(timeline, after_index, from_time, from_)
    return compare_deployments(store, endpoint, timeline, before_index, after_index, end=to_time)


def deployments(store: Store, endpoint: str) -> list[Point]:
    """Return the deployments of `endpoint` recorded in the store, oldest first.

    Raises NodeNotFoundError, with the closest endpoint names the store records, when no
    snapshot records the endpoint.
    """
    points = [_point(deployment) for deployment in deployment_timeline(store, endpoint)]
    if not points:
        raise _unknown_endpoint(store, _snapshots(store), endpoint)
    points.sort(key=_point_order)
    return _with_since(points, _snapshots(store))


def _with_since(points: list[Point], snapshots: Sequence[Any]) -> list[Point]:
    # A snapshot sees a deployment up to one crawl interval late. The endpoint's
    # LastModifiedTime dates the switch itself unless it predates the previous deployment's
    # last snapshot (then it records a later change, such as a weight update).
    taken = {_field(snapshot, "id"): _snapshot_time(snapshot) for snapshot in snapshots}
    dated = []
    for position, point in enumerate(points):
        since = point.start
        previous_seen = None
        if position > 0:
            previous = points[position - 1]
            previous_seen = taken.get(previous.last_snapshot) or previous.start
        modified = point.modified
        if modified is not None and (since is None or modified < since):
            if previous_seen is None or modified > previous_seen:
                since = modified
        dated.append(replace(point, since=since))
    return dated


def compare_deployments(
    store: Store,
    endpoint: str,
    timeline: list[Point],
    before_index: int | None,
    after_index: int,
    end: datetime | None = None,
) -> RegressionReport:
    """Compare two deployments of `timeline` (from `deployments`), given by their positions.

    `before_index` None reports the current lineage of the later deployment alone. The graph
    covers the snapshots from the first to `end` (default: the newest).
    """
    snapshots = _snapshots(store)
    after = timeline[after_index]
    before = timeline[before_index] if before_index is not None else None

    # One graph from the first snapshot to the later point: it contains both configs (configs are
    # immutable, so the old record stays valid) and the configs of earlier deployments.
    end_time = end or _snapshot_time(snapshots[-1])
    start_time = _snapshot_time(snapshots[0])
    graph = _build(store.result_between(start_time, end_time))
    endpoint_id = graph.resolve(endpoint, [NodeKind.ENDPOINT])

    report = RegressionReport(
        endpoint=str(graph.node(endpoint_id).get("label") or endpoint),
        endpoint_id=endpoint_id,
        timeline=timeline,
        before=before,
        after=after,
        graph=graph,
        coverage=_coverage(graph, snapshots, start_time, end_time),
    )
    _compare(report)
    report.trend = _trend(report, timeline[: after_index + 1])
    return report


def _snapshots(store: Store) -> list[Any]:
    snapshots = list(store.snapshots())
    if not snapshots:
        raise RegressionError("the store has no snapshot; run `lineage crawl --db PATH` first")
    return snapshots


# --- picking the two points --------------------------------------------------------------------


def resolve_time(value: str | int | datetime, snapshots: Sequence[Any]) -> datetime:
    """Return the time a `--from`/`--to` value names: a snapshot's crawl time or a time.

    Text is read by `lineage.store.parse_as_of`: a snapshot id (`3`), an ISO 8601 time (UTC
    without an offset) or a date (the end of that day in UTC). Raises StoreError for text in
    none of those forms and RegressionError for an unknown snapshot id.
    """
    from lineage.store import parse_as_of

    reference = parse_as_of(value) if isinstance(value, str) else value
    if isinstance(reference, datetime):
        return reference if reference.tzinfo else reference.replace(tzinfo=timezone.utc)

    for snapshot in snapshots:
        if int(_field(snapshot, "id")) == int(reference):
            return _snapshot_time(snapshot)
    known = ", ".join(str(_field(snapshot, "id")) for snapshot in snapshots)
    raise RegressionError(f"no snapshot {reference} in the store; its snapshot ids are {known}")


def _live_at(timeline: list[Point], moment: datetime | None, option: str, text: Any) -> int:
    """Return the index of the deployment live at `moment` (the latest one without a time)."""
    if moment is None:
        return len(timeline) - 1
    live = [index for index, point in enumerate(timeline) if _started_by(point, moment)]
    if not live:
        first = timeline[0]
        raise RegressionError(
            f"{option} {text} is before the first recorded deployment of the endpoint "
            f"(config {first.config_name}, live from {_time_text(first.since)}); pass a later time"
        )
    return live[-1]


def _before_index(
    timeline: list[Point], after_index: int, moment: datetime | None, text: Any
) -> int | None:
    if moment is not None:
        return _live_at(timeline, moment, "--from", text)
    # The deployment before the later point that runs another config: a redeploy of the same
    # config changes nothing upstream worth diffing.
    for index in range(after_index - 1, -1, -1):
        if timeline[index].config_name != timeline[after_index].config_name:
            return index
    return None


def _started_by(point: Point, moment: datetime) -> bool:
    return point.since is None or point.since <= moment


# --- comparing ----------------------------------------------------------------------------------


def _compare(report: RegressionReport) -> None:
    graph = report.graph
    after_config = graph.find(report.after.config_name, [NodeKind.ENDPOINT_CONFIG])
    before_config = None
    if report.before is not None:
        before_config = graph.find(report.before.config_name, [NodeKind.ENDPOINT_CONFIG])

    report.before_config = before_config
    report.after_config = after_config
    if after_config is not None:
        report.lineage["after"] = _upstream(graph, after_config)
    if before_config is not None:
        report.lineage["before"] = _upstream(graph, before_config)

    if report.before is None:
        report.notes.append(
            f"endpoint {report.endpoint} has only one recorded deployment (config "
            f"{report.after.config_name}), so there is nothing to compare; its current lineage "
            "is shown. Crawl again after the next update, or pass --from with an earlier time."
        )
        return
    if report.before.config_name == report.after.config_name:
        report.notes.append(
            f"both points fall in deployments of config {report.after.config_name}, so the "
            "upstream lineage did not change; pick points in different deployments"
        )
        return

    missing = [
        point.config_name
        for point, config in ((report.before, before_config), (report.after, after_config))
        if config is None
    ]
    if missing:
        report.notes.append(
            "endpoint config " + " and ".join(missing) + " is not in the crawled records, so "
            "the configs cannot be compared; it was probably deleted before any crawl read it"
        )
        return

    assert before_config is not None and after_config is not None
    report.diff = diff(graph, before_config, after_config)
    report.suspects = rank_suspects(report.diff)
    report.notes.extend(report.diff.notes)


def _trend(report: RegressionReport, served: list[Point]) -> MetricTrend | None:
    """Trend the first regressed metric of the diff (else the most reported) over deployments."""
    metric: str | None = None
    if report.diff is not None:
        regressions = report.diff.regressions
        changed = [entry for entry in report.diff.metrics if entry.before != entry.after]
        candidates = regressions or changed or report.diff.metrics
        metric = candidates[0].name if candidates else None

    deployments = [(point.since, point.config_name) for point in served]
    if metric is None:
        jobs = [node for node in report.lineage.get("after", []) if _is_job(report.graph, node)]
        metric = choose_metric(report.graph, jobs)
    if metric is None:
        report.notes.append("no model the endpoint served reports a final metric, so no trend")
        return None

    try:
        return endpoint_trend(report.graph, report.endpoint, deployments, metric)
    except TrendError as err:
        report.notes.append(str(err))
        return None


def _upstream(graph: LineageGraph, node: str) -> list[str]:
    return sorted(graph.upstream(node))


def _is_job(graph: LineageGraph, node: str) -> bool:
    return graph.kind(node) is NodeKind.TRAINING_JOB


# --- store and graph -----------------------------------------------------------------------------


def _point(deployment: Deployment) -> Point:
    return Point(
        config_name=deployment.config_name or "",
        start=as_time(deployment.start),
        end=as_time(deployment.end),
        variants=[variant.to_dict() for variant in deployment.variants],
        source=deployment.source,
        first_snapshot=deployment.first_snapshot,
        last_snapshot=deployment.last_snapshot,
        modified=as_time(deployment.modified),
    )


def _point_order(point: Point) -> tuple[int, str]:
    # A deployment without a start time was live before the first snapshot, so it comes first.
    return (0, "") if point.start is None else (1, point.start.isoformat())


def _build(result: CrawlResult) -> LineageGraph:
    from lineage.build import build_graph

    return build_graph(result)


def _unknown_endpoint(store: Store, snapshots: Sequence[Any], endpoint: str) -> NodeNotFoundError:
    """Return a not-found error with the names of endpoints the store records, closest first."""
    import difflib

    result = store.result_between(_snapshot_time(snapshots[0]), _snapshot_time(snapshots[-1]))
    names = sorted(
        {
            str(record.get("EndpointName"))
            for record in result.records.get(RecordKind.ENDPOINT, [])
            if record.get("EndpointName")
        }
    )
    lowered = {name.lower(): name for name in names}
    close = difflib.get_close_matches(endpoint.lower(), list(lowered), n=5, cutoff=0.5)
    suggestions = [lowered[name] for name in close] or names[:5]
    return NodeNotFoundError(endpoint, suggestions)


def _coverage(
    graph: LineageGraph, snapshots: Sequence[Any], start: datetime, end: datetime
) -> dict[str, Any]:
    used = [snapshot for snapshot in snapshots if start <= _snapshot_time(snapshot) <= end] or list(
        snapshots
    )
    crawl = graph.meta.get("coverage")
    if not isinstance(crawl, dict):
        crawl = {}
    return {
        "snapshot_ids": [_field(snapshot, "id") for snapshot in used],
        "crawled_at": [_time_text(_snapshot_time(snapshot)) for snapshot in used],
        "first_crawl": _time_text(_snapshot_time(used[0])),
        "last_crawl": _time_text(_snapshot_time(used[-1])),
        "accounts": list(crawl.get("accounts") or []),
        "regions": list(crawl.get("regions") or []),
        "counts": dict(crawl.get("counts") or {}),
        "denied": list(crawl.get("denied") or []),
    }


def _snapshot_time(snapshot: Any) -> datetime:
    moment = as_time(_field(snapshot, "taken_at"))
    if moment is None:
        raise RegressionError(f"snapshot {_field(snapshot, 'id')} has no valid crawl time")
    return moment


def _field(item: Any, name: str) -> Any:
    # Store rows come as dataclasses or dicts, depending on the backend.
    if isinstance(item, dict):
        return item.get(name)
    return getattr(item, name, None)


def _time_text(moment: datetime | None) -> str:
    return moment.isoformat() if moment else "before the first snapshot"


__all__ = [
    "Store",
    "Point",
    "compare_deployments",
    "deployments",
    "RegressionError",
    "RegressionReport",
    "regression",
    "resolve_time",
    "diff_rows",
    "suspect_rows",
    "timeline_rows",
    "trend_rows",
]
