"""A hand-built lineage graph for query tests, shaped as the contract describes the builder's.

It does not depend on the crawler or the graph builder, so query tests pin the query logic alone:
- endpoint churn-prod uses churn-cfg-2: production variant -> churn-model-2 (one container)
  -> artifact -> churn-train-2 (train and validation channels), shadow variant ->
  churn-model-3 (a two-container pipeline; one artifact has no producer);
- endpoint churn-canary uses churn-cfg-3 and is being updated to churn-cfg-2;
- churn-cfg-1 (no endpoint uses it) serves churn-model-1, trained on data/train_v2/;
- the train/ dataset was written by processing job prep-1, which read raw/2024/;
- img-train-1 reads only an unresolved manifest;
- endpoint legacy-ep uses a config that could not be read.
"""

from __future__ import annotations

from lineage.crawl.result import PlaceholderStatus
from lineage.graph import LineageGraph, NodeKind, Relation

ACCOUNT = "111122223333"
REGION = "us-east-1"
BUCKET = "example-bucket"
IMAGE = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/xgb-inference:1.7-1"
TRAIN_IMAGE = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/xgb-training:1.7-1"


def arn(resource_type: str, name: str) -> str:
    return f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:{resource_type}/{name}"


def s3(key: str) -> str:
    return f"s3://{BUCKET}/{key}"


def build_query_graph() -> LineageGraph:
    graph = LineageGraph()
    _add_datasets(graph)
    _add_jobs(graph)
    _add_models(graph)
    _add_endpoints(graph)
    graph.meta["coverage"] = {
        "accounts": [ACCOUNT],
        "regions": [REGION],
        "counts": {"TrainingJob": 4, "Model": 4, "Endpoint": 3, "EndpointConfig": 4},
        "crawled_at": "2024-06-12T08:00:00+00:00",
        "denied": ["TransformJob"],
    }
    return graph


def _dataset(graph: LineageGraph, key: str, data_type: str = "S3Prefix") -> str:
    uri = s3(key)
    is_prefix = data_type == "S3Prefix"
    return graph.add_node(uri, NodeKind.DATASET, key.rstrip("/").rsplit("/", 1)[-1],
                          uri=uri, data_type=data_type, is_prefix=is_prefix)


def _artifact(graph: LineageGraph, key: str) -> str:
    uri = s3(key)
    return graph.add_node(uri, NodeKind.ARTIFACT, key.rsplit("/", 1)[-1], uri=uri,
                          compressed=key.endswith(".tar.gz"), is_prefix=False)


def _add_datasets(graph: LineageGraph) -> None:
    _dataset(graph, "raw/2024/")
    _dataset(graph, "data/train/")
    _dataset(graph, "data/validation/")
    _dataset(graph, "data/train_v2/")
    _dataset(graph, "manifests/train.manifest", "ManifestFile")


def _training_job(graph: LineageGraph, name: str, channels: dict[str, str], **attrs: object) -> str:
    job = graph.add_node(arn("training-job", name), NodeKind.TRAINING_JOB, name,
                         status="Completed", instance_type="ml.m5.xlarge", **attrs)
    for channel, dataset in channels.items():
        graph.add_edge(job, dataset, Relation.TRAINED_ON, channel=channel)
    graph.add_edge(job, graph.add_node(TRAIN_IMAGE, NodeKind.IMAGE, "xgb-training:1.7-1"),
                   Relation.RUNS)
    artifact = _artifact(graph, f"models/{name}/output/model.tar.gz")
    graph.add_edge(artifact, job, Relation.PRODUCED_BY, match="exact")
    return job


def _add_jobs(graph: LineageGraph) -> None:
    prep = graph.add_node(arn("processing-job", "prep-1"), NodeKind.PROCESSING_JOB, "prep-1",
                          status="Completed")
    graph.add_edge(prep, s3("raw/2024/"), Relation.READS, channel="raw")
    graph.add_edge(s3("data/train/"), prep, Relation.PRODUCED_BY)

    job = _training_job(
        graph, "churn-train-2",
        {"train": s3("data/train/"), "validation": s3("data/validation/")},
        hyperparameters={"eta": '"0.1"', "max_depth": "6"},
        hyperparameters_decoded={"eta": "0.1", "max_depth": "6"},
        metrics={"validation:auc": 0.91},
    )
    params = graph.add_node(f"{job}#hyperparameters", NodeKind.HYPERPARAMETERS, "hyperparameters",
                            values={"eta": '"0.1"', "max_depth": "6"})
    graph.add_edge(job, params, Relation.CONFIGURED_WITH)

    _training_job(graph, "churn-train-1", {"train": s3("data/train_v2/")},
                  hyperparameters={"eta": "0.3"}, metrics={"validation:auc": 0.85})
    _training_job(graph, "img-train-1", {"train": s3("manifests/train.manifest")})


def _model(graph: LineageGraph, name: str, containers: list[dict[str, object]]) -> str:
    mode = "pipeline" if len(containers) > 1 else "single"
    model = graph.add_node(arn("model", name), NodeKind.MODEL, name, containers=containers,
                           mode=mode)
    for container in containers:
        url = container.get("model_data_url")
        if isinstance(url, str):
            graph.add_edge(model, url, Relation.LOADS)
    return model


def _container(key: str, hostname: str | None = None) -> dict[str, object]:
    return {"hostname": hostname, "image": IMAGE, "model_data_url": s3(key),
            "model_package": None, "mode": "SingleModel"}


def _add_models(graph: LineageGraph) -> None:
    _model(graph, "churn-model-2", [_container("models/churn-train-2/output/model.tar.gz")])
    _model(graph, "churn-model-1", [_container("models/churn-train-1/output/model.tar.gz")])
    _model(graph, "img-model", [_container("models/img-train-1/output/model.tar.gz")])

    _artifact(graph, "sparkml/prep-9/model.tar.gz")
    _model(graph, "churn-model-3", [
        _container("sparkml/prep-9/model.tar.gz", "preprocess"),
        _container("models/churn-train-2/output/model.tar.gz", "xgb"),
    ])


def _config(graph: LineageGraph, name: str, variants: list[dict[str, object]]) -> str:
    config = graph.add_node(arn("endpoint-config", name), NodeKind.ENDPOINT_CONFIG, name,
                            variants=variants)
    for variant in variants:
        relation = Relation.SERVES_SHADOW if variant["shadow"] else Relation.SERVES
        graph.add_edge(config, arn("model", str(variant["model_name"])), relation,
                       variant=variant["name"], weight=variant["weight"])
    return config


def _variant(name: str, model: str, shadow: bool = False, **values: object) -> dict[str, object]:
    return {"name": name, "model_name": model, "instance_type": values.get("instance_type"),
            "instance_count": values.get("instance_count"), "weight": values.get("weight", 1.0),
            "serverless": values.get("serverless"), "shadow": shadow}


def _endpoint(graph: LineageGraph, name: str, config: str, **attrs: object) -> str:
    endpoint = graph.add_node(arn("endpoint", name), NodeKind.ENDPOINT, name,
                              account=ACCOUNT, region=REGION, **attrs)
    graph.add_edge(endpoint, config, Relation.USES_CONFIG)
    return endpoint


def _add_endpoints(graph: LineageGraph) -> None:
    cfg2 = _config(graph, "churn-cfg-2", [
        _variant("AllTraffic", "churn-model-2", instance_type="ml.m5.large", instance_count=1),
        _variant("shadow", "churn-model-3", shadow=True, weight=0.5,
                 serverless={"MemorySizeInMB": 2048, "MaxConcurrency": 5}),
    ])
    _config(graph, "churn-cfg-1", [_variant("AllTraffic", "churn-model-1",
                                            instance_type="ml.m5.large", instance_count=1)])
    cfg3 = _config(graph, "churn-cfg-3", [_variant("AllTraffic", "img-model",
                                                   instance_type="ml.c5.large", instance_count=1)])

    _endpoint(graph, "churn-prod", cfg2, status="InService", config_name="churn-cfg-2",
              variants=[{"name": "AllTraffic", "weight": 1.0, "instance_type": None,
                         "instance_count": 3, "serverless": None, "shadow": False}])
    canary = _endpoint(graph, "churn-canary", cfg3, status="Updating", config_name="churn-cfg-3")
    graph.add_edge(canary, cfg2, Relation.PENDING_CONFIG, pending=True)

    legacy_cfg = graph.add_node(
        arn("endpoint-config", "legacy-cfg"), NodeKind.ENDPOINT_CONFIG, "legacy-cfg",
        status=PlaceholderStatus.DELETED.value, reason="Could not find endpoint configuration",
    )
    _endpoint(graph, "legacy-ep", legacy_cfg, status="InService", config_name="legacy-cfg",
              variants=[{"name": "AllTraffic", "weight": 1.0, "instance_type": None,
                         "instance_count": 2, "serverless": None, "shadow": False}])
