"""Evaluate boto3-shaped `search()` requests on crawled records, as SageMaker Search does.

The pipeline runs in order: validate the request, compile the SearchExpression, evaluate it to a
set of record positions, sort, cut one page and issue a NextToken. Evaluation reads per-property
columns (lineage.search.columns) that a SearchIndex keeps, with a value-to-records map for
Equals, In and Contains and a sorted array for range operators, so repeated searches over a
large account do not walk every record again. Nested filters read the same kind of columns
built over the elements of the list property. `SearchIndex.build()` builds all of them in
one pass; otherwise each is built on first use.
"""

from __future__ import annotations

import base64
import difflib
import gc
import hashlib
import itertools
import json
import logging
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

from lineage.crawl.result import CrawlResult
from lineage.errors import SearchError
from lineage.search.columns import Column, ElementTable, column_positions, number_of
from lineage.search.expression import (
    Condition,
    Expression,
    NestedCondition,
    Operator,
    compile_expression,
)
from lineage.search.properties import (
    RESOURCE_KINDS,
    FlatValues,
    HyperparameterValue,
    PropertyType,
    flatten_values,
    path_values,
    raw_values,
    schema_type,
    search_record,
    split_name,
    typed_values,
    value_type,
)

logger = logging.getLogger(__name__)

# NOTE: the Search API reference gives no default for MaxResults; 10 is an assumption.
DEFAULT_MAX_RESULTS = 10
MAX_RESULTS_RANGE = (1, 100)
SORT_ORDERS = ("Ascending", "Descending")
DEFAULT_SORT_ORDER = "Descending"

# The API sorts by LastModifiedTime by default; Search's Model record has no such field.
_DEFAULT_SORT_BY = {"Model": "Model.CreationTime"}
_LAST_MODIFIED = "LastModifiedTime"

_REQUEST_KEYS = (
    "Resource",
    "SearchExpression",
    "SortBy",
    "SortOrder",
    "NextToken",
    "MaxResults",
    "CrossAccountFilterOption",
)
_TOKEN_VERSION = 1


@dataclass(frozen=True)
class BuildStats:
    """Counts and duration of one `SearchIndex.build()` run."""

    records: int
    property_names: int
    columns: int
    element_columns: int
    seconds: float


class SearchIndex:
    """Crawled records of the searchable resources, with property columns built on demand.

    Build one per crawl and reuse it: the first search on a property reads every record once,
    later searches on it read the column. `build()` does that reading up front for every
    property, so that no later search or suggestion pays for it. Not thread-safe while columns
    are being built.
    """

    def __init__(self, source: CrawlResult | Mapping[Any, Sequence[Mapping[str, Any]]]) -> None:
        by_kind: Mapping[Any, Sequence[Mapping[str, Any]]] = (
            source.records if isinstance(source, CrawlResult) else source
        )
        self._records: dict[str, list[dict[str, Any]]] = {}
        for resource, kind in RESOURCE_KINDS.items():
            records = by_kind.get(kind)
            if records is None:
                records = by_kind.get(resource, [])
            self._records[resource] = [search_record(resource, record) for record in records]
        self._columns: dict[tuple[str, str], Column] = {}
        self._inferred: dict[tuple[str, str], PropertyType | None] = {}
        self._element_tables: dict[tuple[str, str], ElementTable] = {}
        self._names: dict[str, list[str]] = {}
        self._list_names: dict[str, set[str]] = {}
        # Raw values of every path, kept only while `build()` turns them into columns.
        self._flat: dict[str, FlatValues] = {}
        self._lowered: dict[str, list[str]] = {}

    def records(self, resource: str) -> list[dict[str, Any]]:
        """Return the records of a resource as Search returns them, in crawl order."""
        return self._records[_checked_resource(resource)]

    def count(self, resource: str) -> int:
        return len(self.records(resource))

    # -- property names and types --------------------------------------------------------

    def type_of(self, resource: str, name: str) -> PropertyType | None:
        """Return a property's type from the service model, else from the crawled values."""
        known = schema_type(resource, name)
        if known is not None:
            return known
        key = (resource, name)
        if key not in self._inferred:
            self._inferred[key] = self._infer_type(resource, name)
        return self._inferred[key]

    def _infer_type(self, resource: str, name: str) -> PropertyType | None:
        segments = split_name(name)
        for record in self.records(resource):
            for value in raw_values(resource, record, segments):
                kind = value_type(value, segments[-1])
                if kind is not None:
                    return kind
        return None

    def property_names(self, resource: str) -> list[str]:
        """Return every property name present in the crawled records, sorted without case."""
        if resource not in self._names:
            self._collect_names(resource)
        return self._names[resource]

    def list_property_names(self, resource: str) -> set[str]:
        """Return the property names whose value is a list of structures in some record."""
        if resource not in self._list_names:
            self._collect_names(resource)
        return self._list_names[resource]

    def _collect_names(self, resource: str) -> None:
        from lineage.search.suggest import collect_names_and_lists

        names, lists = collect_names_and_lists(resource, self.records(resource))
        self._names[resource] = names
        self._list_names[resource] = lists

    def lowered_property_names(self, resource: str) -> list[str]:
        """Return `property_names` lower-cased, in the same (sorted) order, for prefix lookup."""
        if resource not in self._lowered:
            self._lowered[resource] = [name.lower() for name in self.property_names(resource)]
        return self._lowered[resource]

    def close_names(self, resource: str, name: str) -> list[str]:
        """Return up to three present property names that look like a misspelt `name`."""
        return difflib.get_close_matches(name, self.property_names(resource), n=3, cutoff=0.75)

    def column(self, resource: str, name: str, kind: PropertyType) -> Column:
        key = (resource, name)
        column = self._columns.get(key)
        if column is None:
            values = _values_from_flat(self._flat.get(resource), name, kind, self.count(resource))
            if values is None:
                segments = split_name(name)
                values = [
                    typed_values(raw_values(resource, record, segments), kind)
                    for record in self.records(resource)
                ]
            present = {position for position, found in enumerate(values) if found}
            column = Column(kind, values, present)
            self._columns[key] = column
            logger.debug("built search column %s.%s over %d records", resource, name, len(values))
        return column

    def element_table(self, resource: str, name: str, segments: tuple[str, ...]) -> ElementTable:
        """Return the elements that the list property `name` reaches in every record."""
        key = (resource, name)
        table = self._element_tables.get(key)
        if table is None:
            elements: list[Any] = []
            owners: list[int] = []
            for position, record in enumerate(self.records(resource)):
                found = path_values(record, segments)
                elements.extend(found)
                owners.extend([position] * len(found))
            table = ElementTable(elements, owners)
            self._element_tables[key] = table
        return table

    def element_column(
        self, resource: str, nested: NestedCondition, condition: Condition
    ) -> Column:
        """Return a condition's typed values in each element of the nested list property."""
        table = self.element_table(resource, nested.name, nested.segments)
        key = (condition.segments, condition.kind)
        column = table.columns.get(key)
        if column is None:
            values = _values_from_flat(
                table.flat, ".".join(condition.segments), condition.kind, len(table.elements)
            )
            if values is None:
                values = [
                    typed_values(path_values(element, condition.segments), condition.kind)
                    for element in table.elements
                ]
            present = {position for position, found in enumerate(values) if found}
            column = Column(condition.kind, values, present)
            table.columns[key] = column
        return column

    # -- building every index up front ----------------------------------------------------

    def build(self, resources: Iterable[str] | None = None) -> BuildStats:
        """Build every index that searches and suggestions read, for `resources` (default all).

        Per resource, that is: the property names (one pass over the records), a column with
        its lookup structures for each typed property name, both sort orders of the default
        SortBy property, and element columns for each list of structures. Sort orders of
        other properties are still built on first use, one sort per property and direction.
        """
        started = time.perf_counter()
        records = names = columns = element_columns = 0
        # The build allocates millions of small tuples that all live on, and each cyclic
        # garbage collection they trigger scans every record again. Pausing the collector cut
        # the build over 100,000 jobs of bench/search_bench.py from 43 s to 28 s (one pair
        # of runs on a shared machine). The full collection at the end keeps the deferred
        # scan out of the next search.
        collecting = gc.isenabled()
        gc.disable()
        try:
            for resource in resources if resources is not None else RESOURCE_KINDS:
                resource = _checked_resource(resource)
                records += self.count(resource)
                present_names = self.property_names(resource)
                self.lowered_property_names(resource)
                names += len(present_names)
                self._flat[resource] = flatten_values(self.records(resource), resource)
                try:
                    columns += self._build_columns(resource, present_names)
                    element_columns += self._build_element_columns(resource, present_names)
                finally:
                    del self._flat[resource]
        finally:
            if collecting:
                gc.enable()
                gc.collect()
        stats = BuildStats(
            records, names, columns, element_columns, time.perf_counter() - started
        )
        logger.info(
            "built search indexes: %d records, %d property names, %d columns, "
            "%d element columns in %.2f s",
            stats.records, stats.property_names, stats.columns, stats.element_columns,
            stats.seconds,
        )
        return stats

    def _build_columns(self, resource: str, names: Sequence[str]) -> int:
        built = 0
        for name in names:
            kind = self.type_of(resource, name)
            if kind is None:
                continue
            self.column(resource, name, kind).build_indexes()
            built += 1

        sort_by = _DEFAULT_SORT_BY.get(resource, _LAST_MODIFIED)
        sort_kind = self.type_of(resource, sort_by)
        if sort_kind is not None and sort_kind is not PropertyType.COMPOSITE:
            column = self.column(resource, sort_by, sort_kind)
            column.sort_order(descending=True)
            column.sort_order(descending=False)
        return built

    def _build_element_columns(self, resource: str, names: Sequence[str]) -> int:
        built = 0
        for list_name in sorted(self.list_property_names(resource)):
            if self.type_of(resource, list_name) is not PropertyType.COMPOSITE:
                continue
            nested = NestedCondition(list_name, split_name(list_name), ())
            table = self.element_table(resource, list_name, nested.segments)
            table.flat = flatten_values(table.elements)
            prefix = list_name + "."
            for name in names:
                if not name.startswith(prefix):
                    continue
                kind = self.type_of(resource, name)
                if kind is None:
                    continue
                # The same relative path and type that compiling a nested filter gives.
                relative = tuple(name[len(prefix) :].split("."))
                condition = Condition(name, relative, Operator.EXISTS, kind, None)
                self.element_column(resource, nested, condition).build_indexes()
                built += 1
            table.flat = None
        return built


    # -- search ----------------------------------------------------------------------------

    def search(self, request: Mapping[str, Any]) -> dict[str, Any]:
        """Run one `search()` request; raise SearchError when the request is invalid."""
        query = _parse_request(request)
        expression = compile_expression(query.resource, query.expression, self)
        sort_kind = self._sort_kind(query)

        total = self.count(query.resource)
        if expression is None:
            matched: Iterable[int] = range(total)
        else:
            matched = self._evaluate(query.resource, expression)
        ordered = self._sort(query, sort_kind, matched)

        offset = _offset_from_token(query)
        page = ordered[offset : offset + query.max_results]
        records = self.records(query.resource)
        response: dict[str, Any] = {
            "Results": [{query.resource: records[position]} for position in page],
            "TotalHits": {"Value": len(ordered), "Relation": "EqualTo"},
        }
        if offset + query.max_results < len(ordered):
            response["NextToken"] = _make_token(offset + query.max_results, query.fingerprint)
        return response

    def _sort_kind(self, query: _Query) -> PropertyType | None:
        kind = self.type_of(query.resource, query.sort_by)
        if kind is None:
            if query.sort_by_given:
                message = f"SortBy: unknown property name {query.sort_by!r} for {query.resource}"
                close = self.close_names(query.resource, query.sort_by)
                if close:
                    message += "; did you mean " + ", ".join(close) + "?"
                raise SearchError(message)
            return None
        if kind is PropertyType.COMPOSITE:
            raise SearchError(
                f"SortBy {query.sort_by!r} is a structure, list or map; sort by one of its "
                f"fields instead, such as {query.sort_by}.<field>"
            )
        return kind

    def _sort(self, query: _Query, kind: PropertyType | None, matched: Iterable[int]) -> list[int]:
        if kind is None:
            return sorted(matched)
        column = self.column(query.resource, query.sort_by, kind)
        order = column.sort_order(descending=query.sort_order == "Descending")
        if isinstance(matched, range):
            return list(order)
        # Filtering the column's precomputed order is one pass over the records, cheaper than
        # sorting a large match set on every search.
        wanted = matched if isinstance(matched, set) else set(matched)
        return [position for position in order if position in wanted]

    def _evaluate(self, resource: str, expression: Expression) -> set[int]:
        parts: list[set[int]] = []
        parts.extend(self._evaluate_condition(resource, item) for item in expression.conditions)
        parts.extend(self._evaluate_nested(resource, item) for item in expression.nested)
        parts.extend(self._evaluate(resource, item) for item in expression.subexpressions)
        if expression.operator == "Or":
            return set().union(*parts)
        parts.sort(key=len)
        result = set(parts[0])
        for part in parts[1:]:
            result &= part
        return result

    def _evaluate_condition(self, resource: str, condition: Condition) -> set[int]:
        return column_positions(self.column(resource, condition.name, condition.kind), condition)

    def _evaluate_nested(self, resource: str, nested: NestedCondition) -> set[int]:
        # Each condition is evaluated on the element columns to the set of matching elements.
        # Their intersection contains the elements that satisfy every condition at once, and
        # their owners are the matching records.
        parts = [
            column_positions(self.element_column(resource, nested, condition), condition)
            for condition in nested.conditions
        ]
        parts.sort(key=len)
        elements = set(parts[0])
        for part in parts[1:]:
            elements &= part
        owners = self.element_table(resource, nested.name, nested.segments).owners
        return {owners[element] for element in elements}


def _values_from_flat(
    flat: FlatValues | None, name: str, kind: PropertyType, count: int
) -> list[tuple[Any, ...]] | None:
    """Return a column's typed values from values collected in one pass, or None when the
    pass cannot be trusted for `name` and the caller must walk each record.
    """
    if flat is None or name in flat.unreliable or name not in flat.values:
        return None
    values: list[tuple[Any, ...]] = [()] * count
    cache: dict[str, Any] = {}
    for position, pairs in itertools.groupby(flat.values[name], key=itemgetter(0)):
        values[position] = typed_values([raw for _, raw in pairs], kind, cache)
    return values


def element_matches(element: Any, conditions: Sequence[Condition]) -> bool:
    """Return whether one list element satisfies every condition, with names relative to it."""
    for condition in conditions:
        values = typed_values(path_values(element, condition.segments), condition.kind)
        if not values_match(condition, values):
            return False
    return True


def values_match(condition: Condition, values: tuple[Any, ...]) -> bool:
    """Evaluate a condition on the typed values of one record, without an index.

    A property with several values (a list, such as every channel's S3Uri) matches when one of
    them does; NotEquals holds when none of them equals the value, so a record without the
    property matches NotEquals. Exists holds when there is at least one value.
    """
    operator = condition.operator
    if operator is Operator.EXISTS:
        return bool(values)
    if operator is Operator.NOT_EXISTS:
        return not values
    if operator is Operator.NOT_EQUALS:
        return not any(_value_equals(condition, value) for value in values)
    if operator is Operator.EQUALS:
        return any(_value_equals(condition, value) for value in values)
    if operator is Operator.IN:
        return any(_text(value) in condition.operand for value in values)
    if operator is Operator.CONTAINS:
        return any(condition.operand in _text(value) for value in values)
    return any(_in_range(condition, value) for value in values)


def _text(value: Any) -> str:
    return value.text if isinstance(value, HyperparameterValue) else value


def _value_equals(condition: Condition, value: Any) -> bool:
    if isinstance(value, HyperparameterValue):
        if condition.number is not None:
            number = number_of(value, condition.integer_mode)
            return number is not None and number == condition.number
        return value.text == condition.operand
    return value == condition.operand


def _in_range(condition: Condition, value: Any) -> bool:
    limit = condition.number if condition.kind is PropertyType.HYPERPARAMETER else condition.operand
    number = number_of(value, condition.integer_mode)
    if number is None or limit is None:
        return False
    operator = condition.operator
    if operator is Operator.GREATER_THAN:
        return number > limit
    if operator is Operator.GREATER_THAN_OR_EQUAL_TO:
        return number >= limit
    if operator is Operator.LESS_THAN:
        return number < limit
    return number <= limit


# --- Request, paging ----------------------------------------------------------------------


@dataclass(frozen=True)
class _Query:
    resource: str
    expression: Any
    sort_by: str
    sort_by_given: bool
    sort_order: str
    max_results: int
    next_token: str | None
    fingerprint: str


def _checked_resource(resource: Any) -> str:
    if resource not in RESOURCE_KINDS:
        raise SearchError(
            f"Resource {resource!r} is not searchable here; valid resources: "
            f"{', '.join(RESOURCE_KINDS)}"
        )
    return str(resource)


def _parse_request(request: Mapping[str, Any]) -> _Query:
    unknown = sorted(set(request) - set(_REQUEST_KEYS))
    if unknown:
        raise SearchError(
            f"unsupported search parameter {unknown[0]!r}; valid parameters: "
            f"{', '.join(_REQUEST_KEYS)}"
        )
    if "Resource" not in request:
        raise SearchError(f"Resource is missing; give one of {', '.join(RESOURCE_KINDS)}")
    resource = _checked_resource(request["Resource"])

    cross_account = request.get("CrossAccountFilterOption")
    if cross_account not in (None, "SameAccount"):
        raise SearchError(
            f"CrossAccountFilterOption {cross_account!r} is not supported: crawled records "
            "hold only the crawled accounts' own resources; leave it out or use SameAccount"
        )

    sort_order = request.get("SortOrder", DEFAULT_SORT_ORDER)
    if sort_order not in SORT_ORDERS:
        raise SearchError(
            f"SortOrder {sort_order!r} is invalid; valid values: {', '.join(SORT_ORDERS)}"
        )

    max_results = request.get("MaxResults", DEFAULT_MAX_RESULTS)
    low, high = MAX_RESULTS_RANGE
    if isinstance(max_results, bool) or not isinstance(max_results, int):
        raise SearchError(
            f"MaxResults must be an integer from {low} to {high}, not {max_results!r}"
        )
    if not low <= max_results <= high:
        raise SearchError(f"MaxResults {max_results} is out of range; give {low} to {high}")

    sort_by = request.get("SortBy")
    if sort_by is not None and (not isinstance(sort_by, str) or not sort_by):
        raise SearchError(f"SortBy must be a property name, not {sort_by!r}")
    fingerprint = _fingerprint(resource, request.get("SearchExpression"), sort_by, sort_order)
    return _Query(
        resource=resource,
        expression=request.get("SearchExpression"),
        sort_by=sort_by or _DEFAULT_SORT_BY.get(resource, _LAST_MODIFIED),
        sort_by_given=sort_by is not None,
        sort_order=sort_order,
        max_results=max_results,
        next_token=request.get("NextToken"),
        fingerprint=fingerprint,
    )


def _fingerprint(resource: str, expression: Any, sort_by: Any, sort_order: str) -> str:
    canonical = json.dumps(
        [resource, expression, sort_by, sort_order], sort_keys=True, default=str
    ).encode()
    return hashlib.sha256(canonical).hexdigest()[:16]


def _make_token(offset: int, fingerprint: str) -> str:
    payload = json.dumps({"v": _TOKEN_VERSION, "offset": offset, "query": fingerprint})
    return base64.urlsafe_b64encode(payload.encode()).decode()


def _offset_from_token(query: _Query) -> int:
    token = query.next_token
    if token is None:
        return 0
    try:
        payload = json.loads(base64.urlsafe_b64decode(token.encode()))
        offset = payload["offset"]
        fingerprint = payload["query"]
        valid = payload.get("v") == _TOKEN_VERSION and isinstance(offset, int) and offset >= 0
    except (ValueError, TypeError, KeyError, AttributeError):
        valid = False
    if not valid:
        raise SearchError(
            "NextToken is not a token this search issued; repeat the search without NextToken"
        )
    if fingerprint != query.fingerprint:
        raise SearchError(
            "NextToken belongs to a different search (another Resource, SearchExpression, "
            "SortBy or SortOrder); pass it only with the parameters of the search that "
            "returned it, or start again without NextToken"
        )
    return int(offset)


def search(
    source: SearchIndex | CrawlResult | Mapping[Any, Sequence[Mapping[str, Any]]],
    request: Mapping[str, Any],
) -> dict[str, Any]:
    """Run a boto3-shaped Search request over crawled records.

    `source` is a SearchIndex (reuse one across searches), a CrawlResult or a mapping from
    RecordKind (or resource name) to records. Returns `{"Results", "TotalHits", "NextToken"?}`.
    """
    index = source if isinstance(source, SearchIndex) else SearchIndex(source)
    return index.search(request)
