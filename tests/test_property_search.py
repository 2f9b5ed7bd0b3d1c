"""Property tests of the search text parser and engine: SearchError or a result, nothing else."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lineage.errors import SearchError
from lineage.search import SearchIndex, format_expression, parse_query
from lineage.source import load

WORDS = [
    "and", "or", "not", "exists", "sort", "by", "asc", "desc", "in", "contains", "=", "!=", "<",
    ">", "<=", ">=", "(", ")", ".", '"', "'", ",", "Tags.Project", "Metrics.\"validation:auc\"",
    "HyperParameters.eta", "TrainingJobName", "churn", "0.9", "-1", "1e309", "\\", "\u202e",
    "<script>", "\n", "any", "InputDataConfig.DataSource",
]
OPERATORS = [
    "Equals", "NotEquals", "GreaterThan", "GreaterThanOrEqualTo", "LessThan",
    "LessThanOrEqualTo", "Contains", "Exists", "NotExists", "In", "Bogus", None, 5,
]
NAMES = ["TrainingJobName", "Tags.Project", "Metrics.validation:auc", "HyperParameters.eta",
         "CreationTime", "InputDataConfig.ChannelName", "", "Tags", 7, None]
VALUES = st.one_of(st.none(), st.integers(), st.floats(), st.text(max_size=12),
                   st.sampled_from(["0.9", "2024-06-12", "churn", "a,b", "1e309", "nan"]))
RESOURCES = ["TrainingJob", "Model", "Endpoint", "ModelPackage", "HyperParameterTuningJob",
             "Bogus", None, 3]


@lru_cache(maxsize=1)
def sample_index() -> SearchIndex:
    return SearchIndex(load().result)


@st.composite
def query_text(draw: st.DrawFn) -> str:
    if draw(st.booleans()):
        return draw(st.text(max_size=60))
    return " ".join(draw(st.lists(st.sampled_from(WORDS), max_size=12)))


def filters() -> st.SearchStrategy[Any]:
    filter_dict = st.fixed_dictionaries(
        {},
        optional={"Name": st.sampled_from(NAMES), "Operator": st.sampled_from(OPERATORS),
                  "Value": VALUES},
    )
    return st.one_of(filter_dict, st.none(), st.integers(), st.text(max_size=5))


def expressions() -> st.SearchStrategy[Any]:
    nested = st.fixed_dictionaries(
        {},
        optional={"NestedPropertyName": st.sampled_from(NAMES),
                  "Filters": st.lists(filters(), max_size=3)},
    )
    leaf = st.fixed_dictionaries(
        {},
        optional={"Filters": st.one_of(st.lists(filters(), max_size=4), st.integers()),
                  "NestedFilters": st.lists(nested, max_size=2),
                  "Operator": st.sampled_from(["And", "Or", "Xor", None])},
    )
    return st.recursive(
        leaf,
        lambda children: st.fixed_dictionaries(
            {}, optional={"SubExpressions": st.lists(children, max_size=3),
                          "Filters": st.lists(filters(), max_size=2),
                          "Operator": st.sampled_from(["And", "Or", "Xor"])}),
        max_leaves=6,
    )


@st.composite
def requests(draw: st.DrawFn) -> dict[str, Any]:
    request: dict[str, Any] = {"Resource": draw(st.sampled_from(RESOURCES))}
    if draw(st.booleans()):
        request["SearchExpression"] = draw(st.one_of(expressions(), st.integers(), st.none()))
    if draw(st.booleans()):
        request["SortBy"] = draw(st.sampled_from(NAMES))
    if draw(st.booleans()):
        request["SortOrder"] = draw(st.sampled_from(["Ascending", "Descending", "Up", 1]))
    if draw(st.booleans()):
        request["MaxResults"] = draw(st.one_of(st.integers(-5, 200), st.text(max_size=3)))
    if draw(st.booleans()):
        request["NextToken"] = draw(st.one_of(st.text(max_size=20), st.integers()))
    return request


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(query_text())
def test_parse_query_raises_only_search_error(text: str) -> None:
    try:
        parsed = parse_query(text)
    except SearchError:
        return
    request = parsed.to_request("TrainingJob")
    assert request["Resource"] == "TrainingJob"


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(query_text())
def test_formatted_expression_parses_again(text: str) -> None:
    try:
        request = parse_query(text).to_request("TrainingJob")
    except SearchError:
        return
    expression = request.get("SearchExpression")
    if expression is None:
        return
    again = parse_query(format_expression(expression)).to_request("TrainingJob")
    assert again.get("SearchExpression") == expression


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(requests())
def test_search_raises_only_search_error(request: dict[str, Any]) -> None:
    try:
        response = sample_index().search(request)
    except SearchError:
        return
    assert isinstance(response.get("Results"), list)
