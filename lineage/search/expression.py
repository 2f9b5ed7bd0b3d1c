"""Validate a boto3-shaped SearchExpression and compile it into typed conditions.

Validation follows the SageMaker API reference and botocore's service model. Each of
`Filters`, `NestedFilters` and `SubExpressions` has 1 to 20 items, and an expression has at
most 50 of them counted through every level. A search uses Contains once at most (for the
resources searched here), and each operator must fit its property's type. Every error names
the wrong part (`SearchExpression.SubExpressions[1].Filters[0]`) and what to use instead.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Protocol

from lineage.errors import SearchError
from lineage.search.properties import (
    PropertyType,
    parse_boolean,
    parse_number,
    parse_timestamp,
    split_name,
)


class Operator(str, Enum):
    """The filter operators of SageMaker Search."""

    EQUALS = "Equals"
    NOT_EQUALS = "NotEquals"
    GREATER_THAN = "GreaterThan"
    GREATER_THAN_OR_EQUAL_TO = "GreaterThanOrEqualTo"
    LESS_THAN = "LessThan"
    LESS_THAN_OR_EQUAL_TO = "LessThanOrEqualTo"
    CONTAINS = "Contains"
    EXISTS = "Exists"
    NOT_EXISTS = "NotExists"
    IN = "In"


RANGE_OPERATORS = (
    Operator.GREATER_THAN,
    Operator.GREATER_THAN_OR_EQUAL_TO,
    Operator.LESS_THAN,
    Operator.LESS_THAN_OR_EQUAL_TO,
)
PRESENCE_OPERATORS = (Operator.EXISTS, Operator.NOT_EXISTS)
_EQUALITY = (Operator.EQUALS, Operator.NOT_EQUALS)

# The operators each property type accepts. Validation and its error messages both read this
# table, so a message always lists exactly what the check allows.
OPERATORS_BY_TYPE: dict[PropertyType, tuple[Operator, ...]] = {
    PropertyType.TEXT: (*_EQUALITY, Operator.CONTAINS, Operator.IN, *PRESENCE_OPERATORS),
    PropertyType.NUMBER: (*_EQUALITY, *RANGE_OPERATORS, *PRESENCE_OPERATORS),
    PropertyType.TIMESTAMP: (*_EQUALITY, *RANGE_OPERATORS, *PRESENCE_OPERATORS),
    PropertyType.BOOLEAN: (*_EQUALITY, *PRESENCE_OPERATORS),
    # Hyperparameters are strings in the API, compared as numbers when they parse as numbers.
    PropertyType.HYPERPARAMETER: tuple(Operator),
    PropertyType.COMPOSITE: PRESENCE_OPERATORS,
}

BOOLEAN_OPERATORS = ("And", "Or")

# Limits from botocore's SageMaker model: FilterList, NestedFiltersList and SearchExpressionList
# have max 20 items, FilterValue 1-1024 characters, ResourcePropertyName 1-255. The Search API
# reference adds 50 recursive SubExpressions, NestedFilters and Filters, and one Contains per
# search except on Experiment and Trial properties, which this engine does not search.
MAX_LIST_ITEMS = 20
MAX_TOTAL_ELEMENTS = 50
MAX_CONTAINS = 1
MAX_NAME_LENGTH = 255
MAX_VALUE_LENGTH = 1024

_EXPRESSION_KEYS = ("Filters", "NestedFilters", "SubExpressions", "Operator")
_FILTER_KEYS = ("Name", "Operator", "Value")
_NESTED_KEYS = ("NestedPropertyName", "Filters")
_INTEGER = re.compile(r"^[+-]?\d+$")


class PropertyResolver(Protocol):
    """The property-name lookups that validation needs."""

    def type_of(self, resource: str, name: str) -> PropertyType | None: ...

    def close_names(self, resource: str, name: str) -> list[str]: ...


@dataclass(frozen=True, slots=True)
class Condition:
    """One validated filter: a property, an operator and the value converted to its type.

    `operand` is a float for numbers and timestamps (POSIX seconds), a bool for Booleans, a
    tuple of strings for In, the text otherwise, and None for Exists/NotExists. For a
    hyperparameter, `number` is the value as a number when it is one, and `integer_mode`
    records that the value was an integer, so decimal hyperparameters are truncated first.
    """

    name: str
    segments: tuple[str, ...]
    operator: Operator
    kind: PropertyType
    operand: Any
    number: float | None = None
    integer_mode: bool = False
    where: str = ""


@dataclass(frozen=True, slots=True)
class NestedCondition:
    """Conditions that must all hold inside one element of the list property `name`."""

    name: str
    segments: tuple[str, ...]
    conditions: tuple[Condition, ...]
    where: str = ""


@dataclass(frozen=True, slots=True)
class Expression:
    """A validated SearchExpression: its parts combined with `operator` (And or Or)."""

    operator: str
    conditions: tuple[Condition, ...] = ()
    nested: tuple[NestedCondition, ...] = ()
    subexpressions: tuple[Expression, ...] = field(default=())


def compile_expression(
    resource: str, expression: Any, resolver: PropertyResolver
) -> Expression | None:
    """Validate a SearchExpression dict and return it compiled; None when it is absent.

    Raises SearchError naming the offending part on any violation of the API's rules.
    """
    if expression is None:
        return None
    where = "SearchExpression"
    _check_sizes(expression, where)
    contains = _count_contains(expression)
    if contains > MAX_CONTAINS:
        raise SearchError(
            f"'CONTAINS' operator usage limit of {MAX_CONTAINS} exceeded: the SearchExpression "
            f"uses Contains {contains} times; keep one Contains and narrow the rest with "
            "Equals, In or a second search"
        )
    return _compile(resource, expression, resolver, where)


def _check_sizes(expression: Any, where: str) -> None:
    # Iterative, so a hostile expression nested thousands of levels deep is rejected by the
    # element count instead of exhausting Python's recursion limit.
    total = 0
    pending: list[tuple[Any, str]] = [(expression, where)]
    while pending:
        current, location = pending.pop()
        _require_mapping(current, location, _EXPRESSION_KEYS)
        if all(current.get(key) is None for key in _EXPRESSION_KEYS[:3]):
            raise SearchError(
                f"{location} is empty: give at least one of Filters, NestedFilters or "
                "SubExpressions, or leave SearchExpression out to match every record"
            )
        for key in _EXPRESSION_KEYS[:3]:
            items = current.get(key)
            if items is None:
                continue
            _check_list(items, f"{location}.{key}")
            total += len(items)
            if key == "NestedFilters":
                for index, nested in enumerate(items):
                    _require_mapping(nested, f"{location}.{key}[{index}]", _NESTED_KEYS)
                    filters = nested.get("Filters")
                    _check_list(filters, f"{location}.{key}[{index}].Filters")
                    total += len(filters)
            if key == "SubExpressions":
                pending.extend(
                    (item, f"{location}.{key}[{index}]") for index, item in enumerate(items)
                )
        if total > MAX_TOTAL_ELEMENTS:
            raise SearchError(
                f"the SearchExpression has more than {MAX_TOTAL_ELEMENTS} Filters, NestedFilters "
                "and SubExpressions counted through all levels (the Search API maximum); "
                "split it into several searches"
            )


def _check_list(items: Any, location: str) -> None:
    if items is None:
        raise SearchError(f"{location} is missing; give a list of filters")
    if not isinstance(items, list):
        raise SearchError(f"{location} must be a list, not {type(items).__name__}")
    if not items:
        raise SearchError(f"{location} is an empty list; give at least one item or leave it out")
    if len(items) > MAX_LIST_ITEMS:
        raise SearchError(
            f"{location} has {len(items)} items; the Search API accepts at most "
            f"{MAX_LIST_ITEMS}: group some of them into SubExpressions"
        )


def _require_mapping(value: Any, location: str, keys: Sequence[str]) -> None:
    if not isinstance(value, Mapping):
        raise SearchError(f"{location} must be an object with keys {', '.join(keys)}")
    unknown = sorted(set(value) - set(keys))
    if unknown:
        raise SearchError(
            f"{location} has unknown key {unknown[0]!r}; valid keys: {', '.join(keys)}"
        )


def _count_contains(expression: Mapping[str, Any]) -> int:
    count = 0
    pending = [expression]
    while pending:
        current = pending.pop()
        filters = list(current.get("Filters") or [])
        for nested in current.get("NestedFilters") or []:
            filters.extend(nested.get("Filters") or [])
        count += sum(
            1
            for item in filters
            if isinstance(item, Mapping) and item.get("Operator") == Operator.CONTAINS.value
        )
        pending.extend(current.get("SubExpressions") or [])
    return count


def _compile(
    resource: str, expression: Mapping[str, Any], resolver: PropertyResolver, where: str
) -> Expression:
    operator = expression.get("Operator", "And")
    if operator not in BOOLEAN_OPERATORS:
        raise SearchError(
            f"{where}.Operator {operator!r} is invalid; "
            f"valid values: {', '.join(BOOLEAN_OPERATORS)}"
        )

    conditions = tuple(
        compile_filter(resource, item, resolver, f"{where}.Filters[{index}]")
        for index, item in enumerate(expression.get("Filters") or [])
    )
    nested = tuple(
        _compile_nested(resource, item, resolver, f"{where}.NestedFilters[{index}]")
        for index, item in enumerate(expression.get("NestedFilters") or [])
    )
    subexpressions = tuple(
        _compile(resource, item, resolver, f"{where}.SubExpressions[{index}]")
        for index, item in enumerate(expression.get("SubExpressions") or [])
    )
    return Expression(operator, conditions, nested, subexpressions)


def _compile_nested(
    resource: str, nested: Mapping[str, Any], resolver: PropertyResolver, where: str
) -> NestedCondition:
    name = _check_name(nested.get("NestedPropertyName"), f"{where}.NestedPropertyName")
    kind = _resolve_type(resource, name, resolver, f"{where}.NestedPropertyName")
    if kind is not PropertyType.COMPOSITE:
        raise SearchError(
            f"{where}.NestedPropertyName {name!r} is a {kind.value} property; nested filters "
            "need a list property such as InputDataConfig"
        )

    prefix = name + "."
    conditions = []
    for index, item in enumerate(nested["Filters"]):
        location = f"{where}.Filters[{index}]"
        condition = compile_filter(resource, item, resolver, location)
        if not condition.name.startswith(prefix):
            raise SearchError(
                f"{location} Name {condition.name!r} is not inside the nested property "
                f"{name!r}; inside NestedFilters every Name starts with {prefix!r}"
            )
        relative = tuple(condition.name[len(prefix) :].split("."))
        conditions.append(_with_segments(condition, relative))
    return NestedCondition(name, split_name(name), tuple(conditions), where)


def _with_segments(condition: Condition, segments: tuple[str, ...]) -> Condition:
    return Condition(
        condition.name,
        segments,
        condition.operator,
        condition.kind,
        condition.operand,
        condition.number,
        condition.integer_mode,
        condition.where,
    )


def compile_filter(resource: str, item: Any, resolver: PropertyResolver, where: str) -> Condition:
    """Validate one Filter dict and convert its value to the property's type."""
    _require_mapping(item, where, _FILTER_KEYS)
    name = _check_name(item.get("Name"), f"{where}.Name")
    value = item.get("Value")
    operator = _operator_of(item, where)

    kind = _resolve_type(resource, name, resolver, f"{where}.Name")
    allowed = OPERATORS_BY_TYPE[kind]
    if operator not in allowed:
        raise SearchError(
            f"operator not supported for {kind.value} property: {where} "
            f"{_describe(item)} uses {operator.value} on {name}; valid operators for "
            f"{kind.value} properties: {', '.join(op.value for op in allowed)}"
        )

    if operator in PRESENCE_OPERATORS:
        return Condition(name, split_name(name), operator, kind, None, where=where)
    _check_value(value, operator, where)
    return _typed_condition(name, operator, kind, value, item, where)


def _operator_of(item: Mapping[str, Any], where: str) -> Operator:
    raw = item.get("Operator")
    if raw is None:
        # The API reference: a Value without an Operator means Equals; a filter with neither
        # means Exists.
        return Operator.EQUALS if item.get("Value") is not None else Operator.EXISTS
    try:
        return Operator(raw)
    except ValueError:
        raise SearchError(
            f"{where}.Operator {raw!r} is invalid; valid operators: "
            f"{', '.join(op.value for op in Operator)}"
        ) from None


def _check_name(name: Any, where: str) -> str:
    if not isinstance(name, str) or not name:
        raise SearchError(f"{where} is missing; give a property name such as TrainingJobName")
    if len(name) > MAX_NAME_LENGTH:
        raise SearchError(
            f"{where} is {len(name)} characters long; property names have at most {MAX_NAME_LENGTH}"
        )
    return name


def _check_value(value: Any, operator: Operator, where: str) -> None:
    if value is None:
        raise SearchError(f"{where} uses {operator.value} but has no Value; add a Value")
    if not isinstance(value, str):
        raise SearchError(
            f'{where}.Value must be a string, as in the Search API (for example "0.9"), '
            f"not {type(value).__name__} {value!r}"
        )
    if not value or len(value) > MAX_VALUE_LENGTH:
        raise SearchError(
            f"{where}.Value must have 1 to {MAX_VALUE_LENGTH} characters, not {len(value)}"
        )


def _resolve_type(resource: str, name: str, resolver: PropertyResolver, where: str) -> PropertyType:
    kind = resolver.type_of(resource, name)
    if kind is not None:
        return kind
    message = f"{where}: unknown property name {name!r} for resource {resource}"
    close = resolver.close_names(resource, name)
    if close:
        message += "; did you mean " + ", ".join(close) + "?"
    else:
        message += "; list property names with `lineage suggest`"
    raise SearchError(message)


def _typed_condition(
    name: str,
    operator: Operator,
    kind: PropertyType,
    value: str,
    item: Mapping[str, Any],
    where: str,
) -> Condition:
    segments = split_name(name)

    if operator is Operator.IN:
        # In splits on commas and trims spaces around each item, so "Completed, Stopped"
        # means the same as "Completed,Stopped"; empty items are dropped.
        choices = tuple(part.strip() for part in value.split(",") if part.strip())
        if not choices:
            raise SearchError(f"{where} uses In with no values; give comma-separated values")
        return Condition(name, segments, operator, kind, choices, where=where)

    if kind is PropertyType.TEXT:
        return Condition(name, segments, operator, kind, value, where=where)

    if kind is PropertyType.HYPERPARAMETER:
        number = parse_number(value)
        if operator in RANGE_OPERATORS and number is None:
            raise SearchError(
                f"{where} {_describe(item)}: {operator.value} on a hyperparameter needs a "
                f"number, not {value!r}"
            )
        integer_mode = number is not None and bool(_INTEGER.match(value.strip()))
        return Condition(name, segments, operator, kind, value, number, integer_mode, where)

    operand = _typed_operand(kind, value)
    if operand is None:
        raise SearchError(
            f"{where} {_describe(item)}: {value!r} is not a valid {kind.value} value; "
            f"{_VALUE_HINTS[kind]}"
        )
    return Condition(name, segments, operator, kind, operand, where=where)


_VALUE_HINTS = {
    PropertyType.NUMBER: "give an integer or a decimal such as 0.9",
    PropertyType.TIMESTAMP: (
        "give an ISO 8601 date-time such as 2024-05-01T00:00:00 (UTC unless it has an offset) "
        "or POSIX seconds"
    ),
    PropertyType.BOOLEAN: "give true or false",
}


def _typed_operand(kind: PropertyType, value: str) -> Any:
    if kind is PropertyType.NUMBER:
        return parse_number(value)
    if kind is PropertyType.BOOLEAN:
        return parse_boolean(value)
    if kind is PropertyType.TIMESTAMP:
        number = parse_number(value)
        if number is not None:
            return number
        parsed = parse_timestamp(value)
        return parsed.timestamp() if parsed else None
    return None


def _describe(item: Mapping[str, Any]) -> str:
    parts = [f"{key}: {item[key]}" for key in _FILTER_KEYS if item.get(key) is not None]
    return "{" + ", ".join(parts) + "}"
