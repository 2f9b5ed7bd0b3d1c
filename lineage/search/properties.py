"""Property names of SageMaker Search: their types and their values in a crawled record.

A property name is a dotted path into the record (`InputDataConfig.DataSource.S3DataSource.S3Uri`
walks through every element of a list) or one of three keyed forms: `Tags.<key>`,
`HyperParameters.<name>` and `Metrics.<name>` (a training job's `FinalMetricDataList`). The
rest of the name after the prefix is the key, so keys and metric names may contain dots or colons.

The type of a property decides which operators a filter may use. It comes from botocore's
SageMaker service model (the shape of the Search record), so a filter is validated the same way
whether or not any crawled record has the property. A name the model does not know is typed
from the values in the records.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from enum import Enum
from typing import Any

from lineage.crawl.result import RECORD_META, RecordKind
from lineage.identity import decode_hyperparameter, hyperparameter_number

# Resources this engine searches, with the crawl record kind that contains their records and the
# botocore shape of their Search record.
RESOURCE_KINDS: dict[str, RecordKind] = {
    "TrainingJob": RecordKind.TRAINING_JOB,
    "Model": RecordKind.MODEL,
    "Endpoint": RecordKind.ENDPOINT,
    "ModelPackage": RecordKind.MODEL_PACKAGE,
    "HyperParameterTuningJob": RecordKind.TUNING_JOB,
}
_RECORD_SHAPES = {
    "TrainingJob": "TrainingJob",
    "Model": "ModelDashboardModel",
    "Endpoint": "Endpoint",
    "ModelPackage": "ModelPackage",
    "HyperParameterTuningJob": "HyperParameterTuningJobSearchEntity",
}

TAGS_PREFIX = "Tags"
HYPERPARAMETERS_PREFIX = "HyperParameters"
METRICS_PREFIX = "Metrics"

# Search's Model record wraps the model in a `Model` key, so its tags sit one level down.
_TAGS_PATH: dict[str, tuple[str, ...]] = {"Model": ("Model", "Tags")}

# Maps whose string values are hyperparameters (numeric comparison when they parse as numbers).
_HYPERPARAMETER_MAPS = frozenset({"HyperParameters", "StaticHyperParameters"})


class PropertyType(str, Enum):
    """The value type of a property, which fixes the operators a filter may use on it."""

    TEXT = "text"
    NUMBER = "numeric"
    TIMESTAMP = "timestamp"
    BOOLEAN = "Boolean"
    HYPERPARAMETER = "hyperparameter"
    # A structure, list or map: only Exists and NotExists apply.
    COMPOSITE = "composite"


_SHAPE_TYPES = {
    "string": PropertyType.TEXT,
    "integer": PropertyType.NUMBER,
    "long": PropertyType.NUMBER,
    "float": PropertyType.NUMBER,
    "double": PropertyType.NUMBER,
    "timestamp": PropertyType.TIMESTAMP,
    "boolean": PropertyType.BOOLEAN,
    "structure": PropertyType.COMPOSITE,
    "list": PropertyType.COMPOSITE,
    "map": PropertyType.COMPOSITE,
}


@dataclass(frozen=True, slots=True)
class HyperparameterValue:
    """A hyperparameter as a filter compares it: decoded text and, when numeric, its number."""

    text: str
    number: float | None


def resource_kind(resource: str) -> RecordKind:
    """Return the crawl record kind of a Search resource name; raise KeyError when unsupported."""
    return RESOURCE_KINDS[resource]


def split_name(name: str) -> tuple[str, ...]:
    """Split a property name into path segments, keeping a keyed form's key in one segment."""
    head, dot, rest = name.partition(".")
    if dot and head in (TAGS_PREFIX, HYPERPARAMETERS_PREFIX, METRICS_PREFIX) and rest:
        return (head, rest)
    return tuple(name.split("."))


# --- Types ----------------------------------------------------------------------------------


@functools.lru_cache(maxsize=1)
def _service_model() -> Any:
    # Imported here: loading the SageMaker model reads a large JSON file (about 0.4 s).
    import botocore.session

    return botocore.session.get_session().get_service_model("sagemaker")


@functools.lru_cache(maxsize=4096)
def schema_type(resource: str, name: str) -> PropertyType | None:
    """Return the type the SageMaker service model gives a property, or None when it has none."""
    segments = split_name(name)
    if segments[0] == METRICS_PREFIX and len(segments) == 2:
        return PropertyType.NUMBER if resource == "TrainingJob" else None
    if segments[0] == TAGS_PREFIX and len(segments) == 2:
        return PropertyType.TEXT

    shape = _service_model().shape_for(_RECORD_SHAPES[resource])
    index = 0
    while index < len(segments):
        while shape.type_name == "list":
            shape = shape.member
        if shape.type_name == "map":
            # The rest of the name is one key; map keys may contain dots.
            return _map_value_type(segments[index - 1] if index else "", shape)
        if shape.type_name != "structure":
            return None
        segment = segments[index]
        member = shape.members.get(segment)
        if member is None:
            return None
        if segment == TAGS_PREFIX and index + 1 < len(segments):
            return PropertyType.TEXT
        shape = member
        index += 1

    return _SHAPE_TYPES.get(shape.type_name)


def _map_value_type(map_name: str, shape: Any) -> PropertyType | None:
    if map_name in _HYPERPARAMETER_MAPS:
        return PropertyType.HYPERPARAMETER
    return _SHAPE_TYPES.get(shape.value.type_name)


def value_type(value: Any, last_segment: str) -> PropertyType | None:
    """Return the type of one raw record value, for a property the service model lacks."""
    if value is None:
        return None
    if isinstance(value, bool):
        return PropertyType.BOOLEAN
    if isinstance(value, (int, float)):
        return PropertyType.NUMBER
    if isinstance(value, datetime):
        return PropertyType.TIMESTAMP
    if isinstance(value, (dict, list)):
        return PropertyType.COMPOSITE
    if _looks_like_timestamp_key(last_segment) and parse_timestamp(str(value)) is not None:
        return PropertyType.TIMESTAMP
    return PropertyType.TEXT


def _looks_like_timestamp_key(segment: str) -> bool:
    return segment.endswith(("Time", "Timestamp", "Date"))


# --- Values ---------------------------------------------------------------------------------


def search_record(resource: str, record: Mapping[str, Any]) -> dict[str, Any]:
    """Return a crawled record as Search returns it: without the crawl metadata key.

    A Model read by DescribeModel (the crawler's fallback when Search is denied) is wrapped in
    `{"Model": ...}`, the shape of Search's Model record, so one property name fits both.
    """
    clean = {key: value for key, value in record.items() if key != RECORD_META}
    if resource == "Model" and "Model" not in clean and "ModelName" in clean:
        return {"Model": clean}
    return clean


def raw_values(resource: str, record: Mapping[str, Any], segments: tuple[str, ...]) -> list[Any]:
    """Return every value a property path reaches in a record, flattening lists on the way.

    Null values and empty lists or maps reach nothing, so a job with `Tags: []` has no `Tags`.
    """
    if len(segments) == 2 and segments[0] == METRICS_PREFIX:
        return [
            item.get("Value")
            for item in record.get("FinalMetricDataList") or []
            if isinstance(item, Mapping)
            and item.get("MetricName") == segments[1]
            and item.get("Value") is not None
        ]
    if len(segments) == 2 and segments[0] == TAGS_PREFIX:
        return _tag_values(record, _TAGS_PATH.get(resource, (TAGS_PREFIX,)), segments[1])
    return path_values(record, segments)


def path_values(value: Any, segments: tuple[str, ...]) -> list[Any]:
    """Return the non-empty values a path reaches from any dict or list (a list element, say)."""
    return [found for found in _walk(value, segments, 0) if not _is_empty(found)]


def _tag_values(record: Mapping[str, Any], path: tuple[str, ...], key: str) -> list[Any]:
    found: list[Any] = []
    for tags in _walk(record, path, 0):
        if isinstance(tags, Mapping) and tags.get("Key") == key and tags.get("Value") is not None:
            found.append(tags["Value"])
    return found


def _walk(value: Any, segments: tuple[str, ...], index: int) -> Iterator[Any]:
    if isinstance(value, list):
        for element in value:
            yield from _walk(element, segments, index)
        return
    if index == len(segments):
        yield value
        return
    if not isinstance(value, Mapping):
        return

    segment = segments[index]
    if (
        segment == TAGS_PREFIX
        and index + 1 < len(segments)
        and isinstance(value.get(segment), list)
    ):
        # `Model.Tags.Project`: the rest of the name is one tag key.
        yield from _tag_values(value, (TAGS_PREFIX,), ".".join(segments[index + 1 :]))
        return
    if segment in value:
        yield from _walk(value[segment], segments, index + 1)
        return

    # A map key may contain dots (`Environment.A.B`): try the rest of the name as one key.
    rest = ".".join(segments[index:])
    if index + 1 < len(segments) and rest in value:
        yield value[rest]


def _is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, (list, dict)) and not value)


def typed_values(
    raw: list[Any], kind: PropertyType, cache: dict[str, Any] | None = None
) -> tuple[Any, ...]:
    """Convert raw values to what filters compare for this type, dropping unconvertible ones.

    Numbers and timestamps become floats (timestamps as POSIX seconds), Booleans bools, text
    str, hyperparameters HyperparameterValue, composites stay as they are. `cache`, when
    given, keeps the conversion of each string for later calls with the same `kind`, because
    a column converts the same few strings (statuses, hyperparameters) many times.
    """
    converted: list[Any] = []
    for value in raw:
        if cache is not None and type(value) is str:
            typed = cache.get(value, _NOT_CACHED)
            if typed is _NOT_CACHED:
                typed = cache[value] = _convert(value, kind)
        else:
            typed = _convert(value, kind)
        if typed is not None:
            converted.append(typed)
    return tuple(converted)


_NOT_CACHED = object()


def _convert(value: Any, kind: PropertyType) -> Any:
    if kind is PropertyType.TEXT:
        return value if isinstance(value, str) else _text_of(value)
    if kind is PropertyType.NUMBER:
        return parse_number(value)
    if kind is PropertyType.TIMESTAMP:
        return timestamp_seconds(value)
    if kind is PropertyType.BOOLEAN:
        return value if isinstance(value, bool) else parse_boolean(str(value))
    if kind is PropertyType.HYPERPARAMETER:
        text = str(value)
        return HyperparameterValue(decode_hyperparameter(text), hyperparameter_number(text))
    return value


def _text_of(value: Any) -> str | None:
    if isinstance(value, (dict, list)):
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def parse_number(value: Any) -> float | None:
    """Return a finite float for an int, float or numeric string, else None."""
    if isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def parse_boolean(text: str) -> bool | None:
    lowered = text.strip().lower()
    if lowered == "true":
        return True
    if lowered == "false":
        return False
    return None


def parse_timestamp(text: str) -> datetime | None:
    """Parse an ISO 8601 date or date-time; a time without a zone is taken as UTC."""
    candidate = text.strip()
    if candidate.endswith(("Z", "z")):
        candidate = candidate[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(candidate)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed


def timestamp_seconds(value: Any) -> float | None:
    """Return POSIX seconds for a datetime, an ISO 8601 string or an epoch number."""
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=timezone.utc)
        return moment.timestamp()
    number = parse_number(value)
    if number is not None:
        return number
    if isinstance(value, str):
        parsed = parse_timestamp(value)
        return parsed.timestamp() if parsed else None
    return None


def display_text(resource: str, record: Mapping[str, Any], name: str) -> str:
    """Return a property's values in one record as text for a table cell, joined by ", ".

    Hyperparameters show without their JSON quoting; timestamps in ISO 8601.
    """
    parts = []
    for value in raw_values(resource, record, split_name(name)):
        if isinstance(value, (dict, list)):
            continue
        if isinstance(value, datetime):
            parts.append(value.isoformat())
        elif name.startswith(HYPERPARAMETERS_PREFIX + "."):
            parts.append(decode_hyperparameter(str(value)))
        else:
            parts.append(str(value))
    return ", ".join(parts)


# --- Every property of a record in one pass ---------------------------------------------------


@dataclass
class FlatValues:
    """The raw values of every property path of some records, found in one walk per record.

    `values[name]` lists `(position, raw value)` pairs in record order. A name in
    `unreliable` was reached through a key that `raw_values` may resolve differently: a key
    containing a dot, a top-level `Tags` or `Metrics` key that is not the keyed form, or a
    path below a hyperparameter. Such names must be read with `raw_values` instead. A name
    missing from `values` may still have values through `raw_values`, such as `Tags.<key>`
    of a Model.
    """

    values: dict[str, list[tuple[int, Any]]]
    unreliable: set[str]


def flatten_values(records: list[Any], resource: str | None = None) -> FlatValues:
    """Walk each record once and collect the raw values of every dotted path it contains.

    With `resource` given, the records are Search records and the keyed forms at the top
    (`Tags.<key>`, `Metrics.<name>`) follow `raw_values`. Without it, they are list elements
    and every path follows `path_values`, as nested filters read them.
    """
    flat = FlatValues({}, set())
    for position, record in enumerate(records):
        if isinstance(record, Mapping):
            _flatten_mapping(record, "", position, flat, resource, False)
            if resource is not None:
                _flatten_metrics(record, position, flat)
    return flat


def _flatten_metrics(record: Mapping[str, Any], position: int, flat: FlatValues) -> None:
    for item in record.get("FinalMetricDataList") or []:
        if not isinstance(item, Mapping) or item.get("Value") is None:
            continue
        metric = item.get("MetricName")
        if isinstance(metric, str):
            name = f"{METRICS_PREFIX}.{metric}"
            flat.values.setdefault(name, []).append((position, item["Value"]))


def _flatten_mapping(
    value: Mapping[str, Any],
    prefix: str,
    position: int,
    flat: FlatValues,
    resource: str | None,
    suspect: bool,
) -> None:
    top = not prefix
    for key, child in value.items():
        if child is None or not isinstance(key, str):
            continue
        path = prefix + key
        # `raw_values` resolves a dotted key only when the dotted path does not exist, and
        # reads `Tags.<key>` and `Metrics.<name>` at the top through the keyed forms, so the
        # names below such keys cannot be trusted to match it.
        child_suspect = suspect or "." in key
        if top and resource is not None:
            if key == METRICS_PREFIX:
                child_suspect = True
            if key == TAGS_PREFIX and (resource in _TAGS_PATH or not isinstance(child, list)):
                child_suspect = True
        if child_suspect:
            flat.unreliable.add(path)

        bucket = flat.values.setdefault(path, [])
        _collect_leaves(child, position, bucket)
        if top and resource is not None and key == HYPERPARAMETERS_PREFIX:
            _flatten_hyperparameters(child, path, position, flat, child_suspect)
        elif key == TAGS_PREFIX and isinstance(child, list):
            _flatten_tags(child, path, position, flat, child_suspect, top and resource is not None)
        elif isinstance(child, (Mapping, list)):
            _flatten_child(child, path, position, flat, resource, child_suspect)


def _flatten_hyperparameters(
    child: Any, path: str, position: int, flat: FlatValues, suspect: bool
) -> None:
    if not isinstance(child, Mapping):
        _flatten_child(child, path, position, flat, None, True)
        return
    for key, value in child.items():
        if value is None or not isinstance(key, str):
            continue
        name = f"{path}.{key}"
        if suspect:
            flat.unreliable.add(name)
        _collect_leaves(value, position, flat.values.setdefault(name, []))
        # `split_name` keeps all of `HyperParameters.<rest>` as one key, so a path below a
        # hyperparameter never reaches the value `raw_values` returns.
        if isinstance(value, (Mapping, list)):
            _flatten_child(value, name, position, flat, None, True)


def _flatten_child(
    child: Any, path: str, position: int, flat: FlatValues, resource: str | None, suspect: bool
) -> None:
    if isinstance(child, Mapping):
        _flatten_mapping(child, path + ".", position, flat, resource, suspect)
    elif isinstance(child, list):
        for element in child:
            _flatten_child(element, path, position, flat, resource, suspect)


def _flatten_tags(
    tags: list[Any], path: str, position: int, flat: FlatValues, suspect: bool, top: bool
) -> None:
    leaves: list[tuple[int, Any]] = []
    _collect_leaves(tags, position, leaves)
    for _, tag in leaves:
        if not isinstance(tag, Mapping) or not isinstance(tag.get("Key"), str):
            continue
        # `raw_values` returns a top-level tag's Value as it is, while `path_values` drops
        # empty values, so only a nested tag list skips them.
        tag_value = tag.get("Value")
        if tag_value is None or (not top and _is_empty(tag_value)):
            continue
        name = f"{path}.{tag['Key']}"
        flat.values.setdefault(name, []).append((position, tag_value))
        if suspect:
            flat.unreliable.add(name)


def _collect_leaves(value: Any, position: int, bucket: list[tuple[int, Any]]) -> None:
    if isinstance(value, list):
        for element in value:
            _collect_leaves(element, position, bucket)
    elif not _is_empty(value):
        bucket.append((position, value))
