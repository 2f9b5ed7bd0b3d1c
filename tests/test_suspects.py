"""Ranked suspects: data, then code and images, then hyperparameters, instances and tags."""

from __future__ import annotations

import json

from lineage.graph import LineageGraph
from lineage.queries.diff import diff
from lineage.queries.suspects import SuspectKind, rank_suspects
from tests.diff_graphs import XGBOOST_1_5, XGBOOST_1_7, add_training_job, churn_story


def ranked_for(before: dict, after: dict):
    graph = LineageGraph()
    add_training_job(graph, "job-before", **before)
    add_training_job(graph, "job-after", **after)
    return rank_suspects(diff(graph, "job-before", "job-after"))


def test_churn_story_dataset_change_ranks_first() -> None:
    suspects = rank_suspects(diff(churn_story(), "churn-prod-config-v1", "churn-prod-config-v2"))

    first = suspects[0]
    assert first.kind is SuspectKind.DATASET
    assert first.name == "train"
    assert first.before == "s3://example-ml-data/churn/2024-05-01/train/"
    assert first.after == "s3://example-ml-data/churn/2024-06-01/train/"
    eta = next(suspect for suspect in suspects if suspect.name == "eta")
    assert eta.kind is SuspectKind.HYPERPARAMETER
    assert (eta.before, eta.after) == (0.2, 0.3)
    assert "+50%" in eta.reason


def test_metrics_are_never_suspects() -> None:
    suspects = rank_suspects(diff(churn_story(), "churn-prod-config-v1", "churn-prod-config-v2"))

    names = {suspect.name for suspect in suspects}
    assert "validation:auc" not in names
    assert "train:auc" not in names


def test_suspect_kinds_ranked_in_order() -> None:
    suspects = ranked_for(
        {
            "channels": {"train": "s3://b/2024-05/train/"},
            "image": XGBOOST_1_5,
            "hyperparameters": {"eta": "0.2", "sagemaker_program": '"train.py"'},
            "instance_type": "ml.m5.xlarge",
            "tags": {"Owner": "ana"},
        },
        {
            "channels": {"train": "s3://b/2024-06/train/"},
            "image": XGBOOST_1_7,
            "hyperparameters": {"eta": "2.0", "sagemaker_program": '"train_v2.py"'},
            "instance_type": "ml.c5.xlarge",
            "tags": {"Owner": "ben"},
        },
    )

    kinds = [suspect.kind for suspect in suspects]
    assert kinds[0] is SuspectKind.DATASET
    assert set(kinds[1:3]) == {SuspectKind.CODE, SuspectKind.IMAGE}
    assert kinds[3:] == [SuspectKind.HYPERPARAMETER, SuspectKind.INSTANCE, SuspectKind.TAGS]
    scores = [suspect.score for suspect in suspects]
    assert scores == sorted(scores, reverse=True)


def test_larger_relative_change_ranks_first_within_kind() -> None:
    suspects = ranked_for(
        {"hyperparameters": {"eta": "0.1", "max_depth": "6", "subsample": "0.8"}},
        {"hyperparameters": {"eta": "0.11", "max_depth": "12", "subsample": "0.4"}},
    )

    assert [suspect.name for suspect in suspects] == ["max_depth", "subsample", "eta"]


def test_non_numeric_hyperparameter_counts_as_whole_change() -> None:
    suspects = ranked_for(
        {"hyperparameters": {"objective": "binary:logistic", "eta": "0.1"}},
        {"hyperparameters": {"objective": "reg:squarederror", "eta": "0.12"}},
    )

    assert [suspect.name for suspect in suspects] == ["objective", "eta"]


def test_per_job_source_archive_ranks_below_hyperparameters() -> None:
    suspects = ranked_for(
        {
            "hyperparameters": {
                "eta": "0.1",
                "sagemaker_submit_directory": '"s3://b/job-before/source/sourcedir.tar.gz"',
            },
            "instance_count": 1,
        },
        {
            "hyperparameters": {
                "eta": "0.2",
                "sagemaker_submit_directory": '"s3://b/job-after/source/sourcedir.tar.gz"',
            },
            "instance_count": 2,
        },
    )

    assert [suspect.kind for suspect in suspects] == [
        SuspectKind.HYPERPARAMETER,
        SuspectKind.CODE,
        SuspectKind.INSTANCE,
    ]
    assert "contents may be the same" in suspects[1].reason


def test_moved_source_archive_ranks_as_code() -> None:
    suspects = ranked_for(
        {
            "hyperparameters": {
                "eta": "0.1",
                "sagemaker_submit_directory": '"s3://b/code/v1.tar.gz"',
            }
        },
        {
            "hyperparameters": {
                "eta": "0.2",
                "sagemaker_submit_directory": '"s3://b/code/v2.tar.gz"',
            }
        },
    )

    assert [suspect.kind for suspect in suspects] == [SuspectKind.CODE, SuspectKind.HYPERPARAMETER]
    assert "s3://b/code/v1.tar.gz" in suspects[0].reason
    assert "s3://b/code/v2.tar.gz" in suspects[0].reason


def test_image_version_reason_names_versions() -> None:
    suspects = ranked_for({"image": XGBOOST_1_5}, {"image": XGBOOST_1_7})

    assert len(suspects) == 1
    assert suspects[0].kind is SuspectKind.IMAGE
    assert "sagemaker-xgboost changed version from 1.5-1 to 1.7-1" in suspects[0].reason


def test_dataset_added_and_removed_reasons() -> None:
    suspects = ranked_for(
        {"channels": {"train": "s3://b/train/", "extra": "s3://b/extra/"}},
        {"channels": {"train": "s3://b/train/", "validation": "s3://b/validation/"}},
    )

    reasons = {suspect.name: suspect.reason for suspect in suspects}
    assert set(reasons) == {"extra", "validation"}
    assert reasons["extra"] == "Channel 'extra' was removed; it read s3://b/extra/."
    assert reasons["validation"] == "Channel 'validation' was added; it reads s3://b/validation/."


def test_reasons_are_single_sentences() -> None:
    suspects = rank_suspects(diff(churn_story(), "churn-prod-config-v1", "churn-prod-config-v2"))

    for suspect in suspects:
        assert "\n" not in suspect.reason
        assert suspect.reason.endswith(".")
        assert suspect.reason[0].isupper()


def test_equal_lineage_has_no_suspects() -> None:
    graph = churn_story()

    assert rank_suspects(diff(graph, "churn-prod-config-v2", "churn-prod-config-v2")) == []


def test_suspect_to_dict_is_json() -> None:
    suspects = rank_suspects(diff(churn_story(), "churn-prod-config-v1", "churn-prod-config-v2"))

    rows = [suspect.to_dict() for suspect in suspects]

    json.dumps(rows)
    assert rows[0]["kind"] == "dataset"
    assert rows[0]["scope"] == "variant AllTraffic"
