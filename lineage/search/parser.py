"""A compact text form of SageMaker Search expressions, parsed into the boto3 request dict.

Grammar (keywords are case-insensitive):

    query      := [or_expr] ["sort" "by" NAME ["asc" | "desc" | "ascending" | "descending"]]
    or_expr    := and_expr ("or" and_expr)*
    and_expr   := term ("and" term)*
    term       := "(" or_expr ")" | NAME "[" condition ("and" condition)* "]" | condition
    condition  := NAME ("=" | "!=" | ">" | ">=" | "<" | "<=") VALUE
                | NAME "contains" VALUE | NAME "in" "(" VALUE ("," VALUE)* ")"
                | NAME "exists" | NAME "not" "exists"

A NAME is dotted; any segment may be quoted (`Metrics."validation:auc"`, `Tags."cost center"`).
A VALUE is a quoted string ("..." or '...', backslash escapes the quote) or a bare word
without spaces, parentheses, brackets, commas, quotes or comparison characters. `NAME[...]`
is a nested filter: the conditions inside use names relative to NAME and must all hold in one
element of that list. Example:

    Tags.Project = churn and (Metrics."validation:auc" > 0.9 or HyperParameters.eta <= 0.1)
    sort by Metrics."validation:auc" desc
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from lineage.errors import SearchError
from lineage.search.expression import Operator
from lineage.search.properties import split_name

COMPARISONS = {
    "=": Operator.EQUALS,
    "==": Operator.EQUALS,
    "!=": Operator.NOT_EQUALS,
    ">": Operator.GREATER_THAN,
    ">=": Operator.GREATER_THAN_OR_EQUAL_TO,
    "<": Operator.LESS_THAN,
    "<=": Operator.LESS_THAN_OR_EQUAL_TO,
}
_SYMBOLS = {operator: symbol for symbol, operator in COMPARISONS.items() if symbol != "=="}
KEYWORDS = frozenset(
    {
        "and",
        "or",
        "not",
        "contains",
        "in",
        "exists",
        "sort",
        "by",
        "asc",
        "desc",
        "ascending",
        "descending",
    }
)
_SORT_ORDERS = {
    "asc": "Ascending",
    "ascending": "Ascending",
    "desc": "Descending",
    "descending": "Descending",
}

_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
  | (?P<comparison>==|!=|>=|<=|=|>|<)
  | (?P<punct>[()\[\],])
  | (?P<word>[^\s()\[\],=<>!"']+)
    """,
    re.VERBOSE,
)
_BARE_VALUE = re.compile(r"^[^\s()\[\],=<>!\"']+$")
_BARE_SEGMENT = re.compile(r"^[A-Za-z0-9_\-]+$")


class SearchSyntaxError(SearchError):
    """The text form of a search does not parse; `position` is the 0-based offset."""

    def __init__(self, problem: str, text: str, position: int) -> None:
        self.problem = problem
        self.text = text
        self.position = position
        caret = " " * position + "^"
        super().__init__(f"{problem} at column {position + 1}\n  {text}\n  {caret}")


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str
    text: str
    start: int
    end: int

    @property
    def keyword(self) -> str | None:
        lowered = self.text.lower()
        return lowered if self.kind == "word" and lowered in KEYWORDS else None


@dataclass(frozen=True, slots=True)
class ParsedQuery:
    """The request parts the text form sets; `expression` is None when it has no conditions."""

    expression: dict[str, Any] | None
    sort_by: str | None = None
    sort_order: str | None = None

    def to_request(self, resource: str, max_results: int | None = None) -> dict[str, Any]:
        """Return the boto3 `search()` keyword arguments for this query."""
        request: dict[str, Any] = {"Resource": resource}
        if self.expression is not None:
            request["SearchExpression"] = self.expression
        if self.sort_by is not None:
            request["SortBy"] = self.sort_by
        if self.sort_order is not None:
            request["SortOrder"] = self.sort_order
        if max_results is not None:
            request["MaxResults"] = max_results
        return request


def tokenize(text: str) -> list[_Token]:
    """Split the text form into tokens; raise SearchSyntaxError on an unclosed quote."""
    tokens = []
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            problem = "unclosed quote" if text[position] in "\"'" else "unexpected character"
            raise SearchSyntaxError(f"{problem} {text[position]!r}", text, position)
        kind = match.lastgroup or ""
        if kind != "space":
            tokens.append(_Token(kind, match.group(), match.start(), match.end()))
        position = match.end()
    tokens.append(_Token("end", "", len(text), len(text)))
    return tokens


def parse_query(text: str) -> ParsedQuery:
    """Parse the text form into a SearchExpression dict, SortBy and SortOrder."""
    return _Parser(text).parse()


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.index = 0

    # -- token helpers -------------------------------------------------------------------

    @property
    def current(self) -> _Token:
        return self.tokens[self.index]

    def advance(self) -> _Token:
        token = self.tokens[self.index]
        if token.kind != "end":
            self.index += 1
        return token

    def fail(self, problem: str, token: _Token | None = None) -> SearchSyntaxError:
        token = token or self.current
        found = "the end of the text" if token.kind == "end" else repr(token.text)
        return SearchSyntaxError(f"{problem}, found {found}", self.text, token.start)

    def expect_keyword(self, keyword: str) -> None:
        if self.current.keyword != keyword:
            raise self.fail(f"expected {keyword!r}")
        self.advance()

    def expect_punct(self, symbol: str) -> None:
        if self.current.kind != "punct" or self.current.text != symbol:
            raise self.fail(f"expected {symbol!r}")
        self.advance()

    # -- grammar -------------------------------------------------------------------------

    def parse(self) -> ParsedQuery:
        node = None
        if self.current.kind != "end" and self.current.keyword != "sort":
            node = self.parse_or()
        sort_by, sort_order = self.parse_sort()
        if self.current.kind != "end":
            raise self.fail("expected 'and', 'or', 'sort by' or the end of the query")
        expression = _to_expression(node) if node is not None else None
        return ParsedQuery(expression, sort_by, sort_order)

    def parse_sort(self) -> tuple[str | None, str | None]:
        if self.current.keyword != "sort":
            return None, None
        self.advance()
        self.expect_keyword("by")
        sort_by = self.parse_name()
        order = _SORT_ORDERS.get(self.current.keyword or "")
        if order is not None:
            self.advance()
        return sort_by, order

    def parse_or(self) -> tuple[str, Any]:
        children = [self.parse_and()]
        while self.current.keyword == "or":
            self.advance()
            children.append(self.parse_and())
        return _group("Or", children)

    def parse_and(self) -> tuple[str, Any]:
        children = [self.parse_term()]
        while self.current.keyword == "and":
            self.advance()
            children.append(self.parse_term())
        return _group("And", children)

    def parse_term(self) -> tuple[str, Any]:
        if self.current.kind == "punct" and self.current.text == "(":
            self.advance()
            node = self.parse_or()
            self.expect_punct(")")
            return node
        name = self.parse_name()
        if self.current.kind == "punct" and self.current.text == "[":
            return self.parse_nested(name)
        return ("filter", self.parse_condition(name))

    def parse_nested(self, name: str) -> tuple[str, Any]:
        self.advance()
        filters = [self.parse_condition(f"{name}.{self.parse_name()}")]
        while self.current.keyword == "and":
            self.advance()
            filters.append(self.parse_condition(f"{name}.{self.parse_name()}"))
        if self.current.keyword == "or":
            raise self.fail("'or' is not allowed inside a nested filter; use separate filters")
        self.expect_punct("]")
        return ("nested", {"NestedPropertyName": name, "Filters": filters})

    def parse_name(self) -> str:
        token = self.current
        if token.kind not in ("word", "string") or token.keyword is not None:
            raise self.fail("expected a property name")
        segments: list[str] = []
        pending_dot = False
        previous_end = token.start
        while self.current.kind in ("word", "string") and self.current.start == previous_end:
            part = self.advance()
            if part.kind == "string":
                if segments and not pending_dot:
                    raise self.fail("expected '.' between name segments", part)
                segments.append(_unquote(part.text))
                pending_dot = False
            else:
                if ".." in part.text:
                    position = part.start + part.text.index("..") + 1
                    raise SearchSyntaxError(
                        "a property name has an empty segment", self.text, position
                    )
                pieces = part.text.split(".")
                if segments and not pending_dot and pieces[0]:
                    raise self.fail("expected '.' between name segments", part)
                if pieces[0] == "" and segments:
                    pieces = pieces[1:]
                segments.extend(piece for piece in pieces[:-1])
                if pieces[-1]:
                    segments.append(pieces[-1])
                pending_dot = pieces[-1] == ""
            previous_end = part.end
        if pending_dot:
            raise SearchSyntaxError(
                "a property name has an empty segment", self.text, previous_end - 1
            )
        return ".".join(segments)

    def parse_condition(self, name: str) -> dict[str, Any]:
        token = self.current
        if token.kind == "comparison":
            self.advance()
            return {
                "Name": name,
                "Operator": COMPARISONS[token.text].value,
                "Value": self.parse_value(),
            }
        keyword = token.keyword
        if keyword == "contains":
            self.advance()
            return {"Name": name, "Operator": Operator.CONTAINS.value, "Value": self.parse_value()}
        if keyword == "in":
            self.advance()
            return {"Name": name, "Operator": Operator.IN.value, "Value": self.parse_choices()}
        if keyword == "exists":
            self.advance()
            return {"Name": name, "Operator": Operator.EXISTS.value}
        if keyword == "not":
            self.advance()
            if self.current.keyword != "exists":
                raise self.fail("expected 'exists' after 'not' (Search has no other negation)")
            self.advance()
            return {"Name": name, "Operator": Operator.NOT_EXISTS.value}
        raise self.fail(
            f"expected an operator after {name!r} "
            "(=, !=, >, >=, <, <=, contains, in, exists, not exists)"
        )

    def parse_value(self) -> str:
        token = self.current
        if token.kind == "string":
            self.advance()
            return _unquote(token.text)
        if token.kind == "word":
            self.advance()
            return token.text
        raise self.fail("expected a value")

    def parse_choices(self) -> str:
        self.expect_punct("(")
        choices = [self._choice()]
        while self.current.kind == "punct" and self.current.text == ",":
            self.advance()
            choices.append(self._choice())
        self.expect_punct(")")
        return ",".join(choices)

    def _choice(self) -> str:
        token = self.current
        value = self.parse_value()
        if "," in value:
            raise SearchSyntaxError(
                "an 'in' value cannot contain a comma, because Search splits In values on commas",
                self.text,
                token.start,
            )
        return value


def _unquote(text: str) -> str:
    body = text[1:-1]
    return re.sub(r"\\(.)", r"\1", body)


def _group(operator: str, children: list[tuple[str, Any]]) -> tuple[str, Any]:
    if len(children) == 1:
        return children[0]
    flat: list[tuple[str, Any]] = []
    for child in children:
        # `a and (b and c)` is one And: flattening keeps the expression within the API's
        # nesting and element limits for longer.
        if child[0] == operator:
            flat.extend(child[1])
        else:
            flat.append(child)
    return (operator, flat)


def _to_expression(node: tuple[str, Any]) -> dict[str, Any]:
    kind, payload = node
    if kind == "filter":
        return {"Filters": [payload]}
    if kind == "nested":
        return {"NestedFilters": [payload]}

    expression: dict[str, Any] = {}
    filters = [child[1] for child in payload if child[0] == "filter"]
    nested = [child[1] for child in payload if child[0] == "nested"]
    groups = [_to_expression(child) for child in payload if child[0] in ("And", "Or")]
    if filters:
        expression["Filters"] = filters
    if nested:
        expression["NestedFilters"] = nested
    if groups:
        expression["SubExpressions"] = groups
    expression["Operator"] = kind
    return expression


# --- Formatting -----------------------------------------------------------------------------


def format_expression(
    expression: Mapping[str, Any] | None,
    sort_by: str | None = None,
    sort_order: str | None = None,
) -> str:
    """Write a SearchExpression dict in the text form; `parse_query` reads it back."""
    text = _format_group(expression, top=True) if expression else ""
    if sort_by:
        text += (" " if text else "") + f"sort by {format_name(sort_by)}"
        if sort_order:
            text += " asc" if sort_order == "Ascending" else " desc"
    return text


def format_name(name: str) -> str:
    """Write a property name with each segment quoted where it needs quotes."""
    return ".".join(
        segment
        if _BARE_SEGMENT.match(segment) and segment.lower() not in KEYWORDS
        else _quote(segment)
        for segment in split_name(name)
    )


def format_value(value: str) -> str:
    if _BARE_VALUE.match(value) and value.lower() not in KEYWORDS:
        return value
    return _quote(value)


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _format_filter(item: Mapping[str, Any], name: str | None = None) -> str:
    name = format_name(name or item["Name"])
    operator = item.get("Operator") or ("Equals" if item.get("Value") is not None else "Exists")
    value = item.get("Value")
    if operator == Operator.EXISTS.value:
        return f"{name} exists"
    if operator == Operator.NOT_EXISTS.value:
        return f"{name} not exists"
    if operator == Operator.CONTAINS.value:
        return f"{name} contains {format_value(str(value))}"
    if operator == Operator.IN.value:
        choices = [part.strip() for part in str(value).split(",") if part.strip()]
        return f"{name} in (" + ", ".join(format_value(choice) for choice in choices) + ")"
    return f"{name} {_SYMBOLS[Operator(operator)]} {format_value(str(value))}"


def _format_nested(nested: Mapping[str, Any]) -> str:
    prefix = nested["NestedPropertyName"] + "."
    parts = [
        _format_filter(
            item, item["Name"][len(prefix) :] if item["Name"].startswith(prefix) else item["Name"]
        )
        for item in nested["Filters"]
    ]
    return f"{format_name(nested['NestedPropertyName'])}[" + " and ".join(parts) + "]"


def _format_group(expression: Mapping[str, Any], top: bool = False) -> str:
    operator = expression.get("Operator", "And")
    parts = [_format_filter(item) for item in expression.get("Filters") or []]
    parts += [_format_nested(item) for item in expression.get("NestedFilters") or []]
    parts += [_format_group(item) for item in expression.get("SubExpressions") or []]
    joined = f" {operator.lower()} ".join(parts)
    return joined if top or len(parts) == 1 else f"({joined})"
