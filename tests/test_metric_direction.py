"""Metric direction: from a tuning job objective, else from the metric name."""

from __future__ import annotations

import pytest

from lineage.graph import LineageGraph
from lineage.queries.metrics import (
    DirectionSource,
    direction_from_name,
    direction_from_objective,
    metric_direction,
    tuning_objective,
)
from tests.diff_graphs import add_training_job, add_tuning_job


@pytest.mark.parametrize(
    ("name", "higher_is_better"),
    [
        ("validation:auc", True),
        ("train:auc", True),
        ("validation:aucpr", True),
        ("train:binary_classification_accuracy", True),
        ("validation:binary_f_beta", True),
        ("validation:roc_auc_score", True),
        ("validation:f1", True),
        ("test:precision", True),
        ("test:recall", True),
        ("validation:ndcg@5", True),
        ("validation:map", True),
        ("validation:r2", True),
        ("validation:rmse", False),
        ("validation:mae", False),
        ("validation:mse", False),
        ("test:mape", False),
        ("validation:logloss", False),
        ("validation:mlogloss", False),
        ("train:error", False),
        ("validation:merror", False),
        ("validation:error@0.7", False),
        ("train:gamma-nloglik", False),
        ("validation:objective_loss", False),
        ("eval/loss", False),
        ("validation:cross_entropy", False),
        ("Validation:RMSE", False),
        ("auc_loss", False),
        ("train:progress", None),
        ("throughput", None),
        ("", None),
    ],
)
def test_direction_from_name(name: str, higher_is_better: bool | None) -> None:
    assert direction_from_name(name) is higher_is_better


@pytest.mark.parametrize(
    ("objective_type", "higher_is_better"),
    [
        ("Maximize", True),
        ("Minimize", False),
        ("minimize", False),
        (" MAXIMIZE ", True),
        ("x", None),
    ],
)
def test_direction_from_objective(objective_type: str, higher_is_better: bool | None) -> None:
    assert direction_from_objective(objective_type) is higher_is_better


@pytest.mark.parametrize(
    "attrs",
    [
        {"objective_type": "Maximize", "objective_metric": "validation:auc"},
        {"objective": {"Type": "Maximize", "MetricName": "validation:auc"}},
        {"objective": {"type": "Maximize", "metric_name": "validation:auc"}},
        {
            "HyperParameterTuningJobConfig": {
                "HyperParameterTuningJobObjective": {
                    "Type": "Maximize",
                    "MetricName": "validation:auc",
                }
            }
        },
    ],
)
def test_tuning_objective_attribute_shapes(attrs: dict) -> None:
    assert tuning_objective(attrs) == ("Maximize", "validation:auc")


def test_tuning_objective_missing_metric() -> None:
    assert tuning_objective({"objective_type": "Maximize"}) is None
    assert tuning_objective({}) is None


def test_objective_overrides_metric_name() -> None:
    # A custom metric whose name reads as a loss but that the tuning job maximizes.
    graph = LineageGraph()
    tuning = add_tuning_job(graph, "reward-tuning", "Maximize", "validation:reward_loss")
    job = add_training_job(graph, "reward-job", tuning_job=tuning)

    direction = metric_direction(graph, "validation:reward_loss", [job])

    assert direction.higher_is_better is True
    assert direction.source is DirectionSource.TUNING_OBJECTIVE
    assert "reward-tuning" in direction.detail
    assert direction.text == "higher is better"


def test_objective_of_other_metric_falls_back_to_name() -> None:
    graph = LineageGraph()
    tuning = add_tuning_job(graph, "auc-tuning", "Maximize", "validation:auc")
    job = add_training_job(graph, "job", tuning_job=tuning)

    direction = metric_direction(graph, "validation:rmse", [job])

    assert direction.higher_is_better is False
    assert direction.source is DirectionSource.METRIC_NAME
    assert direction.text == "lower is better"


def test_objective_found_through_tuning_job_attribute() -> None:
    # Without a child_of edge, the job's tuning_job attribute still leads to the objective.
    graph = LineageGraph()
    tuning = add_tuning_job(graph, "rmse-tuning", "Minimize", "validation:score")
    job = add_training_job(graph, "job")
    graph.node(job)["tuning_job"] = tuning

    direction = metric_direction(graph, "validation:score", [job])

    assert direction.higher_is_better is False
    assert direction.source is DirectionSource.TUNING_OBJECTIVE


def test_unknown_metric_direction() -> None:
    graph = LineageGraph()
    job = add_training_job(graph, "job")

    direction = metric_direction(graph, "train:progress", [job])

    assert direction.higher_is_better is None
    assert direction.source is DirectionSource.UNKNOWN
    assert direction.to_dict()["direction"] == "unknown"
