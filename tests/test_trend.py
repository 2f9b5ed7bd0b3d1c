"""Metric trends over tuning jobs, package groups, tags and an endpoint's deployments."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from lineage.errors import LineageError, NodeNotFoundError
from lineage.graph import LineageGraph, NodeKind, Relation
from lineage.queries.metrics import DirectionSource
from lineage.queries.trend import (
    SeriesKind,
    TrendError,
    choose_metric,
    endpoint_trend,
    metric_trend,
    package_group_trend,
    tag_trend,
    tuning_job_trend,
)
from lineage.source import load
from sample_data import generate as sample
from tests.diff_graphs import (
    add_config,
    add_model,
    add_training_job,
    add_tuning_job,
    arn,
    churn_story,
    container,
    variant,
)


def _at(day: int, hour: int = 0) -> datetime:
    return datetime(2024, 5, day, hour, tzinfo=timezone.utc)


def _job(graph: LineageGraph, name: str, day: int, **kwargs) -> str:
    job = add_training_job(graph, name, **kwargs)
    graph.node(job)["created"] = _at(day)
    return job


def _tuning_graph(objective_type: str, values: list[float]) -> LineageGraph:
    graph = LineageGraph()
    tuning = add_tuning_job(graph, "hpo", objective_type, "validation:score")
    # Children are added out of time order so the test checks the sort.
    for position in reversed(range(len(values))):
        _job(
            graph,
            f"hpo-{position:03d}",
            position + 1,
            metrics={"validation:score": values[position], "train:score": 1.0},
            tuning_job=tuning,
        )
    return graph


def test_tuning_trend_sorted_by_time() -> None:
    trend = tuning_job_trend(_tuning_graph("Maximize", [0.5, 0.7, 0.6]), "hpo")

    assert [point.label for point in trend.points] == ["hpo-000", "hpo-001", "hpo-002"]
    assert [point.value for point in trend.points] == [0.5, 0.7, 0.6]


def test_tuning_trend_uses_objective_metric() -> None:
    trend = tuning_job_trend(_tuning_graph("Maximize", [0.5, 0.7]), "hpo")

    assert trend.metric == "validation:score"
    assert trend.direction.source is DirectionSource.TUNING_OBJECTIVE
    assert trend.direction.higher_is_better is True


def test_tuning_trend_marks_drop_when_maximized() -> None:
    trend = tuning_job_trend(_tuning_graph("Maximize", [0.5, 0.7, 0.6, 0.65]), "hpo")

    assert [point.regression for point in trend.points] == [None, False, True, False]
    assert [point.label for point in trend.regressions] == ["hpo-002"]
    assert trend.points[2].change == pytest.approx(-0.1)


def test_tuning_trend_marks_rise_when_minimized() -> None:
    # The name "score" has no direction, so only the objective can make a rise bad.
    trend = tuning_job_trend(_tuning_graph("Minimize", [0.5, 0.7, 0.6]), "hpo")

    assert [point.regression for point in trend.points] == [None, True, False]


def test_unknown_direction_marks_nothing() -> None:
    graph = _tuning_graph("Maximize", [0.5, 0.4])

    trend = tuning_job_trend(graph, "hpo", metric="train:score")

    assert trend.direction.higher_is_better is None
    assert all(point.regression is None for point in trend.points)
    assert any("unknown" in note for note in trend.notes)


def test_equal_values_are_no_regression() -> None:
    trend = tuning_job_trend(_tuning_graph("Maximize", [0.5, 0.5]), "hpo")

    assert trend.points[1].regression is False
    assert trend.points[1].change == 0


def test_missing_value_compares_with_last_known() -> None:
    graph = _tuning_graph("Maximize", [0.8, 0.6])
    tuning = graph.find("hpo")
    middle = _job(graph, "hpo-mid", 1, metrics={"train:score": 1.0}, tuning_job=tuning)
    graph.node(middle)["created"] = _at(1, 12)

    trend = tuning_job_trend(graph, "hpo")

    assert [point.label for point in trend.points] == ["hpo-000", "hpo-mid", "hpo-001"]
    assert trend.points[1].value is None
    assert trend.points[1].regression is None
    assert trend.points[2].regression is True
    assert trend.points[2].change == pytest.approx(-0.2)
    assert any("1 of 3 points" in note for note in trend.notes)


def test_unknown_tuning_job_suggests_names() -> None:
    with pytest.raises(NodeNotFoundError, match="hpo"):
        tuning_job_trend(_tuning_graph("Maximize", [0.5]), "hpo-typo")


def test_tag_trend_selects_tagged_jobs() -> None:
    graph = LineageGraph()
    _job(graph, "a", 1, metrics={"validation:rmse": 3.0}, tags={"Project": "demand"})
    _job(graph, "b", 2, metrics={"validation:rmse": 2.0}, tags={"Project": "other"})
    _job(graph, "c", 3, metrics={"validation:rmse": 4.0}, tags={"Project": "demand"})

    trend = tag_trend(graph, "Project", "demand")

    assert [point.label for point in trend.points] == ["a", "c"]
    assert trend.direction.text == "lower is better"
    assert trend.points[1].regression is True


def test_tag_trend_without_match_raises() -> None:
    graph = LineageGraph()
    _job(graph, "a", 1, metrics={"validation:rmse": 3.0}, tags={"Project": "demand"})

    with pytest.raises(TrendError, match="Project=Demand"):
        tag_trend(graph, "Project", "Demand")


def test_series_without_metrics_raises() -> None:
    graph = LineageGraph()
    _job(graph, "a", 1, tags={"Project": "demand"})

    with pytest.raises(TrendError, match="final metric"):
        tag_trend(graph, "Project", "demand")


def test_choose_metric_prefers_most_reported() -> None:
    graph = LineageGraph()
    first = _job(graph, "a", 1, metrics={"train:loss": 1.0, "validation:auc": 0.8})
    second = _job(graph, "b", 2, metrics={"train:loss": 1.0})

    assert choose_metric(graph, [first, second]) == "train:loss"


def test_choose_metric_ties_prefer_validation() -> None:
    graph = LineageGraph()
    job = _job(graph, "a", 1, metrics={"train:auc": 0.9, "validation:auc": 0.8})

    assert choose_metric(graph, [job]) == "validation:auc"


def test_package_group_trend_reads_producing_jobs() -> None:
    graph = LineageGraph()
    group = graph.add_node(arn("model-package-group", "grp"), NodeKind.MODEL_PACKAGE_GROUP, "grp")
    for version, (name, auc) in enumerate((("job-1", 0.9), ("job-2", 0.8)), start=1):
        _job(graph, name, version, metrics={"validation:auc": auc})
        model = add_model(graph, f"holder-{version}", [container(name)])
        artifact = next(target for _, target, _ in graph.out_edges(model))
        package = graph.add_node(
            arn("model-package", f"grp/{version}"),
            NodeKind.MODEL_PACKAGE,
            f"grp/{version}",
            created=_at(10 + version),
        )
        graph.add_edge(package, artifact, Relation.LOADS)
        graph.add_edge(package, group, Relation.MEMBER_OF)

    trend = package_group_trend(graph, "grp")

    assert [point.label for point in trend.points] == ["grp/1", "grp/2"]
    assert [point.value for point in trend.points] == [0.9, 0.8]
    assert trend.points[1].regression is True
    assert trend.points[1].job == arn("training-job", "job-2")


def test_endpoint_trend_groups_by_variant() -> None:
    graph = churn_story()
    add_training_job(graph, "side", metrics={"validation:auc": 0.5})
    add_model(graph, "side-model", [container("side")])
    add_config(
        graph,
        "with-shadow",
        [variant("AllTraffic", "churn-model-b"), variant("shadow", "side-model", shadow=True)],
    )
    deployments = [
        ("2024-06-12T10:00:00Z", "with-shadow"),
        ("2024-05-06T10:00:00Z", "churn-prod-config-v1"),
    ]

    trend = endpoint_trend(graph, "churn-prod", deployments)

    assert [point.value for point in trend.points] == [0.91, 0.84]
    assert {point.group for point in trend.points} == {"AllTraffic"}
    assert trend.points[1].regression is True
    assert trend.direction.source is DirectionSource.TUNING_OBJECTIVE


def test_endpoint_trend_notes_missing_config() -> None:
    trend = endpoint_trend(
        churn_story(), "churn-prod", [(None, "gone-config"), (None, "churn-prod-config-v2")]
    )

    assert len(trend.points) == 1
    assert "gone-config" in trend.notes[0]


def test_metric_trend_parses_tag_series() -> None:
    trend = metric_trend(churn_story(), "tag", "Project=churn", "validation:auc")

    assert trend.series is SeriesKind.TAG
    assert len(trend.points) == 2


def test_metric_trend_rejects_bad_tag() -> None:
    with pytest.raises(TrendError, match="KEY=VALUE"):
        metric_trend(churn_story(), SeriesKind.TAG, "Project")


def test_metric_trend_rejects_unknown_series() -> None:
    with pytest.raises(ValueError):
        metric_trend(churn_story(), "pipeline", "x")


def test_errors_are_lineage_errors() -> None:
    assert issubclass(TrendError, LineageError)


def test_sample_tuning_trend_to_dict() -> None:
    graph = load().graph

    data = tuning_job_trend(graph, sample.TUNING_JOB).to_dict()

    assert data["metric"] == sample.TUNING_OBJECTIVE[1]
    assert data["direction"]["direction"] == "higher is better"
    assert len(data["points"]) == sample.TUNING_CHILD_COUNT
    times = [point["time"] for point in data["points"]]
    assert times == sorted(times)
