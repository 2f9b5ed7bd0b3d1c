"""Search semantics over a fixed set of crawled training jobs: filters, sorting, paging, errors."""

from __future__ import annotations

from typing import Any

import pytest

from lineage.errors import SearchError
from lineage.search import SearchIndex, search
from lineage.search.engine import values_match
from lineage.search.expression import compile_expression
from lineage.search.properties import raw_values, typed_values
from tests.conftest import load_case
from tests.search_records import NAMES, training_jobs

ALL = set(NAMES)
C21 = {"raw-api-job", "sdk-job"}
C22 = {"job-mixed", "job-cat"}
TAGGED = "Churn-XGB-0503"


def f(name: str, operator: str | None = None, value: str | None = None) -> dict[str, Any]:
    item: dict[str, Any] = {"Name": name}
    if operator is not None:
        item["Operator"] = operator
    if value is not None:
        item["Value"] = value
    return item


def only(*filters: dict[str, Any]) -> dict[str, Any]:
    return {"Filters": list(filters)}


AUC = "Metrics.validation:auc"
S3URI = "InputDataConfig.DataSource.S3DataSource.S3Uri"
CHANNEL = "InputDataConfig.ChannelName"

# (id, SearchExpression, expected job names). Expected sets follow the documented semantics
# in lineage.search: any-value matching over lists, NotEquals matching records without the
# property, numeric hyperparameters with integer truncation, missing values never in range.
CASES: list[tuple[str, dict[str, Any], set[str]]] = [
    # text
    (
        "status-equals",
        only(f("TrainingJobStatus", "Equals", "Completed")),
        C21 | {"job-mixed", "churn-a", "churn-b", "untagged-job"},
    ),
    (
        "status-not-equals-includes-missing",
        only(f("TrainingJobStatus", "NotEquals", "Completed")),
        {"job-cat", TAGGED, "fraud-lgbm"},
    ),
    (
        "status-in",
        only(f("TrainingJobStatus", "In", "Completed,Stopped")),
        ALL - {TAGGED, "fraud-lgbm"},
    ),
    (
        "status-in-trims-spaces",
        only(f("TrainingJobStatus", "In", "Completed, Stopped")),
        ALL - {TAGGED, "fraud-lgbm"},
    ),
    (
        "status-in-padded",
        only(f("TrainingJobStatus", "In", " Failed ,Stopped ")),
        {"job-cat", "fraud-lgbm"},
    ),
    ("status-contains", only(f("TrainingJobStatus", "Contains", "op")), {"job-cat"}),
    ("status-exists", only(f("TrainingJobStatus", "Exists")), ALL - {TAGGED}),
    ("status-not-exists", only(f("TrainingJobStatus", "NotExists")), {TAGGED}),
    ("no-operator-no-value-is-exists", only(f("FailureReason")), {"fraud-lgbm"}),
    (
        "value-without-operator-is-equals",
        only(f("TrainingJobStatus", value="Stopped")),
        {"job-cat"},
    ),
    ("name-equals", only(f("TrainingJobName", "Equals", "churn-a")), {"churn-a"}),
    ("name-equals-is-case-sensitive", only(f("TrainingJobName", "Equals", "CHURN-A")), set()),
    (
        "name-contains-is-case-sensitive",
        only(f("TrainingJobName", "Contains", "churn")),
        {"churn-a", "churn-b"},
    ),
    ("name-contains-upper", only(f("TrainingJobName", "Contains", "XGB")), {TAGGED}),
    (
        "name-in-with-unknown",
        only(f("TrainingJobName", "In", "churn-a,fraud-lgbm,nope")),
        {"churn-a", "fraud-lgbm"},
    ),
    (
        "arn-contains",
        only(f("TrainingJobArn", "Contains", "training-job/untagged")),
        {"untagged-job"},
    ),
    # tags
    ("tag-equals", only(f("Tags.Project", "Equals", "churn")), {TAGGED, "churn-a", "churn-b"}),
    (
        "tag-not-equals",
        only(f("Tags.Project", "NotEquals", "churn")),
        ALL - {TAGGED, "churn-a", "churn-b"},
    ),
    ("tag-exists", only(f("Tags.Project", "Exists")), {TAGGED, "churn-a", "churn-b", "fraud-lgbm"}),
    ("tag-not-exists", only(f("Tags.Project", "NotExists")), C21 | C22 | {"untagged-job"}),
    ("tag-in", only(f("Tags.Team", "In", "ml,risk")), {"churn-a", "fraud-lgbm"}),
    ("tag-contains", only(f("Tags.Owner", "Contains", "team")), {TAGGED}),
    ("tag-value-case-sensitive", only(f("Tags.Project", "Equals", "Churn")), set()),
    (
        "tags-exists-ignores-empty-list",
        only(f("Tags", "Exists")),
        {TAGGED, "churn-a", "churn-b", "fraud-lgbm"},
    ),
    (
        "tags-not-exists-includes-empty-list",
        only(f("Tags", "NotExists")),
        C21 | C22 | {"untagged-job"},
    ),
    # hyperparameters
    (
        "hp-less-than-decimal",
        only(f("HyperParameters.eta", "LessThan", "0.15")),
        {"sdk-job", "churn-a"},
    ),
    (
        "hp-greater-than-decodes-quotes",
        only(f("HyperParameters.eta", "GreaterThan", "0.15")),
        {"raw-api-job", "churn-b", "fraud-lgbm"},
    ),
    ("hp-equals-quoted-value", only(f("HyperParameters.eta", "Equals", "0.3")), {"churn-b"}),
    ("hp-equals-numeric-spelling", only(f("HyperParameters.eta", "Equals", "0.30")), {"churn-b"}),
    (
        "hp-integer-value-truncates-equals",
        only(f("HyperParameters.eta", "Equals", "0")),
        {"raw-api-job", "sdk-job", "churn-a", "churn-b"},
    ),
    (
        "hp-integer-value-truncates-greater",
        only(f("HyperParameters.eta", "GreaterThan", "0")),
        {"fraud-lgbm"},
    ),
    (
        "hp-integer-greater-or-equal",
        only(f("HyperParameters.eta", "GreaterThanOrEqualTo", "1")),
        {"fraud-lgbm"},
    ),
    (
        "hp-integer-less-than",
        only(f("HyperParameters.eta", "LessThan", "1")),
        {"raw-api-job", "sdk-job", "churn-a", "churn-b"},
    ),
    (
        "hp-decimal-zero-compares-decimals",
        only(f("HyperParameters.eta", "GreaterThan", "0.0")),
        {"raw-api-job", "sdk-job", "churn-a", "churn-b", "fraud-lgbm"},
    ),
    (
        "hp-at-least",
        only(f("HyperParameters.max_depth", "GreaterThanOrEqualTo", "8")),
        {"sdk-job", "churn-b"},
    ),
    (
        "hp-at-most",
        only(f("HyperParameters.max_depth", "LessThanOrEqualTo", "6")),
        {"raw-api-job", "churn-a"},
    ),
    (
        "hp-not-equals",
        only(f("HyperParameters.max_depth", "NotEquals", "6")),
        ALL - {"raw-api-job", "churn-a"},
    ),
    (
        "hp-text-equals-decoded",
        only(f("HyperParameters.objective", "Equals", "binary:logistic")),
        C21,
    ),
    ("hp-list-text-equals-decoded", only(f("HyperParameters.layers", "Equals", "[64, 128]")), C21),
    ("hp-contains", only(f("HyperParameters.objective", "Contains", "logistic")), C21),
    ("hp-in", only(f("HyperParameters.objective", "In", "binary:logistic,reg:squarederror")), C21),
    (
        "hp-framework-key-exists",
        only(f("HyperParameters.sagemaker_program", "Exists")),
        {"sdk-job"},
    ),
    (
        "hp-in-numbers-as-text",
        only(f("HyperParameters.num_round", "In", "100,200")),
        {"churn-a", "churn-b"},
    ),
    (
        "hp-map-exists-ignores-empty-map",
        only(f("HyperParameters", "Exists")),
        C21 | {"churn-a", "churn-b", "fraud-lgbm"},
    ),
    ("hp-map-not-exists", only(f("HyperParameters", "NotExists")), C22 | {TAGGED, "untagged-job"}),
    # metrics
    ("metric-greater", only(f(AUC, "GreaterThan", "0.9")), {"churn-a", "fraud-lgbm"}),
    (
        "metric-at-least",
        only(f(AUC, "GreaterThanOrEqualTo", "0.88")),
        {"churn-a", "churn-b", "fraud-lgbm"},
    ),
    ("metric-less", only(f(AUC, "LessThan", "0.9")), {"churn-b"}),
    ("metric-equals", only(f(AUC, "Equals", "0.95")), {"fraud-lgbm"}),
    ("metric-exists", only(f("Metrics.train:auc", "Exists")), {"churn-a"}),
    ("metric-not-exists", only(f(AUC, "NotExists")), C21 | C22 | {TAGGED, "untagged-job"}),
    # numbers
    ("number-greater", only(f("ResourceConfig.InstanceCount", "GreaterThan", "1")), {"churn-b"}),
    (
        "number-equals",
        only(f("ResourceConfig.InstanceCount", "Equals", "1")),
        {"churn-a", "fraud-lgbm"},
    ),
    ("number-at-most", only(f("TrainingTimeInSeconds", "LessThanOrEqualTo", "3600")), {"churn-a"}),
    (
        "nested-text-field",
        only(f("ResourceConfig.InstanceType", "Equals", "ml.p3.2xlarge")),
        {"fraud-lgbm"},
    ),
    # timestamps
    (
        "time-after",
        only(f("CreationTime", "GreaterThan", "2024-05-02T00:00:00")),
        {"churn-b", "fraud-lgbm"},
    ),
    ("time-before-date-only", only(f("CreationTime", "LessThan", "2024-05-01")), {"untagged-job"}),
    (
        "time-at-or-after-with-zone",
        only(f("CreationTime", "GreaterThanOrEqualTo", "2024-05-01T10:00:00Z")),
        {"churn-a", "churn-b", "fraud-lgbm"},
    ),
    (
        "time-before-epoch-seconds",
        only(f("LastModifiedTime", "LessThan", "1714608000")),
        {"churn-a", "untagged-job"},
    ),
    (
        "time-equals-offset",
        only(f("CreationTime", "Equals", "2024-05-01T12:00:00+02:00")),
        {"churn-a"},
    ),
    # Booleans
    ("bool-true", only(f("EnableManagedSpotTraining", "Equals", "true")), {"churn-b"}),
    ("bool-not-true", only(f("EnableManagedSpotTraining", "NotEquals", "true")), ALL - {"churn-b"}),
    (
        "bool-false-any-case",
        only(f("EnableManagedSpotTraining", "Equals", "FALSE")),
        {"churn-a", "fraud-lgbm"},
    ),
    # paths through lists
    ("list-any-element-contains", only(f(S3URI, "Contains", "catdata")), C22),
    ("list-any-element-equals", only(f(CHANNEL, "Equals", "validation")), {"job-mixed", "churn-a"}),
    (
        "list-data-type",
        only(f("InputDataConfig.DataSource.S3DataSource.S3DataType", "Equals", "ManifestFile")),
        {"fraud-lgbm"},
    ),
    (
        "list-exists",
        only(f("InputDataConfig", "Exists")),
        C22 | {"churn-a", "churn-b", "fraud-lgbm"},
    ),
    # nested filters: all conditions inside one element
    (
        "nested-same-channel",
        {
            "NestedFilters": [
                {
                    "NestedPropertyName": "InputDataConfig",
                    "Filters": [f(CHANNEL, "Equals", "train"), f(S3URI, "Contains", "catdata")],
                }
            ]
        },
        {"job-cat"},
    ),
    (
        "flat-filters-any-channel",
        only(f(CHANNEL, "Equals", "train"), f(S3URI, "Contains", "catdata")),
        C22,
    ),
    (
        "nested-validation-channel",
        {
            "NestedFilters": [
                {
                    "NestedPropertyName": "InputDataConfig",
                    "Filters": [f(CHANNEL, "Equals", "validation"), f(S3URI, "Contains", "churn")],
                }
            ]
        },
        {"churn-a"},
    ),
    (
        "nested-not-equals",
        {
            "NestedFilters": [
                {
                    "NestedPropertyName": "InputDataConfig",
                    "Filters": [
                        f(CHANNEL, "NotEquals", "train"),
                        f(S3URI, "Contains", "example-bucket"),
                    ],
                }
            ]
        },
        {"job-mixed", "churn-a"},
    ),
    # combinations
    (
        "or-filters",
        {
            "Filters": [
                f("Tags.Project", "Equals", "fraud"),
                f("HyperParameters.eta", "LessThan", "0.1"),
            ],
            "Operator": "Or",
        },
        {"fraud-lgbm", "churn-a"},
    ),
    (
        "and-with-or-subexpression",
        {
            "Filters": [f("Tags.Project", "Equals", "churn")],
            "SubExpressions": [
                {
                    "Filters": [
                        f(AUC, "GreaterThan", "0.9"),
                        f("HyperParameters.eta", "LessThanOrEqualTo", "0.1"),
                    ],
                    "Operator": "Or",
                }
            ],
        },
        {"churn-a"},
    ),
    (
        "or-with-and-subexpression",
        {
            "Filters": [f("TrainingJobStatus", "Equals", "Stopped")],
            "SubExpressions": [
                {"Filters": [f("Tags.Team", "Equals", "risk"), f(AUC, "GreaterThan", "0.9")]}
            ],
            "Operator": "Or",
        },
        {"job-cat", "fraud-lgbm"},
    ),
    (
        "subexpressions-default-and",
        {
            "SubExpressions": [
                only(f("TrainingJobStatus", "Equals", "Completed")),
                only(f("Tags.Project", "Exists")),
            ]
        },
        {"churn-a", "churn-b"},
    ),
    (
        "or-nested-and-filter",
        {
            "Filters": [f("Tags.Project", "Equals", "fraud")],
            "NestedFilters": [
                {
                    "NestedPropertyName": "InputDataConfig",
                    "Filters": [f(CHANNEL, "Equals", "train"), f(S3URI, "Contains", "catdata")],
                }
            ],
            "Operator": "Or",
        },
        {"job-cat", "fraud-lgbm"},
    ),
    (
        "three-levels",
        {
            "SubExpressions": [
                {
                    "SubExpressions": [
                        only(f("HyperParameters.max_depth", "GreaterThan", "7")),
                        only(f(AUC, "LessThan", "0.9")),
                    ],
                    "Operator": "Or",
                }
            ],
            "Filters": [f("TrainingJobStatus", "Equals", "Completed")],
        },
        {"sdk-job", "churn-b"},
    ),
]


@pytest.fixture(scope="module")
def index() -> SearchIndex:
    return SearchIndex({"TrainingJob": training_jobs()})


def names(response: dict[str, Any]) -> list[str]:
    return [item["TrainingJob"]["TrainingJobName"] for item in response["Results"]]


def test_case_table_is_large_enough():
    assert len(CASES) >= 60
    assert len({case_id for case_id, _, _ in CASES}) == len(CASES)


@pytest.mark.parametrize(
    ("expression", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_search_expression_matches(index, expression, expected):
    response = index.search(
        {"Resource": "TrainingJob", "SearchExpression": expression, "MaxResults": 100}
    )

    assert set(names(response)) == expected
    assert response["TotalHits"] == {"Value": len(expected), "Relation": "EqualTo"}
    assert "NextToken" not in response


FLAT_CASES = [c for c in CASES if list(c[1]) == ["Filters"] and len(c[1]["Filters"]) == 1]


@pytest.mark.parametrize(
    ("expression", "expected"), [c[1:] for c in FLAT_CASES], ids=[c[0] for c in FLAT_CASES]
)
def test_unindexed_evaluation_agrees(index, expression, expected):
    compiled = compile_expression("TrainingJob", expression, index)
    condition = compiled.conditions[0]
    matched = set()
    for record in training_jobs():
        values = typed_values(raw_values("TrainingJob", record, condition.segments), condition.kind)
        if values_match(condition, values):
            matched.add(record["TrainingJobName"])

    assert matched == expected


def test_results_drop_crawl_metadata(index):
    response = index.search({"Resource": "TrainingJob", "MaxResults": 100})

    assert all("_lineage" not in item["TrainingJob"] for item in response["Results"])
    assert len(response["Results"]) == len(NAMES)


def test_search_accepts_crawl_result():
    from lineage.crawl.result import CrawlResult, RecordKind

    result = CrawlResult()
    for record in training_jobs():
        result.add(RecordKind.TRAINING_JOB, record)
    response = search(
        result,
        {"Resource": "TrainingJob", "SearchExpression": only(f("Tags.Project", "Equals", "fraud"))},
    )

    assert names(response) == ["fraud-lgbm"]


# --- sorting -----------------------------------------------------------------------------


def test_default_sort_is_last_modified_descending_missing_last(index):
    response = index.search({"Resource": "TrainingJob", "MaxResults": 100})

    assert names(response) == [
        "fraud-lgbm",
        "churn-b",
        "churn-a",
        "untagged-job",
        "raw-api-job",
        "sdk-job",
        "job-mixed",
        "job-cat",
        TAGGED,
    ]


def test_sort_by_metric_ascending_keeps_missing_last(index):
    response = index.search(
        {"Resource": "TrainingJob", "SortBy": AUC, "SortOrder": "Ascending", "MaxResults": 100}
    )

    assert names(response)[:3] == ["churn-b", "churn-a", "fraud-lgbm"]
    assert len(names(response)) == len(NAMES)


def test_sort_by_metric_descending_keeps_missing_last(index):
    response = index.search({"Resource": "TrainingJob", "SortBy": AUC, "MaxResults": 100})

    assert names(response)[:3] == ["fraud-lgbm", "churn-a", "churn-b"]
    assert names(response)[3:] == [
        n for n in NAMES if n not in {"fraud-lgbm", "churn-a", "churn-b"}
    ]


def test_sort_by_hyperparameter_is_numeric(index):
    response = index.search(
        {
            "Resource": "TrainingJob",
            "SortBy": "HyperParameters.max_depth",
            "SortOrder": "Ascending",
            "MaxResults": 100,
            "SearchExpression": only(f("HyperParameters.max_depth", "Exists")),
        }
    )

    # "10" sorts after "8" as a number; as text it would come first.
    assert names(response) == ["raw-api-job", "churn-a", "sdk-job", "churn-b"]


def test_sort_by_tag_text(index):
    response = index.search(
        {
            "Resource": "TrainingJob",
            "SortBy": "Tags.Project",
            "SortOrder": "Ascending",
            "MaxResults": 4,
            "SearchExpression": only(f("Tags.Project", "Exists")),
        }
    )

    assert names(response) == [TAGGED, "churn-a", "churn-b", "fraud-lgbm"]


def test_sort_by_list_property_uses_min_or_max(index):
    request = {
        "Resource": "TrainingJob",
        "SortBy": CHANNEL,
        "MaxResults": 100,
        "SearchExpression": only(f("InputDataConfig", "Exists")),
    }

    descending = names(index.search(request))
    ascending = names(index.search({**request, "SortOrder": "Ascending"}))

    # Descending sorts by each job's largest channel name ("validation" beats "train");
    # ascending by its smallest, where every job has "train", so crawl order decides.
    assert descending == ["job-mixed", "churn-a", "job-cat", "churn-b", "fraud-lgbm"]
    assert ascending == ["job-mixed", "job-cat", "churn-a", "churn-b", "fraud-lgbm"]


# --- paging ------------------------------------------------------------------------------


def test_pages_cover_all_results_once(index):
    request = {
        "Resource": "TrainingJob",
        "SortBy": "TrainingJobName",
        "SortOrder": "Ascending",
        "MaxResults": 4,
    }
    seen: list[str] = []
    pages = 0
    token = None
    while True:
        response = index.search({**request, **({"NextToken": token} if token else {})})
        seen.extend(names(response))
        pages += 1
        token = response.get("NextToken")
        if token is None:
            break

    assert pages == 3
    assert seen == sorted(NAMES)
    assert response["TotalHits"]["Value"] == len(NAMES)


def test_default_page_size_is_ten(index):
    response = index.search({"Resource": "TrainingJob"})

    assert len(response["Results"]) == len(NAMES)
    assert "NextToken" not in response


def test_token_from_other_query_is_rejected(index):
    first = index.search({"Resource": "TrainingJob", "MaxResults": 2})

    with pytest.raises(SearchError, match="belongs to a different search"):
        index.search(
            {
                "Resource": "TrainingJob",
                "MaxResults": 2,
                "SortBy": "TrainingJobName",
                "NextToken": first["NextToken"],
            }
        )


def test_token_may_change_page_size(index):
    first = index.search({"Resource": "TrainingJob", "MaxResults": 2})
    rest = index.search(
        {"Resource": "TrainingJob", "MaxResults": 100, "NextToken": first["NextToken"]}
    )

    assert names(first) + names(rest) == names(
        index.search({"Resource": "TrainingJob", "MaxResults": 100})
    )


@pytest.mark.parametrize("token", ["garbage", "eyJ2IjogMX0=", ""])
def test_forged_token_is_rejected(index, token):
    with pytest.raises(SearchError, match="not a token this search issued"):
        index.search({"Resource": "TrainingJob", "NextToken": token})


# --- invalid requests --------------------------------------------------------------------

TOO_MANY_FILTERS = only(*[f("TrainingJobName", "Equals", str(i)) for i in range(21)])
DEEP = only(f("TrainingJobName", "Exists"))
for _ in range(60):
    DEEP = {"SubExpressions": [DEEP]}

ERRORS: list[tuple[str, dict[str, Any], str]] = [
    (
        "greater-than-on-text",
        {"SearchExpression": only(f("TrainingJobName", "GreaterThan", "job-b"))},
        r"operator not supported for text property.*Filters\[0\].*valid operators for text "
        r"properties: Equals, NotEquals, Contains, In, Exists, NotExists",
    ),
    (
        "contains-on-number",
        {"SearchExpression": only(f("ResourceConfig.InstanceCount", "Contains", "1"))},
        "operator not supported for numeric property.*GreaterThanOrEqualTo",
    ),
    (
        "in-on-timestamp",
        {"SearchExpression": only(f("CreationTime", "In", "a,b"))},
        "operator not supported for timestamp property",
    ),
    (
        "less-than-on-boolean",
        {"SearchExpression": only(f("EnableManagedSpotTraining", "LessThan", "true"))},
        "operator not supported for Boolean property.*Equals, NotEquals, Exists, NotExists",
    ),
    (
        "equals-on-structure",
        {"SearchExpression": only(f("ResourceConfig", "Equals", "x"))},
        "operator not supported for composite property.*Exists, NotExists",
    ),
    (
        "unknown-operator",
        {"SearchExpression": only(f("TrainingJobName", "Like", "x"))},
        "Operator 'Like' is invalid; valid operators: Equals, NotEquals",
    ),
    (
        "unknown-property",
        {"SearchExpression": only(f("TrainingJobNme", "Equals", "x"))},
        "unknown property name 'TrainingJobNme'.*did you mean TrainingJobName",
    ),
    (
        "not-a-number",
        {"SearchExpression": only(f(AUC, "GreaterThan", "high"))},
        "'high' is not a valid numeric value",
    ),
    (
        "hyperparameter-range-needs-number",
        {"SearchExpression": only(f("HyperParameters.eta", "LessThan", "small"))},
        "LessThan on a hyperparameter needs a number",
    ),
    (
        "bad-timestamp",
        {"SearchExpression": only(f("CreationTime", "GreaterThan", "May 1st"))},
        "not a valid timestamp value; give an ISO 8601",
    ),
    (
        "bad-boolean",
        {"SearchExpression": only(f("EnableManagedSpotTraining", "Equals", "yes"))},
        "give true or false",
    ),
    (
        "missing-value",
        {"SearchExpression": only(f("TrainingJobName", "Equals"))},
        "uses Equals but has no Value",
    ),
    (
        "value-not-string",
        {"SearchExpression": only({"Name": AUC, "Operator": "GreaterThan", "Value": 0.9})},
        "Value must be a string",
    ),
    (
        "value-too-long",
        {"SearchExpression": only(f("TrainingJobName", "Equals", "x" * 1025))},
        "1 to 1024 characters",
    ),
    ("empty-expression", {"SearchExpression": {}}, "SearchExpression is empty"),
    ("empty-filter-list", {"SearchExpression": {"Filters": []}}, "empty list"),
    ("too-many-filters", {"SearchExpression": TOO_MANY_FILTERS}, "has 21 items.*at most 20"),
    ("too-many-elements", {"SearchExpression": DEEP}, "more than 50 Filters"),
    (
        "two-contains",
        {
            "SearchExpression": {
                "Filters": [f("TrainingJobName", "Contains", "a")],
                "SubExpressions": [only(f("TrainingJobStatus", "Contains", "b"))],
            }
        },
        "'CONTAINS' operator usage limit of 1 exceeded",
    ),
    (
        "bad-boolean-operator",
        {"SearchExpression": {"Filters": [f("TrainingJobName", "Exists")], "Operator": "Xor"}},
        "Operator 'Xor' is invalid; valid values: And, Or",
    ),
    (
        "unknown-expression-key",
        {"SearchExpression": {"Filter": []}},
        "unknown key 'Filter'; valid keys: Filters",
    ),
    (
        "nested-on-text",
        {
            "SearchExpression": {
                "NestedFilters": [
                    {
                        "NestedPropertyName": "TrainingJobName",
                        "Filters": [f("TrainingJobName", "Exists")],
                    }
                ]
            }
        },
        "nested filters need a list property",
    ),
    (
        "nested-name-outside",
        {
            "SearchExpression": {
                "NestedFilters": [
                    {
                        "NestedPropertyName": "InputDataConfig",
                        "Filters": [f("TrainingJobName", "Exists")],
                    }
                ]
            }
        },
        "is not inside the nested property 'InputDataConfig'",
    ),
    (
        "nested-without-filters",
        {"SearchExpression": {"NestedFilters": [{"NestedPropertyName": "InputDataConfig"}]}},
        r"NestedFilters\[0\]\.Filters is missing",
    ),
    (
        "in-only-commas",
        {"SearchExpression": only(f("TrainingJobStatus", "In", " , "))},
        "In with no values",
    ),
    ("max-results-zero", {"MaxResults": 0}, "MaxResults 0 is out of range; give 1 to 100"),
    ("max-results-too-big", {"MaxResults": 101}, "out of range"),
    ("max-results-text", {"MaxResults": "10"}, "MaxResults must be an integer"),
    ("bad-sort-order", {"SortOrder": "Up"}, "SortOrder 'Up' is invalid"),
    ("unknown-sort-by", {"SortBy": "Metricz.auc"}, "SortBy: unknown property name"),
    ("sort-by-structure", {"SortBy": "ResourceConfig"}, "sort by one of its fields"),
    ("unknown-parameter", {"Filters": []}, "unsupported search parameter 'Filters'"),
    ("cross-account", {"CrossAccountFilterOption": "CrossAccount"}, "not supported"),
]


@pytest.mark.parametrize(
    ("request_part", "message"), [e[1:] for e in ERRORS], ids=[e[0] for e in ERRORS]
)
def test_invalid_request_raises(index, request_part, message):
    with pytest.raises(SearchError, match=message):
        index.search({"Resource": "TrainingJob", **request_part})


def test_unsupported_resource_lists_valid_ones(index):
    with pytest.raises(SearchError, match="Resource 'Experiment'.*TrainingJob, Model"):
        index.search({"Resource": "Experiment"})


def test_missing_resource_is_rejected(index):
    with pytest.raises(SearchError, match="Resource is missing"):
        index.search({})


# --- the real-world cases ----------------------------------------------------------------


def _case_index(case: str) -> SearchIndex:
    entries = load_case(case)["responses"]["describe_training_job"]["by_args"]
    return SearchIndex({"TrainingJob": [entry["response"] for entry in entries]})


@pytest.mark.parametrize(
    "query",
    load_case("C22")["query_cases"],
    ids=["nested", "in", "greater-than-text", "exists-default"],
)
def test_nested_filter_case_queries(query):
    index = _case_index("C22")
    request = {"Resource": "TrainingJob", "SearchExpression": query["search"]}

    if "expect_error" in query:
        with pytest.raises(SearchError, match=query["expect_error"]):
            index.search(request)
        return
    assert sorted(names(index.search(request))) == sorted(query["expect"])


@pytest.mark.parametrize(
    "query",
    [q for q in load_case("C21")["query_cases"] if "filter" in q],
    ids=["eta-less-than", "objective-decoded"],
)
def test_encoded_hyperparameter_case_queries(query):
    index = _case_index("C21")
    response = index.search(
        {"Resource": "TrainingJob", "SearchExpression": {"Filters": [query["filter"]]}}
    )

    assert sorted(names(response)) == sorted(query["expect"])


def test_tag_filter_case_query():
    case = load_case("C24")
    records = [item["TrainingJob"] for item in case["responses"]["search"]["Results"]]
    query = case["query_cases"][0]
    response = search(
        {"TrainingJob": records},
        {"Resource": "TrainingJob", "SearchExpression": {"Filters": [query["filter"]]}},
    )

    assert names(response) == query["expect"]


# --- other resources ----------------------------------------------------------------------


def test_model_from_describe_is_wrapped_like_search():
    described = {
        "ModelName": "churn-model",
        "CreationTime": "2024-05-01T00:00:00Z",
        "PrimaryContainer": {"Image": "img:1"},
        "Tags": [{"Key": "Project", "Value": "churn"}],
    }
    index = SearchIndex({"Model": [described]})

    by_name = index.search(
        {
            "Resource": "Model",
            "SearchExpression": only(f("Model.ModelName", "Equals", "churn-model")),
        }
    )
    by_tag = index.search(
        {"Resource": "Model", "SearchExpression": only(f("Tags.Project", "Equals", "churn"))}
    )

    assert by_name["Results"] == [{"Model": {"Model": described}}]
    assert by_tag["TotalHits"]["Value"] == 1


def test_model_package_version_is_numeric():
    packages = [
        {
            "ModelPackageName": "p",
            "ModelPackageVersion": version,
            "ModelPackageGroupName": "churn",
            "ModelApprovalStatus": status,
        }
        for version, status in [(1, "Rejected"), (2, "Approved"), (3, "Approved")]
    ]
    index = SearchIndex({"ModelPackage": packages})

    response = index.search(
        {
            "Resource": "ModelPackage",
            "SearchExpression": only(
                f("ModelPackageVersion", "GreaterThanOrEqualTo", "2"),
                f("ModelApprovalStatus", "Equals", "Approved"),
            ),
        }
    )

    assert [r["ModelPackage"]["ModelPackageVersion"] for r in response["Results"]] == [2, 3]
