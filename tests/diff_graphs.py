"""Small lineage graphs for diff and suspect tests, built with the contract's attribute names."""

from __future__ import annotations

from typing import Any

from lineage.graph import LineageGraph, NodeKind, Relation
from lineage.identity import artifact_uri, decode_hyperparameter, sagemaker_arn
from lineage.queries.diff import ChangeStatus, LineageDiff

ACCOUNT = "111122223333"
REGION = "us-east-1"
XGBOOST_1_5 = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.5-1"
XGBOOST_1_7 = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"
SKLEARN = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1"


def arn(resource_type: str, name: str) -> str:
    return sagemaker_arn(resource_type, name, REGION, ACCOUNT)


def model_data(job: str) -> str:
    return f"s3://example-ml-models/{job}/output/model.tar.gz"


def add_tuning_job(graph: LineageGraph, name: str, objective_type: str, metric: str) -> str:
    return graph.add_node(
        arn("hyper-parameter-tuning-job", name),
        NodeKind.TUNING_JOB,
        name,
        objective_type=objective_type,
        objective_metric=metric,
    )


def add_training_job(
    graph: LineageGraph,
    name: str,
    *,
    channels: dict[str, str] | None = None,
    image: str = XGBOOST_1_7,
    hyperparameters: dict[str, str] | None = None,
    metrics: dict[str, float] | None = None,
    instance_type: str = "ml.m5.xlarge",
    instance_count: int = 1,
    duration_seconds: float = 600.0,
    tags: dict[str, str] | None = None,
    tuning_job: str | None = None,
    data_type: str = "S3Prefix",
) -> str:
    """Add a training job with its datasets, image, hyperparameters and artifact."""
    job = arn("training-job", name)
    channels = channels if channels is not None else {}
    hyperparameters = hyperparameters if hyperparameters is not None else {}
    graph.add_node(
        job,
        NodeKind.TRAINING_JOB,
        name,
        status="Completed",
        hyperparameters=dict(hyperparameters),
        hyperparameters_decoded={k: decode_hyperparameter(v) for k, v in hyperparameters.items()},
        metrics=dict(metrics or {}),
        algorithm=image,
        instance_type=instance_type,
        instance_count=instance_count,
        duration_seconds=duration_seconds,
        tags=dict(tags or {}),
        channels=[
            {"channel": channel, "uri": uri, "data_type": data_type}
            for channel, uri in channels.items()
        ],
        artifact=model_data(name),
        tuning_job=tuning_job,
    )

    for channel, uri in channels.items():
        graph.add_node(uri, NodeKind.DATASET, uri, uri=uri, data_type=data_type, is_prefix=True)
        graph.add_edge(job, uri, Relation.TRAINED_ON, channel=channel)

    graph.add_node(image, NodeKind.IMAGE, image.rsplit("/", 1)[-1], uri=image)
    graph.add_edge(job, image, Relation.RUNS)

    artifact = artifact_uri(model_data(name))
    graph.add_node(artifact, NodeKind.ARTIFACT, "model.tar.gz", uri=artifact, compressed=True)
    graph.add_edge(artifact, job, Relation.PRODUCED_BY, match="exact")

    if tuning_job is not None:
        graph.add_edge(job, tuning_job, Relation.CHILD_OF)
    return job


def container(
    job: str | None = None, image: str = XGBOOST_1_7, hostname: str | None = None
) -> dict[str, Any]:
    return {
        "hostname": hostname,
        "image": image,
        "model_data_url": model_data(job) if job else None,
        "model_package": None,
        "mode": "SingleModel",
    }


def add_model(graph: LineageGraph, name: str, containers: list[dict[str, Any]]) -> str:
    model = arn("model", name)
    graph.add_node(
        model,
        NodeKind.MODEL,
        name,
        containers=containers,
        mode="pipeline" if len(containers) > 1 else "single",
    )
    for entry in containers:
        if entry.get("model_data_url"):
            artifact = artifact_uri(entry["model_data_url"])
            graph.add_node(artifact, NodeKind.ARTIFACT, "model.tar.gz", uri=artifact)
            graph.add_edge(model, artifact, Relation.LOADS)
    return model


def variant(
    name: str,
    model_name: str,
    *,
    weight: float = 1.0,
    instance_type: str = "ml.m5.large",
    instance_count: int = 1,
    shadow: bool = False,
) -> dict[str, Any]:
    return {
        "name": name,
        "model_name": model_name,
        "instance_type": instance_type,
        "instance_count": instance_count,
        "weight": weight,
        "serverless": None,
        "shadow": shadow,
    }


def add_config(graph: LineageGraph, name: str, variants: list[dict[str, Any]]) -> str:
    config = arn("endpoint-config", name)
    graph.add_node(config, NodeKind.ENDPOINT_CONFIG, name, variants=variants)
    for entry in variants:
        relation = Relation.SERVES_SHADOW if entry["shadow"] else Relation.SERVES
        graph.add_edge(config, arn("model", entry["model_name"]), relation, variant=entry["name"])
    return config


def churn_story() -> LineageGraph:
    """Two configs of one endpoint whose models were trained on different data with another eta.

    The tuning job of the newer training job maximizes validation:auc, which fell.
    """
    graph = LineageGraph()
    tuning = add_tuning_job(graph, "churn-tuning", "Maximize", "validation:auc")
    add_training_job(
        graph,
        "churn-train-a",
        channels={
            "train": "s3://example-ml-data/churn/2024-05-01/train/",
            "validation": "s3://example-ml-data/churn/2024-05-01/validation/",
        },
        hyperparameters={"eta": "0.2", "max_depth": "6", "num_round": "100"},
        metrics={"validation:auc": 0.91, "train:auc": 0.95},
        tags={"Project": "churn", "Owner": "ana"},
    )
    add_training_job(
        graph,
        "churn-train-b",
        channels={
            "train": "s3://example-ml-data/churn/2024-06-01/train/",
            "validation": "s3://example-ml-data/churn/2024-05-01/validation/",
        },
        hyperparameters={"eta": '"0.3"', "max_depth": '"6"', "num_round": '"100"'},
        metrics={"validation:auc": 0.84, "train:auc": 0.97},
        tags={"Project": "churn", "Owner": "ben"},
        tuning_job=tuning,
    )
    add_model(graph, "churn-model-a", [container("churn-train-a")])
    add_model(graph, "churn-model-b", [container("churn-train-b")])
    add_config(graph, "churn-prod-config-v1", [variant("AllTraffic", "churn-model-a")])
    add_config(graph, "churn-prod-config-v2", [variant("AllTraffic", "churn-model-b")])
    return graph


def check_case_diff(result: LineageDiff, query: dict[str, Any]) -> dict[str, Any]:
    """Assert a case fixture's `expect_changed` and `expect_unchanged` hyperparameters.

    Returns the hyperparameter entries by name for further checks.
    """
    rows = {entry.name: entry for entry in result.hyperparameters}
    for name, (before, after) in query["expect_changed"].items():
        assert rows[name].status is ChangeStatus.CHANGED, name
        assert (rows[name].before, rows[name].after) == (before, after), name
    for name in query["expect_unchanged"]:
        assert rows[name].status is ChangeStatus.EQUAL, name
    return rows
