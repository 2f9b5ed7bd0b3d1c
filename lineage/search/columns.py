"""Per-property indexes that the search engine evaluates filters on.

A Column contains the typed values of one property for every item of a list, where an item is a
record or, for nested filters, one element of a list property such as InputDataConfig. Its
value-to-positions map serves Equals, In and Contains, and its sorted numbers serve Equals on
numbers and the range operators, so a filter reads the index instead of every item.
`column_positions` evaluates one condition on a Column and returns the same positions as
checking `values_match` on each item.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass, field
from typing import Any

from lineage.search.expression import RANGE_OPERATORS, Condition, Operator
from lineage.search.properties import FlatValues, HyperparameterValue, PropertyType

# Types whose filters read the value-to-positions map, and those that read sorted numbers.
_MAPPED_KINDS = (PropertyType.TEXT, PropertyType.BOOLEAN, PropertyType.HYPERPARAMETER)
_NUMERIC_KINDS = (PropertyType.NUMBER, PropertyType.TIMESTAMP, PropertyType.HYPERPARAMETER)


@dataclass
class Column:
    """The typed values of one property for every item (record or list element), by position."""

    kind: PropertyType
    values: list[tuple[Any, ...]]
    present: set[int]
    _by_value: dict[Any, set[int]] | None = None
    _sorted: dict[bool, tuple[list[float], list[int]]] = field(default_factory=dict)
    _orders: dict[bool, list[int]] = field(default_factory=dict)

    def by_value(self) -> dict[Any, set[int]]:
        """Map each distinct value (a hyperparameter's decoded text) to the records holding it."""
        if self._by_value is None:
            mapping: dict[Any, set[int]] = {}
            for position, values in enumerate(self.values):
                for value in values:
                    key = value.text if isinstance(value, HyperparameterValue) else value
                    mapping.setdefault(key, set()).add(position)
            self._by_value = mapping
        return self._by_value

    def sorted_numbers(self, integer_mode: bool) -> tuple[list[float], list[int]]:
        """Return every numeric value in ascending order with its record position.

        In integer mode a hyperparameter's number is truncated toward zero first, as Search
        treats decimal hyperparameters as integers when the filter value is an integer.
        """
        if integer_mode not in self._sorted:
            pairs = []
            for position, values in enumerate(self.values):
                for value in values:
                    number = number_of(value, integer_mode)
                    if number is not None:
                        pairs.append((number, position))
            pairs.sort()
            self._sorted[integer_mode] = ([p[0] for p in pairs], [p[1] for p in pairs])
        return self._sorted[integer_mode]

    def sort_order(self, descending: bool) -> list[int]:
        """Return every record position in sort order, records without a value last.

        A list property sorts by its largest value when descending and its smallest
        otherwise. Python's sort is stable with reverse=True too, so ties keep crawl order.
        """
        if descending not in self._orders:
            keyed: list[tuple[Any, int]] = []
            missing: list[int] = []
            for position, values in enumerate(self.values):
                if not values:
                    missing.append(position)
                    continue
                keys = [sort_key(value) for value in values]
                keyed.append((max(keys) if descending else min(keys), position))
            keyed.sort(key=lambda pair: pair[0], reverse=descending)
            self._orders[descending] = [position for _, position in keyed] + missing
        return self._orders[descending]

    def build_indexes(self) -> None:
        """Build now the lookup structures that this column's filters would build on first use."""
        if self.kind in _MAPPED_KINDS:
            self.by_value()
        if self.kind in _NUMERIC_KINDS:
            self.sorted_numbers(integer_mode=False)
        if self.kind is PropertyType.HYPERPARAMETER:
            self.sorted_numbers(integer_mode=True)


def number_of(value: Any, integer_mode: bool) -> float | None:
    if isinstance(value, HyperparameterValue):
        if value.number is None:
            return None
        return float(math.trunc(value.number)) if integer_mode else value.number
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    return None


@dataclass
class ElementTable:
    """The elements of one list property across all records, flattened into one sequence.

    `owners[i]` is the record position of element `i`. Columns over the elements are keyed by
    a filter's path relative to the element and its type, and are built on first use.
    """

    elements: list[Any]
    owners: list[int]
    columns: dict[tuple[tuple[str, ...], PropertyType], Column] = field(default_factory=dict)
    # Raw values of every path in the elements, kept only while the columns are being built.
    flat: FlatValues | None = None


def column_positions(column: Column, condition: Condition) -> set[int]:
    """Return the positions of the items whose values satisfy `condition`."""
    everything = range(len(column.values))
    operator = condition.operator

    if operator is Operator.EXISTS:
        return set(column.present)
    if operator is Operator.NOT_EXISTS:
        return set(everything) - column.present
    if operator is Operator.NOT_EQUALS:
        return set(everything) - _equal_positions(column, condition)
    if operator is Operator.EQUALS:
        return _equal_positions(column, condition)
    if operator is Operator.IN:
        by_value = column.by_value()
        return set().union(*(by_value.get(choice, set()) for choice in condition.operand))
    if operator is Operator.CONTAINS:
        by_value = column.by_value()
        hits = [
            positions
            for value, positions in by_value.items()
            if isinstance(value, str) and condition.operand in value
        ]
        return set().union(*hits)
    return _range_positions(column, condition)


def _numeric_operand(condition: Condition) -> float:
    if condition.kind is PropertyType.HYPERPARAMETER:
        assert condition.number is not None, "validation lets only numeric values reach here"
        return condition.number
    return float(condition.operand)


def _equal_positions(column: Column, condition: Condition) -> set[int]:
    numeric = condition.kind in (PropertyType.NUMBER, PropertyType.TIMESTAMP) or (
        condition.kind is PropertyType.HYPERPARAMETER and condition.number is not None
    )
    if not numeric:
        return set(column.by_value().get(condition.operand, set()))
    target = _numeric_operand(condition)
    numbers, positions = column.sorted_numbers(condition.integer_mode)
    low = bisect.bisect_left(numbers, target)
    high = bisect.bisect_right(numbers, target)
    return set(positions[low:high])


def _range_positions(column: Column, condition: Condition) -> set[int]:
    limit = _numeric_operand(condition)
    numbers, positions = column.sorted_numbers(condition.integer_mode)
    operator = condition.operator
    if operator is Operator.GREATER_THAN:
        selected = positions[bisect.bisect_right(numbers, limit) :]
    elif operator is Operator.GREATER_THAN_OR_EQUAL_TO:
        selected = positions[bisect.bisect_left(numbers, limit) :]
    elif operator is Operator.LESS_THAN:
        selected = positions[: bisect.bisect_left(numbers, limit)]
    else:
        assert operator in RANGE_OPERATORS
        selected = positions[: bisect.bisect_right(numbers, limit)]
    return set(selected)


def sort_key(value: Any) -> Any:
    # Numeric hyperparameters sort before text ones, and by number rather than by spelling.
    if isinstance(value, HyperparameterValue):
        return (0, value.number, "") if value.number is not None else (1, 0.0, value.text)
    return value


