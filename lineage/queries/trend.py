"""Metric trends: one final metric across a series of training runs, in time order.

A series is the training jobs of one tuning job, the versions of one model package group, the
training jobs carrying one tag value, or the models an endpoint served over time. Each point is
(label, time, value), where the value comes from the final metrics of the training job that
produced the point's model. A point is marked as a regression when its value moved in the
metric's bad direction against the previous point of its group that has a value, with the
direction decided by `lineage.queries.metrics.metric_direction`.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from enum import Enum
from typing import Any

from lineage.errors import InvalidURIError, LineageError
from lineage.graph import LineageGraph, NodeKind, Relation
from lineage.identity import artifact_uri
from lineage.queries.common import jsonable

# The diff's readers of the tags and metrics attributes, so both queries accept the same shapes.
from lineage.queries.diff import metric_values, tag_values
from lineage.queries.metrics import MetricDirection, metric_direction, tuning_objective

logger = logging.getLogger(__name__)


class TrendError(LineageError, ValueError):
    """A trend cannot be computed: the series is unknown, empty or has no such metric."""


class SeriesKind(str, Enum):
    TUNING_JOB = "tuning_job"
    PACKAGE_GROUP = "package_group"
    TAG = "tag"
    ENDPOINT = "endpoint"


@dataclass(frozen=True, slots=True)
class TrendPoint:
    """One run of the series: its display label, time, metric value and regression mark.

    `node` is the training job, model package or model of the point, and `job`
    the training job whose final metrics gave the value. `regression` is None when the point
    has no value, no earlier point of its `group` has one, or the metric's direction is
    unknown.
    """

    label: str
    node: str
    time: datetime | None
    value: float | None
    job: str | None = None
    group: str = ""
    change: float | None = None
    regression: bool | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "node": self.node,
            "time": jsonable(self.time),
            "value": self.value,
            "job": self.job,
            "group": self.group,
            "change": self.change,
            "regression": self.regression,
        }


@dataclass
class MetricTrend:
    """A metric across one series, with the direction used to mark regressions."""

    series: SeriesKind
    name: str
    metric: str
    direction: MetricDirection
    points: list[TrendPoint] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def regressions(self) -> list[TrendPoint]:
        return [point for point in self.points if point.regression]

    def to_dict(self) -> dict[str, Any]:
        return {
            "series": self.series.value,
            "name": self.name,
            "metric": self.metric,
            "direction": self.direction.to_dict(),
            "points": [point.to_dict() for point in self.points],
            "regressions": [point.label for point in self.regressions],
            "notes": list(self.notes),
        }


@dataclass(frozen=True, slots=True)
class _Run:
    """A point before the metric is chosen: its node and the training job behind it."""

    label: str
    node: str
    time: datetime | None
    job: str | None
    group: str = ""


# --- series --------------------------------------------------------------------------------


def tuning_job_trend(
    graph: LineageGraph, tuning_job: str, metric: str | None = None
) -> MetricTrend:
    """Compute `metric` (default: the tuning objective) over the training jobs of a tuning job.

    Children are the training jobs with a child_of edge to the tuning job, ordered by creation
    time. Raises NodeNotFoundError for an unknown tuning job.
    """
    node = graph.resolve(tuning_job, [NodeKind.TUNING_JOB])
    _require_kind(graph, node, NodeKind.TUNING_JOB, tuning_job)

    runs = [
        _job_run(graph, job)
        for job, _, data in graph.in_edges(node)
        if data.get("relation") == Relation.CHILD_OF and graph.kind(job) is NodeKind.TRAINING_JOB
    ]
    if metric is None:
        objective = tuning_objective(graph.node(node))
        metric = objective[1] if objective else None
    return _trend(graph, SeriesKind.TUNING_JOB, _label(graph, node), runs, metric)


def package_group_trend(graph: LineageGraph, group: str, metric: str | None = None) -> MetricTrend:
    """Compute `metric` over the versions of a model package group, ordered by creation time.

    A version's value comes from the training job that produced the artifact it loads.
    Raises NodeNotFoundError for an unknown group.
    """
    node = graph.resolve(group, [NodeKind.MODEL_PACKAGE_GROUP])
    _require_kind(graph, node, NodeKind.MODEL_PACKAGE_GROUP, group)

    runs = []
    for package, _, data in graph.in_edges(node):
        if data.get("relation") != Relation.MEMBER_OF:
            continue
        jobs = _producing_jobs(graph, package)
        attrs = graph.node(package)
        runs.append(
            _Run(_label(graph, package), package, as_time(attrs.get("created")), _metric_job(jobs))
        )
    return _trend(graph, SeriesKind.PACKAGE_GROUP, _label(graph, node), runs, metric)


def tag_trend(graph: LineageGraph, key: str, value: str, metric: str | None = None) -> MetricTrend:
    """Compute `metric` over the training jobs tagged `key`=`value` (exact, case-sensitive).

    Raises TrendError when no training job carries the tag.
    """
    runs = [
        _job_run(graph, job)
        for job in graph.nodes_of_kind(NodeKind.TRAINING_JOB)
        if tag_values(graph.node(job).get("tags")).get(key) == value
    ]
    if not runs:
        raise TrendError(
            f"no training job has the tag {key}={value}; tags are matched exactly, including "
            "letter case, and come only from crawls that read tags"
        )
    return _trend(graph, SeriesKind.TAG, f"{key}={value}", runs, metric)


def endpoint_trend(
    graph: LineageGraph,
    endpoint: str,
    deployments: Sequence[tuple[datetime | str | None, str]],
    metric: str | None = None,
) -> MetricTrend:
    """Compute `metric` over the models an endpoint served, one group per variant.

    `deployments` lists (start time, endpoint config name or id) in any order, such as the
    deployment timeline of the endpoint. Each production variant of each config gives one
    point for the model it serves; shadow variants serve no traffic and are left out. A config
    missing from the graph gives a note, not an error.
    """
    runs: list[_Run] = []
    notes: list[str] = []
    for start, config_name in deployments:
        config = graph.find(config_name, [NodeKind.ENDPOINT_CONFIG])
        if config is None:
            notes.append(f"endpoint config {config_name} is not in the crawled graph")
            continue
        for variant, model in _served_models(graph, config):
            jobs = _producing_jobs(graph, model)
            label = f"{_label(graph, config)} / {variant} / {_label(graph, model)}"
            runs.append(_Run(label, model, as_time(start), _metric_job(jobs), variant))

    trend = _trend(graph, SeriesKind.ENDPOINT, endpoint, runs, metric)
    trend.notes[:0] = notes
    return trend


def metric_trend(
    graph: LineageGraph, series: SeriesKind | str, name: str, metric: str | None = None
) -> MetricTrend:
    """Dispatch to the trend of one series kind; a tag series takes `name` as "KEY=VALUE".

    Endpoint series need a deployment timeline, so they go through `endpoint_trend`.
    """
    kind = SeriesKind(series)
    if kind is SeriesKind.TUNING_JOB:
        return tuning_job_trend(graph, name, metric)
    if kind is SeriesKind.PACKAGE_GROUP:
        return package_group_trend(graph, name, metric)
    if kind is SeriesKind.TAG:
        key, equals, value = name.partition("=")
        if not equals or not key:
            raise TrendError(f"invalid tag {name!r}: write it as KEY=VALUE, such as Project=churn")
        return tag_trend(graph, key, value, metric)
    raise TrendError(
        "an endpoint trend needs the endpoint's deployment timeline; call endpoint_trend"
    )


# --- building the trend ----------------------------------------------------------------------


def _trend(
    graph: LineageGraph, series: SeriesKind, name: str, runs: list[_Run], metric: str | None
) -> MetricTrend:
    runs = sorted(runs, key=_run_order)
    jobs = [run.job for run in runs if run.job]
    notes: list[str] = []

    if metric is None:
        metric = choose_metric(graph, jobs)
        if metric is None:
            raise TrendError(f"no training job of {series.value} {name} reports a final metric")
        notes.append(f"metric {metric} chosen because it is reported by the most runs")

    direction = metric_direction(graph, metric, list(reversed(jobs)))
    if direction.higher_is_better is None:
        notes.append(f"the direction of {metric} is unknown, so no point is marked as a regression")

    points = _mark(runs, metric, graph, direction)
    missing = [point.label for point in points if point.value is None]
    if missing:
        notes.append(f"{len(missing)} of {len(points)} points have no {metric} value")
    return MetricTrend(series, name, metric, direction, points, notes)


def _mark(
    runs: list[_Run], metric: str, graph: LineageGraph, direction: MetricDirection
) -> list[TrendPoint]:
    """Turn runs into points, comparing each value with the previous value of its group."""
    previous: dict[str, float] = {}
    points: list[TrendPoint] = []
    for run in runs:
        value = _metric_value(graph, run.job, metric)
        change: float | None = None
        regression: bool | None = None
        before = previous.get(run.group)
        if value is not None and before is not None:
            change = value - before
            if direction.higher_is_better is not None:
                regression = change < 0 if direction.higher_is_better else change > 0
        if value is not None:
            previous[run.group] = value
        points.append(
            TrendPoint(run.label, run.node, run.time, value, run.job, run.group, change, regression)
        )
    return points


def choose_metric(graph: LineageGraph, jobs: Iterable[str]) -> str | None:
    """Return the metric reported by the most of `jobs`; ties prefer validation metrics.

    Returns None when no job reports a numeric final metric.
    """
    counts: Counter[str] = Counter()
    for job in dict.fromkeys(jobs):
        counts.update(_metrics(graph, job).keys())
    if not counts:
        return None
    return min(counts, key=lambda name: (-counts[name], not name.startswith("validation"), name))


def _run_order(run: _Run) -> tuple[int, str, str]:
    # Points without a time go last, then ties sort by label so the order never depends on
    # the graph's insertion order.
    if run.time is None:
        return 1, "", run.label
    return 0, run.time.isoformat(), run.label


def _metric_value(graph: LineageGraph, job: str | None, metric: str) -> float | None:
    if job is None:
        return None
    return _metrics(graph, job).get(metric)


def _metrics(graph: LineageGraph, job: str) -> dict[str, float]:
    if job not in graph:
        return {}
    return metric_values(graph.node(job).get("metrics"))


# --- graph helpers -----------------------------------------------------------------------------


def _job_run(graph: LineageGraph, job: str) -> _Run:
    attrs = graph.node(job)
    time = as_time(attrs.get("created")) or as_time(attrs.get("started"))
    return _Run(_label(graph, job), job, time, job)


def _served_models(graph: LineageGraph, config: str) -> list[tuple[str, str]]:
    """Return (variant name, model id) for the production variants of a config, by name."""
    served = []
    for _, model, data in graph.out_edges(config):
        if data.get("relation") == Relation.SERVES:
            served.append((str(data.get("variant") or ""), model))
    return sorted(served)


def _producing_jobs(graph: LineageGraph, node: str) -> list[str]:
    """Return the training jobs that produced the artifacts a model or package loads.

    A model created from a package loads the package's artifacts. Jobs come in container
    order; a serial inference pipeline lists one job per trained container.
    """
    artifacts = _targets(graph, node, Relation.LOADS)
    for container in graph.node(node).get("containers") or []:
        url = container.get("model_data_url") if isinstance(container, dict) else None
        if not url:
            continue
        try:
            uri = artifact_uri(str(url))
        except InvalidURIError:
            continue
        if uri in graph and uri not in artifacts:
            artifacts.append(uri)
    if not artifacts:
        for package in _targets(graph, node, Relation.FROM_PACKAGE):
            artifacts.extend(_targets(graph, package, Relation.LOADS))

    jobs: list[str] = []
    for artifact in artifacts:
        for job in _targets(graph, artifact, Relation.PRODUCED_BY):
            if graph.kind(job) is NodeKind.TRAINING_JOB and job not in jobs:
                jobs.append(job)
    return jobs


def _metric_job(jobs: list[str]) -> str | None:
    # NOTE: a serial inference pipeline has one job per trained container, and the last one
    # is usually the predictor whose metric people track, so the last job represents the model.
    return jobs[-1] if jobs else None


def _targets(graph: LineageGraph, node: str, relation: Relation) -> list[str]:
    return [target for _, target, data in graph.out_edges(node) if data.get("relation") == relation]


def _label(graph: LineageGraph, node: str) -> str:
    return str(graph.node(node).get("label") or node)


def _require_kind(graph: LineageGraph, node: str, kind: NodeKind, text: str) -> None:
    if graph.kind(node) is not kind:
        raise TrendError(
            f"{text!r} is a {graph.kind(node).value}, not a {kind.value}; pass the name of a "
            f"{kind.value.replace('_', ' ')}"
        )


def as_time(value: Any) -> datetime | None:
    """Return a timezone-aware datetime from a datetime or ISO 8601 text; None otherwise.

    A naive time is taken as UTC, which is what SageMaker reports.
    """
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str) and value:
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            logger.debug("ignoring a time that is not ISO 8601: %r", value)
            return None
    else:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
