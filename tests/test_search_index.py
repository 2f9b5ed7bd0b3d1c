"""Indexes behind search: element columns for nested filters and the one-pass build.

Each test compares an indexed path with the plain evaluation on the same records: nested
filters with `element_matches` on every element, and columns built by `SearchIndex.build()`
with columns built lazily through `raw_values`.
"""

from __future__ import annotations

import random
from typing import Any

import pytest

from lineage.search import SearchIndex
from lineage.search.engine import element_matches
from lineage.search.expression import compile_expression
from lineage.search.properties import flatten_values, path_values, raw_values, split_name
from lineage.search.suggest import collect_property_names
from tests.search_records import training_jobs
from tests.test_search_engine import CASES

NESTED = "InputDataConfig"
CHANNELS = ["train", "validation", "test", "Train"]
URIS = ["s3://a/p01/train/", "s3://a/p02/", "s3://b/p01/x", "s3://b/cat/"]
DATA_TYPES = ["S3Prefix", "ManifestFile", "AugmentedManifestFile"]

# (name relative to the element, operators, values to draw from)
ELEMENT_FILTERS: list[tuple[str, list[str], list[str | None]]] = [
    ("ChannelName", ["Equals", "NotEquals", "In", "Exists", "NotExists", "Contains"],
     ["train", "validation", "Train", "train,test", "rain"]),
    ("DataSource.S3DataSource.S3Uri", ["Equals", "NotEquals", "Contains", "Exists", "NotExists"],
     ["s3://a/p01/train/", "/p01/", "cat", "s3://b/"]),
    ("DataSource.S3DataSource.S3DataType", ["Equals", "NotEquals", "In"],
     ["S3Prefix", "ManifestFile,AugmentedManifestFile"]),
    ("ContentType", ["Exists", "NotExists", "Equals"], ["text/csv"]),
]


def random_element(rng: random.Random) -> Any:
    if rng.random() < 0.05:
        return rng.choice([None, {}, "not-a-channel"])
    element: dict[str, Any] = {}
    if rng.random() < 0.9:
        element["ChannelName"] = rng.choice(CHANNELS)
    if rng.random() < 0.85:
        source: dict[str, Any] = {"S3Uri": rng.choice(URIS)}
        if rng.random() < 0.7:
            source["S3DataType"] = rng.choice(DATA_TYPES)
        element["DataSource"] = {"S3DataSource": source}
    if rng.random() < 0.3:
        element["ContentType"] = rng.choice(["text/csv", None, ""])
    return element


def random_jobs(rng: random.Random, count: int) -> list[dict[str, Any]]:
    jobs = []
    for number in range(count):
        job: dict[str, Any] = {"TrainingJobName": f"job-{number:03d}"}
        shape = rng.random()
        if shape < 0.1:
            job[NESTED] = []
        elif shape < 0.15:
            job[NESTED] = None
        elif shape < 0.95:
            job[NESTED] = [random_element(rng) for _ in range(rng.randint(1, 4))]
        jobs.append(job)
    return jobs


def random_nested_expression(rng: random.Random) -> dict[str, Any]:
    filters = []
    for relative, operators, values in rng.sample(ELEMENT_FILTERS, rng.randint(1, 3)):
        operator = rng.choice(operators)
        item: dict[str, Any] = {"Name": f"{NESTED}.{relative}", "Operator": operator}
        if operator not in ("Exists", "NotExists"):
            item["Value"] = rng.choice(values)
        filters.append(item)
    # One Contains per search at most, as the Search API allows.
    contains = [item for item in filters if item["Operator"] == "Contains"]
    for extra in contains[1:]:
        extra["Operator"] = "Exists"
        extra.pop("Value")
    return {"NestedFilters": [{"NestedPropertyName": NESTED, "Filters": filters}]}


def plain_nested_names(
    index: SearchIndex, jobs: list[dict[str, Any]], expression: dict[str, Any]
) -> set[str]:
    compiled = compile_expression("TrainingJob", expression, index)
    assert compiled is not None
    nested = compiled.nested[0]
    return {
        job["TrainingJobName"]
        for job in jobs
        if any(
            element_matches(element, nested.conditions)
            for element in path_values(job, nested.segments)
        )
    }


def searched_names(index: SearchIndex, expression: dict[str, Any]) -> set[str]:
    names: set[str] = set()
    request: dict[str, Any] = {
        "Resource": "TrainingJob", "SearchExpression": expression, "MaxResults": 100,
    }
    while True:
        response = index.search(request)
        names.update(item["TrainingJob"]["TrainingJobName"] for item in response["Results"])
        if "NextToken" not in response:
            return names
        request = {**request, "NextToken": response["NextToken"]}


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("built", [False, True], ids=["lazy", "built"])
def test_nested_index_matches_plain_evaluation(seed, built):
    rng = random.Random(seed)
    jobs = random_jobs(rng, 150)
    index = SearchIndex({"TrainingJob": jobs})
    if built:
        index.build()

    for _ in range(25):
        expression = random_nested_expression(rng)
        expected = plain_nested_names(index, jobs, expression)

        assert searched_names(index, expression) == expected, expression


def test_nested_index_needs_one_element_for_all():
    jobs = [
        {"TrainingJobName": "split", NESTED: [
            {"ChannelName": "train", "DataSource": {"S3DataSource": {"S3Uri": "s3://a/x"}}},
            {"ChannelName": "validation", "DataSource": {"S3DataSource": {"S3Uri": "s3://a/p07/"}}},
        ]},
        {"TrainingJobName": "same", NESTED: [
            {"ChannelName": "train", "DataSource": {"S3DataSource": {"S3Uri": "s3://a/p07/"}}},
        ]},
    ]
    expression = {"NestedFilters": [{"NestedPropertyName": NESTED, "Filters": [
        {"Name": f"{NESTED}.ChannelName", "Operator": "Equals", "Value": "train"},
        {"Name": f"{NESTED}.DataSource.S3DataSource.S3Uri", "Operator": "Contains",
         "Value": "/p07/"},
    ]}]}

    assert searched_names(SearchIndex({"TrainingJob": jobs}), expression) == {"same"}


# --- one-pass build -------------------------------------------------------------------------


def random_value(rng: random.Random, depth: int) -> Any:
    roll = rng.random()
    if depth > 2 or roll < 0.45:
        return rng.choice([None, "", "x", "2024-05-01T00:00:00Z", 0, 1.5, True, "0.3", '"7"'])
    if roll < 0.7:
        return [random_value(rng, depth + 1) for _ in range(rng.randint(0, 3))]
    return random_mapping(rng, depth + 1)


def random_mapping(rng: random.Random, depth: int) -> dict[str, Any]:
    keys = ["A", "B", "A.B", "Tags", "Metrics", "HyperParameters", "Value", "Key"]
    return {key: random_value(rng, depth) for key in rng.sample(keys, rng.randint(0, 4))}


def random_tags(rng: random.Random) -> list[Any]:
    keys = ["Project", "Team", "a.b", ""]
    values: list[Any] = ["churn", "", None, {}, 3]
    count = rng.randint(0, 3)
    return [{"Key": rng.choice(keys), "Value": rng.choice(values)} for _ in range(count)]


def random_record(rng: random.Random) -> dict[str, Any]:
    record = random_mapping(rng, 0)
    if rng.random() < 0.6:
        record["Tags"] = random_tags(rng)
    if rng.random() < 0.5:
        record["HyperParameters"] = {
            "eta": rng.choice(["0.1", '"0.2"', "x"]),
            "a.b": "1",
            "nested": rng.choice([{"deep": "2"}, "3"]),
        }
    if rng.random() < 0.5:
        record["FinalMetricDataList"] = [
            {"MetricName": rng.choice(["validation:auc", "loss"]), "Value": rng.random()},
            {"MetricName": "loss", "Value": None},
        ]
    if rng.random() < 0.3:
        record["Inner"] = [{"Tags": random_tags(rng)}, [{"Tags": random_tags(rng)}]]
    return record


def all_names(flat_names: set[str], records: list[dict[str, Any]], resource: str) -> set[str]:
    return flat_names | set(collect_property_names(resource, records))


@pytest.mark.parametrize("resource", ["TrainingJob", "Model"])
@pytest.mark.parametrize("seed", range(4))
def test_flatten_values_match_raw_values(resource, seed):
    rng = random.Random(seed)
    records = [random_record(rng) for _ in range(120)]
    flat = flatten_values(records, resource)

    checked = 0
    for name in all_names(set(flat.values), records, resource):
        if name in flat.unreliable or name not in flat.values:
            continue
        expected = [
            (position, value)
            for position, record in enumerate(records)
            for value in raw_values(resource, record, split_name(name))
        ]
        assert sorted(map(repr, flat.values[name])) == sorted(map(repr, expected)), name
        checked += 1

    assert checked > 20


@pytest.mark.parametrize("seed", range(4))
def test_flatten_values_match_path_values_in_elements(seed):
    rng = random.Random(seed)
    elements = [random_record(rng) for _ in range(120)]
    flat = flatten_values(elements)

    for name in flat.values:
        if name in flat.unreliable:
            continue
        segments = tuple(name.split("."))
        expected = [
            (position, value)
            for position, element in enumerate(elements)
            for value in path_values(element, segments)
        ]
        assert sorted(map(repr, flat.values[name])) == sorted(map(repr, expected)), name


def test_build_counts_what_it_built():
    index = SearchIndex({"TrainingJob": training_jobs()})

    stats = index.build()

    assert stats.records == len(training_jobs())
    assert stats.property_names == len(index.property_names("TrainingJob"))
    assert 0 < stats.columns <= stats.property_names
    assert stats.element_columns > 0
    assert stats.seconds >= 0


@pytest.fixture(scope="module")
def built_index() -> SearchIndex:
    index = SearchIndex({"TrainingJob": training_jobs()})
    index.build()
    return index


@pytest.mark.parametrize(
    ("expression", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_built_index_matches_search_table(built_index, expression, expected):
    assert searched_names(built_index, expression) == expected


def test_nested_tags_match_within_one_tag():
    jobs = [
        {"TrainingJobName": "churn", "Tags": [{"Key": "Project", "Value": "churn"}]},
        {"TrainingJobName": "crossed", "Tags": [
            {"Key": "Project", "Value": "fraud"}, {"Key": "Team", "Value": "churn"},
        ]},
    ]
    expression = {"NestedFilters": [{"NestedPropertyName": "Tags", "Filters": [
        {"Name": "Tags.Key", "Operator": "Equals", "Value": "Project"},
        {"Name": "Tags.Value", "Operator": "Equals", "Value": "churn"},
    ]}]}

    assert searched_names(SearchIndex({"TrainingJob": jobs}), expression) == {"churn"}
