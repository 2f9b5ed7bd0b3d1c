"""Property-name suggestions from crawled records, shaped like GetSearchSuggestions."""

from __future__ import annotations

import pytest

from lineage.errors import SearchError
from lineage.search import SearchIndex, get_search_suggestions, suggest
from tests.search_records import training_jobs


@pytest.fixture(scope="module")
def index() -> SearchIndex:
    return SearchIndex({"TrainingJob": training_jobs()})


@pytest.mark.parametrize(
    ("hint", "expected"),
    [
        ("Metrics.", ["Metrics.train:auc", "Metrics.validation:auc"]),
        ("metrics.val", ["Metrics.validation:auc"]),
        ("Tags.", ["Tags.Owner", "Tags.Project", "Tags.Team"]),
        ("tags.p", ["Tags.Project"]),
        (
            "HyperParameters.sagemaker",
            ["HyperParameters.sagemaker_program", "HyperParameters.sagemaker_submit_directory"],
        ),
        ("HYPERPARAMETERS.ETA", ["HyperParameters.eta"]),
        (
            "ResourceConfig",
            ["ResourceConfig", "ResourceConfig.InstanceCount", "ResourceConfig.InstanceType"],
        ),
        (
            "InputDataConfig.DataSource.S3DataSource.S3U",
            ["InputDataConfig.DataSource.S3DataSource.S3Uri"],
        ),
        ("nothing-like-this", []),
    ],
)
def test_suggest_prefix_ignores_case(index, hint, expected):
    assert suggest(index, "TrainingJob", hint) == expected


def test_suggest_empty_hint_lists_everything_present(index):
    names = suggest(index, "TrainingJob", "")

    assert "TrainingJobName" in names
    assert "FailureReason" in names
    assert "HyperParameters.num_leaves" in names
    assert "_lineage" not in names
    assert not any(name.startswith("_lineage") for name in names)
    assert names == sorted(names, key=lambda name: (name.lower(), name))


def test_suggest_omits_fields_no_record_has(index):
    # The service model knows WarmPoolStatus, but no crawled job has it.
    assert suggest(index, "TrainingJob", "WarmPool") == []


def test_get_search_suggestions_is_boto3_shaped(index):
    response = get_search_suggestions(
        index,
        {
            "Resource": "TrainingJob",
            "SuggestionQuery": {"PropertyNameQuery": {"PropertyNameHint": "Tags.T"}},
        },
    )

    assert response == {"PropertyNameSuggestions": [{"PropertyName": "Tags.Team"}]}


def test_model_tags_are_suggested_in_both_spellings():
    index = SearchIndex({"Model": [{"ModelName": "m", "Tags": [{"Key": "Stage", "Value": "p"}]}]})

    assert suggest(index, "Model", "tags.") == ["Tags.Stage"]
    assert suggest(index, "Model", "Model.Tags.") == ["Model.Tags.Stage"]


@pytest.mark.parametrize(
    ("request_body", "message"),
    [
        ({"Resource": "Experiment"}, "Resource 'Experiment' is not searchable"),
        ({}, "Resource is missing"),
        (
            {
                "Resource": "TrainingJob",
                "SuggestionQuery": {"PropertyNameQuery": {"PropertyNameHint": "x" * 101}},
            },
            "at most 100",
        ),
        ({"Resource": "TrainingJob", "Hint": "x"}, "unsupported parameter 'Hint'"),
    ],
)
def test_invalid_suggestion_request(index, request_body, message):
    with pytest.raises(SearchError, match=message):
        get_search_suggestions(index, request_body)
