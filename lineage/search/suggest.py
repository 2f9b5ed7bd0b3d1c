"""Property-name suggestions from the crawled records, like SageMaker's GetSearchSuggestions.

The API suggests `HyperParameters.*`, `Tags.*` and `Metrics.*` names; this module also suggests
field paths (`InputDataConfig.DataSource.S3DataSource.S3Uri`), because the text form and the
Search page need them too. Only names present in at least one crawled record are suggested.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from lineage.crawl.result import RECORD_META
from lineage.errors import SearchError
from lineage.search.properties import (
    HYPERPARAMETERS_PREFIX,
    METRICS_PREFIX,
    RESOURCE_KINDS,
    TAGS_PREFIX,
)

if TYPE_CHECKING:
    from lineage.search.engine import SearchIndex

# GetSearchSuggestions' PropertyNameHint has at most 100 characters (botocore's model).
MAX_HINT_LENGTH = 100
_METRIC_LIST = "FinalMetricDataList"
_TAG_LISTS = frozenset({"Tags"})


def collect_property_names(resource: str, records: Iterable[Mapping[str, Any]]) -> list[str]:
    """Return every property name the records contain, sorted without regard to case."""
    return collect_names_and_lists(resource, records)[0]


def collect_names_and_lists(
    resource: str, records: Iterable[Mapping[str, Any]]
) -> tuple[list[str], set[str]]:
    """Collect, in one pass, the property names as `collect_property_names` returns them and
    the names whose value is a list containing structures (the lists that nested filters and
    their element indexes cover).
    """
    names: set[str] = set()
    lists: set[str] = set()
    for record in records:
        _collect(record, "", names, lists)
        for metric in record.get(_METRIC_LIST) or []:
            if isinstance(metric, Mapping) and metric.get("MetricName"):
                names.add(f"{METRICS_PREFIX}.{metric['MetricName']}")
    if resource == "Model":
        # Search's Model record keeps tags under Model.Tags; `Tags.<key>` reads them there too.
        names.update(
            f"{TAGS_PREFIX}.{name[len('Model.Tags.') :]}"
            for name in list(names)
            if name.startswith("Model.Tags.")
        )
    return sorted(names, key=lambda name: (name.lower(), name)), lists


def _collect(value: Mapping[str, Any], prefix: str, names: set[str], lists: set[str]) -> None:
    for key, child in value.items():
        if key == RECORD_META or child is None:
            continue
        path = f"{prefix}{key}"
        names.add(path)
        if key in _TAG_LISTS and isinstance(child, list):
            names.update(
                f"{path}.{tag['Key']}"
                for tag in child
                if isinstance(tag, Mapping) and isinstance(tag.get("Key"), str)
            )
            continue
        if key == HYPERPARAMETERS_PREFIX and isinstance(child, Mapping):
            names.update(f"{path}.{name}" for name in child)
            continue
        _collect_child(child, path, names, lists)


def _collect_child(child: Any, path: str, names: set[str], lists: set[str]) -> None:
    if isinstance(child, Mapping):
        _collect(child, path + ".", names, lists)
    elif isinstance(child, list):
        for element in child:
            if isinstance(element, Mapping):
                lists.add(path)
                _collect(element, path + ".", names, lists)


def suggest(index: SearchIndex, resource: str, hint: str) -> list[str]:
    """Return the present property names that start with `hint`, ignoring case."""
    if resource not in RESOURCE_KINDS:
        raise SearchError(
            f"Resource {resource!r} is not searchable here; valid resources: "
            f"{', '.join(RESOURCE_KINDS)}"
        )
    if len(hint) > MAX_HINT_LENGTH:
        raise SearchError(
            f"PropertyNameHint has {len(hint)} characters; the API accepts at most "
            f"{MAX_HINT_LENGTH}"
        )
    names = index.property_names(resource)
    lowered = index.lowered_property_names(resource)
    needle = hint.lower()
    start = bisect.bisect_left(lowered, needle)
    end = start
    while end < len(lowered) and lowered[end].startswith(needle):
        end += 1
    return names[start:end]


def get_search_suggestions(index: SearchIndex, request: Mapping[str, Any]) -> dict[str, Any]:
    """Return the response to a boto3-shaped GetSearchSuggestions request over the records."""
    unknown = sorted(set(request) - {"Resource", "SuggestionQuery"})
    if unknown:
        raise SearchError(
            f"unsupported parameter {unknown[0]!r}; valid parameters: Resource, SuggestionQuery"
        )
    if "Resource" not in request:
        raise SearchError(f"Resource is missing; give one of {', '.join(RESOURCE_KINDS)}")
    query = request.get("SuggestionQuery") or {}
    hint = (query.get("PropertyNameQuery") or {}).get("PropertyNameHint", "")
    if not isinstance(hint, str):
        raise SearchError(f"PropertyNameHint must be a string, not {hint!r}")
    names = suggest(index, request["Resource"], hint)
    return {"PropertyNameSuggestions": [{"PropertyName": name} for name in names]}
