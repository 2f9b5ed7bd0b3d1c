"""Lineage diff: what differs upstream of two models, training jobs or endpoint configs.

The question behind it: an endpoint got worse, so what changed between the model it serves now
and the one it served before? `diff` pairs the two lineages level by level (variant -> model ->
container -> artifact -> training job -> channel) and compares each pair. Every entry carries a
`status` (added, removed, changed, equal) so a surface can hide the equal rows, and a `scope`
that names the pair it belongs to (`variant AllTraffic / container 1`).

Values are compared the way SageMaker means them, not as text: hyperparameters after removing
the SDK's JSON quoting, numbers as numbers, images split into repository and version.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, field, fields, is_dataclass
from enum import Enum
from typing import Any

from lineage.errors import InvalidURIError, LineageError
from lineage.graph import LineageGraph, NodeKind, Relation
from lineage.identity import (
    artifact_uri,
    decode_hyperparameter,
    hyperparameter_number,
    is_arn,
    is_framework_hyperparameter,
    name_from_arn,
    parse_arn,
)
from lineage.queries.metrics import MetricDirection, metric_direction

logger = logging.getLogger(__name__)

# Framework hyperparameters that name the training code rather than tune it. They are compared
# on their own, as code, even when framework hyperparameters are hidden.
CODE_HYPERPARAMETERS = ("sagemaker_program", "sagemaker_submit_directory")

DIFFABLE_KINDS = (NodeKind.ENDPOINT_CONFIG, NodeKind.MODEL, NodeKind.TRAINING_JOB)

_INTEGER = re.compile(r"^[+-]?\d+$")


class DiffError(LineageError, ValueError):
    """Two nodes cannot be compared because their kinds differ or diff does not support them."""


class ChangeStatus(str, Enum):
    ADDED = "added"
    REMOVED = "removed"
    CHANGED = "changed"
    EQUAL = "equal"


def change_status(before: Any, after: Any, equal: bool) -> ChangeStatus:
    """Classify a pair of values, where None means the side does not have the value."""
    if before is None and after is None:
        return ChangeStatus.EQUAL
    if before is None:
        return ChangeStatus.ADDED
    if after is None:
        return ChangeStatus.REMOVED
    return ChangeStatus.EQUAL if equal else ChangeStatus.CHANGED


def relative_change(before: Any, after: Any) -> float | None:
    """Return (after - before) / |before| for two numbers, or None when it is undefined."""
    if not _is_number(before) or not _is_number(after) or before == 0:
        return None
    return (after - before) / abs(before)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def to_plain(value: Any) -> Any:
    """Convert dataclasses, enums and containers into JSON-ready values."""
    if isinstance(value, Enum):
        return value.value
    if is_dataclass(value) and not isinstance(value, type):
        if hasattr(value, "to_dict"):
            return value.to_dict()
        return {item.name: to_plain(getattr(value, item.name)) for item in fields(value)}
    if isinstance(value, dict):
        return {str(key): to_plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [to_plain(item) for item in value]
    return value


def _dataclass_dict(value: Any) -> dict[str, Any]:
    return {item.name: to_plain(getattr(value, item.name)) for item in fields(value)}


class _Entry:
    """Base of the diff's dataclasses: `to_dict` returns every field as JSON-ready data."""

    __slots__ = ()

    def to_dict(self) -> dict[str, Any]:
        return _dataclass_dict(self)


# --- entries ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FieldChange(_Entry):
    """A plain setting compared on both sides (instance type, weight, tag, training time)."""

    scope: str
    name: str
    status: ChangeStatus
    before: Any
    after: Any
    relative_change: float | None = None


@dataclass(frozen=True, slots=True)
class DatasetChange(_Entry):
    """One training channel compared by name: its S3 location (a key-name prefix) and data type."""

    scope: str
    channel: str
    status: ChangeStatus
    before_uri: str | None
    after_uri: str | None
    before_data_type: str | None = None
    after_data_type: str | None = None
    # "location changed", "data type changed", both joined by "and", or empty when not changed.
    detail: str = ""


@dataclass(frozen=True, slots=True)
class ImageRef:
    """A container image URI or algorithm split into registry, repository and version.

    `version` is the tag or digest of an image (`1.7-1`, `sha256:...`), or empty when the URI
    has neither. An algorithm name or ARN has an empty registry and version.
    """

    text: str
    registry: str
    repository: str
    version: str

    @classmethod
    def parse(cls, text: str) -> ImageRef:
        if is_arn(text):
            return cls(text, "", parse_arn(text).resource_id, "")

        name, _, digest = text.partition("@")
        head, slash, last = name.rpartition("/")
        repository_tail, _, tag = last.partition(":")
        version = digest or tag
        path = f"{head}{slash}{repository_tail}"

        first, has_registry, rest = path.partition("/")
        if has_registry and ("." in first or ":" in first or first == "localhost"):
            return cls(text, first, rest, version)
        return cls(text, "", path, version)

    @property
    def display(self) -> str:
        return f"{self.repository}:{self.version}" if self.version else self.repository


@dataclass(frozen=True, slots=True)
class ImageChange(_Entry):
    """A training image (or algorithm) or a serving container image compared on both sides."""

    scope: str
    name: str
    status: ChangeStatus
    before: ImageRef | None
    after: ImageRef | None
    # What differs: "repository", "version", "registry" (same image from another account or
    # region), or empty when equal, added or removed.
    change: str = ""


@dataclass(frozen=True, slots=True)
class HyperparameterChange(_Entry):
    """One hyperparameter compared after decoding; `before`/`after` are decoded values.

    Decoded values are numbers when numeric, lists or dicts when the text is a JSON array or
    object, otherwise strings. The raw strings are kept for display.
    """

    scope: str
    name: str
    status: ChangeStatus
    before: Any
    after: Any
    raw_before: str | None
    raw_after: str | None
    relative_change: float | None = None
    framework: bool = False
    # True for a code location that differs only where each side has its own job name, as the
    # SDK uploads the source archive per job: the contents may be identical.
    only_job_name_differs: bool = False


@dataclass(frozen=True, slots=True)
class MetricChange(_Entry):
    """A final metric compared on both sides; a side without the metric is None, never 0."""

    scope: str
    name: str
    status: ChangeStatus
    before: float | None
    after: float | None
    delta: float | None
    relative_change: float | None
    direction: MetricDirection
    # True when the value moved the wrong way, False when it did not move or improved, None
    # when the direction is unknown or a side is missing.
    regression: bool | None

    def to_dict(self) -> dict[str, Any]:
        data = _dataclass_dict(self)
        data["before_text"] = _metric_text(self.before)
        data["after_text"] = _metric_text(self.after)
        return data

    def sentence(self) -> str:
        """Describe the change in one sentence, for summaries."""
        where = f" ({self.scope})" if self.scope else ""
        if self.status is ChangeStatus.ADDED:
            return f"{self.name}{where} is reported only after: {_metric_text(self.after)}."
        if self.status is ChangeStatus.REMOVED:
            return f"{self.name}{where} is reported only before: {_metric_text(self.before)}."

        movement = f"{self.name}{where} went from {self.before:g} to {self.after:g}"
        if self.relative_change is not None:
            movement += f" ({self.relative_change:+.1%})"
        evidence = self.direction.text
        if self.direction.detail:
            evidence += f", {self.direction.detail}"
        if self.regression:
            return f"{movement}: a regression ({evidence})."
        if self.regression is False and self.status is ChangeStatus.CHANGED:
            return f"{movement}: an improvement ({evidence})."
        return f"{movement} ({evidence})."


def _metric_text(value: float | None) -> str:
    return "missing" if value is None else f"{value:g}"


@dataclass(frozen=True, slots=True)
class Pairing(_Entry):
    """Two nodes that the diff compared with each other; a None side had no counterpart."""

    scope: str
    kind: NodeKind
    before: str | None
    after: str | None


# --- result ----------------------------------------------------------------------------------

_SECTIONS = (
    "serving",
    "datasets",
    "images",
    "code",
    "hyperparameters",
    "instances",
    "training_time",
    "tags",
    "metrics",
)


@dataclass
class LineageDiff:
    """The comparison of the lineage of `before` with that of `after` (both node ids).

    Sections, one list of entries each:
    - `serving`: variant and model settings, model data, and the training job that produced it.
    - `datasets`: one entry per training channel.
    - `images`: training images and serving container images.
    - `code`: the entry point and source archive hyperparameters.
    - `hyperparameters`: the rest, with framework keys only when requested.
    - `instances` (training instance type and count), `training_time`, `tags`, `metrics`.
    """

    kind: NodeKind
    before: str
    after: str
    include_framework: bool = False
    pairings: list[Pairing] = field(default_factory=list)
    serving: list[FieldChange] = field(default_factory=list)
    datasets: list[DatasetChange] = field(default_factory=list)
    images: list[ImageChange] = field(default_factory=list)
    code: list[HyperparameterChange] = field(default_factory=list)
    hyperparameters: list[HyperparameterChange] = field(default_factory=list)
    instances: list[FieldChange] = field(default_factory=list)
    training_time: list[FieldChange] = field(default_factory=list)
    tags: list[FieldChange] = field(default_factory=list)
    metrics: list[MetricChange] = field(default_factory=list)
    hidden_hyperparameters: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def regressions(self) -> list[MetricChange]:
        return [metric for metric in self.metrics if metric.regression]

    def has_changes(self) -> bool:
        return any(
            entry.status is not ChangeStatus.EQUAL
            for section in _SECTIONS
            for entry in getattr(self, section)
        )

    def summary(self) -> list[str]:
        """Describe every metric that differs, regressions first, one sentence each."""
        changed = [metric for metric in self.metrics if metric.status is not ChangeStatus.EQUAL]
        changed.sort(key=lambda metric: (not metric.regression, metric.scope, metric.name))
        return [metric.sentence() for metric in changed]

    def to_dict(self, changed_only: bool = False) -> dict[str, Any]:
        """Return the diff as JSON-ready data; `changed_only` drops the equal entries."""
        data: dict[str, Any] = {
            "kind": self.kind.value,
            "before": self.before,
            "after": self.after,
            "include_framework": self.include_framework,
            "pairings": to_plain(self.pairings),
            "summary": self.summary(),
            "hidden_hyperparameters": list(self.hidden_hyperparameters),
            "notes": list(self.notes),
        }
        for section in _SECTIONS:
            entries = getattr(self, section)
            if changed_only:
                entries = [entry for entry in entries if entry.status is not ChangeStatus.EQUAL]
            data[section] = to_plain(entries)
        return data


# --- entry point -----------------------------------------------------------------------------


def diff(graph: LineageGraph, a: str, b: str, *, include_framework: bool = False) -> LineageDiff:
    """Compare the upstream lineage of `a` (before) with that of `b` (after).

    `a` and `b` are node ids, ARNs or names of two endpoint configs, two models or two training
    jobs. `include_framework` adds the `sagemaker_*` hyperparameters to the hyperparameter
    section; the code-naming ones are compared in the code section either way.

    Raises NodeNotFoundError when a name matches no node, and DiffError when the two nodes are
    of different kinds or of a kind that diff does not compare.
    """
    before = _resolve(graph, a)
    after = _resolve(graph, b)
    before_kind = graph.kind(before)
    after_kind = graph.kind(after)

    if after_kind != before_kind:
        raise DiffError(
            f"cannot diff {a!r} ({before_kind.value}) with {b!r} ({after_kind.value}); "
            "pass two nodes of the same kind"
        )

    result = LineageDiff(before_kind, before, after, include_framework)
    if before_kind is NodeKind.ENDPOINT_CONFIG:
        _compare_configs(graph, before, after, "", result)
    elif before_kind is NodeKind.MODEL:
        _compare_models(graph, before, after, "", result)
    else:
        _compare_jobs(graph, before, after, "", result)

    result.hidden_hyperparameters = sorted(set(result.hidden_hyperparameters))
    return result


def _resolve(graph: LineageGraph, text: str) -> str:
    """Return the node that `text` names, preferring the kinds that diff compares."""
    node = graph.find(text, DIFFABLE_KINDS)
    if node is None:
        node = graph.resolve(text)

    kind = graph.kind(node)
    if kind in DIFFABLE_KINDS:
        return node
    supported = ", ".join(kind.value for kind in DIFFABLE_KINDS)
    hint = ""
    config = graph.node(node).get("config_name")
    if kind is NodeKind.ENDPOINT and config:
        hint = f" (the endpoint's current config is {config!r})"
    raise DiffError(f"cannot diff {text!r}: it is a {kind.value}; pass one of: {supported}{hint}")


def _join(scope: str, part: str) -> str:
    return f"{scope} / {part}" if scope else part


def _job_name(node_id: str) -> str:
    # Training job ids are ARNs or `training-job:NAME` when the builder had no account.
    if is_arn(node_id):
        return name_from_arn(node_id)
    return node_id.split(":", 1)[-1]


def _label(graph: LineageGraph, node_id: str | None) -> str | None:
    if node_id is None:
        return None
    return str(graph.node(node_id).get("label") or node_id)


def _pair(
    before: list[dict[str, Any]], after: list[dict[str, Any]], key: str
) -> list[tuple[dict[str, Any] | None, dict[str, Any] | None]]:
    """Pair items with equal non-empty `key` values, then the rest in order of position."""
    pairs: list[tuple[dict[str, Any] | None, dict[str, Any] | None]] = []
    unmatched_after = list(after)
    unmatched_before: list[dict[str, Any]] = []
    for item in before:
        name = item.get(key)
        match = next((other for other in unmatched_after if name and other.get(key) == name), None)
        if match is None:
            unmatched_before.append(item)
        else:
            unmatched_after.remove(match)
            pairs.append((item, match))

    for position in range(max(len(unmatched_before), len(unmatched_after))):
        left = unmatched_before[position] if position < len(unmatched_before) else None
        right = unmatched_after[position] if position < len(unmatched_after) else None
        pairs.append((left, right))
    return pairs


def _field(scope: str, name: str, before: Any, after: Any) -> FieldChange:
    status = change_status(before, after, before == after)
    return FieldChange(scope, name, status, before, after, relative_change(before, after))


# --- endpoint configs ------------------------------------------------------------------------


def _compare_configs(
    graph: LineageGraph, before: str, after: str, scope: str, out: LineageDiff
) -> None:
    out.pairings.append(Pairing(scope, NodeKind.ENDPOINT_CONFIG, before, after))

    for shadow in (False, True):
        pairs = _pair(_variants(graph, before, shadow), _variants(graph, after, shadow), "name")
        for left, right in pairs:
            variant_scope = _join(scope, _variant_title(left, right, shadow))
            _compare_variant(graph, left or {}, right or {}, variant_scope, out)


def _variant_title(left: dict[str, Any] | None, right: dict[str, Any] | None, shadow: bool) -> str:
    names = [side.get("name") for side in (left, right) if side and side.get("name")]
    title = names[0] if len(set(names)) == 1 else " -> ".join(str(name) for name in names)
    return f"{'shadow variant' if shadow else 'variant'} {title}"


def _compare_variant(
    graph: LineageGraph, left: dict[str, Any], right: dict[str, Any], scope: str, out: LineageDiff
) -> None:
    before_model = left.get("model")
    after_model = right.get("model")
    out.serving.append(
        _field(scope, "model", _label(graph, before_model), _label(graph, after_model))
    )
    for name in ("instance_type", "instance_count", "weight", "serverless"):
        if left.get(name) is not None or right.get(name) is not None:
            out.serving.append(_field(scope, name, left.get(name), right.get(name)))

    if before_model and after_model:
        _compare_models(graph, before_model, after_model, scope, out)
    elif before_model or after_model:
        out.pairings.append(Pairing(scope, NodeKind.MODEL, before_model, after_model))


def _variants(graph: LineageGraph, config: str, shadow: bool) -> list[dict[str, Any]]:
    """Return the production (or shadow) variants of a config, each with the model node id."""
    relation = Relation.SERVES_SHADOW if shadow else Relation.SERVES
    model_by_variant: dict[str, str] = {}
    for _, target, data in graph.out_edges(config):
        if data.get("relation") == relation:
            model_by_variant.setdefault(str(data.get("variant") or ""), target)

    listed = graph.node(config).get("variants") or []
    variants: list[dict[str, Any]] = []
    for entry in listed:
        if not isinstance(entry, dict) or bool(entry.get("shadow")) != shadow:
            continue
        variant = dict(entry)
        model = model_by_variant.get(str(entry.get("name") or ""))
        if model is None and entry.get("model_name"):
            model = graph.find(str(entry["model_name"]), [NodeKind.MODEL])
        variant["model"] = model
        variants.append(variant)

    # A config whose variants attribute is missing still has its serves edges.
    if not variants:
        for name, model in model_by_variant.items():
            variants.append({"name": name or None, "model": model})
    return variants


# --- models ----------------------------------------------------------------------------------


def _compare_models(
    graph: LineageGraph, before: str, after: str, scope: str, out: LineageDiff
) -> None:
    out.pairings.append(Pairing(scope, NodeKind.MODEL, before, after))
    before_attrs = graph.node(before)
    after_attrs = graph.node(after)
    if before_attrs.get("mode") is not None or after_attrs.get("mode") is not None:
        out.serving.append(_field(scope, "mode", before_attrs.get("mode"), after_attrs.get("mode")))

    before_containers = _containers(graph, before)
    after_containers = _containers(graph, after)
    several = max(len(before_containers), len(after_containers)) > 1
    pairs = _pair(before_containers, after_containers, "hostname")
    for left, right in pairs:
        container_scope = _join(scope, _container_title(left, right)) if several else scope
        _compare_container(graph, (before, left or {}), (after, right or {}), container_scope, out)


def _container_title(left: dict[str, Any] | None, right: dict[str, Any] | None) -> str:
    for side in (left, right):
        if side and side.get("hostname"):
            return f"container {side['hostname']}"
    position = (left or right or {}).get("position", 0)
    return f"container {position + 1}"


def _containers(graph: LineageGraph, model: str) -> list[dict[str, Any]]:
    listed = graph.node(model).get("containers") or []
    containers = [dict(entry) for entry in listed if isinstance(entry, dict)]
    if not containers:
        # Without the containers attribute, each loaded artifact stands for one container.
        for _, target, data in graph.out_edges(model):
            if data.get("relation") == Relation.LOADS:
                uri = graph.node(target).get("uri") or target
                containers.append({"model_data_url": uri})
    for position, container in enumerate(containers):
        container["position"] = position
    return containers


def _compare_container(
    graph: LineageGraph,
    before: tuple[str, dict[str, Any]],
    after: tuple[str, dict[str, Any]],
    scope: str,
    out: LineageDiff,
) -> None:
    (before_model, left), (after_model, right) = before, after
    _append_image(out, scope, "serving image", left.get("image"), right.get("image"))
    for name, key in (("model data", "model_data_url"), ("model package", "model_package")):
        if left.get(key) or right.get(key):
            out.serving.append(_field(scope, name, left.get(key), right.get(key)))

    before_jobs = _producing_jobs(graph, before_model, left) if left else []
    after_jobs = _producing_jobs(graph, after_model, right) if right else []
    if before_jobs or after_jobs:
        out.serving.append(
            _field(
                scope,
                "training job",
                ", ".join(_job_name(job) for job in before_jobs) or None,
                ", ".join(_job_name(job) for job in after_jobs) or None,
            )
        )

    several = max(len(before_jobs), len(after_jobs)) > 1
    for position in range(max(len(before_jobs), len(after_jobs))):
        left_job = before_jobs[position] if position < len(before_jobs) else None
        right_job = after_jobs[position] if position < len(after_jobs) else None
        job_scope = _join(scope, f"training job {position + 1}") if several else scope
        if left_job and right_job:
            _compare_jobs(graph, left_job, right_job, job_scope, out)
            continue
        out.pairings.append(Pairing(job_scope, NodeKind.TRAINING_JOB, left_job, right_job))
        missing_side = "before" if left_job is None else "after"
        out.notes.append(
            f"{job_scope or 'model'}: no training job produced the {missing_side} model data "
            "in the crawled graph, so its datasets, hyperparameters and metrics are not compared"
        )


def _producing_jobs(graph: LineageGraph, model: str, container: dict[str, Any]) -> list[str]:
    """Return the training jobs that produced a container's model data, in id order."""
    artifacts: list[str] = []
    url = container.get("model_data_url")
    if url:
        try:
            artifact = artifact_uri(str(url))
        except InvalidURIError:
            logger.debug("model %s has a model data URL that is not S3: %r", model, url)
        else:
            if artifact in graph:
                artifacts.append(artifact)

    # A model created from a package loads the package's artifacts.
    package_name = container.get("model_package")
    if not artifacts and package_name:
        package = graph.find(str(package_name), [NodeKind.MODEL_PACKAGE])
        if package is not None:
            artifacts.extend(_targets(graph, package, Relation.LOADS))

    jobs: set[str] = set()
    for artifact in artifacts:
        for job in _targets(graph, artifact, Relation.PRODUCED_BY):
            if graph.kind(job) is NodeKind.TRAINING_JOB:
                jobs.add(job)
    return sorted(jobs)


def _targets(graph: LineageGraph, node: str, relation: Relation) -> list[str]:
    return [target for _, target, data in graph.out_edges(node) if data.get("relation") == relation]


# --- training jobs ---------------------------------------------------------------------------


def _compare_jobs(
    graph: LineageGraph, before: str, after: str, scope: str, out: LineageDiff
) -> None:
    out.pairings.append(Pairing(scope, NodeKind.TRAINING_JOB, before, after))
    left = graph.node(before)
    right = graph.node(after)

    _compare_channels(_channels(graph, before), _channels(graph, after), scope, out)
    _append_image(out, scope, "training image", _algorithm(graph, before), _algorithm(graph, after))
    _compare_hyperparameters(
        (_job_name(before), _hyperparameters(left)),
        (_job_name(after), _hyperparameters(right)),
        scope,
        out,
    )

    for name in ("instance_type", "instance_count"):
        out.instances.append(_field(scope, name, left.get(name), right.get(name)))
    out.training_time.append(
        _field(
            scope, "duration_seconds", left.get("duration_seconds"), right.get("duration_seconds")
        )
    )

    before_tags = tag_values(left.get("tags"))
    after_tags = tag_values(right.get("tags"))
    for key in sorted(set(before_tags) | set(after_tags)):
        out.tags.append(_field(scope, key, before_tags.get(key), after_tags.get(key)))

    _compare_metrics(graph, (before, left), (after, right), scope, out)


def _channels(graph: LineageGraph, job: str) -> dict[str, tuple[str, str | None]]:
    """Return channel name -> (dataset URI, data type), from trained_on edges or the attribute."""
    channels: dict[str, tuple[str, str | None]] = {}
    for _, target, data in graph.out_edges(job):
        if data.get("relation") != Relation.TRAINED_ON:
            continue
        dataset = graph.node(target)
        channel = str(data.get("channel") or target)
        channels[channel] = (str(dataset.get("uri") or target), dataset.get("data_type"))

    for entry in graph.node(job).get("channels") or []:
        if isinstance(entry, dict) and entry.get("channel") and entry.get("uri"):
            channels.setdefault(str(entry["channel"]), (str(entry["uri"]), entry.get("data_type")))
    return channels


def _compare_channels(
    before: dict[str, tuple[str, str | None]],
    after: dict[str, tuple[str, str | None]],
    scope: str,
    out: LineageDiff,
) -> None:
    for channel in sorted(set(before) | set(after)):
        before_uri, before_type = before.get(channel, (None, None))
        after_uri, after_type = after.get(channel, (None, None))
        same_uri = before_uri == after_uri
        same_type = before_type == after_type
        details = []
        if before_uri and after_uri and not same_uri:
            details.append("location changed")
        if before_uri and after_uri and not same_type:
            details.append("data type changed")
        status = change_status(before_uri, after_uri, same_uri and same_type)
        out.datasets.append(
            DatasetChange(
                scope,
                channel,
                status,
                before_uri,
                after_uri,
                before_type,
                after_type,
                " and ".join(details),
            )
        )


def _algorithm(graph: LineageGraph, job: str) -> str | None:
    algorithm = graph.node(job).get("algorithm")
    if isinstance(algorithm, str) and algorithm:
        return algorithm
    for image in _targets(graph, job, Relation.RUNS):
        return str(graph.node(image).get("uri") or image)
    return None


def _append_image(
    out: LineageDiff, scope: str, name: str, before: str | None, after: str | None
) -> None:
    if not before and not after:
        return
    left = ImageRef.parse(before) if before else None
    right = ImageRef.parse(after) if after else None
    change = ""
    if left and right and left.text != right.text:
        if left.repository != right.repository:
            change = "repository"
        elif left.version != right.version:
            change = "version"
        else:
            change = "registry"
    status = change_status(left, right, left is not None and right is not None and not change)
    out.images.append(ImageChange(scope, name, status, left, right, change))


def tag_values(value: Any) -> dict[str, str]:
    """Return tags as a key-to-value dict, from a graph attribute dict or the API's list form."""
    if isinstance(value, dict):
        return {str(key): str(item) for key, item in value.items()}
    if isinstance(value, list):
        return {
            str(tag["Key"]): str(tag.get("Value", ""))
            for tag in value
            if isinstance(tag, dict) and "Key" in tag
        }
    return {}


# --- hyperparameters -------------------------------------------------------------------------


def decoded_value(raw: str) -> Any:
    """Return the value a hyperparameter means: a number, a JSON list or object, or the text.

    The SDK's JSON string quoting is removed first, so `"\\"0.1\\""` and `"0.1"` both give 0.1
    and `"\\"[64, 128]\\""` gives [64, 128].
    """
    decoded = decode_hyperparameter(raw)
    number = hyperparameter_number(raw)
    if number is not None:
        return int(decoded.strip()) if _INTEGER.match(decoded.strip()) else number

    stripped = decoded.strip()
    if stripped[:1] in ("[", "{"):
        try:
            return json.loads(stripped)
        except ValueError:
            return decoded
    return decoded


def _hyperparameters(attrs: dict[str, Any]) -> dict[str, str]:
    raw = attrs.get("hyperparameters")
    if not isinstance(raw, dict):
        raw = attrs.get("hyperparameters_decoded")
    if not isinstance(raw, dict):
        return {}
    return {str(name): str(value) for name, value in raw.items()}


def _compare_hyperparameters(
    before: tuple[str, dict[str, str]],
    after: tuple[str, dict[str, str]],
    scope: str,
    out: LineageDiff,
) -> None:
    (before_job, left), (after_job, right) = before, after
    for name in sorted(set(left) | set(right)):
        raw_before = left.get(name)
        raw_after = right.get(name)
        old = decoded_value(raw_before) if raw_before is not None else None
        new = decoded_value(raw_after) if raw_after is not None else None
        framework = is_framework_hyperparameter(name)
        code = name in CODE_HYPERPARAMETERS

        only_job_name = False
        if code and isinstance(old, str) and isinstance(new, str) and old != new:
            only_job_name = old.replace(before_job, "{job}") == new.replace(after_job, "{job}")

        entry = HyperparameterChange(
            scope=scope,
            name=name,
            status=change_status(old, new, old == new),
            before=old,
            after=new,
            raw_before=raw_before,
            raw_after=raw_after,
            relative_change=relative_change(old, new),
            framework=framework,
            only_job_name_differs=only_job_name,
        )
        if code:
            out.code.append(entry)
        if framework and not out.include_framework:
            if not code:
                out.hidden_hyperparameters.append(name)
            continue
        if not code:
            out.hyperparameters.append(entry)


# --- metrics ---------------------------------------------------------------------------------


def _compare_metrics(
    graph: LineageGraph,
    before: tuple[str, dict[str, Any]],
    after: tuple[str, dict[str, Any]],
    scope: str,
    out: LineageDiff,
) -> None:
    (before_job, left), (after_job, right) = before, after
    before_metrics = metric_values(left.get("metrics"))
    after_metrics = metric_values(right.get("metrics"))

    for name in sorted(set(before_metrics) | set(after_metrics)):
        old = before_metrics.get(name)
        new = after_metrics.get(name)
        direction = metric_direction(graph, name, [after_job, before_job])
        delta = new - old if old is not None and new is not None else None
        regression: bool | None = None
        if delta is not None and direction.higher_is_better is not None:
            regression = delta < 0 if direction.higher_is_better else delta > 0
        out.metrics.append(
            MetricChange(
                scope=scope,
                name=name,
                status=change_status(old, new, old == new),
                before=old,
                after=new,
                delta=delta,
                relative_change=relative_change(old, new),
                direction=direction,
                regression=regression,
            )
        )


def metric_values(value: Any) -> dict[str, float]:
    """Return the numeric final metrics; values that are not numbers are left out, never 0."""
    if not isinstance(value, dict):
        return {}
    numbers: dict[str, float] = {}
    for name, metric in value.items():
        if _is_number(metric):
            numbers[str(name)] = float(metric)
        elif isinstance(metric, str):
            try:
                numbers[str(name)] = float(metric)
            except ValueError:
                logger.debug("metric %s has a value that is not a number: %r", name, metric)
    return numbers
