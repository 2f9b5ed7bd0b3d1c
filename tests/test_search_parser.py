"""The text form of search expressions: parse tables, error positions and round trips."""

from __future__ import annotations

import pytest

from lineage.errors import SearchError
from lineage.search import format_expression, parse_query
from lineage.search.parser import SearchSyntaxError


def eq(name, value, operator="Equals"):
    return {"Name": name, "Operator": operator, "Value": value}


PARSES = [
    ("Tags.Project = churn", {"Filters": [eq("Tags.Project", "churn")]}),
    ('Tags.Project = "churn"', {"Filters": [eq("Tags.Project", "churn")]}),
    ("TrainingJobStatus != Failed", {"Filters": [eq("TrainingJobStatus", "Failed", "NotEquals")]}),
    ("Metrics.auc > 0.9", {"Filters": [eq("Metrics.auc", "0.9", "GreaterThan")]}),
    ("Metrics.auc >= 0.9", {"Filters": [eq("Metrics.auc", "0.9", "GreaterThanOrEqualTo")]}),
    ("HyperParameters.eta < 1", {"Filters": [eq("HyperParameters.eta", "1", "LessThan")]}),
    (
        "HyperParameters.eta <= 0.1",
        {"Filters": [eq("HyperParameters.eta", "0.1", "LessThanOrEqualTo")]},
    ),
    ("TrainingJobName == a", {"Filters": [eq("TrainingJobName", "a")]}),
    (
        'Metrics."validation:auc" > 0.9',
        {"Filters": [eq("Metrics.validation:auc", "0.9", "GreaterThan")]},
    ),
    (
        "Metrics.validation:auc > 0.9",
        {"Filters": [eq("Metrics.validation:auc", "0.9", "GreaterThan")]},
    ),
    ('Tags."cost center" = "R&D 1"', {"Filters": [eq("Tags.cost center", "R&D 1")]}),
    ("TrainingJobName contains churn", {"Filters": [eq("TrainingJobName", "churn", "Contains")]}),
    (
        "TrainingJobStatus in (Completed, Stopped)",
        {"Filters": [eq("TrainingJobStatus", "Completed,Stopped", "In")]},
    ),
    (
        'TrainingJobStatus IN ("Completed")',
        {"Filters": [eq("TrainingJobStatus", "Completed", "In")]},
    ),
    ("FailureReason exists", {"Filters": [{"Name": "FailureReason", "Operator": "Exists"}]}),
    ("FailureReason not exists", {"Filters": [{"Name": "FailureReason", "Operator": "NotExists"}]}),
    (
        "CreationTime > 2024-05-01T00:00:00Z",
        {"Filters": [eq("CreationTime", "2024-05-01T00:00:00Z", "GreaterThan")]},
    ),
    (
        "OutputDataConfig.S3OutputPath = s3://example-bucket/out/",
        {"Filters": [eq("OutputDataConfig.S3OutputPath", "s3://example-bucket/out/")]},
    ),
    (r'TrainingJobName = "say \"hi\""', {"Filters": [eq("TrainingJobName", 'say "hi"')]}),
    ("TrainingJobName = 'single'", {"Filters": [eq("TrainingJobName", "single")]}),
    ("a = 1 and b = 2", {"Filters": [eq("a", "1"), eq("b", "2")], "Operator": "And"}),
    (
        "a = 1 AND b = 2 and c = 3",
        {"Filters": [eq("a", "1"), eq("b", "2"), eq("c", "3")], "Operator": "And"},
    ),
    ("a = 1 or b = 2", {"Filters": [eq("a", "1"), eq("b", "2")], "Operator": "Or"}),
    (
        "a = 1 and b = 2 or c = 3",
        {
            "Filters": [eq("c", "3")],
            "SubExpressions": [{"Filters": [eq("a", "1"), eq("b", "2")], "Operator": "And"}],
            "Operator": "Or",
        },
    ),
    (
        "a = 1 and (b = 2 or c = 3)",
        {
            "Filters": [eq("a", "1")],
            "SubExpressions": [{"Filters": [eq("b", "2"), eq("c", "3")], "Operator": "Or"}],
            "Operator": "And",
        },
    ),
    ("(a = 1)", {"Filters": [eq("a", "1")]}),
    (
        "a = 1 and (b = 2 and c = 3)",
        {"Filters": [eq("a", "1"), eq("b", "2"), eq("c", "3")], "Operator": "And"},
    ),
    (
        "InputDataConfig[ChannelName = train and DataSource.S3DataSource.S3Uri contains catdata]",
        {
            "NestedFilters": [
                {
                    "NestedPropertyName": "InputDataConfig",
                    "Filters": [
                        eq("InputDataConfig.ChannelName", "train"),
                        eq("InputDataConfig.DataSource.S3DataSource.S3Uri", "catdata", "Contains"),
                    ],
                }
            ]
        },
    ),
    ("", None),
]


@pytest.mark.parametrize(("text", "expression"), PARSES, ids=[p[0] or "empty" for p in PARSES])
def test_text_parses_to_expression(text, expression):
    assert parse_query(text).expression == expression


def test_brief_example_parses_with_sort():
    parsed = parse_query(
        'Tags.Project = "churn" and (Metrics."validation:auc" > 0.9 or '
        'HyperParameters.eta <= 0.1) sort by Metrics."validation:auc" desc'
    )

    assert parsed.expression == {
        "Filters": [eq("Tags.Project", "churn")],
        "SubExpressions": [
            {
                "Filters": [
                    eq("Metrics.validation:auc", "0.9", "GreaterThan"),
                    eq("HyperParameters.eta", "0.1", "LessThanOrEqualTo"),
                ],
                "Operator": "Or",
            }
        ],
        "Operator": "And",
    }
    assert parsed.sort_by == "Metrics.validation:auc"
    assert parsed.sort_order == "Descending"


@pytest.mark.parametrize(
    ("text", "sort_by", "order"),
    [
        ("sort by CreationTime", "CreationTime", None),
        ("sort by CreationTime asc", "CreationTime", "Ascending"),
        ("a = 1 SORT BY Tags.Project Descending", "Tags.Project", "Descending"),
    ],
)
def test_sort_clause(text, sort_by, order):
    parsed = parse_query(text)

    assert parsed.sort_by == sort_by
    assert parsed.sort_order == order


def test_to_request_builds_boto3_arguments():
    request = parse_query("a = 1 sort by b asc").to_request("TrainingJob", max_results=5)

    assert request == {
        "Resource": "TrainingJob",
        "SearchExpression": {"Filters": [eq("a", "1")]},
        "SortBy": "b",
        "SortOrder": "Ascending",
        "MaxResults": 5,
    }


ERRORS = [
    ("Tags.Project churn", 13, "expected an operator after 'Tags.Project'"),
    ("a = ", 4, "expected a value"),
    ("(a = 1", 6, "expected '\\)'"),
    ('a = "x', 4, "unclosed quote"),
    ("a = 1 b = 2", 6, "expected 'and', 'or', 'sort by'"),
    ("a = 1 and", 9, "expected a property name"),
    ("a ! 1", 2, "unexpected character '!'"),
    ("sort CreationTime", 5, "expected 'by'"),
    ("a not in (b)", 6, "expected 'exists' after 'not'"),
    ('x in (a, "b,c")', 9, "cannot contain a comma"),
    ("a in b", 5, "expected '\\('"),
    ("Metrics..auc > 1", 8, "empty segment"),
    ("Metrics. > 1", 7, "empty segment"),
    ("L[ChannelName = a or DataType = b]", 18, "'or' is not allowed inside a nested filter"),
    ("and = 1", 0, "expected a property name"),
    ("a = 1)", 5, "expected 'and', 'or'"),
]


@pytest.mark.parametrize(("text", "position", "message"), ERRORS, ids=[e[0] for e in ERRORS])
def test_syntax_error_reports_position(text, position, message):
    with pytest.raises(SearchSyntaxError, match=message) as caught:
        parse_query(text)

    assert caught.value.position == position
    assert f"at column {position + 1}" in str(caught.value)
    lines = str(caught.value).splitlines()
    assert lines[-1].index("^") - 2 == position
    assert isinstance(caught.value, SearchError)


@pytest.mark.parametrize(
    "text",
    [p[0] for p in PARSES if p[0]]
    + [
        'Tags.Project = "churn" and (Metrics."validation:auc" > 0.9 or HyperParameters.eta <= 0.1)'
        ' sort by Metrics."validation:auc" desc',
        'TrainingJobName = "and"',
        'Tags."a.b" exists',
    ],
)
def test_format_round_trips(text):
    parsed = parse_query(text)
    written = format_expression(parsed.expression, parsed.sort_by, parsed.sort_order)

    assert parse_query(written) == parsed
